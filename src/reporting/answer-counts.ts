import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { answers } from "../db/schema/index.js";
import type { FormDefinition } from "../forms/form-schema.js";
import { anyOf } from "./subtree-reports.js";

/**
 * What consolidation counts rather than sums: the reports (or, inside a repeat group, the rows)
 * choosing each option of a choice question, and the rows of each repeat group. Answers are
 * matched by question name across the template's versions (a type change under a name is refused
 * at import), so the current form says which names are choices.
 */
export function countedQuestions(form: FormDefinition): { choiceIds: string[]; repeatIds: string[]; crossed: [string, string][] } {
  const choiceIds: string[] = [];
  const repeatIds: string[] = [];
  const crossed: [string, string][] = [];
  for (const s of form.sections) {
    if (s.repeat) repeatIds.push(s.id);
    for (const q of s.questions) {
      if (q.type === "single" || q.type === "multiple" || q.type === "yesno") choiceIds.push(q.id);
      if (q.crossWith) crossed.push([q.id, q.crossWith]);
    }
  }
  return { choiceIds, repeatIds, crossed };
}

/** "case_form×case_sex" → option of the first → option of the second → rows choosing both. */
export type CrossCounts = Record<string, Record<string, Record<string, number>>>;
export const crossKey = (a: string, b: string) => `${a}×${b}`;

/**
 * The rows of a repeat group by two of its choice questions (the form's `crossWith`), over the
 * reports `reports` (a subquery of submission ids): both answers of one row, joined on the row.
 */
export async function crossCounts(db: DbOrTx, form: FormDefinition | undefined, reports: SQL): Promise<CrossCounts> {
  const pairs = form ? countedQuestions(form).crossed : [];
  if (pairs.length === 0) return {};
  const which = sql.join(
    pairs.map(([a, b]) => sql`(a.question_id = ${a} and b.question_id = ${b})`),
    sql` or `,
  );
  const result = await db.execute(sql`select a.question_id as q, b.question_id as p, x.v as x, y.v as y, count(*)::int as n
    from ${answers} as a
    join ${answers} as b on b.submission_id = a.submission_id and split_part(b.key, ']', 1) = split_part(a.key, ']', 1)
    cross join lateral ${chosenOptions(sql`a.value`)} as x(v)
    cross join lateral ${chosenOptions(sql`b.value`)} as y(v)
    where a.submission_id in (${reports}) and a.key like '%[%' and b.key like '%[%' and (${which})
    group by 1, 2, 3, 4`);
  const out: CrossCounts = {};
  for (const r of (result as unknown as { rows: { q: string; p: string; x: string; y: string; n: number }[] }).rows)
    ((out[crossKey(r.q, r.p)] ??= {})[r.x] ??= {})[r.y] = Number(r.n);
  return out;
}

/**
 * The options an answer chose, one per row (for a lateral join): a single choice is its value, a
 * multiple choice each of its values, yes/no (kept as a boolean) 'yes' or 'no'; a skipped one none.
 */
export const chosenOptions = (value: SQL = sql`${answers.value}`): SQL => sql`jsonb_array_elements_text(case jsonb_typeof(${value} -> 'v')
    when 'array' then ${value} -> 'v'
    when 'string' then jsonb_build_array(${value} -> 'v')
    when 'boolean' then jsonb_build_array(case when (${value} ->> 'v')::boolean then 'yes' else 'no' end)
    else '[]'::jsonb end)`;

/**
 * The repeat group of an answer's key ("abuse_case[2].case_sex" → "abuse_case") and its row
 * ("abuse_case[2": the row's "add another?" answer, "abuse_case[2]#more", is the same row).
 */
export const repeatOfKey = (): SQL => sql`split_part(${answers.key}, '[', 1)`;
export const repeatRowOfKey = (): SQL => sql`split_part(${answers.key}, ']', 1)`;

export interface AnswerCounts {
  /** Question → option → how many reports (or repeat rows) chose it. */
  choiceCounts: Record<string, Record<string, number>>;
  /** Repeat group → how many rows the reports gave. */
  repeatRows: Record<string, number>;
  /** Two choice questions of a repeat crossed, as the form asks (`baocao::cross_with`). */
  crossCounts: CrossCounts;
}

/** The counts over exactly these reports (the period status lists them first, then counts them). */
export async function answerCounts(db: DbOrTx, submissionIds: number[], form: FormDefinition | undefined): Promise<AnswerCounts> {
  const out: AnswerCounts = { choiceCounts: {}, repeatRows: {}, crossCounts: {} };
  if (!form || submissionIds.length === 0) return out;
  const { choiceIds, repeatIds } = countedQuestions(form);
  const [choices, rows, crossed] = await Promise.all([
    choiceIds.length
      ? db.execute(sql`select ${answers.questionId} as q, o.v as option, count(*)::int as n
          from ${answers} cross join lateral ${chosenOptions()} as o(v)
          where ${anyOf(answers.submissionId, submissionIds)} and ${answers.questionId} = any(${sql.param(choiceIds)}::text[])
          group by 1, 2`)
      : undefined,
    repeatIds.length
      ? db.execute(sql`select ${repeatOfKey()} as r, count(distinct ${answers.submissionId}::text || ${repeatRowOfKey()})::int as n
          from ${answers}
          where ${anyOf(answers.submissionId, submissionIds)} and ${answers.key} like '%[%' and ${repeatOfKey()} = any(${sql.param(repeatIds)}::text[])
          group by 1`)
      : undefined,
    crossCounts(db, form, sql`select unnest(${sql.param(submissionIds)}::int[])`),
  ]);
  out.crossCounts = crossed;
  // Both drivers answer { rows }; the Drizzle type leaves the shape to the driver.
  for (const r of (choices as unknown as { rows: { q: string; option: string; n: number }[] } | undefined)?.rows ?? [])
    (out.choiceCounts[r.q] ??= {})[r.option] = Number(r.n);
  for (const r of (rows as unknown as { rows: { r: string; n: number }[] } | undefined)?.rows ?? []) out.repeatRows[r.r] = Number(r.n);
  return out;
}
