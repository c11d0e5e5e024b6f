import { parseVietnameseNumber, formatVietnameseNumber, type NumberParse } from "../domain/numbers.js";
import { normalizePhone, displayPhone } from "../domain/phone.js";
import { cleanText, clip, fold, hasReorderingControl } from "../domain/text.js";
import { addDays, parseVietnameseDate, parseVietnameseDateTime, formatDate, formatDateTime, localDate } from "../domain/dates.js";
import type { ChoiceOption, Condition, DateBound, FormDefinition, Question, Section } from "./form-schema.js";
import type { OutboundMessage } from "../domain/messages.js";
import { compileExpression, describeExpression, evaluateExpression, expressionHolds, referencedNames, type Expr } from "./expression.js";

/** Answers of one submission by key; null means "skipped" (an optional question). */
export type Answers = Map<string, unknown>;

/** One thing to ask: a question (maybe inside a repeat instance) or a repeat group's "add another?". */
export interface Slot {
  key: string;
  /** Static number of the question in the form ("12", or "12.2" for the 2nd repeat instance). */
  number: string;
  section: Section;
  question: Question;
  instance?: number;
  kind: "question" | "more";
  /** XLSForm `note` rows just before this question: shown with it, never answered. */
  notes?: string[];
}

const YESNO: ChoiceOption[] = [
  { value: "yes", label: "Có" },
  { value: "no", label: "Không" },
];

/** The form's own numbering, as on paper: notes are read, not answered, so they take no number. */
export function questionNumbers(form: FormDefinition): Map<string, number> {
  const numbers = new Map<string, number>();
  let n = 0;
  for (const s of form.sections) for (const q of s.questions) if (q.type !== "note") numbers.set(q.id, ++n);
  return numbers;
}

/** Question id → the repeat section it belongs to (for `sum()` over a repeat and per-instance checks). */
const repeatSections = new WeakMap<FormDefinition, Map<string, Section>>();
function repeatSectionOf(form: FormDefinition, qid: string): Section | undefined {
  let map = repeatSections.get(form);
  if (!map) {
    map = new Map();
    for (const s of form.sections) if (s.repeat) for (const q of s.questions) map.set(q.id, s);
    repeatSections.set(form, map);
  }
  return map.get(qid);
}

/** Every instance's answer of a question inside a repeat, in order (`sum(\${cases})`). */
function allInstances(form: FormDefinition, answers: Answers, qid: string): unknown[] {
  const section = repeatSectionOf(form, qid);
  if (!section) return answers.has(qid) ? [answers.get(qid)] : [];
  const out: unknown[] = [];
  for (let i = 0; i < (section.repeat?.max ?? 0); i++) {
    const key = repeatKey(section.id, i, qid);
    if (answers.has(key)) out.push(answers.get(key));
  }
  return out;
}

/** What a condition may read: an answer by name, every instance of a repeated one, today's date. */
export interface ConditionEnv {
  get(q: string): unknown;
  all?(q: string): unknown[];
  /** yyyy-mm-dd; relevance rarely reads today(), so the UTC day is close enough where no context is given. */
  today?: string;
}

function parsedExpr(source: string): Expr {
  const p = compileExpression(source);
  // Forms are validated at import (every expression parsed there), so this is a broken stored form.
  if (!p.ok) throw new Error(`biểu thức không hợp lệ trong mẫu báo cáo: ${source}: ${p.message}`);
  return p.expr;
}

const moreKey = (sectionId: string, i: number) => `${sectionId}[${i}]#more`;
export const repeatKey = (sectionId: string, i: number, qid: string) => `${sectionId}[${i}].${qid}`;

/** Every slot the officer must currently go through, in order, given the answers so far. */
export function visibleSlots(form: FormDefinition, answers: Answers): Slot[] {
  const numbers = questionNumbers(form);
  const slots: Slot[] = [];
  const all = (id: string) => allInstances(form, answers, id);
  const top: ConditionEnv = { get: (id) => answers.get(id), all };
  let notes: string[] = [];
  const push = (slot: Slot) => {
    slots.push(notes.length > 0 ? { ...slot, notes } : slot);
    notes = [];
  };
  for (const section of form.sections) {
    if (section.relevant && !evaluate(section.relevant, top)) continue;
    if (!section.repeat) {
      for (const q of section.questions) {
        if (q.relevant && !evaluate(q.relevant, top)) continue;
        if (q.type === "note") {
          notes.push(q.label);
          continue;
        }
        push({ key: q.id, number: String(numbers.get(q.id)), section, question: q, kind: "question" });
      }
      continue;
    }
    const repeat = section.repeat;
    for (let i = 0; i < repeat.max; i++) {
      const lookup: ConditionEnv = {
        get: (id) => (answers.has(repeatKey(section.id, i, id)) ? answers.get(repeatKey(section.id, i, id)) : answers.get(id)),
        all,
      };
      for (const q of section.questions) {
        if (q.relevant && !evaluate(q.relevant, lookup)) continue;
        if (q.type === "note") {
          notes.push(q.label);
          continue;
        }
        push({
          key: repeatKey(section.id, i, q.id),
          number: `${numbers.get(q.id)}.${i + 1}`,
          section,
          question: { ...q, label: `${repeat.itemLabel} ${i + 1} — ${q.label}` },
          instance: i,
          kind: "question",
        });
      }
      if (i === repeat.max - 1) break;
      const key = moreKey(section.id, i);
      push({
        key,
        number: `${numbers.get(section.questions[0]!.id)}.${i + 1}+`,
        section,
        question: { id: "more", type: "yesno", label: repeat.addAnotherPrompt, required: true },
        instance: i,
        kind: "more",
      });
      if (answers.get(key) !== true) break;
    }
  }
  return slots;
}

export function evaluate(c: Condition, env: ConditionEnv): boolean {
  if ("all" in c) return c.all.every((x) => evaluate(x, env));
  if ("any" in c) return c.any.some((x) => evaluate(x, env));
  if ("expr" in c) {
    return expressionHolds(parsedExpr(c.expr), {
      get: env.get,
      all: env.all ?? ((q) => [env.get(q)]),
      today: env.today ?? new Date().toISOString().slice(0, 10),
    });
  }
  const v = env.get(c.q);
  switch (c.op) {
    case "answered":
      return v !== undefined && v !== null;
    case "includes":
      return Array.isArray(v) && v.includes(c.value);
    case "eq":
      return v === c.value;
    case "neq":
      return v !== undefined && v !== null && v !== c.value;
    default: {
      if (typeof v !== "number" || typeof c.value !== "number") return false;
      if (c.op === "gt") return v > c.value;
      if (c.op === "gte") return v >= c.value;
      if (c.op === "lt") return v < c.value;
      return v <= c.value;
    }
  }
}

/** A typed answer, a pressed button, or (the web form's check boxes) the values ticked. */
export interface AnswerInput {
  text?: string;
  choice?: string;
  values?: string[];
}

export type ParseResult = { ok: true; value: unknown } | { ok: false; message: string };

export interface ParseContext {
  /** Today in the reporting time zone, yyyy-mm-dd. */
  today: string;
  /** For date-times ("hôm qua 17h"): the current instant and the zone it is read in. */
  now?: Date;
  timeZone?: string;
  /** The report's period (yyyy-mm-dd): date questions may count their range from it. */
  period?: { startsOn: string; endsOn: string };
}

/** Said when an answer holds a bidi control that reorders what the officer sees ("\u202e21" shows as 12). */
export const REORDERED_MESSAGE =
  "Câu trả lời có ký tự ẩn điều khiển hướng chữ (thường do sao chép từ ứng dụng khác), nên chữ số anh/chị nhìn thấy có thể khác chữ số được ghi. Anh/chị vui lòng gõ lại trực tiếp câu trả lời.";

/** Turns what the officer typed (or pressed) into a value, or a short Vietnamese reason. */
export function parseAnswer(q: Question, input: AnswerInput, ctx: ParseContext): ParseResult {
  const parsed = parseTyped(q, input, ctx);
  if (!parsed.ok || !q.constraint) return parsed;
  const expr = parsedExpr(q.constraint.expr);
  const holds = expressionHolds(expr, { get: (name) => (name === q.id ? parsed.value : undefined), all: () => [], self: parsed.value, today: ctx.today });
  if (holds) return parsed;
  return { ok: false, message: q.constraint.message ?? `Câu trả lời chưa hợp lệ: cần ${describeExpression(expr, (n) => (n === q.id ? "câu này" : n))}.` };
}

function parseTyped(q: Question, input: AnswerInput, ctx: ParseContext): ParseResult {
  if (q.type === "note") return { ok: false, message: "Đây là lời dặn, không cần trả lời." };
  const choices = optionsOf(q);
  if (input.values !== undefined && q.type === "multiple" && choices) {
    // The web form's ticked boxes: every one must be this question's own option.
    const picked = choices.filter((c) => input.values!.includes(c.value)).map((c) => c.value);
    if (picked.length !== new Set(input.values).size) return { ok: false, message: "Lựa chọn này không còn hợp lệ, anh/chị vui lòng chọn lại." };
    if (picked.length === 0) return { ok: false, message: "Anh/chị chưa chọn lựa chọn nào." };
    return { ok: true, value: picked };
  }
  if (input.choice !== undefined && choices) {
    // A button from an older message may belong to another question: only this one's options count.
    const hit = choices.find((c) => c.value === input.choice);
    if (!hit) return { ok: false, message: "Lựa chọn này không còn hợp lệ, anh/chị vui lòng chọn lại." };
    if (q.type === "multiple") return { ok: true, value: [hit.value] };
    return { ok: true, value: q.type === "yesno" ? hit.value === "yes" : hit.value };
  }
  const raw = cleanText(input.text ?? input.choice ?? "");
  if (raw === "") return { ok: false, message: "Anh/chị chưa nhập câu trả lời." };
  // Refused at every type: what is stored must be what the officer saw.
  if (hasReorderingControl(raw)) return { ok: false, message: REORDERED_MESSAGE };

  switch (q.type) {
    case "integer":
    case "decimal": {
      const parsed = parseVietnameseNumber(raw, { money: q.money, unit: q.unit });
      if (!parsed.ok) return { ok: false, message: numberRefusal(q, parsed) };
      // "-0" is still a minus sign where counts cannot be negative: say so rather than store 0.
      if ((q.min ?? 0) >= 0 && /^-/.test(raw)) return { ok: false, message: "Số không được âm." };
      const n = parsed.value === 0 ? 0 : parsed.value;
      if (q.money && !Number.isInteger(n)) {
        return {
          ok: false,
          message: `Số tiền tính bằng đồng, không có phần lẻ (anh/chị vừa gõ ${formatVietnameseNumber(n)} đồng). Nếu là triệu, anh/chị gõ ví dụ 1,5 triệu hoặc 1.500.000.`,
        };
      }
      if (q.type === "integer" && !Number.isInteger(n)) return { ok: false, message: "Câu này cần một số nguyên (ví dụ 12), không có phần lẻ." };
      const min = q.min ?? 0;
      if (n < min) return { ok: false, message: min === 0 ? "Số không được âm." : `Số phải từ ${formatVietnameseNumber(min)} trở lên.` };
      if (q.max !== undefined && n > q.max) return { ok: false, message: `Số không được lớn hơn ${formatVietnameseNumber(q.max)}.` };
      return { ok: true, value: n };
    }
    case "yesno": {
      const f = fold(raw);
      if (/^(1|co|c|yes|y|u|uh|um|dung|roi|da|ok|vang|co a|da co)$/.test(f)) return { ok: true, value: true };
      if (/^(2|0|khong|k|ko|kg|khg|no|n|chua|khong co|chua co)$/.test(f)) return { ok: true, value: false };
      return { ok: false, message: 'Anh/chị vui lòng trả lời "có" hoặc "không".' };
    }
    case "single": {
      const hit = matchChoice(choices!, raw);
      if (!hit) return { ok: false, message: `Anh/chị vui lòng chọn một số từ 1 đến ${choices!.length}, hoặc gõ đúng tên lựa chọn.` };
      return { ok: true, value: hit.value };
    }
    case "multiple": {
      const parts = raw
        .split(/[,;\n]+|\s+(?=\d)/)
        .map((p) => p.trim())
        .filter(Boolean);
      const picked: string[] = [];
      for (const p of parts) {
        const hit = matchChoice(choices!, p);
        if (!hit) return { ok: false, message: `Không hiểu "${truncate(p)}". Gõ các số của lựa chọn, cách nhau bởi dấu phẩy (ví dụ: 1, 3).` };
        if (!picked.includes(hit.value)) picked.push(hit.value);
      }
      return { ok: true, value: picked };
    }
    case "date": {
      const d = parseVietnameseDate(raw, ctx.today);
      if (!d) return { ok: false, message: 'Ngày cần viết dạng ngày/tháng/năm, ví dụ 15/05/2026, hoặc "hôm nay", "hôm qua".' };
      if (q.notFuture && d > ctx.today) return { ok: false, message: "Ngày này ở tương lai; anh/chị kiểm tra lại." };
      const outside = outsideRange(q, d, ctx);
      if (outside) return { ok: false, message: outside };
      return { ok: true, value: d };
    }
    case "datetime": {
      const now = ctx.now ?? new Date();
      const at = parseVietnameseDateTime(raw, now, ctx.timeZone ?? "Asia/Ho_Chi_Minh");
      if (!at) return { ok: false, message: 'Thời gian viết như "bây giờ", "17h", "tối qua 20h", "hôm qua 17h" hoặc "20/11 9h".' };
      if (at.getTime() > now.getTime() + 5 * 60_000) return { ok: false, message: "Thời gian này ở tương lai; anh/chị kiểm tra lại." };
      const outside = outsideRange(q, localDate(at, ctx.timeZone ?? "Asia/Ho_Chi_Minh"), ctx);
      if (outside) return { ok: false, message: outside };
      return { ok: true, value: at.toISOString() };
    }
    case "phone": {
      const p = normalizePhone(raw);
      if (!p) return { ok: false, message: "Số điện thoại chưa đúng, ví dụ 0912 345 678." };
      return { ok: true, value: p };
    }
    case "text": {
      const max = q.maxLength ?? 1000;
      if (raw.length > max) return { ok: false, message: `Câu trả lời dài quá (${raw.length} ký tự); tối đa ${max} ký tự.` };
      if (q.pattern && !new RegExp(q.pattern, "u").test(raw)) return { ok: false, message: q.patternHint ?? "Câu trả lời chưa đúng định dạng." };
      return { ok: true, value: raw };
    }
  }
}

/** The reason a number was refused, in the question's terms (money or a count). */
function numberRefusal(q: Question, parsed: Extract<NumberParse, { ok: false }>): string {
  const need = q.money
    ? "Số tiền viết như 5.000.000, 5 triệu, 62,5tr hoặc 500k."
    : `Câu này cần một con số (${q.type === "integer" ? "ví dụ 12 hoặc 1.234" : "ví dụ 1,5 hoặc 1.234,5"}).`;
  const word = truncate(parsed.word ?? "");
  switch (parsed.reason) {
    case "unknown_word":
      return `Không hiểu chữ "${word}" trong câu trả lời. ${need}`;
    case "wrong_unit":
      return q.money
        ? `Câu này hỏi số tiền (đồng), không phải số "${word}". ${need}`
        : `"${word}" không phải đơn vị của câu này${q.unit ? ` (tính bằng ${q.unit})` : ""}. ${need}`;
    case "spaced_digits":
      return "Các chữ số cần viết liền nhau, hàng nghìn ngăn bằng dấu chấm (ví dụ 1.234.567); mỗi câu chỉ một số.";
    case "ambiguous":
      return q.money ? 'Số tiền này chưa rõ. Anh/chị viết một cách thôi, ví dụ "2,3 triệu", "2 triệu 300 nghìn" hoặc "2.300.000".' : `Số này chưa rõ. ${need}`;
    default:
      return q.money ? `Câu này cần số tiền (ví dụ 5.000.000 hoặc 5 triệu).` : need;
  }
}

/** yyyy-mm-dd moved by whole years; 29/02 becomes 28/02 in a common year. */
function addYears(iso: string, years: number): string {
  const [y, m, d] = iso.split("-").map(Number) as [number, number, number];
  const year = y + years;
  const last = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `${String(year).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(Math.min(d, last)).padStart(2, "0")}`;
}

function resolveBound(b: DateBound, ctx: ParseContext): string | undefined {
  if (typeof b === "string") return b;
  const base = b.from === "today" ? ctx.today : b.from === "period_start" ? ctx.period?.startsOn : ctx.period?.endsOn;
  // Without a period (a context that has none), a bound counted from it cannot be known: that end is open.
  if (base === undefined) return undefined;
  return addDays(addYears(base, b.years ?? 0), b.days ?? 0);
}

/** The days a date question accepts in this context; never after today where the future is refused. */
export function dateRange(q: Question, ctx: ParseContext): { min?: string; max?: string } {
  if (!q.range) return {};
  const min = resolveBound(q.range.min, ctx);
  let max = resolveBound(q.range.max, ctx);
  if ((q.notFuture || q.type === "datetime") && (max === undefined || max > ctx.today)) max = ctx.today;
  return { min, max };
}

/** Why a day is outside the question's range (naming the range), or undefined. */
function outsideRange(q: Question, day: string, ctx: ParseContext): string | undefined {
  const { min, max } = dateRange(q, ctx);
  if ((min === undefined || day >= min) && (max === undefined || day <= max)) return undefined;
  const span =
    min !== undefined && max !== undefined
      ? `từ ${formatDate(min)} đến ${formatDate(max)}`
      : min !== undefined
        ? `từ ${formatDate(min)} trở đi`
        : `đến ${formatDate(max!)} là muộn nhất`;
  return `Ngày ${formatDate(day)} không hợp lý ở câu này: anh/chị nhập ngày ${span}${q.range?.why ? ` (${q.range.why})` : ""}.`;
}

function matchChoice(choices: ChoiceOption[], raw: string): ChoiceOption | undefined {
  const f = fold(raw).replace(/^(so|lua chon|chon)\s+/, "");
  if (/^\d{1,3}$/.test(f)) return choices[Number(f) - 1];
  return (
    choices.find((c) => fold(c.label) === f || fold(c.value) === f) ??
    // "nu" for "Nữ", "trai" for "Nam (trai)": a unique prefix is enough.
    uniqueMatch(choices.filter((c) => f.length >= 2 && fold(c.label).startsWith(f)))
  );
}

const uniqueMatch = <T>(xs: T[]): T | undefined => (xs.length === 1 ? xs[0] : undefined);

function truncate(s: string, n = 30): string {
  // By characters, not UTF-16 units: cutting "𝟏𝟐…" between the halves of a pair left a lone
  // surrogate in the reply, which PostgreSQL refuses in the outbox's jsonb payload (a 500).
  const clipped = clip(s, n);
  return clipped === s ? s : `${clipped}…`;
}

export function optionsOf(q: Question): ChoiceOption[] | undefined {
  if (q.type === "yesno") return YESNO;
  return Array.isArray(q.choices) ? q.choices : undefined;
}

export function formatAnswer(q: Question, value: unknown): string {
  if (value === null) return "(bỏ qua)";
  if (value === undefined) return "(chưa trả lời)";
  switch (q.type) {
    case "integer":
    case "decimal":
      return `${formatVietnameseNumber(value as number)}${q.unit ? ` ${q.unit}` : ""}`;
    case "yesno":
      return value ? "Có" : "Không";
    case "single":
      return optionsOf(q)?.find((c) => c.value === value)?.label ?? String(value);
    case "multiple": {
      const labels = (value as string[]).map((v) => optionsOf(q)?.find((c) => c.value === v)?.label ?? v);
      return labels.length > 0 ? labels.join("; ") : "(không có)";
    }
    case "date":
      return formatDate(value as string);
    case "datetime":
      return formatDateTime(new Date(value as string), "Asia/Ho_Chi_Minh");
    case "phone":
      return displayPhone(value as string);
    default:
      return String(value);
  }
}

/** "như cũ", "giữ nguyên", "như kỳ trước" (or its button): the previous period's answer again. */
export const SAME_AS_BEFORE = "prev:same";
export const meansSameAsBefore = (input: { text?: string; choice?: string }): boolean =>
  input.choice === SAME_AS_BEFORE || /^(nhu cu|giu nguyen|giu nhu cu|nhu ky truoc|giong ky truoc)$/.test(fold(input.text ?? ""));

/** A toggle button of a multiple-choice question ("pick:<value>"), and the one that sends the set. */
export const PICK_PREFIX = "pick:";
export const PICK_DONE = "cmd:done";

/** The prompt for a slot, with choices as data; each channel decides buttons or a numbered list. */
export function renderSlot(slot: Slot, position: { total: number }, current?: unknown, picked?: readonly string[], previous?: unknown): OutboundMessage {
  const q = slot.question;
  // The form's own numbering over its own count ("Câu 8/39"), which stays put as skip logic opens
  // and closes questions; "add another?" is not a question of the form and has no number.
  const head = slot.kind === "more" ? q.label : `Câu ${slot.number}/${position.total}. ${q.label}`;
  const lines = [...(slot.notes ?? []).map((n) => `ℹ️ ${n}`), head];
  const hints: string[] = [];
  if (q.money) hints.push("nhập số tiền, ví dụ 5.000.000 hoặc 5 triệu");
  else if (q.type === "integer") hints.push("nhập một số");
  else if (q.type === "decimal") hints.push("nhập một số, ví dụ 1,5");
  if (q.type === "date") hints.push('ngày/tháng/năm hoặc "hôm nay"');
  if (q.type === "datetime") hints.push('"bây giờ", "17h", "tối qua 20h" hoặc "hôm qua 17h"');
  if (q.type === "multiple") hints.push('chọn một hoặc nhiều: bấm từng lựa chọn rồi «Xong», hoặc gõ các số, ví dụ "1, 3"');
  if (!q.required) hints.push('"bỏ qua" nếu không có');
  if (q.help) hints.push('"?" để xem giải thích');
  if (hints.length > 0) lines.push(`(${hints.join("; ")})`);
  if (current !== undefined) lines.push(`Đang ghi: ${formatAnswer(q, current)}`);
  // The unit's answer last period, where the form says it is a good default.
  const same = previous !== undefined && current === undefined ? [{ value: SAME_AS_BEFORE, label: "↩️ Như kỳ trước" }] : [];
  if (same.length > 0) lines.push(`Kỳ trước: ${formatAnswer(q, previous)} — gõ "như cũ" để giữ`);
  const options = optionsOf(q);
  if (q.type === "multiple" && options) {
    // Toggles: a press marks or unmarks one (✓), «Xong» sends the set.
    // Before any press, what is recorded (editing an answer starts from it).
    const chosen = picked ?? (Array.isArray(current) ? (current as string[]) : []);
    if (chosen.length > 0)
      lines.push(
        `Đã chọn: ${options
          .filter((o) => chosen.includes(o.value))
          .map((o) => o.label)
          .join("; ")}`,
      );
    return {
      text: lines.join("\n"),
      multiple: true,
      choices: [
        ...options.map((o) => ({ value: `${PICK_PREFIX}${o.value}`, label: `${chosen.includes(o.value) ? "✓ " : ""}${o.label}` })),
        { value: PICK_DONE, label: "✅ Xong" },
        ...same,
      ],
    };
  }
  const choices = [...(options ?? []), ...same];
  return { text: lines.join("\n"), ...(choices.length > 0 ? { choices } : {}) };
}

/** The key, without the repeat index, that names a question in `answers.question_id`. */
export function questionIdOfKey(key: string): string {
  const dot = key.lastIndexOf(".");
  return dot >= 0 ? key.slice(dot + 1) : key.replace(/\[\d+\]#more$/, "#more");
}

export interface CheckFailure {
  keys: string[];
  message: string;
}

/** Cross-question checks whose questions are all answered and that fail. */
export function failingChecks(form: FormDefinition, answers: Answers): CheckFailure[] {
  const labels = new Map(form.sections.flatMap((s) => s.questions.map((q) => [q.id, q.label] as const)));
  const numbers = questionNumbers(form);
  const name = (id: string) => `câu ${numbers.get(id)} (${labels.get(id)})`;
  const num = (id: string) => answers.get(id);
  const failures: CheckFailure[] = [];
  for (const c of form.checks) {
    if (c.kind === "sum") {
      const total = num(c.total);
      const parts = c.parts.map(num);
      if (typeof total !== "number" || parts.some((p) => typeof p !== "number")) continue;
      const sum = (parts as number[]).reduce((a, b) => a + b, 0);
      if (sum !== total) {
        failures.push({
          keys: [c.total, ...c.parts],
          message: `Tổng ${name(c.total)} là ${formatVietnameseNumber(total)} nhưng cộng các phần (${c.parts
            .map((p) => `câu ${numbers.get(p)}`)
            .join(" + ")}) được ${(parts as number[]).map(formatVietnameseNumber).join(" + ")} = ${formatVietnameseNumber(sum)}.`,
        });
      }
    } else if (c.kind === "expr") {
      failures.push(...failingExpression(form, answers, c, name));
    } else {
      const l = num(c.left);
      const r = num(c.right);
      if (typeof l !== "number" || typeof r !== "number") continue;
      if (l > r) {
        failures.push({
          keys: [c.left, c.right],
          message: `${capitalize(name(c.left))} là ${formatVietnameseNumber(l)}, lớn hơn ${name(c.right)} là ${formatVietnameseNumber(r)}.`,
        });
      }
    }
  }
  return failures;
}

type ExprCheck = Extract<FormDefinition["checks"][number], { kind: "expr" }>;

/**
 * A cross-question XLSForm constraint on question `on`: checked once every question it names is
 * answered (a skipped one counts as answered, as "" in ODK). On a question inside a repeat it is
 * checked for each instance, `\${x}` of the same repeat read from that instance.
 */
function failingExpression(form: FormDefinition, answers: Answers, c: ExprCheck, name: (id: string) => string): CheckFailure[] {
  const expr = parsedExpr(c.expr);
  const refs = referencedNames(expr).filter((n) => n !== c.on);
  const section = repeatSectionOf(form, c.on);
  const all = (id: string) => allInstances(form, answers, id);
  const labels = new Map(form.sections.flatMap((s) => s.questions.map((q) => [q.id, q] as const)));
  const instances = section ? [...Array(section.repeat?.max ?? 0).keys()].filter((i) => answers.has(repeatKey(section.id, i, c.on))) : [undefined];
  const failures: CheckFailure[] = [];
  for (const i of instances) {
    const keyOf = (id: string) => (section && i !== undefined && repeatSectionOf(form, id) === section ? repeatKey(section.id, i, id) : id);
    const onKey = keyOf(c.on);
    if (!answers.has(onKey)) continue;
    // A name inside another repeat is read through sum(), which needs no particular instance answered.
    const mustAnswer = refs.filter((r) => {
      const home = repeatSectionOf(form, r);
      return !home || home === section;
    });
    if (mustAnswer.some((r) => !answers.has(keyOf(r)))) continue;
    const keys = [onKey, ...mustAnswer.map(keyOf)];
    const holds = expressionHolds(expr, { get: (id) => answers.get(keyOf(id)), all, self: answers.get(onKey), today: new Date().toISOString().slice(0, 10) });
    if (holds) continue;
    const said = (id: string) => {
      const q = labels.get(id);
      const v = answers.get(keyOf(id));
      return q && v !== undefined ? `${name(id)} là ${formatAnswer(q, v)}` : name(id);
    };
    const rule = describeExpression(expr, (n) => labels.get(n)?.label ?? n).replace(/câu này/g, `«${labels.get(c.on)?.label ?? c.on}»`);
    const where = section && i !== undefined ? ` (${section.repeat?.itemLabel ?? ""} ${i + 1})` : "";
    failures.push({
      keys,
      message: c.message
        ? `${capitalize(name(c.on))}${where}: ${c.message}`
        : `${capitalize(said(c.on))}${where}${refs.length ? `, ${refs.map(said).join(", ")}` : ""}: cần ${rule}.`,
    });
  }
  return failures;
}

export function computedValues(form: FormDefinition, answers: Answers): { id: string; label: string; value: number }[] {
  return form.computed.map((c) => {
    if (c.sum) {
      return { id: c.id, label: c.label, value: c.sum.reduce((acc, id) => acc + (typeof answers.get(id) === "number" ? (answers.get(id) as number) : 0), 0) };
    }
    const v = evaluateExpression(parsedExpr(c.expr!), {
      get: (id) => answers.get(id),
      all: (id) => allInstances(form, answers, id),
      today: new Date().toISOString().slice(0, 10),
    });
    const n = typeof v === "number" ? v : typeof v === "boolean" ? Number(v) : Number(v);
    return { id: c.id, label: c.label, value: Number.isFinite(n) ? n : 0 };
  });
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
