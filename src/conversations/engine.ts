import type { Command } from "./commands.js";
import type { FormDefinition } from "../forms/form-schema.js";
import {
  computedValues,
  failingChecks,
  formatAnswer,
  meansSameAsBefore,
  optionsOf,
  parseAnswer,
  PICK_PREFIX,
  questionIdOfKey,
  questionNumbers,
  renderSlot,
  visibleSlots,
  type Answers,
  type ParseContext,
  type Slot,
} from "../forms/form-runtime.js";
import type { OutboundMessage } from "../domain/messages.js";
import type { IncidentState } from "../incidents/incident-flow.js";
import { formatVietnameseNumber } from "../domain/numbers.js";
import { periodsOfYear, type Periodicity } from "../domain/periods.js";
import { fold } from "../domain/text.js";

/**
 * The report conversation as a pure state machine: (state, answers, input) → (state, effects,
 * messages). It does no I/O; the session service loads and persists around it in one transaction.
 */

export interface ActiveReport {
  submissionId: number;
  formId: string;
  formVersion: number;
  /** Shown to the officer: "2026-H1" and its Vietnamese name. */
  periodKey: string;
  periodLabel: string;
  /** Key of the slot being asked. */
  cursor?: string;
  /** Editing one answer from the review: go back to the review afterwards. */
  editing?: boolean;
  /** The unit's previous-period answers to the form's carry-over questions, by key (read at the report's start). */
  previous?: Record<string, unknown>;
  /** The options ticked so far on the multiple-choice question being asked (toggle buttons). */
  picked?: string[];
  /** A returned report's questions the reviewer named and not yet walked (keys), asked one after another. */
  queue?: string[];
}

export type SessionMode = "idle" | "asking" | "review" | "confirm_cancel" | "paused";

export interface SessionState {
  mode: SessionMode;
  report?: ActiveReport;
  /** Mode to return to when the officer does not confirm a cancel. */
  before?: SessionMode;
  /** An urgent report in progress: it takes over, the rest of the state waits unchanged. */
  incident?: IncidentState;
}

export const IDLE: SessionState = { mode: "idle" };

export interface AnswerWrite {
  key: string;
  questionId: string;
  /** null = skipped. */
  value: unknown;
}

export interface Effects {
  writes: AnswerWrite[];
  deletes: string[];
  submit?: boolean;
  cancel?: boolean;
}

export interface StepResult {
  state: SessionState;
  effects: Effects;
  messages: OutboundMessage[];
}

export interface ReportContext extends ParseContext {
  form: FormDefinition;
  answers: Answers;
  /** The report's `previous` answers (its state carries them), offered where the form says so. */
  previous?: Record<string, unknown>;
}

const noEffects = (): Effects => ({ writes: [], deletes: [] });

const REPORT_COMMANDS = [
  "• báo cáo — bắt đầu hoặc làm tiếp báo cáo kỳ này",
  "• xem — xem các câu đã trả lời",
  "• sửa 12 — sửa câu số 12",
  "• quay lại — về câu trước",
  "• bỏ qua — bỏ qua câu không bắt buộc",
  "• tạm dừng / tiếp tục — dừng lại và làm tiếp sau",
  "• nộp — nộp báo cáo sau khi xem lại",
  "• hủy — hủy báo cáo đang làm",
  "• web — điền báo cáo trên trang web (mở bằng điện thoại)",
  "• ? — giải thích câu đang hỏi",
];
const CASE_COMMANDS = [
  "• khẩn — báo cáo khẩn một sự việc trẻ em bị tổn hại (bất cứ lúc nào)",
  "• cập nhật KC-2026-0001 — bổ sung thông tin cho một vụ khẩn đã báo",
  "• đóng KC-2026-0001: kết quả — kết thúc hồ sơ một vụ khẩn",
  "• đã nhận — xác nhận đã nhận văn bản chỉ đạo hoặc tin báo khẩn",
];

/**
 * The commands that apply to an officer, for "?": a commune officer reports; a district or
 * province officer mostly receives (directives, urgent alerts), and reports only what is asked of
 * their own unit.
 */
export function commandHelp(role: string = "commune"): string {
  if (role === "commune") return ["Các lệnh anh/chị có thể gõ:", ...REPORT_COMMANDS, ...CASE_COMMANDS].join("\n");
  return [
    "Các lệnh anh/chị có thể gõ:",
    ...CASE_COMMANDS,
    "• báo cáo — các báo cáo cấp trên yêu cầu đơn vị anh/chị (nếu có); khi đang làm: xem, sửa 12, nộp, tạm dừng, web",
    "Theo dõi báo cáo của cấp dưới, gửi văn bản và xử lý vụ khẩn: trên trang web baocao (gõ số điện thoại tại trang đăng nhập).",
  ].join("\n");
}

/** What "?" says inside a report: every command of the report, and the urgent ones. */
export const COMMAND_HELP = commandHelp("commune");

/** Starts or resumes a report: asks the first unanswered question, or shows the review. */
export function beginReport(report: ActiveReport, given: ReportContext, resumed: boolean): StepResult {
  const ctx = report.previous ? { ...given, previous: report.previous } : given;
  const slots = visibleSlots(ctx.form, ctx.answers);
  const answered = slots.filter((s) => ctx.answers.has(s.key)).length;
  const messages: OutboundMessage[] = [];
  if (resumed && answered > 0) {
    messages.push({ text: `Tiếp tục ${report.periodLabel}: đã trả lời ${answered}/${slots.length} câu.` });
  } else {
    messages.push({
      text: `Bắt đầu ${report.periodLabel} (${slots.length} câu). Gõ "?" để xem giải thích, "xem" để xem lại, "tạm dừng" để làm tiếp sau.`,
    });
  }
  const target = (report.cursor && slots.find((s) => s.key === report.cursor && !ctx.answers.has(s.key))) || firstUnanswered(slots, ctx.answers);
  if (!target) return review({ ...report, cursor: undefined, editing: false }, ctx, messages);
  return ask({ ...report, cursor: target.key, editing: false }, target, slots, ctx, messages);
}

export function step(state: SessionState, input: { text?: string; choice?: string }, command: Command | undefined, given: ReportContext): StepResult {
  const report = state.report!;
  const ctx = report.previous ? { ...given, previous: report.previous } : given;
  const slots = visibleSlots(ctx.form, ctx.answers);
  const current = report.cursor ? slots.find((s) => s.key === report.cursor) : undefined;

  if (state.mode === "confirm_cancel") {
    const yes = command?.name === "yes" || command?.name === "cancel" || /^(co|c|yes|dong y|huy|1)$/.test(fold(input.text ?? ""));
    if (yes) {
      return {
        state: IDLE,
        effects: { ...noEffects(), cancel: true },
        messages: [{ text: `Đã hủy ${report.periodLabel}. Gõ "báo cáo" khi muốn làm lại.`, choices: [{ value: "cmd:start", label: "Làm báo cáo" }] }],
      };
    }
    const back: SessionState = { mode: state.before ?? "asking", report };
    const again = back.mode === "review" ? review(report, ctx, []) : reask(back, slots, ctx, [{ text: "Không hủy. Tiếp tục báo cáo." }]);
    return again;
  }

  if (state.mode === "paused") {
    if (command?.name === "resume" || command?.name === "start") return beginReport(report, ctx, true);
    if (command?.name === "cancel") return confirmCancel(state, report);
    if (command?.name === "view") return { state, effects: noEffects(), messages: [reviewMessage(report, ctx, slots), pausedHint()] };
    return { state, effects: noEffects(), messages: [pausedHint()] };
  }

  switch (command?.name) {
    case "help": {
      if (state.mode === "asking" && current) {
        const help = current.question.help ?? "Câu này không có giải thích thêm.";
        return {
          state,
          effects: noEffects(),
          messages: [{ text: `Giải thích câu ${current.number}: ${help}\n\n${COMMAND_HELP}` }, renderAt(current, slots, ctx)],
        };
      }
      return { state, effects: noEffects(), messages: [{ text: COMMAND_HELP }] };
    }
    case "view":
      return state.mode === "asking" && current
        ? { state, effects: noEffects(), messages: [reviewMessage(report, ctx, slots), renderAt(current, slots, ctx)] }
        : review(report, ctx, []);
    case "pause":
      return {
        state: { mode: "paused", report },
        effects: noEffects(),
        messages: [{ text: `Đã tạm dừng ${report.periodLabel}; các câu trả lời đã được lưu.`, choices: [{ value: "cmd:resume", label: "Tiếp tục" }] }],
      };
    case "cancel":
      return confirmCancel(state, report);
    case "start":
    case "resume":
      return state.mode === "review" ? review(report, ctx, []) : reask(state, slots, ctx, []);
    case "edit": {
      if (!command.number) {
        return { state, effects: noEffects(), messages: [{ text: 'Anh/chị gõ "sửa" kèm số câu, ví dụ "sửa 12". Gõ "xem" để xem số các câu.' }] };
      }
      const target = slots.find((s) => s.number === command.number || s.number === `${command.number}.1`);
      if (!target) {
        return {
          state,
          effects: noEffects(),
          messages: [
            {
              text: `Không có câu ${command.number} trong báo cáo này (có thể câu đó đang được bỏ qua theo câu trả lời trước). Gõ "xem" để xem danh sách câu.`,
            },
          ],
        };
      }
      return ask({ ...report, cursor: target.key, editing: true }, target, slots, ctx, []);
    }
    case "back": {
      const idx = current ? slots.indexOf(current) : slots.length;
      const prev = slots[idx - 1];
      if (!prev) return { state, effects: noEffects(), messages: [{ text: "Đây là câu đầu tiên." }, ...(current ? [renderAt(current, slots, ctx)] : [])] };
      return ask({ ...report, cursor: prev.key, editing: false }, prev, slots, ctx, []);
    }
    case "submit":
      return trySubmit(report, slots, ctx);
    case "skip": {
      if (state.mode !== "asking" || !current) return reask(state, slots, ctx, []);
      if (current.question.required)
        return {
          state,
          effects: noEffects(),
          messages: [{ text: current.question.requiredMessage ?? "Câu này bắt buộc, không bỏ qua được." }, renderAt(current, slots, ctx)],
        };
      return accept(state, report, current, null, ctx);
    }
    default:
      break;
  }

  if (state.mode === "review") {
    return { state, effects: noEffects(), messages: [reviewPrompt()] };
  }
  if (!current) return beginReport(report, ctx, true);

  const before = previousOf(current, ctx);
  if (before !== undefined && meansSameAsBefore(input)) return accept(state, report, current, before, ctx);
  if (current.question.type === "multiple") {
    const recorded = ctx.answers.get(current.key);
    const picked = report.picked ?? (Array.isArray(recorded) ? (recorded as string[]) : []);
    if (input.choice?.startsWith(PICK_PREFIX)) {
      const value = input.choice.slice(PICK_PREFIX.length);
      if (!optionsOf(current.question)?.some((o) => o.value === value)) {
        return {
          state,
          effects: noEffects(),
          messages: [{ text: "Lựa chọn này không còn hợp lệ, anh/chị vui lòng chọn lại." }, renderAt(current, slots, ctx, picked)],
        };
      }
      const next = picked.includes(value) ? picked.filter((v) => v !== value) : [...picked, value];
      return { state: { ...state, report: { ...report, picked: next } }, effects: noEffects(), messages: [renderAt(current, slots, ctx, next)] };
    }
    if (command?.name === "done" || (picked.length > 0 && fold(input.text ?? "") === "xong")) {
      if (picked.length === 0) return { state, effects: noEffects(), messages: [{ text: "Anh/chị chưa chọn lựa chọn nào." }, renderAt(current, slots, ctx)] };
      const parsed = parseAnswer(current.question, { values: picked }, { ...ctx, period: ctx.period ?? periodSpan(report.periodKey) });
      if (!parsed.ok) return { state, effects: noEffects(), messages: [{ text: parsed.message }, renderAt(current, slots, ctx, picked)] };
      return accept(state, { ...report, picked: undefined }, current, parsed.value, ctx);
    }
  }
  const parsed = parseAnswer(current.question, input, { ...ctx, period: ctx.period ?? periodSpan(report.periodKey) });
  if (!parsed.ok) {
    return { state, effects: noEffects(), messages: [{ text: parsed.message }, renderAt(current, slots, ctx)] };
  }
  return accept(state, report, current, parsed.value, ctx);
}

/**
 * Something that is not an answer (a sticker, a location, a photo without words): the reason,
 * then what the officer is being asked, so the conversation never stalls on it.
 */
export function notAnAnswer(state: SessionState, reason: OutboundMessage, ctx: ReportContext): OutboundMessage[] {
  if (state.mode === "review") return [reason, reviewPrompt()];
  if (state.mode === "paused") return [reason, pausedHint()];
  if (state.mode !== "asking") return [reason];
  return reask(state, visibleSlots(ctx.form, ctx.answers), ctx, [reason]).messages;
}

function accept(state: SessionState, report: ActiveReport, slot: Slot, value: unknown, ctx: ReportContext): StepResult {
  const answers: Answers = new Map(ctx.answers);
  answers.set(slot.key, value);
  const slotsAfter = visibleSlots(ctx.form, answers);
  const visible = new Set(slotsAfter.map((s) => s.key));
  // An answer that changed skip logic makes earlier answers irrelevant: they are neither
  // counted nor checked any more.
  const deletes = [...answers.keys()].filter((k) => !visible.has(k));
  for (const k of deletes) answers.delete(k);
  const failures = failingChecks(ctx.form, answers).filter((f) => f.keys.includes(slot.key));
  if (failures.length > 0 && !report.editing) {
    // Filling forward: the last number typed is the one to look at again.
    const slots = visibleSlots(ctx.form, ctx.answers);
    return {
      state,
      effects: noEffects(),
      messages: [
        { text: `${failures.map((f) => f.message).join("\n")}\nAnh/chị vui lòng nhập lại câu ${slot.number}, hoặc gõ "sửa <số câu>" để sửa câu khác.` },
        renderAt(slot, slots, ctx),
      ],
    };
  }
  const effects: Effects = { writes: [{ key: slot.key, questionId: questionIdOfKey(slot.key), value }], deletes };
  const next = { ...ctx, answers };
  const messages: OutboundMessage[] = [];
  if (failures.length > 0) {
    messages.push({ text: `Đã ghi. Lưu ý: ${failures.map((f) => f.message).join("\n")}\nBáo cáo chỉ nộp được khi các số này khớp nhau.` });
  }

  const idx = slotsAfter.findIndex((s) => s.key === slot.key);
  const following = slotsAfter.slice(idx + 1).find((s) => !answers.has(s.key));
  const target = report.editing ? firstUnanswered(slotsAfter, answers) : (following ?? firstUnanswered(slotsAfter, answers));
  if (!target) {
    // A returned report: the next question the reviewer named, then the review.
    const queued = (report.queue ?? []).map((k) => slotsAfter.find((sl) => sl.key === k)).filter((sl): sl is Slot => sl !== undefined);
    if (queued.length > 0) {
      const r = ask({ ...report, cursor: queued[0]!.key, editing: true, queue: queued.slice(1).map((sl) => sl.key) }, queued[0]!, slotsAfter, next, messages);
      return { ...r, effects };
    }
    if (report.editing && report.queue === undefined) {
      // One answer changed from the review: that line and what still needs attention, not the whole review again.
      const r = changedLine({ ...report, cursor: undefined, editing: false }, slot, value, next, messages);
      return { ...r, effects };
    }
    const r = review({ ...report, cursor: undefined, editing: false, queue: undefined }, next, messages);
    return { ...r, effects };
  }
  const r = ask({ ...report, cursor: target.key, editing: false }, target, slotsAfter, next, messages);
  return { ...r, effects };
}

function trySubmit(report: ActiveReport, slots: Slot[], ctx: ReportContext): StepResult {
  const missing = slots.filter((s) => !ctx.answers.has(s.key));
  if (missing.length > 0) {
    const first = missing[0]!;
    return ask({ ...report, cursor: first.key, editing: false }, first, slots, ctx, [
      {
        text: `Còn ${missing.length} câu chưa trả lời (${missing
          .slice(0, 8)
          .map((s) => s.number)
          .join(", ")}${missing.length > 8 ? ", …" : ""}).`,
      },
    ]);
  }
  const failures = failingChecks(ctx.form, ctx.answers);
  if (failures.length > 0) {
    return {
      state: { mode: "review", report },
      effects: noEffects(),
      messages: [{ text: `Chưa nộp được, vì:\n${failures.map((f) => `• ${f.message}`).join("\n")}\nGõ "sửa <số câu>" để sửa.` }],
    };
  }
  return { state: IDLE, effects: { ...noEffects(), submit: true }, messages: [] };
}

function confirmCancel(state: SessionState, report: ActiveReport): StepResult {
  return {
    state: { mode: "confirm_cancel", report, before: state.mode },
    effects: noEffects(),
    messages: [
      {
        text: `Anh/chị chắc chắn muốn hủy ${report.periodLabel}? Mọi câu trả lời đã nhập sẽ bị xóa.`,
        choices: [
          { value: "cmd:yes", label: "Có, hủy báo cáo" },
          { value: "cmd:no", label: "Không, làm tiếp" },
        ],
      },
    ],
  };
}

function ask(report: ActiveReport, slot: Slot, slots: Slot[], ctx: ReportContext, before: OutboundMessage[]): StepResult {
  // Ticks belong to the question they were made on.
  const { picked: _ticks, ...fresh } = report;
  return { state: { mode: "asking", report: fresh }, effects: noEffects(), messages: [...before, renderAt(slot, slots, ctx)] };
}

function reask(state: SessionState, slots: Slot[], ctx: ReportContext, before: OutboundMessage[]): StepResult {
  const report = state.report!;
  const current = slots.find((s) => s.key === report.cursor) ?? firstUnanswered(slots, ctx.answers);
  if (!current) return review(report, ctx, before);
  return ask({ ...report, cursor: current.key }, current, slots, ctx, before);
}

function renderAt(slot: Slot, slots: Slot[], ctx: ReportContext, picked?: readonly string[]): OutboundMessage {
  return renderSlot(slot, { total: questionNumbers(ctx.form).size }, ctx.answers.get(slot.key), picked, previousOf(slot, ctx));
}

/** Last period's answer to offer at this question: only where the form carries it over, and not once answered. */
function previousOf(slot: Slot, ctx: ReportContext): unknown {
  if (!slot.question.carryOver || ctx.answers.has(slot.key)) return undefined;
  return ctx.previous?.[slot.key];
}

function review(report: ActiveReport, ctx: ReportContext, before: OutboundMessage[]): StepResult {
  const slots = visibleSlots(ctx.form, ctx.answers);
  return {
    state: { mode: "review", report: { ...report, cursor: undefined, editing: false } },
    effects: noEffects(),
    messages: [...before, reviewMessage(report, ctx, slots), reviewPrompt()],
  };
}

function changedLine(report: ActiveReport, slot: Slot, value: unknown, ctx: ReportContext, before: OutboundMessage[]): StepResult {
  const failures = failingChecks(ctx.form, ctx.answers);
  const lines = [`✏️ Đã sửa câu ${slot.number}. ${slot.question.label}: ${formatAnswer(slot.question, value)}`];
  if (failures.length > 0) lines.push("", "⚠️ Còn cần sửa:", ...failures.map((f) => `• ${f.message}`));
  // The failures are listed here: the "Đã ghi. Lưu ý" before it would say them twice.
  const said = failures.length > 0 ? [] : before;
  return { state: { mode: "review", report }, effects: noEffects(), messages: [...said, { text: lines.join("\n") }, reviewPrompt()] };
}

function reviewPrompt(): OutboundMessage {
  return {
    text: 'Anh/chị kiểm tra lại. Gõ "nộp" để nộp báo cáo, hoặc "sửa <số câu>" để sửa một câu.',
    choices: [
      { value: "cmd:submit", label: "✅ Nộp báo cáo" },
      { value: "cmd:pause", label: "Tạm dừng" },
    ],
  };
}

function pausedHint(): OutboundMessage {
  return { text: 'Báo cáo đang tạm dừng. Gõ "tiếp tục" để làm tiếp.', choices: [{ value: "cmd:resume", label: "Tiếp tục" }] };
}

/** All answers, section by section, laid out like the paper form. */
export function reviewMessage(report: ActiveReport, ctx: ReportContext, slots: Slot[]): OutboundMessage {
  const lines = [`📋 ${ctx.form.title} — ${report.periodLabel}`];
  let section = "";
  for (const s of slots) {
    if (s.section.title !== section) {
      section = s.section.title;
      lines.push("", `■ ${section}`);
    }
    lines.push(`${s.number}. ${s.question.label}: ${formatAnswer(s.question, ctx.answers.get(s.key))}`);
  }
  const computed = computedValues(ctx.form, ctx.answers);
  if (computed.length > 0) {
    lines.push("");
    for (const c of computed) lines.push(`Σ ${c.label}: ${formatVietnameseNumber(c.value)}`);
  }
  const failures = failingChecks(ctx.form, ctx.answers);
  if (failures.length > 0) lines.push("", "⚠️ Cần sửa:", ...failures.map((f) => `• ${f.message}`));
  return { text: lines.join("\n") };
}

const PERIODICITIES: Periodicity[] = ["half-yearly", "yearly", "quarterly", "monthly"];

/** The days a period key covers ("2026-H1" → 2026-01-01…2026-06-30); undefined for a key of no known kind. */
export function periodSpan(key: string): { startsOn: string; endsOn: string } | undefined {
  const year = Number(key.slice(0, 4));
  if (!Number.isInteger(year)) return undefined;
  for (const p of PERIODICITIES) {
    const spec = periodsOfYear(p, year).find((s) => s.key === key);
    if (spec) return { startsOn: spec.startsOn, endsOn: spec.endsOn };
  }
  return undefined;
}

function firstUnanswered(slots: Slot[], answers: Answers): Slot | undefined {
  return slots.find((s) => !answers.has(s.key));
}
