import type { campaignSteps } from "../db/schema/index.js";
import type { StepRule } from "../domain/campaign-dates.js";
import { isValidDate } from "../domain/dates.js";

type Step = typeof campaignSteps.$inferSelect;

export const MAX_STEP_TEXT = 2000;
const MAX_TEXT = MAX_STEP_TEXT;

// The step form: pure parsing, so that the rules of what an officer may type are testable alone.

/** The step form exactly as typed: strings, so that a refused form comes back as it was. */
export interface StepForm {
  kind: string;
  day: string;
  month: string;
  /** Calendar of the date a relative step counts from: "solar" or "lunar". */
  base: string;
  /** Days from that date; negative = before. */
  days: string;
  weekday: string;
  fromDay: string;
  fromMonth: string;
  toDay: string;
  toMonth: string;
  sendAt: string;
  text: string;
}

export const EMPTY_STEP_FORM: StepForm = {
  kind: "solar",
  day: "",
  month: "",
  base: "lunar",
  days: "-7",
  weekday: "1",
  fromDay: "",
  fromMonth: "",
  toDay: "",
  toMonth: "",
  sendAt: "08:00",
  text: "",
};

export function readStepForm(body: Record<string, unknown>): StepForm {
  const field = (k: keyof StepForm) => (typeof body[k] === "string" ? (body[k] as string) : "");
  const out = { ...EMPTY_STEP_FORM };
  for (const k of Object.keys(EMPTY_STEP_FORM) as (keyof StepForm)[]) out[k] = k === "text" ? field(k) : field(k).trim();
  return out;
}

/** The form that shows a stored step; a rule the editor cannot express leaves its fields blank. */
export function stepFormOf(step: Pick<Step, "rule" | "sendAt" | "text">): StepForm {
  const r = step.rule;
  const f: StepForm = { ...EMPTY_STEP_FORM, kind: r.kind, sendAt: step.sendAt, text: step.text };
  switch (r.kind) {
    case "solar":
    case "lunar":
      return { ...f, day: String(r.day), month: String(r.month) };
    case "relative":
      return r.to.kind === "solar" || r.to.kind === "lunar"
        ? { ...f, base: r.to.kind, day: String(r.to.day), month: String(r.to.month), days: String(r.days) }
        : { ...f, days: String(r.days) };
    case "last-weekday":
      return { ...f, month: String(r.month), weekday: String(r.weekday) };
    case "weekly":
      return {
        ...f,
        weekday: String(r.weekday),
        fromDay: String(r.from.day),
        fromMonth: String(r.from.month),
        toDay: String(r.to.day),
        toMonth: String(r.to.month),
      };
  }
}

export type ParsedStep = { ok: true; rule: StepRule; sendAt: string; text: string } | { ok: false; errors: string[] };

/** The rule, send time and text of a step form, or every problem with it in Vietnamese. */
export function parseStepForm(f: StepForm): ParsedStep {
  const errors: string[] = [];
  const int = (value: string, label: string, min: number, max: number): number | undefined => {
    const n = /^[-+]?\d{1,4}$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    errors.push(value === "" ? `Chưa nhập ${label}.` : `${label.charAt(0).toUpperCase()}${label.slice(1)} phải là số nguyên từ ${min} đến ${max}.`);
    return undefined;
  };
  // A yearly solar date must exist every year: 29/2 would send nothing three years out of four.
  const solarDate = (dayText: string, monthText: string, what = "") => {
    const day = int(dayText, `ngày${what}`, 1, 31);
    const month = int(monthText, `tháng${what}`, 1, 12);
    if (day === undefined || month === undefined) return undefined;
    if (day === 29 && month === 2) errors.push(`Ngày 29/2 chỉ có trong năm nhuận; hãy chọn 28/2 hoặc 1/3.`);
    else if (!isValidDate(2023, month, day)) errors.push(`Tháng ${month} không có ngày ${day}.`);
    else return { day, month };
    return undefined;
  };
  // The lunar calendar has months of 29 or 30 days: "30" falls back to the 29th (datesOfRule).
  const lunarDate = (dayText: string, monthText: string) => {
    const day = int(dayText, "ngày âm lịch", 1, 30);
    const month = int(monthText, "tháng âm lịch", 1, 12);
    return day === undefined || month === undefined ? undefined : { day, month };
  };
  const weekday = () => int(f.weekday, "thứ trong tuần (0 = Chủ nhật … 6 = Thứ bảy)", 0, 6);

  let rule: StepRule | undefined;
  switch (f.kind) {
    case "solar": {
      const d = solarDate(f.day, f.month);
      if (d) rule = { kind: "solar", ...d };
      break;
    }
    case "lunar": {
      const d = lunarDate(f.day, f.month);
      if (d) rule = { kind: "lunar", ...d };
      break;
    }
    case "relative": {
      const base = f.base === "lunar" || f.base === "solar" ? f.base : undefined;
      if (!base) errors.push("Chọn ngày gốc theo dương lịch hay âm lịch.");
      const to = base === "lunar" ? lunarDate(f.day, f.month) : base === "solar" ? solarDate(f.day, f.month) : undefined;
      const days = int(f.days, "số ngày trước/sau", -365, 365);
      if (days === 0) errors.push("Số ngày trước/sau phải khác 0 (đúng ngày đó: chọn Dương lịch hoặc Âm lịch).");
      if (base && to && days) rule = { kind: "relative", to: { kind: base, ...to }, days };
      break;
    }
    case "last-weekday": {
      const month = int(f.month, "tháng", 1, 12);
      const wd = weekday();
      if (month !== undefined && wd !== undefined) rule = { kind: "last-weekday", month, weekday: wd };
      break;
    }
    case "weekly": {
      const from = solarDate(f.fromDay, f.fromMonth, " bắt đầu");
      const to = solarDate(f.toDay, f.toMonth, " kết thúc");
      const wd = weekday();
      if (from && to && wd !== undefined) rule = { kind: "weekly", from, to, weekday: wd };
      break;
    }
    default:
      errors.push("Chọn loại lịch gửi.");
  }

  const time = /^(\d{1,2}):(\d{2})$/.exec(f.sendAt);
  const sendAt = time && Number(time[1]) <= 23 && Number(time[2]) <= 59 ? `${time[1]!.padStart(2, "0")}:${time[2]}` : undefined;
  if (!sendAt) errors.push("Giờ gửi phải theo dạng HH:MM, ví dụ 08:00.");

  const text = f.text.normalize("NFC").replace(/\r\n?/g, "\n").trim();
  if (!text) errors.push("Chưa có nội dung tin nhắn.");
  else if (text.length > MAX_TEXT) errors.push(`Nội dung dài ${text.length} ký tự, tối đa ${MAX_TEXT}.`);

  return rule && sendAt && errors.length === 0 ? { ok: true, rule, sendAt, text } : { ok: false, errors };
}
