import { pathWithin } from "./scope.js";
import { addDays } from "./dates.js";

/**
 * Reporting periods (kỳ báo cáo) as pure date arithmetic. A period covers a span of the year
 * and is due per level on calendar dates kept as data (`deadline_calendars`).
 */
/** "once": an ad-hoc request's single period, made with the request (src/requests/), never by the calendar. */
export type Periodicity = "monthly" | "quarterly" | "half-yearly" | "yearly" | "six-month-and-yearly" | "once";
export type ReportingLevel = "commune" | "district" | "province";

export interface PeriodSpec {
  /** Slot within the year: H1, H2, Y, Q1..Q4, M01..M12. */
  slot: string;
  key: string;
  startsOn: string;
  endsOn: string;
}

const pad = (n: number) => String(n).padStart(2, "0");
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const span = (y: number, m1: number, m2: number) => ({ startsOn: `${y}-${pad(m1)}-01`, endsOn: `${y}-${pad(m2)}-${pad(lastDay(y, m2))}` });

export function periodsOfYear(periodicity: Periodicity, year: number): PeriodSpec[] {
  switch (periodicity) {
    case "once":
      return [];
    case "monthly":
      return Array.from({ length: 12 }, (_, i) => ({ slot: `M${pad(i + 1)}`, key: `${year}-M${pad(i + 1)}`, ...span(year, i + 1, i + 1) }));
    case "quarterly":
      return [1, 2, 3, 4].map((q) => ({ slot: `Q${q}`, key: `${year}-Q${q}`, ...span(year, q * 3 - 2, q * 3) }));
    case "half-yearly":
      return [
        { slot: "H1", key: `${year}-H1`, ...span(year, 1, 6) },
        { slot: "H2", key: `${year}-H2`, ...span(year, 7, 12) },
      ];
    case "yearly":
      return [{ slot: "Y", key: `${year}-Y`, ...span(year, 1, 12) }];
    case "six-month-and-yearly":
      // The letters' "báo cáo 6 tháng đầu năm" (due in May) and "báo cáo năm" (due in November).
      return [
        { slot: "H1", key: `${year}-H1`, ...span(year, 1, 6) },
        { slot: "Y", key: `${year}-Y`, ...span(year, 1, 12) },
      ];
  }
}

const LEVEL_OFFSET_DAYS: Record<ReportingLevel, number> = { commune: 5, district: 10, province: 15 };

/**
 * The deadline when no calendar row exists: a few days after the period ends, later for each
 * level up, so that each level's deadline is the planning date of the next.
 */
export function defaultDeadline(spec: PeriodSpec, level: ReportingLevel): string {
  return addDays(spec.endsOn, LEVEL_OFFSET_DAYS[level]);
}

export interface CalendarEntry {
  /** Scope unit's materialised path; undefined = national default. */
  scopePath?: string;
  /** undefined = every year. */
  year?: number;
  slot: string;
  level: ReportingLevel;
  deadline: string;
}

/**
 * deadlineFor(unitPath, level): the nearest scope wins (district over province over national),
 * and a row for this year over an every-year row. A recurring row's "deadline" carries only
 * day and month; the year comes from the period.
 */
export function deadlineFor(entries: CalendarEntry[], spec: PeriodSpec, unitPath: string, level: ReportingLevel): string {
  const year = Number(spec.key.slice(0, 4));
  const candidates = entries.filter(
    (e) =>
      e.slot === spec.slot &&
      e.level === level &&
      (e.year === undefined || e.year === year) &&
      (e.scopePath === undefined || pathWithin(e.scopePath, unitPath)),
  );
  candidates.sort((a, b) => (b.scopePath?.length ?? -1) - (a.scopePath?.length ?? -1) || (b.year === undefined ? 0 : 1) - (a.year === undefined ? 0 : 1));
  const best = candidates[0];
  if (!best) return defaultDeadline(spec, level);
  return best.year === undefined ? `${year}${best.deadline.slice(4)}` : best.deadline;
}

/** Submitted after the end of the deadline day (local time) is late. */
export function isLate(submittedLocalDate: string, deadline: string): boolean {
  return submittedLocalDate > deadline;
}

/**
 * The period of ad-hoc request n, made in `year`: "2026-YC12". The year leads, as in every key
 * (the calendar's year-specific rows and the consolidation read it there).
 */
export const requestPeriodKey = (year: number, requestId: number) => `${year}-YC${requestId}`;
export const isRequestPeriod = (key: string): boolean => /^\d{4}-YC\d+$/.test(key);

/** "báo cáo 6 tháng đầu năm 2026", as officers say it. */
export function periodLabel(key: string): string {
  const [year, slot = ""] = key.split("-");
  if (isRequestPeriod(key)) return "báo cáo đột xuất";
  if (slot === "H1") return `báo cáo 6 tháng đầu năm ${year}`;
  if (slot === "H2") return `báo cáo 6 tháng cuối năm ${year}`;
  if (slot === "Y") return `báo cáo năm ${year}`;
  if (slot.startsWith("Q")) return `báo cáo quý ${slot.slice(1)}/${year}`;
  if (slot.startsWith("M")) return `báo cáo tháng ${Number(slot.slice(1))}/${year}`;
  return `báo cáo kỳ ${key}`;
}

/**
 * Periods that ended before the 1/7/2025 reform belong to the old three-level tree. Official trees
 * only: the demo tree (src/directory/demo.ts) reports on every period and is never chosen here.
 */
export function schemeForPeriod(endsOn: string): "pre2025" | "post2025" {
  return endsOn < "2025-07-01" ? "pre2025" : "post2025";
}
