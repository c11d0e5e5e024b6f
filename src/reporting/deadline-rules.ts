import { pathWithin } from "../domain/scope.js";
import { formatDate, isValidDate } from "../domain/dates.js";
import type { Scheme } from "../directory/units.js";
import { deadlineFor, type CalendarEntry, type PeriodSpec, type ReportingLevel } from "../domain/periods.js";

/**
 * Pure rules for editing reporting calendars and reminder steps in the admin web: the order of
 * the deadlines within one period (commune before district before province), the reminder-step
 * list, and the Vietnamese names the messages use.
 */

export const REPORTING_LEVELS: readonly ReportingLevel[] = ["commune", "district", "province"];

/** The levels that report in a unit tree: pre2025 has districts; post2025 and the demo tree are province → commune. */
export function levelsOfScheme(scheme: Scheme): readonly ReportingLevel[] {
  return scheme === "pre2025" ? REPORTING_LEVELS : ["commune", "province"];
}

export const LEVEL_NAMES: Record<ReportingLevel, string> = { commune: "xã", district: "huyện", province: "tỉnh" };

/** "6 tháng đầu năm", "năm", "quý 2", "tháng 3": a slot the way officers name it. */
export function slotName(slot: string): string {
  if (slot === "H1") return "6 tháng đầu năm";
  if (slot === "H2") return "6 tháng cuối năm";
  if (slot === "Y") return "năm";
  if (/^Q[1-4]$/.test(slot)) return `quý ${slot.slice(1)}`;
  if (/^M\d\d$/.test(slot)) return `tháng ${Number(slot.slice(1))}`;
  return slot;
}

export type LevelDates = Partial<Record<ReportingLevel, string>>;

/**
 * The first ordering problem of one slot's deadlines, as a Vietnamese sentence naming the slot
 * and both dates; undefined when they are in order. `entered` are the dates being saved,
 * `inherited` the ones that apply to the levels left blank (from a wider scope or the national
 * default). A lower level must be due strictly before every level above it; a pair is checked
 * only when at least one of its dates is being entered, so an existing calendar that was already
 * out of order does not block saving an unrelated level.
 */
export function deadlineOrderProblem(
  slot: string,
  entered: LevelDates,
  inherited: LevelDates = {},
  levels: readonly ReportingLevel[] = REPORTING_LEVELS,
): string | undefined {
  // Adjacent levels first (the message a reader expects), then the wider pairs.
  const pairs: [ReportingLevel, ReportingLevel][] = [];
  for (let gap = 1; gap < levels.length; gap++) for (let i = 0; i + gap < levels.length; i++) pairs.push([levels[i]!, levels[i + gap]!]);
  for (const [low, high] of pairs) {
    if (entered[low] === undefined && entered[high] === undefined) continue;
    const a = entered[low] ?? inherited[low];
    const b = entered[high] ?? inherited[high];
    if (a === undefined || b === undefined || a < b) continue;
    const shown = (level: ReportingLevel, date: string) => `${formatDate(date)}${entered[level] === undefined ? ", đang áp dụng" : ""}`;
    return `Hạn của ${LEVEL_NAMES[low]} (${shown(low, a)}) phải trước hạn của ${LEVEL_NAMES[high]} (${shown(high, b)}) — kỳ ${slotName(slot)}`;
  }
  return undefined;
}

/**
 * A deadline typed in the form: yyyy-mm-dd (what a date input sends) or dd/mm/yyyy (what a
 * browser without date inputs lets people type). Returns yyyy-mm-dd, or undefined if not a date.
 */
export function parseDeadline(input: string): string | undefined {
  const s = input.trim();
  let y: number, m: number, d: number;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  const vn = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})$/.exec(s);
  if (iso) [y, m, d] = [Number(iso[1]), Number(iso[2]), Number(iso[3])];
  else if (vn) [d, m, y] = [Number(vn[1]), Number(vn[2]), Number(vn[3])];
  else return undefined;
  if (!isValidDate(y, m, d)) return undefined;
  return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

export const REMINDER_MIN = -60;
export const REMINDER_MAX = 30;
const REMINDER_EXAMPLE = "-7, -3, -1, 0, 1, 3";

/**
 * Reminder steps typed as a list, "-7, -3, -1, 0, 1, 3": whole days relative to the deadline
 * (negative = before), each between -60 and 30. Returned sorted and without repeats.
 */
export function parseReminderSteps(input: string): { steps: number[] } | { error: string } {
  // Accept the minus signs word processors put in (−, –) as well as "+3".
  const tokens = input
    .replace(/[\u2212\u2013]/g, "-")
    .split(/[,;\s]+/)
    .filter((t) => t !== "");
  if (tokens.length === 0) return { error: `Cần ít nhất một ngày nhắc, ví dụ: ${REMINDER_EXAMPLE}.` };
  const steps = new Set<number>();
  for (const t of tokens) {
    if (!/^[+-]?\d{1,3}$/.test(t)) return { error: `«${t}» không phải số ngày. Nhập các số nguyên cách nhau bởi dấu phẩy, ví dụ: ${REMINDER_EXAMPLE}.` };
    const n = Number(t);
    if (n < REMINDER_MIN || n > REMINDER_MAX) return { error: `Ngày nhắc ${n} nằm ngoài khoảng cho phép (từ ${REMINDER_MIN} đến ${REMINDER_MAX}).` };
    steps.add(n === 0 ? 0 : n); // -0 → 0
  }
  return { steps: [...steps].sort((a, b) => a - b) };
}

export const formatReminderSteps = (steps: readonly number[]): string => steps.join(", ");

/** "7 ngày trước hạn, đúng ngày hạn, 3 ngày sau hạn". */
export function describeReminderSteps(steps: readonly number[]): string {
  return steps.map((n) => (n < 0 ? `${-n} ngày trước hạn` : n === 0 ? "đúng ngày hạn" : `${n} ngày sau hạn`)).join(", ");
}

/**
 * The deadline a unit at `unitPath` has for one slot and level — the reporting calendar's own
 * `deadlineFor` — and the calendar row it comes from (undefined: no row applies, the built-in
 * "a few days after the period" default). The row is chosen by the same rule: nearest scope,
 * then a row for this year over an every-year row.
 */
export function effectiveDeadline<T extends CalendarEntry>(
  entries: readonly T[],
  spec: PeriodSpec,
  unitPath: string,
  level: ReportingLevel,
): { deadline: string; from?: T } {
  const year = Number(spec.key.slice(0, 4));
  const applies = entries.filter(
    (e) =>
      e.slot === spec.slot &&
      e.level === level &&
      (e.year === undefined || e.year === year) &&
      (e.scopePath === undefined || pathWithin(e.scopePath, unitPath)),
  );
  const nearest = [...applies].sort(
    (a, b) => (b.scopePath?.length ?? -1) - (a.scopePath?.length ?? -1) || (b.year === undefined ? 0 : 1) - (a.year === undefined ? 0 : 1),
  )[0];
  return { deadline: deadlineFor([...entries], spec, unitPath, level), ...(nearest ? { from: nearest } : {}) };
}

/**
 * A deadline of a one-year calendar moved to the next year, for the copy the calendars page
 * offers ("2024-11-10" → "2025-11-10"); 29/02 becomes 28/02 in a common year.
 */
export function nextYearsDate(iso: string): string {
  const y = Number(iso.slice(0, 4)) + 1;
  const md = iso.slice(5);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return `${y}-${md === "02-29" && !leap ? "02-28" : md}`;
}
