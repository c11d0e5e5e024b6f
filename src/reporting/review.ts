import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { answers, auditLog, officers, periods, submissionEvents, submissions, units } from "../db/schema/index.js";
import { auditName, type Actor, type ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { contains, strictlyBelow } from "../domain/scope.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { formatAnswer, visibleSlots, type Slot } from "../forms/form-runtime.js";
import type { NewOutboxRow } from "../delivery/outbox.js";
import { recipientsOfUnits } from "../delivery/audience.js";
import { periodTitle } from "./labels.js";

/**
 * The supervisor's review (duyệt): read a commune's submission laid out like the paper form,
 * approve it, or return it for correction naming the questions. Every step is in the history, in
 * the audit log (in the transaction of the step), and the officer is told on chat.
 */

const MAX_ID = 2_147_483_647;

export const ReadSubmissionInput = z.object({ submissionId: z.number() });
export const ApproveSubmissionInput = z.object({ submissionId: z.number() });
export const ReturnSubmissionInput = z.object({
  submissionId: z.number(),
  comment: z.string().trim().min(1, "Cần ghi lý do trả lại.").max(1000),
  /** Question numbers to correct ("3", "12.2"). */
  questions: z
    .array(z.string().regex(/^\d+(\.\d+)?$/))
    .max(200)
    .default([]),
});

/** What a decision did, for the surface to say in its own words. */
export interface ReviewDecision {
  submissionId: number;
  status: "approved" | "returned";
  unit: { id: number; code: string; name: string };
  periodKey: string;
  /** Commune officers told on chat. */
  notified: number;
}

const parse = <T extends z.ZodTypeAny>(schema: T, input: unknown): z.infer<T> => {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new AppError(
      "invalid_input",
      r.error.issues[0]?.message ?? "Dữ liệu không hợp lệ.",
      r.error.issues.map((i) => i.message),
    );
  return r.data as z.infer<T>;
};

/** Whether the actor decides on this unit's reports: a supervisor of a unit below them (not their own office). */
const supervisesUnit = (actor: Actor, unit: { scheme: string; path: string }) =>
  (actor.kind === "system" || actor.officer.role !== "commune") && strictlyBelow(actor.scope, unit);

export function createReviewService(deps: { forms: FormRegistry; enqueue: (tx: DbOrTx, rows: NewOutboxRow[]) => Promise<number[]> }) {
  /** The submission if the actor may see it (in their scope), else undefined. */
  async function load(db: DbOrTx, actor: Actor, submissionId: number) {
    // An id from the address bar that no integer column can hold is a submission that does not exist (not a 500).
    if (!Number.isInteger(submissionId) || submissionId < 1 || submissionId > MAX_ID) return undefined;
    const [row] = await db
      .select({ submission: submissions, unit: units, period: periods })
      .from(submissions)
      .innerJoin(units, eq(units.id, submissions.unitId))
      .innerJoin(periods, eq(periods.id, submissions.periodId))
      .where(eq(submissions.id, submissionId));
    if (!row || !contains(actor.scope, row.unit)) return undefined;
    return { ...row, supervises: supervisesUnit(actor, row.unit) };
  }

  /**
   * The submission laid out for reading. A report holds case data (abuse by form, sex and age, case
   * by case), so every read is in the audit log, written in the same transaction as the read: no
   * answers leave without their row. A refused read (not there, or not the actor's to see) is
   * recorded too, alike for both so the row tells the officer nothing; then `not_found`.
   */
  async function readSubmission(ctx: ServiceContext, input: z.infer<typeof ReadSubmissionInput>) {
    const { submissionId } = parse(ReadSubmissionInput, input);
    const view = await ctx.db.transaction(async (tx) => {
      const actor = auditName(ctx.actor);
      const target = `submission:${submissionId}`;
      const found = await load(tx, ctx.actor, submissionId);
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
        .select({
          at: submissionEvents.at,
          kind: submissionEvents.kind,
          comment: submissionEvents.comment,
          questions: submissionEvents.questions,
          by: officers.name,
        })
        .from(submissionEvents)
        .leftJoin(officers, eq(officers.id, submissionEvents.officerId))
        .where(eq(submissionEvents.submissionId, submissionId))
        .orderBy(asc(submissionEvents.id));
      return {
        ...found,
        /** The actor may approve or return it now. */
        decidable: found.supervises && found.submission.status === "submitted",
        form,
        items: slots.map((s) => ({
          number: s.number,
          section: s.section.title,
          label: s.question.label,
          answer: formatAnswer(s.question, current.get(s.key)),
        })),
        history,
      };
    });
    if (!view) throw new AppError("not_found", "Không tìm thấy báo cáo.");
    return view;
  }

  async function decide(
    ctx: ServiceContext,
    submissionId: number,
    decision: { kind: "approved" } | { kind: "returned"; comment: string; questions: string[] },
  ): Promise<ReviewDecision> {
    return ctx.db.transaction(async (tx) => {
      const found = await load(tx, ctx.actor, submissionId);
      if (!found) throw new AppError("not_found", "Không tìm thấy báo cáo.");
      if (!found.supervises) throw new AppError("forbidden", "Chỉ cấp trên mới duyệt hoặc trả lại báo cáo này.");
      const moved = await tx
        .update(submissions)
        .set({ status: decision.kind, updatedAt: ctx.clock() })
        .where(and(eq(submissions.id, submissionId), eq(submissions.status, "submitted")))
        .returning({ id: submissions.id });
      if (moved.length === 0) throw new AppError("conflict", "Báo cáo chưa nộp hoặc đã được xử lý.");
      const officer = ctx.actor.kind === "officer" ? ctx.actor.officer : undefined;
      const [event] = await tx
        .insert(submissionEvents)
        .values({
          submissionId,
          kind: decision.kind,
          officerId: officer?.id ?? null,
          ...(decision.kind === "returned" ? { comment: decision.comment, questions: decision.questions } : {}),
        })
        .returning({ id: submissionEvents.id });
      await tx.insert(auditLog).values({
        actor: auditName(ctx.actor),
        action: decision.kind === "approved" ? "submission.approve" : "submission.return",
        target: `submission:${submissionId}`,
      });
      const title = periodTitle(found.period.key);
      const by = officer?.name ?? "quản trị hệ thống";
      const text =
        decision.kind === "approved"
          ? `✅ ${title} của ${found.unit.name} đã được ${by} duyệt.`
          : `↩️ ${title} của ${found.unit.name} được ${by} trả lại để sửa: «${decision.comment}»${decision.questions.length ? ` (câu ${decision.questions.join(", ")})` : ""}. Gõ "báo cáo" để sửa và nộp lại.`;
      const { reachable } = await recipientsOfUnits(tx, [found.unit.id], ["commune"]);
      await deps.enqueue(
        tx,
        reachable.map((r) => ({
          officerId: r.officerId,
          channel: r.channel,
          chatId: r.chatId,
          kind: "notice",
          // One notice per decision (its history event) and officer.
          dedupeKey: `review:${submissionId}:${event!.id}:${r.officerId}`,
          payload: { text, ...(decision.kind === "returned" ? { choices: [{ value: "cmd:start", label: "📝 Sửa báo cáo" }] } : {}) },
        })),
      );
      return {
        submissionId,
        status: decision.kind,
        unit: { id: found.unit.id, code: found.unit.code, name: found.unit.name },
        periodKey: found.period.key,
        notified: reachable.length,
      };
    });
  }

  /** Approves a submitted report of a unit below the actor. */
  async function approveSubmission(ctx: ServiceContext, input: z.infer<typeof ApproveSubmissionInput>): Promise<ReviewDecision> {
    const { submissionId } = parse(ApproveSubmissionInput, input);
    return decide(ctx, submissionId, { kind: "approved" });
  }

  /** Returns a submitted report for correction, with the reviewer's note and the questions to fix. */
  async function returnSubmission(ctx: ServiceContext, input: z.input<typeof ReturnSubmissionInput>): Promise<ReviewDecision> {
    const { submissionId, comment, questions } = parse(ReturnSubmissionInput, input);
    return decide(ctx, submissionId, { kind: "returned", comment, questions });
  }

  return { readSubmission, approveSubmission, returnSubmission };
}

export type ReviewService = ReturnType<typeof createReviewService>;
export type SubmissionView = Awaited<ReturnType<ReviewService["readSubmission"]>>;
