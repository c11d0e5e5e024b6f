import { addDays } from "./dates.js";
import { lunarToSolar } from "./lunar.js";

/**
 * When a campaign step falls, as data: a solar date (1/6), a lunar date (15/8 âm lịch),
 * a date relative to another rule (7 days before 1/6), the last given weekday of a month
 * (launch "in the last week of May"), or every week between two dates (summer warnings).
 */
export type StepRule =
  | { kind: "solar"; day: number; month: number }
  | { kind: "lunar"; day: number; month: number }
  | { kind: "relative"; to: StepRule; days: number }
  | { kind: "last-weekday"; month: number; weekday: number }
  | { kind: "weekly"; from: { day: number; month: number }; to: { day: number; month: number }; weekday: number };

const iso = (y: number, m: number, d: number) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
/** 0 = Sunday … 6 = Saturday, of a yyyy-mm-dd. */
const weekdayOf = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

/** Every date of the year the rule gives (one for most rules, several for weekly). */
export function datesOfRule(rule: StepRule, year: number): string[] {
  switch (rule.kind) {
    case "solar":
      return [iso(year, rule.month, rule.day)];
    case "lunar": {
      // "30 tháng Chạp" means the last day of the month, which some years is the 29th.
      const solar = (y: number) => lunarToSolar(rule.day, rule.month, y) ?? (rule.day === 30 ? lunarToSolar(29, rule.month, y) : undefined);
      // A lunar date can fall in the next solar year (11th–12th lunar month): take the one in `year`.
      return [solar(year - 1), solar(year)].filter((d): d is string => d !== undefined && d.startsWith(String(year)));
    }
    case "relative":
      // The base date may be in a neighbouring year (30 days before Tết falls in December).
      return [year - 1, year, year + 1]
        .flatMap((y) => datesOfRule(rule.to, y))
        .map((d) => addDays(d, rule.days))
        .filter((d) => d.startsWith(String(year)));
    case "last-weekday": {
      let d = addDays(iso(rule.month === 12 ? year + 1 : year, rule.month === 12 ? 1 : rule.month + 1, 1), -1);
      while (weekdayOf(d) !== rule.weekday) d = addDays(d, -1);
      return [d];
    }
    case "weekly": {
      // A range that wraps the new year (1/12 → 28/2) is two ranges within this year.
      const wraps = rule.to.month * 100 + rule.to.day < rule.from.month * 100 + rule.from.day;
      const ranges: [string, string][] = wraps
        ? [
            [iso(year, 1, 1), iso(year, rule.to.month, rule.to.day)],
            [iso(year, rule.from.month, rule.from.day), iso(year, 12, 31)],
          ]
        : [[iso(year, rule.from.month, rule.from.day), iso(year, rule.to.month, rule.to.day)]];
      const out: string[] = [];
      for (const [start, end] of ranges) {
        let d = start;
        while (weekdayOf(d) !== rule.weekday) d = addDays(d, 1);
        for (; d <= end; d = addDays(d, 7)) out.push(d);
      }
      return out;
    }
  }
}

/** A Vietnamese description of the rule, for previews ("15/8 âm lịch"). */
export function describeRule(rule: StepRule): string {
  const days = ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"];
  switch (rule.kind) {
    case "solar":
      return `${rule.day}/${rule.month}`;
    case "lunar":
      return `${rule.day}/${rule.month} âm lịch`;
    case "relative":
      return `${Math.abs(rule.days)} ngày ${rule.days < 0 ? "trước" : "sau"} ${describeRule(rule.to)}`;
    case "last-weekday":
      return `${days[rule.weekday]} cuối cùng của tháng ${rule.month}`;
    case "weekly":
      return `${days[rule.weekday]} hằng tuần từ ${rule.from.day}/${rule.from.month} đến ${rule.to.day}/${rule.to.month}`;
  }
}

/**
 * A step whose text names the year's theme waits for it: it is never sent with an empty «», and
 * goes out when the theme is set, up to this many days after its date (the launch week); later
 * than that it is not sent that year.
 */
export const THEME_WAIT_DAYS = 7;

export const namesTheme = (text: string): boolean => text.includes("{theme}");

/** The step cannot go out in `year` yet: it names a theme the year does not have. */
export const waitsForTheme = (text: string, themes: Record<string, string>, year: number): boolean => namesTheme(text) && !themes[String(year)]?.trim();

/**
 * A step's text as sent in `year`: the year's theme and the year filled in; an empty "( )" left
 * by a year without a theme is dropped. {name} stays for the recipient's name.
 */
export function campaignText(text: string, themes: Record<string, string>, year: number): string {
  return text
    .replaceAll("{theme}", themes[String(year)] ?? "")
    .replaceAll("{year}", String(year))
    .replace(/\s*\(\s*\)/g, "");
}
