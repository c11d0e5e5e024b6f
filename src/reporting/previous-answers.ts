import { sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import type { FormDefinition } from "../forms/form-schema.js";

/** The questions of a form whose previous answer is offered as the default (outside repeats). */
export const carriedQuestions = (form: FormDefinition): string[] =>
  form.sections.flatMap((s) => (s.repeat ? [] : s.questions.filter((q) => q.carryOver).map((q) => q.id)));

/**
 * The unit's answers to those questions in its latest earlier period of the same template that it
 * submitted (2026-H1 reads 2025-Y; 2026-Y reads 2026-H1). Skipped answers are no default.
 */
export async function previousAnswers(
  db: DbOrTx,
  at: { templateId: string; unitId: number; periodId: number; endsOn: string },
  questionIds: readonly string[],
): Promise<Record<string, unknown>> {
  if (questionIds.length === 0) return {};
  const rows = (await db.execute(sql`select distinct on (a.question_id) a.question_id as id, a.value
    from answers a join submissions s on s.id = a.submission_id join periods p on p.id = s.period_id
    where p.template_id = ${at.templateId} and s.unit_id = ${at.unitId} and p.id <> ${at.periodId} and p.ends_on < ${at.endsOn}
      and s.status in ('submitted', 'approved') and a.key = a.question_id
      and a.question_id in (${sql.join(
        questionIds.map((q) => sql`${q}`),
        sql`, `,
      )})
    order by a.question_id, p.ends_on desc, p.id desc`)) as unknown as { rows: { id: string; value: { v: unknown } }[] };
  const out: Record<string, unknown> = {};
  for (const r of rows.rows) if (r.value.v !== null && r.value.v !== undefined) out[r.id] = r.value.v;
  return out;
}
