import { randomBytes, createHash } from "node:crypto";
import { and, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "../db/client.js";
import {
  answers,
  channelLinks,
  conversationSessions,
  officers,
  periods,
  reportLinks,
  reportTemplates,
  submissionEvents,
  submissions,
  units,
  webAnswerOps,
} from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { formatDate, formatDateTime, localDate } from "../domain/dates.js";
import { formatVietnameseNumber } from "../domain/numbers.js";
import { fold } from "../domain/text.js";
import { displayPhone } from "../domain/phone.js";
import { deadlinesForUnit, loadCalendar } from "../reporting/reporting-calendar.js";
import { reportLabel } from "../reporting/reminder-topic.js";
import type { FormRegistry } from "../forms/form-registry.js";
import type { FormDefinition } from "../forms/form-schema.js";
import {
  computedValues,
  dateRange,
  failingChecks,
  formatAnswer,
  meansSameAsBefore,
  optionsOf,
  parseAnswer,
  questionIdOfKey,
  visibleSlots,
  type Answers,
  type Slot,
} from "../forms/form-runtime.js";
import type { SessionState } from "../conversations/engine.js";
import { periodSpan } from "../conversations/engine.js";
import type { SubmitReport } from "../conversations/submit-report.js";
import { verifyInitData } from "./telegram-init-data.js";
import { carriedQuestions, previousAnswers } from "../reporting/previous-answers.js";

/**
 * The officer's report as a phone web form ("Điền trên web"): the same form, answers and rules as
 * the chat, one draft with it. A link sent in chat opens it; each answer the phone sends carries
 * its own id, so a retry after a lost connection is applied once.
 */

export interface WebReportDeps {
  db: Db;
  forms: FormRegistry;
  clock: () => Date;
  timeZone: string;
  /** PUBLIC_URL, else the service's own address: links are never built from a request. */
  publicOrigin: () => string;
  submitReport: SubmitReport;
  /** Checks a Telegram Web App's initData; unset when no Telegram bot is configured. */
  telegramBotToken?: string;
  /** How long a link opens the form, and how old a Telegram initData may be. */
  linkHours: number;
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
/** 32 random bytes, base64url: the only thing a link carries. */
export const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export const AnswerOp = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/),
    key: z.string().min(1).max(200),
    text: z.string().max(2000).optional(),
    choice: z.string().max(200).optional(),
    values: z.array(z.string().max(200)).max(50).optional(),
    skip: z.literal(true).optional(),
  })
  .strict();
export const AnswerOps = z.object({ ops: z.array(AnswerOp).min(1).max(100) }).strict();
export type AnswerOp = z.output<typeof AnswerOp>;

export type OpResult = { id: string; key: string; ok: true; shown: string } | { id: string; key: string; ok: false; message: string };

/** One question as the page shows it; `value` is what its input holds. */
export interface WebSlot {
  key: string;
  number: string;
  label: string;
  type: string;
  required: boolean;
  help?: string;
  hint?: string;
  notes?: string[];
  unit?: string;
  options?: { value: string; label: string }[];
  /** As typed back into the input (numbers in Vietnamese notation, dates dd/mm/yyyy). */
  value?: string | string[];
  skipped?: boolean;
  /** The answer as the review shows it. */
  shown?: string;
  /** Last period's answer, offered as «Như kỳ trước» where the form carries it over. */
  previous?: string;
}

export interface WebReportView {
  submissionId: number;
  title: string;
  report: string;
  deadline: string;
  late: boolean;
  status: "in_progress" | "submitted" | "returned" | "approved";
  submittedAt?: string;
  returned?: { comment: string | null; questions: string[] };
  sections: { title: string; slots: WebSlot[] }[];
  answered: number;
  total: number;
  /** Questions still unanswered, by number. */
  missing: string[];
  problems: { keys: string[]; message: string }[];
  computed: { label: string; value: string }[];
}

interface Opened {
  officerId: number;
  /** The period's last day: earlier periods' answers may carry over. */
  endsOn: string;
  submission: typeof submissions.$inferSelect;
  periodKey: string;
  templateId: string;
  templateName: string;
  unit: { path: string; level: "commune" | "district" | "province" };
}

export function createWebReportService(deps: WebReportDeps) {
  const { db, forms, clock, timeZone } = deps;

  /** A new link to this officer's report, stored as its hash. */
  async function linkFor(tx: Tx, officerId: number, submissionId: number): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    await tx.insert(reportLinks).values({
      tokenHash: sha256(token),
      officerId,
      submissionId,
      expiresAt: new Date(clock().getTime() + deps.linkHours * 3_600_000),
    });
    return `${deps.publicOrigin()}/f/${token}`;
  }

  const gone = () =>
    new AppError(
      "not_found",
      'Đường dẫn này không còn mở được báo cáo (đã hết hạn hoặc không đúng). Gõ "web" trong khung chat với baocao để nhận đường dẫn mới.',
    );

  /**
   * The link's officer and report, locked for this transaction. Opened as a Telegram Web App, the
   * initData must be Telegram's and name the officer the link was sent to.
   */
  async function open(tx: Tx, token: string, initData: string | undefined): Promise<Opened> {
    if (!LINK_TOKEN.test(token)) throw gone();
    const [row] = await tx
      .select({ officerId: reportLinks.officerId, submissionId: reportLinks.submissionId })
      .from(reportLinks)
      .innerJoin(officers, eq(officers.id, reportLinks.officerId))
      .where(and(eq(reportLinks.tokenHash, sha256(token)), gt(reportLinks.expiresAt, clock()), eq(officers.active, true)));
    if (!row) throw gone();
    if (initData !== undefined) {
      const refused = new AppError(
        "forbidden",
        "Không xác minh được tài khoản Telegram mở trang này. Anh/chị mở lại báo cáo từ nút trong khung chat với baocao.",
      );
      if (!deps.telegramBotToken) throw refused;
      const checked = verifyInitData(initData, deps.telegramBotToken, clock(), deps.linkHours * 3600);
      if (!checked.ok) throw refused;
      const [link] = await tx
        .select({ id: channelLinks.id })
        .from(channelLinks)
        .where(and(eq(channelLinks.officerId, row.officerId), eq(channelLinks.channel, "telegram"), eq(channelLinks.externalId, checked.userId)));
      if (!link) throw new AppError("forbidden", "Đường dẫn này là báo cáo của cán bộ khác. Anh/chị mở báo cáo của mình từ khung chat với baocao.");
    }
    // The chat's sessions on this report first, then the report: the order a chat message takes them in.
    await tx.execute(sql`select officer_id from ${conversationSessions} where (state -> 'report' ->> 'submissionId')::int = ${row.submissionId} for update`);
    const [found] = await tx
      .select({
        submission: submissions,
        periodKey: periods.key,
        endsOn: periods.endsOn,
        templateId: reportTemplates.id,
        templateName: reportTemplates.name,
        path: units.path,
        level: units.level,
      })
      .from(submissions)
      .innerJoin(periods, eq(periods.id, submissions.periodId))
      .innerJoin(reportTemplates, eq(reportTemplates.id, periods.templateId))
      .innerJoin(units, eq(units.id, submissions.unitId))
      .where(eq(submissions.id, row.submissionId))
      .for("update", { of: submissions });
    if (!found) throw gone();
    return {
      officerId: row.officerId,
      endsOn: found.endsOn,
      submission: found.submission,
      periodKey: found.periodKey,
      templateId: found.templateId,
      templateName: found.templateName,
      unit: { path: found.path, level: found.level },
    };
  }

  async function answersOf(tx: Tx, submissionId: number): Promise<Answers> {
    const rows = await tx.select({ key: answers.key, value: answers.value }).from(answers).where(eq(answers.submissionId, submissionId));
    return new Map(rows.map((r) => [r.key, r.value.v]));
  }

  const label = (o: Opened) => reportLabel({ id: o.templateId, name: o.templateName }, o.periodKey);

  /** Last period's answers to the questions the form carries over, as the chat offers them. */
  const carried = (tx: Tx, o: Opened, form: FormDefinition) =>
    previousAnswers(tx, { templateId: o.templateId, unitId: o.submission.unitId, periodId: o.submission.periodId, endsOn: o.endsOn }, carriedQuestions(form));

  async function view(tx: Tx, o: Opened, form: FormDefinition, current: Answers): Promise<WebReportView> {
    const slots = visibleSlots(form, current);
    const previous = await carried(tx, o, form);
    const [period] = await tx.select().from(periods).where(eq(periods.id, o.submission.periodId));
    const deadline = deadlinesForUnit(await loadCalendar(tx, o.templateId), period!, o.unit.path)[o.unit.level];
    const today = localDate(clock(), timeZone);
    const sections: WebReportView["sections"] = [];
    for (const s of slots) {
      const last = sections[sections.length - 1];
      const slot = webSlot(s, current, { today, ...(periodSpan(o.periodKey) ? { period: periodSpan(o.periodKey)! } : {}) }, previous);
      if (last && last.title === s.section.title) last.slots.push(slot);
      else sections.push({ title: s.section.title, slots: [slot] });
    }
    let returned: WebReportView["returned"];
    if (o.submission.status === "returned") {
      const [event] = await tx
        .select({ comment: submissionEvents.comment, questions: submissionEvents.questions })
        .from(submissionEvents)
        .where(and(eq(submissionEvents.submissionId, o.submission.id), eq(submissionEvents.kind, "returned")))
        .orderBy(desc(submissionEvents.id))
        .limit(1);
      returned = { comment: event?.comment ?? null, questions: event?.questions ?? [] };
    }
    const status = o.submission.status;
    return {
      submissionId: o.submission.id,
      title: form.title,
      report: label(o),
      deadline: formatDate(deadline),
      late: today > deadline,
      status,
      ...(o.submission.submittedAt ? { submittedAt: formatDateTime(o.submission.submittedAt, timeZone) } : {}),
      ...(returned ? { returned } : {}),
      sections,
      answered: slots.filter((s) => current.has(s.key)).length,
      total: slots.length,
      missing: slots.filter((s) => !current.has(s.key)).map((s) => s.number),
      problems: failingChecks(form, current),
      computed: computedValues(form, current).map((c) => ({ label: c.label, value: formatVietnameseNumber(c.value) })),
    };
  }

  /** A returned report becomes a draft again at its first change, as it does when reopened in chat. */
  async function reopenIfReturned(tx: Tx, o: Opened): Promise<void> {
    if (o.submission.status !== "returned") return;
    await tx.update(submissions).set({ status: "in_progress", updatedAt: clock() }).where(eq(submissions.id, o.submission.id));
    await tx.insert(submissionEvents).values({ submissionId: o.submission.id, kind: "reopened", officerId: o.officerId });
    o.submission = { ...o.submission, status: "in_progress" };
  }

  const closed = (o: Opened) => o.submission.status === "submitted" || o.submission.status === "approved";

  return {
    linkFor,

    /** Whether the link still opens a report (the page itself carries no data: its script asks `state`). */
    async exists(token: string): Promise<boolean> {
      if (!LINK_TOKEN.test(token)) return false;
      const [row] = await db
        .select({ id: reportLinks.submissionId })
        .from(reportLinks)
        .where(and(eq(reportLinks.tokenHash, sha256(token)), gt(reportLinks.expiresAt, clock())));
      return row !== undefined;
    },

    async state(token: string, initData: string | undefined): Promise<WebReportView> {
      return db.transaction(async (tx) => {
        const o = await open(tx, token, initData);
        const form = await forms.ensure(tx, o.submission.formId, o.submission.formVersion);
        return view(tx, o, form, await answersOf(tx, o.submission.id));
      });
    },

    /**
     * Applies the phone's answers in the order typed, each once: an id already applied gets its
     * first result again. Refused answers are reported one by one and change nothing.
     */
    async apply(token: string, initData: string | undefined, input: z.input<typeof AnswerOps>): Promise<{ results: OpResult[]; view: WebReportView }> {
      const { ops } = AnswerOps.parse(input);
      return db.transaction(async (tx) => {
        const o = await open(tx, token, initData);
        const form = await forms.ensure(tx, o.submission.formId, o.submission.formVersion);
        const current = await answersOf(tx, o.submission.id);
        const previous = await carried(tx, o, form);
        const seen = await tx
          .select({ opId: webAnswerOps.opId, result: webAnswerOps.result })
          .from(webAnswerOps)
          .where(
            inArray(
              webAnswerOps.opId,
              ops.map((op) => op.id),
            ),
          );
        const earlier = new Map(seen.map((r) => [r.opId, r.result as unknown as OpResult]));
        const now = clock();
        const today = localDate(now, timeZone);
        const results: OpResult[] = [];
        const fresh: OpResult[] = [];
        const changed = new Set<string>();
        for (const op of ops) {
          const again = earlier.get(op.id);
          if (again) {
            results.push(again);
            continue;
          }
          let result: OpResult;
          if (closed(o)) {
            result = {
              id: op.id,
              key: op.key,
              ok: false,
              message: "Báo cáo đã nộp, không sửa được nữa. Nếu cần sửa, anh/chị đề nghị cấp trên trả lại báo cáo.",
            };
          } else {
            result = applyOne(
              form,
              current,
              op,
              { today, now, timeZone, ...(periodSpan(o.periodKey) ? { period: periodSpan(o.periodKey)! } : {}) },
              changed,
              previous,
            );
          }
          results.push(result);
          fresh.push(result);
          earlier.set(op.id, result);
        }
        if (changed.size > 0) {
          await reopenIfReturned(tx, o);
          const stored = await answersOf(tx, o.submission.id);
          const removed = [...stored.keys()].filter((k) => !current.has(k));
          const written = [...changed].filter((k) => current.has(k));
          if (removed.length > 0) await tx.delete(answers).where(and(eq(answers.submissionId, o.submission.id), inArray(answers.key, removed)));
          if (written.length > 0) {
            await tx
              .insert(answers)
              .values(
                written.map((key) => {
                  const value = current.get(key);
                  return {
                    submissionId: o.submission.id,
                    key,
                    questionId: questionIdOfKey(key),
                    valueNum: typeof value === "number" ? value : null,
                    value: { v: value },
                    answeredAt: now,
                  };
                }),
              )
              .onConflictDoUpdate({
                target: [answers.submissionId, answers.key],
                set: { value: sql`excluded.value`, valueNum: sql`excluded.value_num`, answeredAt: sql`excluded.answered_at` },
              });
          }
          await tx.update(submissions).set({ updatedAt: now }).where(eq(submissions.id, o.submission.id));
          await moveChatCursors(tx, o.submission.id, form, current);
        }
        if (fresh.length > 0) {
          await tx
            .insert(webAnswerOps)
            .values(fresh.map((r) => ({ opId: r.id, submissionId: o.submission.id, result: r as unknown as Record<string, unknown> })))
            .onConflictDoNothing();
        }
        return { results, view: await view(tx, o, form, current) };
      });
    },

    /** Submits when every question is answered and every check holds; otherwise says what is left, as the chat's "nộp" does. */
    async submit(token: string, initData: string | undefined): Promise<{ submitted: boolean; message: string; view: WebReportView }> {
      return db.transaction(async (tx) => {
        const o = await open(tx, token, initData);
        const form = await forms.ensure(tx, o.submission.formId, o.submission.formVersion);
        const current = await answersOf(tx, o.submission.id);
        const shown = async (submitted: boolean, message: string) => ({ submitted, message, view: await view(tx, o, form, current) });
        if (closed(o)) return shown(false, `Đơn vị đã nộp ${label(o)} lúc ${formatDateTime(o.submission.submittedAt!, timeZone)}.`);
        const slots = visibleSlots(form, current);
        const missing = slots.filter((s) => !current.has(s.key));
        if (missing.length > 0) {
          return shown(
            false,
            `Còn ${missing.length} câu chưa trả lời (${missing
              .slice(0, 8)
              .map((s) => s.number)
              .join(", ")}${missing.length > 8 ? ", …" : ""}).`,
          );
        }
        const failures = failingChecks(form, current);
        if (failures.length > 0) return shown(false, `Chưa nộp được, vì:\n${failures.map((f) => `• ${f.message}`).join("\n")}`);
        await reopenIfReturned(tx, o);
        const now = clock();
        const done = await deps.submitReport(tx, o.submission.id, o.officerId, now, localDate(now, timeZone), label(o));
        // The chat's sessions on this report are done with it too.
        await tx.execute(
          sql`update ${conversationSessions} set state = '{"mode":"idle"}'::jsonb, updated_at = now() where (state -> 'report' ->> 'submissionId')::int = ${o.submission.id} and state -> 'incident' is null`,
        );
        const [after] = await tx.select().from(submissions).where(eq(submissions.id, o.submission.id));
        o.submission = after!;
        return shown(true, done.text);
      });
    },
  };
}

export type WebReportService = ReturnType<typeof createWebReportService>;

/** One answer from the phone against the answers so far; `current` and `changed` are updated when it is taken. */
function applyOne(
  form: FormDefinition,
  current: Answers,
  op: AnswerOp,
  ctx: Parameters<typeof parseAnswer>[2],
  changed: Set<string>,
  previous: Record<string, unknown>,
): OpResult {
  const slot = visibleSlots(form, current).find((s) => s.key === op.key);
  if (!slot)
    return { id: op.id, key: op.key, ok: false, message: "Câu này không còn trong báo cáo (do một câu trả lời trước đó). Câu trả lời không được ghi." };
  let value: unknown;
  const before = slot.question.carryOver && !current.has(slot.key) ? previous[slot.key] : undefined;
  if (before !== undefined && op.text !== undefined && meansSameAsBefore({ text: op.text })) {
    value = before;
    // "bỏ qua" typed, as officers do in chat, is the skip button.
  } else if (op.skip || (op.text !== undefined && fold(op.text) === "bo qua")) {
    if (slot.question.required) return { id: op.id, key: op.key, ok: false, message: slot.question.requiredMessage ?? "Câu này bắt buộc, không bỏ qua được." };
    value = null;
  } else {
    const parsed = parseAnswer(
      slot.question,
      {
        ...(op.text !== undefined ? { text: op.text } : {}),
        ...(op.choice !== undefined ? { choice: op.choice } : {}),
        ...(op.values !== undefined ? { values: op.values } : {}),
      },
      ctx,
    );
    if (!parsed.ok) return { id: op.id, key: op.key, ok: false, message: parsed.message };
    value = parsed.value;
  }
  current.set(slot.key, value);
  changed.add(slot.key);
  // An answer that changes the skip logic drops the answers that no longer apply, as in chat.
  const visible = new Set(visibleSlots(form, current).map((s) => s.key));
  for (const k of [...current.keys()]) {
    if (!visible.has(k)) {
      current.delete(k);
      changed.add(k);
    }
  }
  return { id: op.id, key: op.key, ok: true, shown: shownValue(slot, value) };
}

/** The answer as chat's review writes it (formatAnswer), with "đồng" after money the form gives no unit. */
function shownValue(slot: Slot, value: unknown): string {
  const q = slot.question;
  return `${formatAnswer(q, value)}${q.money && !q.unit && typeof value === "number" ? " đồng" : ""}`;
}

function webSlot(s: Slot, current: Answers, ctx: Parameters<typeof dateRange>[1], previous: Record<string, unknown>): WebSlot {
  const q = s.question;
  const has = current.has(s.key);
  const v = current.get(s.key);
  const options = optionsOf(q);
  const hints: string[] = [];
  if (q.money) hints.push("ví dụ 5.000.000, 5 triệu, 62,5tr hoặc 500k");
  else if (q.type === "decimal") hints.push("ví dụ 1,5");
  if (q.type === "date") {
    const range = dateRange(q, ctx);
    hints.push(`ngày/tháng/năm${range.min ? `, từ ${formatDate(range.min)}` : ""}${range.max ? ` đến ${formatDate(range.max)}` : ""}`);
  }
  if (q.type === "datetime") hints.push('ví dụ "hôm qua 17h" hoặc 20/11 9h');
  let value: WebSlot["value"];
  if (has && v !== null) {
    if (q.type === "integer" || q.type === "decimal") value = formatVietnameseNumber(v as number);
    else if (q.type === "yesno") value = v ? "yes" : "no";
    else if (q.type === "multiple") value = v as string[];
    else if (q.type === "date") value = formatDate(v as string);
    else if (q.type === "datetime") value = formatDateTime(new Date(v as string), "Asia/Ho_Chi_Minh");
    else if (q.type === "phone") value = displayPhone(v as string);
    else value = String(v);
  }
  return {
    key: s.key,
    number: s.number,
    label: q.label,
    type: q.type,
    required: q.required,
    ...(q.help ? { help: q.help } : {}),
    ...(hints.length > 0 ? { hint: hints.join("; ") } : {}),
    ...(s.notes ? { notes: s.notes } : {}),
    ...(q.unit ? { unit: q.unit } : q.money ? { unit: "đồng" } : {}),
    ...(options ? { options } : {}),
    ...(value !== undefined ? { value } : {}),
    ...(has && v === null ? { skipped: true } : {}),
    ...(has ? { shown: shownValue(s, v) } : {}),
    ...(!has && q.carryOver && previous[s.key] !== undefined ? { previous: shownValue(s, previous[s.key]) } : {}),
  };
}

/**
 * The chat asks where the officer left off: a question just answered on the web is not asked
 * again there — its cursor moves to the first one still open (or the review).
 */
async function moveChatCursors(tx: Tx, submissionId: number, form: FormDefinition, current: Answers): Promise<void> {
  const rows = await tx
    .select({ officerId: conversationSessions.officerId, state: conversationSessions.state })
    .from(conversationSessions)
    .where(sql`(${conversationSessions.state} -> 'report' ->> 'submissionId')::int = ${submissionId}`);
  const slots = visibleSlots(form, current);
  for (const { officerId, state } of rows as { officerId: number; state: SessionState }[]) {
    const report = state.report;
    if (!report || state.mode !== "asking" || !report.cursor || report.editing) continue;
    if (current.has(report.cursor) === false && slots.some((s) => s.key === report.cursor)) continue;
    const next = slots.find((s) => !current.has(s.key));
    const moved: SessionState = next
      ? { ...state, report: { ...report, cursor: next.key, editing: false } }
      : { ...state, mode: "review", report: { ...report, cursor: undefined, editing: false } };
    await tx
      .update(conversationSessions)
      .set({ state: moved, updatedAt: sql`now()` })
      .where(eq(conversationSessions.officerId, officerId));
  }
}
