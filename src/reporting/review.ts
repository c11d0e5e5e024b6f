import { and, asc, eq } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { answers, auditLog, officers, periods, submissionEvents, submissions, units } from "../db/schema/index.js";
import type { Officer } from "../directory/officers.js";
import { periodLabel } from "../domain/periods.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { formatAnswer, visibleSlots, type Slot } from "../forms/form-runtime.js";
import type { NewOutboxRow } from "../delivery/outbox.js";
import { recipientsOfUnits } from "../delivery/audience.js";

/**
 * The supervisor's review (duyệt): read a commune's submission laid out like the paper form,
 * approve it, or return it for correction naming the questions. Every step is in the history and
 * the officer is told on chat.
 */
export class ReviewRefused extends Error {
  override name = "ReviewRefused";
}

export function createReviewService(deps: { forms: FormRegistry; enqueue: (tx: DbOrTx, rows: NewOutboxRow[]) => Promise<number[]> }) {
  /** The submission if the officer may see it: their own unit's, or one below them. */
  async function load(db: DbOrTx, officer: Officer, submissionId: number) {
    // An id from the address bar that no integer column can hold is a submission that does not exist (not a 500).
    if (!Number.isInteger(submissionId) || submissionId < 1 || submissionId > 2_147_483_647) return undefined;
    const [row] = await db
      .select({ submission: submissions, unit: units, period: periods })
      .from(submissions)
      .innerJoin(units, eq(units.id, submissions.unitId))
      .innerJoin(periods, eq(periods.id, submissions.periodId))
      .where(eq(submissions.id, submissionId));
    if (!row) return undefined;
    const [own] = await db.select().from(units).where(eq(units.id, officer.unitId));
    const visible = own && own.scheme === row.unit.scheme && (row.unit.id === own.id || row.unit.path.startsWith(`${own.path}.`));
    if (!visible) return undefined;
    const supervises = officer.role !== "commune" && row.unit.path.startsWith(`${own!.path}.`);
    return { ...row, supervises };
  }

  /**
   * The submission laid out for reading. A report holds case data (abuse by form, sex and age, case
   * by case), so every read is in the audit log, written in the same transaction as the read: no
   * answers leave without their row. A refused read (not there, or not the officer's to see) is
   * recorded too, alike for both so the row tells the officer nothing.
   */
  async function view(db: Db, officer: Officer, submissionId: number) {
    return db.transaction(async (tx) => {
      const actor = `officer:${officer.id}`;
      const target = `submission:${submissionId}`;
      const found = await load(tx, officer, submissionId);
      if (!found) {
        await tx.insert(auditLog).values({ actor, action: "submission.read_refused", target });
        return undefined;
      }
      await tx.insert(auditLog).values({ actor, action: "submission.read", target });
      const form = deps.forms.get(found.submission.formId, found.submission.formVersion);
      const rows = await tx.select({ key: answers.key, value: answers.value }).from(answers).where(eq(answers.submissionId, submissionId));
      const current = new Map(rows.map((r) => [r.key, r.value.v]));
      const slots: Slot[] = visibleSlots(form, current);
      const history = await tx
        .select({ at: submissionEvents.at, kind: submissionEvents.kind, comment: submissionEvents.comment, questions: submissionEvents.questions, by: officers.name })
        .from(submissionEvents)
        .leftJoin(officers, eq(officers.id, submissionEvents.officerId))
        .where(eq(submissionEvents.submissionId, submissionId))
        .orderBy(asc(submissionEvents.id));
      return {
        ...found,
        form,
        items: slots.map((s) => ({ number: s.number, section: s.section.title, label: s.question.label, answer: formatAnswer(s.question, current.get(s.key)) })),
        history,
      };
    });
  }

  async function decide(db: Db, officer: Officer, submissionId: number, decision: { kind: "approved" } | { kind: "returned"; comment: string; questions: string[] }) {
    return db.transaction(async (tx) => {
      const found = await load(tx, officer, submissionId);
      if (!found) throw new ReviewRefused("Không tìm thấy báo cáo");
      if (!found.supervises) throw new ReviewRefused("Chỉ cấp trên mới duyệt hoặc trả lại báo cáo này.");
      if (found.submission.status !== "submitted") throw new ReviewRefused("Báo cáo chưa nộp hoặc đã được xử lý.");
      await tx.update(submissions).set({ status: decision.kind, updatedAt: new Date() }).where(and(eq(submissions.id, submissionId), eq(submissions.status, "submitted")));
      await tx.insert(submissionEvents).values({
        submissionId,
        kind: decision.kind,
        officerId: officer.id,
        ...(decision.kind === "returned" ? { comment: decision.comment, questions: decision.questions } : {}),
      });
      const label = periodLabel(found.period.key);
      const text =
        decision.kind === "approved"
          ? `✅ ${label[0]!.toUpperCase()}${label.slice(1)} của ${found.unit.name} đã được ${officer.name} duyệt.`
          : `↩️ ${label[0]!.toUpperCase()}${label.slice(1)} của ${found.unit.name} được ${officer.name} trả lại để sửa: «${decision.comment}»${decision.questions.length ? ` (câu ${decision.questions.join(", ")})` : ""}. Gõ "báo cáo" để sửa và nộp lại.`;
      const { reachable } = await recipientsOfUnits(tx, [found.unit.id], ["commune"]);
      await deps.enqueue(
        tx,
        reachable.map((r) => ({
          officerId: r.officerId,
          channel: r.channel,
          chatId: r.chatId,
          kind: "notice",
          dedupeKey: `review:${submissionId}:${Date.now()}:${r.officerId}`,
          payload: { text, ...(decision.kind === "returned" ? { choices: [{ value: "cmd:start", label: "📝 Sửa báo cáo" }] } : {}) },
        })),
      );
    });
  }

  return { view, decide };
}

export type ReviewService = ReturnType<typeof createReviewService>;
