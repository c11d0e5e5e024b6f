import { describe, it, expect, beforeEach, afterEach, vi } from "vitest";
import fc from "fast-check";
import { lunarToSolar } from "../../src/domain/lunar.js";
import { campaignText, datesOfRule, describeRule, waitsForTheme, type StepRule } from "../../src/domain/campaign-dates.js";
import { isQuiet, nextAllowed, localTime, type QuietHours } from "../../src/domain/quiet-hours.js";
import { reminderStepOn, reminderText, DEFAULT_REMINDER_STEPS } from "../../src/domain/reminders.js";
import { createRateLimiter } from "../../src/delivery/rate-limiter.js";
import { createInFlightWindow } from "../../src/delivery/in-flight-window.js";
import { addDays } from "../../src/domain/dates.js";

const MID_AUTUMN: Array<[number, string]> = [
  [2019, "2019-09-13"],
  [2020, "2020-10-01"],
  [2021, "2021-09-21"],
  [2022, "2022-09-10"],
  [2023, "2023-09-29"],
  [2024, "2024-09-17"],
  [2025, "2025-10-06"],
  [2026, "2026-09-25"],
  [2027, "2027-09-15"],
];

const TET: Array<[number, string]> = [
  [2019, "2019-02-05"],
  [2020, "2020-01-25"],
  [2021, "2021-02-12"],
  [2022, "2022-02-01"],
  [2023, "2023-01-22"],
  [2024, "2024-02-10"],
  [2025, "2025-01-29"],
  [2026, "2026-02-17"],
  [2027, "2027-02-06"],
];

const daysBetween = (a: string, b: string) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;
const weekday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay();

describe("lunarToSolar: the Vietnamese lunar calendar (UTC+7)", () => {
  it.each(MID_AUTUMN)("Tết Trung thu (15/8 âm lịch) of %i falls on %s", (year, date) => {
    expect(lunarToSolar(15, 8, year)).toBe(date);
  });

  it.each(TET)("Tết Nguyên đán (1/1 âm lịch) of %i falls on %s", (year, date) => {
    expect(lunarToSolar(1, 1, year)).toBe(date);
  });

  it("2025 had a leap 6th month: 1/6 nhuận is 25 July, a month after the ordinary 1/6", () => {
    expect(lunarToSolar(1, 6, 2025)).toBe("2025-06-25");
    expect(lunarToSolar(1, 6, 2025, true)).toBe("2025-07-25");
    // The 7th month comes after the leap month, not straight after the ordinary 6th.
    expect(lunarToSolar(1, 7, 2025)).toBe("2025-08-23");
  });

  it("other known leap months: the 2nd month of 2023 and the 4th month of 2020", () => {
    expect(lunarToSolar(1, 2, 2023, true)).toBe("2023-03-22");
    expect(lunarToSolar(1, 4, 2020, true)).toBe("2020-05-23");
  });

  it("asking for a leap month that does not exist gives undefined", () => {
    // 2026 has no leap month at all.
    expect(lunarToSolar(15, 8, 2026, true)).toBeUndefined();
    expect(lunarToSolar(1, 1, 2026, true)).toBeUndefined();
    // 2025 has a leap month, but it is the 6th, not the 8th.
    expect(lunarToSolar(15, 8, 2025, true)).toBeUndefined();
  });

  it("every lunar month of every year lasts 29 or 30 days, and Tết falls between 21 January and 20 February", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1950, max: 2100 }), (year) => {
        const starts: string[] = [];
        for (let m = 1; m <= 12; m++) {
          starts.push(lunarToSolar(1, m, year)!);
          const leap = lunarToSolar(1, m, year, true);
          if (leap !== undefined) starts.push(leap);
        }
        starts.push(lunarToSolar(1, 1, year + 1)!);
        expect([13, 14]).toContain(starts.length); // 12 or 13 months, plus next Tết
        for (let i = 1; i < starts.length; i++) expect([29, 30]).toContain(daysBetween(starts[i - 1]!, starts[i]!));
        const tet = starts[0]!.slice(5);
        expect(tet >= "01-21" && tet <= "02-20").toBe(true);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * Hand-written answer keys, from published calendars rather than from this code: Tết dates as
 * listed by Wikipedia ("Tết", and the Chinese New Year table, which agrees with Việt Nam's in every
 * year below except 1968, 1985 and 2007), Việt Nam's own dates for those three years (Hồ Ngọc Đức,
 * "Lịch Việt Nam", informatik.uni-leipzig.de/~duc/amlich/: in 1985 Tết fell a whole month before
 * China's, in 2007 a day before), and the leap months of the same tables. 2030 is left out: the
 * sources at hand did not agree on it.
 */
const TET_1980_2035: Array<[number, string]> = [
  [1968, "1968-01-29"],
  [1980, "1980-02-16"],
  [1981, "1981-02-05"],
  [1982, "1982-01-25"],
  [1983, "1983-02-13"],
  [1984, "1984-02-02"],
  [1985, "1985-01-21"],
  [1986, "1986-02-09"],
  [1987, "1987-01-29"],
  [1988, "1988-02-17"],
  [1989, "1989-02-06"],
  [1990, "1990-01-27"],
  [1991, "1991-02-15"],
  [1992, "1992-02-04"],
  [1993, "1993-01-23"],
  [1994, "1994-02-10"],
  [1995, "1995-01-31"],
  [1996, "1996-02-19"],
  [1997, "1997-02-07"],
  [1998, "1998-01-28"],
  [1999, "1999-02-16"],
  [2000, "2000-02-05"],
  [2001, "2001-01-24"],
  [2002, "2002-02-12"],
  [2003, "2003-02-01"],
  [2004, "2004-01-22"],
  [2005, "2005-02-09"],
  [2006, "2006-01-29"],
  [2007, "2007-02-17"],
  [2008, "2008-02-07"],
  [2009, "2009-01-26"],
  [2010, "2010-02-14"],
  [2011, "2011-02-03"],
  [2012, "2012-01-23"],
  [2013, "2013-02-10"],
  [2014, "2014-01-31"],
  [2015, "2015-02-19"],
  [2016, "2016-02-08"],
  [2017, "2017-01-28"],
  [2018, "2018-02-16"],
  [2028, "2028-01-26"],
  [2029, "2029-02-13"],
  [2031, "2031-01-23"],
  [2032, "2032-02-11"],
  [2033, "2033-01-31"],
  [2034, "2034-02-19"],
  [2035, "2035-02-08"],
];
/** [year, leap month, its first day (undefined where the tables differ by time zone)] */
const LEAP_MONTHS: Array<[number, number, string | undefined]> = [
  [1995, 8, undefined],
  [1998, 5, "1998-06-24"],
  [2001, 4, "2001-05-23"],
  [2004, 2, "2004-03-21"],
  [2006, 7, "2006-08-24"],
  [2009, 5, "2009-06-23"],
  [2012, 4, "2012-05-21"],
  [2014, 9, "2014-10-24"],
  [2017, 6, "2017-07-23"],
  [2020, 4, "2020-05-23"],
  [2023, 2, "2023-03-22"],
  [2025, 6, "2025-07-25"],
  [2028, 5, "2028-06-23"],
  [2031, 3, undefined],
  [2033, 11, "2033-12-22"],
  [2036, 6, "2036-07-23"],
];

describe("lunarToSolar against the published tables", () => {
  it.each(TET_1980_2035)("Tết of %i is %s", (year, date) => {
    expect(lunarToSolar(1, 1, year)).toBe(date);
  });

  it("computed for UTC+8 (China) the same algorithm gives China's Tết: a month later in 1985, a day later in 2007", () => {
    expect(lunarToSolar(1, 1, 1985, false, 8)).toBe("1985-02-20");
    expect(lunarToSolar(1, 1, 2007, false, 8)).toBe("2007-02-18");
  });

  it("from 1995 to 2036 the leap month is the one in the table, and no other month of the year is leap", () => {
    const leapOf = new Map(LEAP_MONTHS.map(([y, m]) => [y, m]));
    for (let year = 1995; year <= 2036; year++) {
      const leap = Array.from({ length: 12 }, (_, i) => i + 1).filter((m) => lunarToSolar(1, m, year, true) !== undefined);
      expect(leap, String(year)).toEqual(leapOf.has(year) ? [leapOf.get(year)] : []);
    }
  });

  it.each(LEAP_MONTHS.filter(([, , d]) => d !== undefined))("the leap month of %i (%i nhuận) begins on %s", (year, month, date) => {
    expect(lunarToSolar(1, month, year, true)).toBe(date);
  });

  it("2033's leap month comes after the 11th: the 12th month starts two months after the 11th", () => {
    expect(lunarToSolar(1, 11, 2033)).toBe("2033-11-22");
    expect(lunarToSolar(1, 12, 2033)).toBe("2034-01-20");
  });

  it("tháng Chạp before Tết 2024 had 30 days (30 Tết was 09/02/2024); before Tết 2025 and 2026 it had 29", () => {
    expect(lunarToSolar(30, 12, 2023)).toBe("2024-02-09");
    expect(lunarToSolar(29, 12, 2024)).toBe("2025-01-28");
    expect(lunarToSolar(30, 12, 2024)).toBeUndefined();
    expect(lunarToSolar(30, 12, 2025)).toBeUndefined();
  });

  it("Giỗ Tổ Hùng Vương (10/3 âm lịch), the public holiday: 18/04/2024, 07/04/2025, 26/04/2026", () => {
    expect([2024, 2025, 2026].map((y) => lunarToSolar(10, 3, y))).toEqual(["2024-04-18", "2025-04-07", "2026-04-26"]);
  });

  it("Tết Trung thu 2028–2033: 03/10, 22/09, 12/09, 01/10, 19/09, 08/09", () => {
    expect([2028, 2029, 2030, 2031, 2032, 2033].map((y) => lunarToSolar(15, 8, y))).toEqual([
      "2028-10-03",
      "2029-09-22",
      "2030-09-12",
      "2031-10-01",
      "2032-09-19",
      "2033-09-08",
    ]);
  });
});

describe("datesOfRule: when a campaign step falls in a given year", () => {
  it("the Children's Day step (1/6) lands on 1 June every year", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2100 }), (year) => {
        expect(datesOfRule({ kind: "solar", day: 1, month: 6 }, year)).toEqual([`${year}-06-01`]);
      }),
    );
  });

  it.each(MID_AUTUMN)("the Mid-Autumn step (15/8 âm lịch) of %i lands on %s", (year, date) => {
    expect(datesOfRule({ kind: "lunar", day: 15, month: 8 }, year)).toEqual([date]);
  });

  it("the Mid-Autumn step of 2026 lands on 25 September, and its one-week-ahead warning on 18 September", () => {
    const midAutumn: StepRule = { kind: "lunar", day: 15, month: 8 };
    expect(datesOfRule(midAutumn, 2026)).toEqual(["2026-09-25"]);
    expect(datesOfRule({ kind: "relative", to: midAutumn, days: -7 }, 2026)).toEqual(["2026-09-18"]);
  });

  it("a follow-up three days after 1/6 lands on 4 June", () => {
    expect(datesOfRule({ kind: "relative", to: { kind: "solar", day: 1, month: 6 }, days: 3 }, 2026)).toEqual(["2026-06-04"]);
  });

  it("the Kitchen Gods step (23 tháng Chạp) of solar 2026 belongs to lunar year 2025 and lands on 10 February", () => {
    expect(datesOfRule({ kind: "lunar", day: 23, month: 12 }, 2026)).toEqual(["2026-02-10"]);
  });

  it("a lunar date in the 11th month can happen twice in one solar year: 15/11 in 2026 is 3 January and 23 December", () => {
    const dates = datesOfRule({ kind: "lunar", day: 15, month: 11 }, 2026);
    expect([...dates].sort()).toEqual(["2026-01-03", "2026-12-23"]);
  });

  it("the launch 'on the last Monday of May' 2026 lands on 25 May", () => {
    expect(datesOfRule({ kind: "last-weekday", month: 5, weekday: 1 }, 2026)).toEqual(["2026-05-25"]);
  });

  it("the last Sunday of May 2026 is the 31st itself, and the last Monday of December 2026 is the 28th", () => {
    expect(datesOfRule({ kind: "last-weekday", month: 5, weekday: 0 }, 2026)).toEqual(["2026-05-31"]);
    expect(datesOfRule({ kind: "last-weekday", month: 12, weekday: 1 }, 2026)).toEqual(["2026-12-28"]);
  });

  it("the last-weekday rule always gives that weekday in the last seven days of the month", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2100 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 }), (year, month, wd) => {
        const [d] = datesOfRule({ kind: "last-weekday", month, weekday: wd }, year);
        expect(d).toBeDefined();
        expect(weekday(d!)).toBe(wd);
        expect(Number(d!.slice(5, 7))).toBe(month);
        // One week later is already in the next month.
        expect(Number(addDays(d!, 7).slice(5, 7))).not.toBe(month);
      }),
    );
  });

  it("the summer drowning warnings, every Friday from 1/6 to 31/8 2026, are 13 Fridays starting 5 June", () => {
    const fridays = datesOfRule({ kind: "weekly", from: { day: 1, month: 6 }, to: { day: 31, month: 8 }, weekday: 5 }, 2026);
    expect(fridays).toHaveLength(13);
    expect(fridays[0]).toBe("2026-06-05");
    expect(fridays.at(-1)).toBe("2026-08-28");
    for (const d of fridays) {
      expect(weekday(d)).toBe(5);
      expect(d >= "2026-06-01" && d <= "2026-08-31").toBe(true);
    }
    for (let i = 1; i < fridays.length; i++) expect(daysBetween(fridays[i - 1]!, fridays[i]!)).toBe(7);
  });

  it("a weekly rule includes both ends of its range when they fall on the weekday", () => {
    // 5 June and 28 August 2026 are both Fridays.
    const fridays = datesOfRule({ kind: "weekly", from: { day: 5, month: 6 }, to: { day: 28, month: 8 }, weekday: 5 }, 2026);
    expect(fridays[0]).toBe("2026-06-05");
    expect(fridays.at(-1)).toBe("2026-08-28");
    expect(fridays).toHaveLength(13);
  });

  // BUG (see report): a lunar day 30 in a 29-day month silently rolls over into the next month.
  // The 12th month of lunar 2025 has 29 days (there is no "30 Tết" before Tết 2026), so a
  // Giao thừa step on 30/12 âm lịch is sent on Tết day itself (2026-02-17 = 1/1 Bính Ngọ).
  it("a New Year's Eve step on 30 tháng Chạp never lands on Tết day itself (2026 has no 30 Tết)", () => {
    expect(datesOfRule({ kind: "lunar", day: 30, month: 12 }, 2026)).not.toContain("2026-02-17");
  });

  // BUG (see report): relative rules are not year-boundary aware (lunar rules are). "30 days before
  // Tết" for Tết 2023 (22 Jan 2023) is 23 Dec 2022, but datesOfRule(rule, 2022) does not contain it
  // (it gives 2 Jan 2022) and datesOfRule(rule, 2023) returns 2022-12-23, a date outside 2023.
  // The planner asks for the dates of today's year, so that step never fires.
  it("a warning 30 days before Tết 2023 fires on 23 December 2022", () => {
    const rule: StepRule = { kind: "relative", to: { kind: "lunar", day: 1, month: 1 }, days: -30 };
    expect(datesOfRule(rule, 2022)).toContain("2022-12-23");
  });
});

describe("describeRule: the preview text of a step's date", () => {
  it("describes each kind of rule in Vietnamese", () => {
    const midAutumn: StepRule = { kind: "lunar", day: 15, month: 8 };
    expect(describeRule({ kind: "solar", day: 1, month: 6 })).toBe("1/6");
    expect(describeRule(midAutumn)).toBe("15/8 âm lịch");
    expect(describeRule({ kind: "relative", to: midAutumn, days: -7 })).toBe("7 ngày trước 15/8 âm lịch");
    expect(describeRule({ kind: "relative", to: { kind: "solar", day: 1, month: 6 }, days: 3 })).toBe("3 ngày sau 1/6");
    expect(describeRule({ kind: "last-weekday", month: 5, weekday: 1 })).toBe("Thứ hai cuối cùng của tháng 5");
    expect(describeRule({ kind: "weekly", from: { day: 1, month: 6 }, to: { day: 31, month: 8 }, weekday: 5 })).toBe("Thứ sáu hằng tuần từ 1/6 đến 31/8");
  });
});

describe("quiet hours: no message between 21:00 and 07:00 Vietnam time", () => {
  const night: QuietHours = { start: "21:00", end: "07:00", timeZone: "Asia/Ho_Chi_Minh" };
  const at = (iso: string) => new Date(iso);

  it("a message due at 22:30 waits until 07:00 the next morning", () => {
    const due = at("2026-11-23T15:30:00Z"); // 22:30 on 23/11 in Hà Nội
    expect(isQuiet(due, night)).toBe(true);
    expect(nextAllowed(due, night).toISOString()).toBe("2026-11-24T00:00:00.000Z"); // 07:00 on 24/11
  });

  it("a message due at 06:59 waits one minute, until 07:00 the same morning", () => {
    const due = at("2026-11-23T23:59:00Z"); // 06:59 on 24/11
    expect(isQuiet(due, night)).toBe(true);
    expect(nextAllowed(due, night).toISOString()).toBe("2026-11-24T00:00:00.000Z");
  });

  it("the quiet window starts at 21:00 sharp and includes midnight", () => {
    expect(nextAllowed(at("2026-11-23T14:00:00Z"), night).toISOString()).toBe("2026-11-24T00:00:00.000Z"); // 21:00
    expect(nextAllowed(at("2026-11-23T17:00:00Z"), night).toISOString()).toBe("2026-11-24T00:00:00.000Z"); // 00:00
  });

  it("seconds are dropped: a message due at 22:30:45 goes at 07:00:00 exactly", () => {
    expect(nextAllowed(at("2026-11-23T15:30:45.500Z"), night).toISOString()).toBe("2026-11-24T00:00:00.000Z");
  });

  it("07:00 and 20:59 are not quiet, and a message due then goes right away", () => {
    for (const iso of ["2026-11-24T00:00:00.000Z", "2026-11-23T13:59:00.000Z"]) {
      const due = at(iso);
      expect(isQuiet(due, night)).toBe(false);
      expect(nextAllowed(due, night).getTime()).toBe(due.getTime());
    }
  });

  it("a lunch-time window (12:00–13:00) that does not wrap midnight works too", () => {
    const lunch: QuietHours = { start: "12:00", end: "13:00", timeZone: "Asia/Ho_Chi_Minh" };
    expect(isQuiet(at("2026-11-23T04:59:00Z"), lunch)).toBe(false); // 11:59
    expect(isQuiet(at("2026-11-23T05:00:00Z"), lunch)).toBe(true); // 12:00
    expect(nextAllowed(at("2026-11-23T05:30:00Z"), lunch).toISOString()).toBe("2026-11-23T06:00:00.000Z"); // 12:30 → 13:00
    expect(isQuiet(at("2026-11-23T06:00:00Z"), lunch)).toBe(false); // 13:00
    expect(isQuiet(at("2026-11-23T15:30:00Z"), lunch)).toBe(false); // 22:30
  });

  it("localTime: 08:00 on 23/11/2026 in Hà Nội is 01:00 UTC, and 05:00 is still the previous UTC day", () => {
    expect(localTime("2026-11-23", "08:00", "Asia/Ho_Chi_Minh").toISOString()).toBe("2026-11-23T01:00:00.000Z");
    expect(localTime("2026-11-23", "05:00", "Asia/Ho_Chi_Minh").toISOString()).toBe("2026-11-22T22:00:00.000Z");
  });

  const anyInstant = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true });

  it("for any instant, the next allowed time is not earlier, not quiet, and at most 10 hours away", () => {
    fc.assert(
      fc.property(anyInstant, (t) => {
        const next = nextAllowed(t, night);
        expect(next.getTime()).toBeGreaterThanOrEqual(t.getTime());
        expect(isQuiet(next, night)).toBe(false);
        expect(next.getTime() - t.getTime()).toBeLessThanOrEqual(10 * 3_600_000);
        if (!isQuiet(t, night)) expect(next.getTime()).toBe(t.getTime());
        else expect(next.toISOString().slice(11)).toBe("00:00:00.000Z"); // 07:00 in Hà Nội
      }),
      { numRuns: 500 },
    );
  });

  it("for any instant, a lunch-time wait is at most one hour and never lands in the window", () => {
    const lunch: QuietHours = { start: "12:00", end: "13:00", timeZone: "Asia/Ho_Chi_Minh" };
    fc.assert(
      fc.property(anyInstant, (t) => {
        const next = nextAllowed(t, lunch);
        expect(next.getTime()).toBeGreaterThanOrEqual(t.getTime());
        expect(isQuiet(next, lunch)).toBe(false);
        expect(next.getTime() - t.getTime()).toBeLessThanOrEqual(3_600_000);
      }),
      { numRuns: 300 },
    );
  });
});

describe("reminders: 7, 3 and 1 days before the deadline, on the day, and 1 and 3 days overdue", () => {
  const deadline = "2026-11-10";

  it("the default steps are -7, -3, -1, 0, +1, +3", () => {
    expect(DEFAULT_REMINDER_STEPS).toEqual([-7, -3, -1, 0, 1, 3]);
  });

  it.each([
    ["2026-11-03", -7],
    ["2026-11-07", -3],
    ["2026-11-09", -1],
    ["2026-11-10", 0],
    ["2026-11-11", 1],
    ["2026-11-13", 3],
  ])("for a deadline on 10/11/2026, %s is reminder step %i", (today, step) => {
    expect(reminderStepOn(today, deadline)).toBe(step);
  });

  it.each(["2026-11-02", "2026-11-04", "2026-11-08", "2026-11-12", "2026-11-14"])("no reminder goes out on %s", (today) => {
    expect(reminderStepOn(today, deadline)).toBeUndefined();
  });

  it("steps cross month boundaries: a deadline on 2 March is reminded on 23 February", () => {
    expect(reminderStepOn("2026-02-23", "2026-03-02")).toBe(-7);
  });

  it("a unit can use its own steps", () => {
    expect(reminderStepOn("2026-10-27", deadline, [-14, 0])).toBe(-14);
    expect(reminderStepOn("2026-11-03", deadline, [-14, 0])).toBeUndefined();
  });

  it("the reminder text names the officer, the report and the deadline", () => {
    for (const step of DEFAULT_REMINDER_STEPS) {
      const text = reminderText(step, "Lan", "báo cáo tháng 10/2026", "10/11/2026");
      expect(text).toContain("Lan");
      expect(text).toContain("báo cáo tháng 10/2026");
      expect(text).toContain("10/11/2026");
    }
  });

  it("before the deadline it counts the days left, on the day it says today, and after it says overdue", () => {
    const before = reminderText(-3, "Lan", "báo cáo tháng 10/2026", "10/11/2026");
    expect(before).toContain("còn 3 ngày");
    expect(before).not.toContain("quá hạn");
    const today = reminderText(0, "Lan", "báo cáo tháng 10/2026", "10/11/2026");
    expect(today).toContain("hôm nay");
    expect(today).not.toContain("quá hạn");
    for (const step of [1, 3]) {
      const late = reminderText(step, "Lan", "báo cáo tháng 10/2026", "10/11/2026");
      expect(late).toContain("quá hạn");
      expect(late).toContain(`${step} ngày`);
    }
  });
});

describe("rate limiter: at most 30 messages a second, one a second per chat", () => {
  type Limiter = ReturnType<typeof createRateLimiter>;
  type Send = { chat: string; burst?: boolean };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-11-23T01:00:00Z"));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const fakeClockLimiter = (perSecond = 30, perChatIntervalMs = 1000) => createRateLimiter({ perSecond, perChatIntervalMs }, () => Date.now());

  /** Schedules all sends at once and returns, for each, how many ms after the start it was let through. */
  async function releaseTimes(limiter: Limiter, sends: Send[], runFor = 60_000): Promise<number[]> {
    const start = Date.now();
    const times: number[] = new Array<number>(sends.length).fill(Number.NaN);
    const done = sends.map((s, i) =>
      limiter.acquire(s.chat, s.burst ? { burst: true } : {}).then(() => {
        times[i] = Date.now() - start;
      }),
    );
    await vi.advanceTimersByTimeAsync(runFor);
    await Promise.all(done);
    return times;
  }

  // The fake clock has whole milliseconds, so a slot at 33.3 ms is let through at 33 ms: allow 1 ms.
  const SLACK = 1;

  it("a broadcast of 90 messages to 90 chats is spread over about 3 seconds", async () => {
    const limiter = fakeClockLimiter();
    const times = await releaseTimes(
      limiter,
      Array.from({ length: 90 }, (_, i) => ({ chat: `chat-${i}` })),
    );
    expect(times[0]).toBe(0);
    expect(times.at(-1)).toBeGreaterThanOrEqual(89 * (1000 / 30) - SLACK);
    expect(times.at(-1)).toBeLessThan(3000);
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    // No one-second window holds more than 30 messages.
    for (let i = 0; i + 30 < times.length; i++) expect(times[i + 30]! - times[i]!).toBeGreaterThanOrEqual(1000 - SLACK);
  });

  it("three messages to the same officer go out one second apart", async () => {
    const times = await releaseTimes(fakeClockLimiter(), [{ chat: "lan" }, { chat: "lan" }, { chat: "lan" }]);
    expect(times).toEqual([0, 1000, 2000]);
  });

  it("replies in a conversation (burst) skip the per-chat spacing but keep the global pace", async () => {
    const times = await releaseTimes(fakeClockLimiter(), [
      { chat: "lan", burst: true },
      { chat: "lan", burst: true },
      { chat: "lan", burst: true },
    ]);
    expect(times[0]).toBe(0);
    expect(times[1]).toBeGreaterThanOrEqual(1000 / 30 - SLACK);
    expect(times[2]).toBeGreaterThanOrEqual(2000 / 30 - SLACK);
    expect(times[2]).toBeLessThan(100);
  });

  it("a normal message right after a burst reply to the same chat still waits its second", async () => {
    const times = await releaseTimes(fakeClockLimiter(), [{ chat: "lan", burst: true }, { chat: "lan" }]);
    expect(times).toEqual([0, 1000]);
  });

  it("after 'too many requests', pause(2000) holds the next message for 2 seconds", async () => {
    const limiter = fakeClockLimiter();
    expect(await releaseTimes(limiter, [{ chat: "a" }], 0)).toEqual([0]);
    limiter.pause(2000);
    expect(await releaseTimes(limiter, [{ chat: "b" }])).toEqual([2000]);
  });

  it("after 'too many requests', sends already booked inside the pause wait for its end too", async () => {
    const limiter = fakeClockLimiter();
    const start = Date.now();
    const at: number[] = [];
    const booked = Array.from({ length: 10 }, (_, i) => limiter.acquire(`chat-${i}`).then(() => at.push(Date.now() - start)));
    await vi.advanceTimersByTimeAsync(50); // two have gone (0 and 33 ms)
    limiter.pause(1000);
    await vi.advanceTimersByTimeAsync(5_000);
    await Promise.all(booked);
    expect(at.slice(0, 2)).toEqual([0, 33]);
    expect(at.slice(2).every((t) => t >= 1050)).toBe(true);
  });

  it("a pause shorter than the queue already booked does not delay what comes after it", async () => {
    const limiter = fakeClockLimiter();
    const start = Date.now();
    const booked = Array.from({ length: 60 }, (_, i) => limiter.acquire(`chat-${i}`)); // books up to 2 s ahead
    limiter.pause(500);
    let at = Number.NaN;
    const next = limiter.acquire("late").then(() => (at = Date.now() - start));
    await vi.advanceTimersByTimeAsync(10_000);
    await Promise.all([...booked, next]);
    expect(at).toBeGreaterThanOrEqual(2000 - SLACK);
    expect(at).toBeLessThanOrEqual(2000);
  });

  it("after an idle spell, the next message goes straight out", async () => {
    const limiter = fakeClockLimiter();
    await releaseTimes(limiter, [{ chat: "lan" }, { chat: "minh" }], 5_000); // then five quiet seconds
    const [lan, hoa] = await releaseTimes(limiter, [{ chat: "lan" }, { chat: "hoa" }]);
    expect(lan).toBe(0);
    expect(hoa).toBeGreaterThanOrEqual(1000 / 30 - SLACK);
    expect(hoa).toBeLessThanOrEqual(1000 / 30);
  });

  it("a send let through late does not push later sends back: the pace over a second holds", async () => {
    const limiter = fakeClockLimiter();
    const start = Date.now();
    const at: number[] = [];
    const send = (chat: string) => limiter.acquire(chat).then(() => at.push(Date.now() - start));
    await send("a");
    // The sender was busy for 50 ms (its slot was at 33 ms): it goes at once, and so does the
    // next, whose slot (67 ms) has also come; after that the grid of 33 ms goes on.
    await vi.advanceTimersByTimeAsync(50);
    await send("b");
    const rest = Promise.all(Array.from({ length: 28 }, (_, i) => send(`c${i}`)));
    await vi.advanceTimersByTimeAsync(2_000);
    await rest;
    expect(at.slice(0, 3)).toEqual([0, 50, 66]);
    expect(at.at(-1)).toBeLessThanOrEqual(1000); // 30 sends within the first second, not 30 × 33 ms after a late start
    expect(at.filter((t) => t < 1000).length).toBeLessThanOrEqual(30);
  });

  it("for any mix of sends, the global pace and the per-chat spacing both hold", async () => {
    const send = fc.record({ chat: fc.constantFrom("lan", "minh", "hoa"), burst: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(send, { minLength: 1, maxLength: 40 }), async (sends) => {
        const times = await releaseTimes(fakeClockLimiter(), sends);
        for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1000 / 30 - SLACK);
        sends.forEach((s, i) => {
          if (s.burst) return;
          const previous = sends.findLastIndex((p, j) => j < i && p.chat === s.chat);
          if (previous >= 0) expect(times[i]! - times[previous]!).toBeGreaterThanOrEqual(1000 - SLACK);
        });
      }),
      { numRuns: 50 },
    );
  });
});

describe("messages in flight: as few as the platform's rate needs, since each is a duplicate after a crash", () => {
  it("on a fast platform one message is on its way at a time", async () => {
    const window = createInFlightWindow(300, 8);
    await window.enter();
    let second = false;
    const next = window.enter().then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    window.leave(2); // 300/s × 2 ms = 0.6 → still one
    await next;
    expect(second).toBe(true);
    expect(window.size()).toBe(1);
  });

  it("a platform that takes 150 ms a message gets rate × time of them in flight, never more than the bound", () => {
    const telegram = createInFlightWindow(29, 8);
    for (let i = 0; i < 20; i++) {
      void telegram.enter();
      telegram.leave(150);
    }
    expect(telegram.size()).toBe(5); // 29/s × 0.15 s = 4.35
    const slow = createInFlightWindow(29, 8);
    for (let i = 0; i < 20; i++) {
      void slow.enter();
      slow.leave(5_000);
    }
    expect(slow.size()).toBe(8);
  });

  it("when the window widens, that many waiting messages go at once", async () => {
    const window = createInFlightWindow(100, 8);
    await window.enter();
    let started = 0;
    const waiting = Array.from({ length: 4 }, () => window.enter().then(() => started++));
    window.leave(30); // 100/s × 30 ms = 3 in flight
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toBe(3);
    window.leave();
    await Promise.all(waiting);
    expect(started).toBe(4);
  });
});

describe("campaign dates: the corners of each rule", () => {
  it("«30 tháng Chạp» (giao thừa) is the last day of the month: 09/02/2024 in a 30-day month, 16/02/2026 in a 29-day one", () => {
    expect(datesOfRule({ kind: "lunar", day: 30, month: 12 }, 2024)).toEqual(["2024-02-09"]);
    expect(datesOfRule({ kind: "lunar", day: 30, month: 12 }, 2026)).toEqual(["2026-02-16"]);
  });

  it("30 days after 15 December falls in the next year: 14/01/2026", () => {
    expect(datesOfRule({ kind: "relative", to: { kind: "solar", day: 15, month: 12 }, days: 30 }, 2026)).toEqual(["2026-01-14"]);
  });

  it("a weekly range over the new year (1/12 → 28/2) gives the Mondays of January–February and of December", () => {
    expect(datesOfRule({ kind: "weekly", from: { day: 1, month: 12 }, to: { day: 28, month: 2 }, weekday: 1 }, 2026)).toEqual([
      "2026-01-05",
      "2026-01-12",
      "2026-01-19",
      "2026-01-26",
      "2026-02-02",
      "2026-02-09",
      "2026-02-16",
      "2026-02-23",
      "2026-12-07",
      "2026-12-14",
      "2026-12-21",
      "2026-12-28",
    ]);
  });

  it("a weekly range from 20/1 to 10/1 wraps too: Monday 5/1, then every Monday from 26/1 to 28/12 (50 in all)", () => {
    const mondays = datesOfRule({ kind: "weekly", from: { day: 20, month: 1 }, to: { day: 10, month: 1 }, weekday: 1 }, 2026);
    expect(mondays.slice(0, 3)).toEqual(["2026-01-05", "2026-01-26", "2026-02-02"]);
    expect(mondays.at(-1)).toBe("2026-12-28");
    expect(mondays).toHaveLength(50);
  });

  it("a range of one day, and a range within January, do not wrap", () => {
    expect(datesOfRule({ kind: "weekly", from: { day: 5, month: 6 }, to: { day: 5, month: 6 }, weekday: 5 }, 2026)).toEqual(["2026-06-05"]);
    expect(datesOfRule({ kind: "weekly", from: { day: 1, month: 1 }, to: { day: 10, month: 1 }, weekday: 1 }, 2026)).toEqual(["2026-01-05"]);
  });

  it("the weekday names, Sunday to Saturday", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((weekday) => describeRule({ kind: "last-weekday", month: 5, weekday }))).toEqual([
      "Chủ nhật cuối cùng của tháng 5",
      "Thứ hai cuối cùng của tháng 5",
      "Thứ ba cuối cùng của tháng 5",
      "Thứ tư cuối cùng của tháng 5",
      "Thứ năm cuối cùng của tháng 5",
      "Thứ sáu cuối cùng của tháng 5",
      "Thứ bảy cuối cùng của tháng 5",
    ]);
  });

  it("campaignText fills in the year and its theme, and drops the «( )» of a year without one", () => {
    const themes = { "2026": "Trẻ em an toàn trên không gian mạng" };
    expect(campaignText("Tháng hành động {year} ({theme})", themes, 2026)).toBe("Tháng hành động 2026 (Trẻ em an toàn trên không gian mạng)");
    expect(campaignText("Tháng hành động {year} ({theme})", themes, 2027)).toBe("Tháng hành động 2027");
    expect(campaignText("Chủ đề({theme})!", {}, 2027)).toBe("Chủ đề!");
    expect(campaignText("Nhắc lịch ( {theme} ) hôm nay", {}, 2027)).toBe("Nhắc lịch hôm nay");
    expect(campaignText("Lịch ({year}) của {name}", {}, 2027)).toBe("Lịch (2027) của {name}");
  });

  it("a step that names the theme waits for a year that has none (or only spaces); one that does not name it never waits", () => {
    const themes = { "2026": "Trẻ em an toàn trên không gian mạng", "2027": "  " };
    expect(waitsForTheme("Chủ đề: «{theme}»", themes, 2026)).toBe(false);
    expect(waitsForTheme("Chủ đề: «{theme}»", themes, 2027)).toBe(true);
    expect(waitsForTheme("Chủ đề: «{theme}»", themes, 2028)).toBe(true);
    expect(waitsForTheme("Tết Trung thu {year}", {}, 2028)).toBe(false);
  });
});

describe("quiet hours: windows that do not start on the hour, and none at all", () => {
  it("21:30–06:45: 21:15 is allowed, 21:45 waits until 06:45", () => {
    const q: QuietHours = { start: "21:30", end: "06:45", timeZone: "Asia/Ho_Chi_Minh" };
    expect(isQuiet(new Date("2026-11-23T14:15:00Z"), q)).toBe(false); // 21:15
    expect(isQuiet(new Date("2026-11-23T14:45:00Z"), q)).toBe(true); // 21:45
    expect(nextAllowed(new Date("2026-11-23T14:45:00Z"), q).toISOString()).toBe("2026-11-23T23:45:00.000Z"); // 06:45 on 24/11
    expect(isQuiet(new Date("2026-11-23T23:45:00Z"), q)).toBe(false); // 06:45
  });

  it("the same start and end means no quiet window: every minute of the day is allowed", () => {
    const none: QuietHours = { start: "00:00", end: "00:00", timeZone: "Asia/Ho_Chi_Minh" };
    for (let h = 0; h < 24; h++) expect(isQuiet(new Date(Date.UTC(2026, 10, 23, h, 30)), none)).toBe(false);
  });
});
