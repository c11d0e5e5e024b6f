import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  deadlineOrderProblem,
  describeReminderSteps,
  effectiveDeadline,
  formatReminderSteps,
  levelsOfScheme,
  nextYearsDate,
  parseDeadline,
  parseReminderSteps,
  slotName,
} from "../../src/reporting/deadline-rules.js";
import { periodsOfYear, type CalendarEntry, type ReportingLevel } from "../../src/domain/periods.js";

describe("deadlineOrderProblem: within a period, each level reports before the level above", () => {
  it("a commune deadline after the district's is refused, naming both dates and the period", () => {
    expect(deadlineOrderProblem("H1", { commune: "2026-06-20", district: "2026-06-18", province: "2026-06-25" })).toBe(
      "Hạn của xã (20/06/2026) phải trước hạn của huyện (18/06/2026) — kỳ 6 tháng đầu năm",
    );
  });

  it("the same day for two levels is refused too: the level above needs time to consolidate", () => {
    expect(deadlineOrderProblem("Y", { district: "2026-11-15", province: "2026-11-15" })).toBe(
      "Hạn của huyện (15/11/2026) phải trước hạn của tỉnh (15/11/2026) — kỳ năm",
    );
  });

  it("accepts deadlines in order, including a commune cut-off before the period ends (data closed 14/6 for H1)", () => {
    expect(deadlineOrderProblem("H1", { commune: "2026-06-14", district: "2026-06-18", province: "2026-06-25" })).toBeUndefined();
  });

  it("compares a level set here with the deadline that applies to a blank level (marked «đang áp dụng»)", () => {
    const inherited = { commune: "2026-05-15", district: "2026-05-20", province: "2026-05-25" };
    expect(deadlineOrderProblem("H1", { commune: "2026-05-22" }, inherited)).toBe(
      "Hạn của xã (22/05/2026) phải trước hạn của huyện (20/05/2026, đang áp dụng) — kỳ 6 tháng đầu năm",
    );
    expect(deadlineOrderProblem("H1", { province: "2026-05-18" }, inherited)).toBe(
      "Hạn của huyện (20/05/2026, đang áp dụng) phải trước hạn của tỉnh (18/05/2026) — kỳ 6 tháng đầu năm",
    );
    expect(deadlineOrderProblem("H1", { commune: "2026-05-10" }, inherited)).toBeUndefined();
  });

  it("checks the commune against the province as well when the district is not in between", () => {
    // The district pair is inherited on both sides, so only the commune–province pair can fail.
    expect(deadlineOrderProblem("H1", { commune: "2026-05-26" }, { district: "2026-05-30", province: "2026-05-25" })).toBe(
      "Hạn của xã (26/05/2026) phải trước hạn của tỉnh (25/05/2026, đang áp dụng) — kỳ 6 tháng đầu năm",
    );
    expect(deadlineOrderProblem("H1", { commune: "2026-05-26", province: "2026-05-25" }, {}, levelsOfScheme("post2025"))).toBe(
      "Hạn của xã (26/05/2026) phải trước hạn của tỉnh (25/05/2026) — kỳ 6 tháng đầu năm",
    );
  });

  it("an existing calendar that is already out of order does not block saving nothing new", () => {
    // Tam Đường's letter: communes by 25/5, while the national district deadline is 20/5.
    expect(deadlineOrderProblem("H1", {}, { commune: "2026-05-25", district: "2026-05-20", province: "2026-05-25" })).toBeUndefined();
  });

  it("post-2025 trees have no districts: commune then province", () => {
    expect(levelsOfScheme("post2025")).toEqual(["commune", "province"]);
    expect(levelsOfScheme("pre2025")).toEqual(["commune", "district", "province"]);
  });
});

describe("parseDeadline", () => {
  it("reads a date input's yyyy-mm-dd and a typed dd/mm/yyyy", () => {
    expect(parseDeadline("2026-06-14")).toBe("2026-06-14");
    expect(parseDeadline("14/6/2026")).toBe("2026-06-14");
    expect(parseDeadline(" 05.11.2026 ")).toBe("2026-11-05");
  });
  it("refuses what is not a calendar date", () => {
    for (const bad of ["2026-02-30", "31/04/2026", "14/6", "ngày mai", "", "2026-13-01"]) expect(parseDeadline(bad)).toBeUndefined();
  });
});

describe("parseReminderSteps: «-7, -3, -1, 0, 1, 3»", () => {
  it("reads a comma list, sorted and without repeats", () => {
    expect(parseReminderSteps("-5, -1, 0, 2")).toEqual({ steps: [-5, -1, 0, 2] });
    expect(parseReminderSteps("3, -7,0 ; -3 -1 1, 3, +1")).toEqual({ steps: [-7, -3, -1, 0, 1, 3] });
    expect(parseReminderSteps("−7, –3")).toEqual({ steps: [-7, -3] }); // word-processor minus signs
    expect(parseReminderSteps("-0")).toEqual({ steps: [0] });
  });

  it("refuses words, fractions and days outside -60..30, in Vietnamese", () => {
    expect(parseReminderSteps("")).toEqual({ error: "Cần ít nhất một ngày nhắc, ví dụ: -7, -3, -1, 0, 1, 3." });
    expect(parseReminderSteps("-7, ba")).toEqual({ error: "«ba» không phải số ngày. Nhập các số nguyên cách nhau bởi dấu phẩy, ví dụ: -7, -3, -1, 0, 1, 3." });
    expect(parseReminderSteps("1.5")).toHaveProperty("error");
    expect(parseReminderSteps("-61, 0")).toEqual({ error: "Ngày nhắc -61 nằm ngoài khoảng cho phép (từ -60 đến 30)." });
    expect(parseReminderSteps("0, 31")).toEqual({ error: "Ngày nhắc 31 nằm ngoài khoảng cho phép (từ -60 đến 30)." });
    expect(parseReminderSteps("-60, 30")).toEqual({ steps: [-60, 30] });
  });

  it("any list it accepts is sorted, unique, in range, and reads back the same", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -60, max: 30 }), { minLength: 1, maxLength: 12 }), (xs) => {
        const r = parseReminderSteps(xs.join(", "));
        if (!("steps" in r)) return false;
        const sorted = [...new Set(xs.map((x) => x + 0))].sort((a, b) => a - b);
        expect(r.steps).toEqual(sorted);
        expect(parseReminderSteps(formatReminderSteps(r.steps))).toEqual(r);
        return true;
      }),
    );
  });

  it("describes the steps the way officers say them", () => {
    expect(describeReminderSteps([-7, 0, 3])).toBe("7 ngày trước hạn, đúng ngày hạn, 3 ngày sau hạn");
  });
});

describe("slotName", () => {
  it("names the slots of each periodicity", () => {
    expect(["H1", "H2", "Y", "Q3", "M01", "M12"].map(slotName)).toEqual(["6 tháng đầu năm", "6 tháng cuối năm", "năm", "quý 3", "tháng 1", "tháng 12"]);
  });
});

describe("effectiveDeadline: the reporting calendar's deadline and the row it comes from", () => {
  const national = (slot: string, level: ReportingLevel, ddmm: string): CalendarEntry & { name: string } => ({
    slot,
    level,
    deadline: `2000-${ddmm}`,
    name: "national",
  });
  const entries = [
    national("H1", "commune", "05-15"),
    national("H1", "district", "05-20"),
    { slot: "H1", level: "commune" as const, deadline: "2000-05-25", scopePath: "12.106", name: "Tam Đường" },
    { slot: "H1", level: "commune" as const, deadline: "2026-06-14", scopePath: "12", year: 2026, name: "Lai Châu 2026" },
    { slot: "H1", level: "district" as const, deadline: "2026-06-18", scopePath: "12", year: 2026, name: "Lai Châu 2026" },
  ];
  const h1 = periodsOfYear("six-month-and-yearly", 2026)[0]!;

  it("the nearest scope wins: Tam Đường's every-year letter over the province's 2026 calendar", () => {
    expect(effectiveDeadline(entries, h1, "12.106", "commune")).toMatchObject({ deadline: "2026-05-25", from: { name: "Tam Đường" } });
    expect(effectiveDeadline(entries, h1, "12.106", "district")).toMatchObject({ deadline: "2026-06-18", from: { name: "Lai Châu 2026" } });
    expect(effectiveDeadline(entries, h1, "12.105", "commune")).toMatchObject({ deadline: "2026-06-14", from: { name: "Lai Châu 2026" } });
    expect(effectiveDeadline(entries, h1, "20", "commune")).toMatchObject({ deadline: "2026-05-15", from: { name: "national" } });
  });

  it("no row at all: the built-in default (the period's end plus 15 days for a province), with no source", () => {
    const r = effectiveDeadline(entries, h1, "20", "province");
    expect(r.from).toBeUndefined();
    expect(r.deadline).toBe("2026-07-15");
  });

  // Every expected date is worked out by hand from the rows above: which rows apply (slot, level,
  // year, the unit's path under the row's scope), the nearest scope, a row for the year over an
  // every-year row, and the year of the period for every-year rows.
  const y2026 = periodsOfYear("six-month-and-yearly", 2026)[1]!;
  const h1of2025 = periodsOfYear("six-month-and-yearly", 2025)[0]!;
  const everyYearLaiChau = { slot: "H1", level: "commune" as const, deadline: "2000-05-30", scopePath: "12", name: "Lai Châu every year" };
  it.each([
    ["a commune of Tam Đường", h1, "12.106.03394", "commune", "2026-05-25", "Tam Đường"],
    ["Tam Đường itself, as a commune-level row", h1, "12.106", "commune", "2026-05-25", "Tam Đường"],
    ["a commune of another district of Lai Châu", h1, "12.105.03388", "commune", "2026-06-14", "Lai Châu 2026"],
    ["a district of Lai Châu", h1, "12.106", "district", "2026-06-18", "Lai Châu 2026"],
    ["a district elsewhere", h1, "20.001", "district", "2026-05-20", "national"],
    ["a province: no row, the default", h1, "12", "province", "2026-07-15", undefined],
    ["the yearly report: no row, the default (31/12 plus 5 days)", y2026, "12.106.03394", "commune", "2027-01-05", undefined],
    ["2025: Lai Châu's 2026 rows do not apply", h1of2025, "12.105.03388", "commune", "2025-05-15", "national"],
    ["2025: Tam Đường's every-year row does", h1of2025, "12.106.03394", "commune", "2025-05-25", "Tam Đường"],
  ] as const)("%s", (_why, spec, path, level, deadline, from) => {
    const r = effectiveDeadline(entries, spec, path, level);
    expect(r.deadline).toBe(deadline);
    expect(r.from?.name).toBe(from);
  });

  it("at the same scope a row for this year wins over an every-year row, which applies in the other years", () => {
    const both = [everyYearLaiChau, ...entries];
    expect(effectiveDeadline(both, h1, "12.105.03388", "commune")).toMatchObject({ deadline: "2026-06-14", from: { name: "Lai Châu 2026" } });
    expect(effectiveDeadline(both, h1of2025, "12.105.03388", "commune")).toMatchObject({ deadline: "2025-05-30", from: { name: "Lai Châu every year" } });
    // Listed after the row for the year, the every-year row still loses.
    expect(effectiveDeadline([...entries, everyYearLaiChau], h1, "12.105.03388", "commune")).toMatchObject({
      deadline: "2026-06-14",
      from: { name: "Lai Châu 2026" },
    });
  });

  it("a scope is a whole path segment: a row for 12.10 does not apply to 12.106", () => {
    const sibling = [{ slot: "H1", level: "commune" as const, deadline: "2000-05-01", scopePath: "12.10", name: "12.10" }, ...entries.slice(0, 2)];
    expect(effectiveDeadline(sibling, h1, "12.106.03394", "commune")).toMatchObject({ deadline: "2026-05-15", from: { name: "national" } });
  });
});

describe("nextYearsDate: a one-year calendar copied to the next year", () => {
  it("keeps day and month, and 29/02 becomes 28/02 in a common year", () => {
    expect(nextYearsDate("2024-11-10")).toBe("2025-11-10");
    expect(nextYearsDate("2024-02-29")).toBe("2025-02-28");
    expect(nextYearsDate("2027-02-28")).toBe("2028-02-28");
    expect(nextYearsDate("2024-12-31")).toBe("2025-12-31");
  });
});
