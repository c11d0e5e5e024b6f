import { addDays } from "./dates.js";
import { datesOfRule, type StepRule } from "./campaign-dates.js";

/**
 * Vietnamese public holidays (Bộ luật Lao động 2019, Art. 112) as data: solar and lunar rules.
 * Tết is the last day of the lunar year and the first four of the new one; Quốc khánh is 2/9 and
 * one adjacent day (the government picks 1/9 or 3/9 each year: 1/9 here).
 */
export const PUBLIC_HOLIDAYS: { name: string; rule: StepRule }[] = [
  { name: "Tết Dương lịch", rule: { kind: "solar", day: 1, month: 1 } },
  { name: "Tết Nguyên đán (giao thừa)", rule: { kind: "relative", to: { kind: "lunar", day: 1, month: 1 }, days: -1 } },
  { name: "Tết Nguyên đán mùng 1", rule: { kind: "lunar", day: 1, month: 1 } },
  { name: "Tết Nguyên đán mùng 2", rule: { kind: "lunar", day: 2, month: 1 } },
  { name: "Tết Nguyên đán mùng 3", rule: { kind: "lunar", day: 3, month: 1 } },
  { name: "Tết Nguyên đán mùng 4", rule: { kind: "lunar", day: 4, month: 1 } },
  { name: "Giỗ Tổ Hùng Vương", rule: { kind: "lunar", day: 10, month: 3 } },
  { name: "Ngày Giải phóng miền Nam", rule: { kind: "solar", day: 30, month: 4 } },
  { name: "Quốc tế Lao động", rule: { kind: "solar", day: 1, month: 5 } },
  { name: "Quốc khánh", rule: { kind: "solar", day: 2, month: 9 } },
  { name: "Quốc khánh (ngày liền kề)", rule: { kind: "solar", day: 1, month: 9 } },
];

export function holidaysOf(year: number): Set<string> {
  return new Set(PUBLIC_HOLIDAYS.flatMap((h) => datesOfRule(h.rule, year)));
}

const weekday = (d: string) => new Date(`${d}T00:00:00Z`).getUTCDay();

export function isWorkingDay(date: string): boolean {
  const w = weekday(date);
  return w !== 0 && w !== 6 && !holidaysOf(Number(date.slice(0, 4))).has(date);
}

/** The date `n` working days after `date` (weekends and public holidays skipped). */
export function addWorkingDays(date: string, n: number): string {
  let d = date;
  for (let left = n; left > 0;) {
    d = addDays(d, 1);
    if (isWorkingDay(d)) left--;
  }
  return d;
}
