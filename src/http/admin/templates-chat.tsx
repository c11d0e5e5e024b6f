import { z } from "zod";
import { parseCommand } from "../../conversations/commands.js";
import { beginReport, IDLE, step, type ActiveReport, type SessionState, type StepResult } from "../../conversations/engine.js";
import { periodsOfYear, type Periodicity } from "../../domain/periods.js";
import type { OutboundMessage } from "../../domain/messages.js";
import type { FormDefinition, Question } from "../../forms/form-schema.js";
import type { Answers } from "../../forms/form-runtime.js";
import { slotName } from "../../reporting/deadline-rules.js";

/**
 * The designer's live chat preview: the real engine (beginReport / step) on one template version,
 * nothing stored. The page keeps the conversation state and the answers and sends them back with
 * each message; whatever comes back is re-checked here, so a hand-edited state can at worst
 * restart the preview, never reach the engine malformed.
 */

export const MAX_PREVIEW_BODY = 64 * 1024;

const value = z.union([z.number(), z.string().max(2000), z.boolean(), z.null(), z.array(z.string().max(200)).max(200)]);

export const previewRequest = z.object({
  state: z
    .object({
      mode: z.enum(["idle", "asking", "review", "confirm_cancel", "paused"]),
      before: z.enum(["idle", "asking", "review", "confirm_cancel", "paused"]).optional(),
      report: z.object({ cursor: z.string().max(200).optional(), editing: z.boolean().optional() }).optional(),
    })
    .optional(),
  answers: z
    .array(z.tuple([z.string().max(200), value]))
    .max(2000)
    .optional(),
  input: z.object({ text: z.string().max(4000).optional(), choice: z.string().max(200).optional() }).default({}),
});
export type PreviewRequest = z.input<typeof previewRequest>;

export interface PreviewResponse {
  state: SessionState;
  answers: [string, unknown][];
  messages: { text: string; choices?: { value: string; label: string }[] }[];
  done?: boolean;
}

/** The period a preview pretends to be in: the one of this year's schedule that holds today (else the year's last). */
export function previewReport(form: FormDefinition, periodicity: Periodicity | undefined, today: string): ActiveReport {
  const specs = periodsOfYear(periodicity ?? "yearly", Number(today.slice(0, 4)));
  const spec = specs.find((s) => s.startsOn <= today && today <= s.endsOn) ?? specs.at(-1)!;
  return {
    submissionId: 0,
    formId: form.id,
    formVersion: form.version,
    periodKey: spec.key,
    periodLabel: `(bản thử) kỳ ${slotName(spec.slot)} ${spec.key.slice(0, 4)}`,
  };
}

/** Only answers the engine could have written: a known key, a value of the question's type. */
function cleanAnswers(form: FormDefinition, given: [string, unknown][]): Answers {
  const questions = new Map<string, Question>(form.sections.flatMap((s) => s.questions.map((q) => [q.id, q] as const)));
  const answers: Answers = new Map();
  for (const [key, v] of given) {
    if (/^[a-z][a-z0-9_]*\[\d{1,3}\]#more$/.test(key)) {
      if (typeof v === "boolean") answers.set(key, v);
      continue;
    }
    const m = /^(?:([a-z][a-z0-9_]*)\[(\d{1,3})\]\.)?([a-z][a-z0-9_]*)$/.exec(key);
    const q = m ? questions.get(m[3]!) : undefined;
    if (!q || q.type === "note") continue;
    if (v === null) {
      if (!q.required) answers.set(key, null);
      continue;
    }
    const ok =
      q.type === "integer" || q.type === "decimal"
        ? typeof v === "number" && Number.isFinite(v)
        : q.type === "yesno"
          ? typeof v === "boolean"
          : q.type === "multiple"
            ? Array.isArray(v)
            : typeof v === "string";
    if (ok) answers.set(key, v);
  }
  return answers;
}

const shown = (messages: OutboundMessage[]) =>
  messages.map((m) => ({ text: m.text, ...(m.choices?.length ? { choices: m.choices.map((c) => ({ value: c.value, label: c.label })) } : {}) }));

/** One message of the preview conversation. Throws only on a bug of the engine (the caller answers 400). */
export function previewStep(form: FormDefinition, periodicity: Periodicity | undefined, today: string, req: z.output<typeof previewRequest>): PreviewResponse {
  const report = previewReport(form, periodicity, today);
  const answers = cleanAnswers(form, req.answers ?? []);
  const ctx = { form, answers, today };
  const command = parseCommand(req.input);
  const given = req.state;

  let result: StepResult;
  if (!given || given.mode === "idle" || !given.report) {
    const starting = !given || command?.name === "start" || command?.name === "resume";
    if (!starting) {
      return {
        state: IDLE,
        answers: [],
        messages: [{ text: 'Bản thử đã kết thúc. Gõ "báo cáo" để làm lại từ đầu.', choices: [{ value: "cmd:start", label: "Làm báo cáo" }] }],
      };
    }
    result = beginReport(report, { ...ctx, answers: new Map() }, false);
    return { state: result.state, answers: [], messages: shown(result.messages) };
  }

  if (command?.name === "urgent" || command?.name === "update_case" || command?.name === "close_case") {
    return {
      state: given as SessionState,
      answers: [...answers],
      messages: [{ text: "Bản thử không mở báo cáo khẩn; trên chat thật, lệnh này mở báo cáo khẩn." }],
    };
  }
  const state: SessionState = {
    mode: given.mode,
    ...(given.before ? { before: given.before } : {}),
    report: { ...report, ...(given.report.cursor ? { cursor: given.report.cursor } : {}), ...(given.report.editing ? { editing: true } : {}) },
  };
  result = step(state, req.input, command, ctx);
  const next = new Map(answers);
  for (const k of result.effects.deletes) next.delete(k);
  for (const w of result.effects.writes) next.set(w.key, w.value);
  const messages = shown(result.messages);
  if (result.effects.submit) {
    messages.push({ text: "✅ Bản thử: báo cáo đã đủ và đúng. Trên chat thật, báo cáo được nộp lúc này; ở đây không có gì được lưu." });
    return { state: IDLE, answers: [], messages, done: true };
  }
  if (result.effects.cancel) return { state: IDLE, answers: [], messages, done: true };
  return { state: result.state, answers: [...next], messages };
}
