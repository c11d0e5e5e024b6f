import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  periodsOfYear,
  deadlineFor,
  defaultDeadline,
  isLate,
  periodLabel,
  type CalendarEntry,
  type PeriodSpec,
  type Periodicity,
} from "../../src/domain/periods.js";

const byKey = (specs: PeriodSpec[], key: string): PeriodSpec => {
  const s = specs.find((x) => x.key === key);
  if (!s) throw new Error(`no period ${key}`);
  return s;
};

describe("periodsOfYear: the reporting periods of a year", () => {
  it("a monthly report has 12 periods, each from the 1st to the month's last day", () => {
    const months = periodsOfYear("monthly", 2026);
    expect(months).toHaveLength(12);
    expect(months.map((m) => m.slot)).toEqual(["M01", "M02", "M03", "M04", "M05", "M06", "M07", "M08", "M09", "M10", "M11", "M12"]);
    expect(months.map((m) => m.endsOn.slice(8))).toEqual(["31", "28", "31", "30", "31", "30", "31", "31", "30", "31", "30", "31"]);
    expect(months[0]).toEqual({ slot: "M01", key: "2026-M01", startsOn: "2026-01-01", endsOn: "2026-01-31" });
    expect(months[11]).toEqual({ slot: "M12", key: "2026-M12", startsOn: "2026-12-01", endsOn: "2026-12-31" });
  });

  it("February's report in the leap year 2028 runs to the 29th", () => {
    expect(byKey(periodsOfYear("monthly", 2028), "2028-M02")).toEqual({ slot: "M02", key: "2028-M02", startsOn: "2028-02-01", endsOn: "2028-02-29" });
  });

  it("February's report in 2100 (not a leap year) runs to the 28th", () => {
    expect(byKey(periodsOfYear("monthly", 2100), "2100-M02").endsOn).toBe("2100-02-28");
  });

  it("a quarterly report has four quarters of three months", () => {
    expect(periodsOfYear("quarterly", 2026)).toEqual([
      { slot: "Q1", key: "2026-Q1", startsOn: "2026-01-01", endsOn: "2026-03-31" },
      { slot: "Q2", key: "2026-Q2", startsOn: "2026-04-01", endsOn: "2026-06-30" },
      { slot: "Q3", key: "2026-Q3", startsOn: "2026-07-01", endsOn: "2026-09-30" },
      { slot: "Q4", key: "2026-Q4", startsOn: "2026-10-01", endsOn: "2026-12-31" },
    ]);
  });

  it("a half-yearly report has the first and the second half", () => {
    expect(periodsOfYear("half-yearly", 2026)).toEqual([
      { slot: "H1", key: "2026-H1", startsOn: "2026-01-01", endsOn: "2026-06-30" },
      { slot: "H2", key: "2026-H2", startsOn: "2026-07-01", endsOn: "2026-12-31" },
    ]);
  });

  it("a yearly report covers the whole year", () => {
    expect(periodsOfYear("yearly", 2026)).toEqual([{ slot: "Y", key: "2026-Y", startsOn: "2026-01-01", endsOn: "2026-12-31" }]);
  });

  it("the six-month-and-yearly report of the letters is 2026-H1 and 2026-Y", () => {
    const specs = periodsOfYear("six-month-and-yearly", 2026);
    expect(specs.map((s) => s.key)).toEqual(["2026-H1", "2026-Y"]);
    expect(byKey(specs, "2026-H1")).toMatchObject({ startsOn: "2026-01-01", endsOn: "2026-06-30" });
    expect(byKey(specs, "2026-Y")).toMatchObject({ startsOn: "2026-01-01", endsOn: "2026-12-31" });
  });

  it("for any year, consecutive periods of a split-year periodicity leave no gap and no overlap", () => {
    const dayAfter = (iso: string) => {
      const d = new Date(`${iso}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + 1);
      return d.toISOString().slice(0, 10);
    };
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2199 }), fc.constantFrom<Periodicity>("monthly", "quarterly", "half-yearly"), (year, p) => {
        const specs = periodsOfYear(p, year);
        expect(specs[0]!.startsOn).toBe(`${year}-01-01`);
        expect(specs.at(-1)!.endsOn).toBe(`${year}-12-31`);
        for (let i = 1; i < specs.length; i++) expect(specs[i]!.startsOn).toBe(dayAfter(specs[i - 1]!.endsOn));
      }),
      { numRuns: 50 },
    );
  });
});

describe("deadlineFor: which calendar row sets a commune's deadline", () => {
  const [h1] = periodsOfYear("six-month-and-yearly", 2026) as [PeriodSpec, PeriodSpec];
  const commune = "01.001.00001";

  const national: CalendarEntry = { slot: "H1", level: "commune", deadline: "2000-05-20" };
  const province: CalendarEntry = { scopePath: "01", slot: "H1", level: "commune", deadline: "2000-05-15" };
  const district: CalendarEntry = { scopePath: "01.001", slot: "H1", level: "commune", deadline: "2000-05-10" };

  it("with no calendar rows, a commune's deadline is 5 days after the period ends", () => {
    expect(deadlineFor([], h1, commune, "commune")).toBe("2026-07-05");
    expect(defaultDeadline(h1, "commune")).toBe("2026-07-05");
  });

  it("with no calendar rows, each level up has a later deadline (district 10 days, province 15 days)", () => {
    expect(deadlineFor([], h1, "01.001", "district")).toBe("2026-07-10");
    expect(deadlineFor([], h1, "01", "province")).toBe("2026-07-15");
  });

  it("a recurring national row (stored as 2000-MM-DD) takes its year from the period", () => {
    expect(deadlineFor([national], h1, commune, "commune")).toBe("2026-05-20");
  });

  it("a province row beats the national row", () => {
    expect(deadlineFor([national, province], h1, commune, "commune")).toBe("2026-05-15");
  });

  it("a district row beats the province and national rows, whatever their order", () => {
    expect(deadlineFor([national, province, district], h1, commune, "commune")).toBe("2026-05-10");
    expect(deadlineFor([district, province, national], h1, commune, "commune")).toBe("2026-05-10");
    expect(deadlineFor([province, district, national], h1, commune, "commune")).toBe("2026-05-10");
  });

  it("another district's row does not apply, even when its path starts with the same digits", () => {
    const neighbour: CalendarEntry = { scopePath: "01.0011", slot: "H1", level: "commune", deadline: "2000-05-01" };
    const otherProvince: CalendarEntry = { scopePath: "02", slot: "H1", level: "commune", deadline: "2000-05-02" };
    expect(deadlineFor([national, neighbour, otherProvince], h1, commune, "commune")).toBe("2026-05-20");
  });

  it("a row for the unit's own path applies to that unit", () => {
    expect(deadlineFor([district], h1, "01.001", "commune")).toBe("2026-05-10");
  });

  it("a row for 2026 beats the every-year row of the same scope", () => {
    const only2026: CalendarEntry = { scopePath: "01", year: 2026, slot: "H1", level: "commune", deadline: "2026-05-25" };
    expect(deadlineFor([province, only2026], h1, commune, "commune")).toBe("2026-05-25");
    expect(deadlineFor([only2026, province], h1, commune, "commune")).toBe("2026-05-25");
  });

  it("a row for another year is ignored", () => {
    const only2025: CalendarEntry = { scopePath: "01", year: 2025, slot: "H1", level: "commune", deadline: "2025-05-25" };
    expect(deadlineFor([national, only2025], h1, commune, "commune")).toBe("2026-05-20");
  });

  it("rows for another slot or another level are ignored", () => {
    const yearly: CalendarEntry = { slot: "Y", level: "commune", deadline: "2000-11-15" };
    const forDistricts: CalendarEntry = { slot: "H1", level: "district", deadline: "2000-05-30" };
    expect(deadlineFor([yearly, forDistricts], h1, commune, "commune")).toBe("2026-07-05");
    expect(deadlineFor([yearly, forDistricts], h1, "01.001", "district")).toBe("2026-05-30");
  });
});

describe("isLate: submitted after the deadline day", () => {
  it("a report submitted on the deadline day is on time", () => {
    expect(isLate("2026-05-20", "2026-05-20")).toBe(false);
  });

  it("a report submitted the day before is on time", () => {
    expect(isLate("2026-05-19", "2026-05-20")).toBe(false);
  });

  it("a report submitted the day after is late, also across a month or year boundary", () => {
    expect(isLate("2026-05-21", "2026-05-20")).toBe(true);
    expect(isLate("2026-06-01", "2026-05-31")).toBe(true);
    expect(isLate("2027-01-01", "2026-12-31")).toBe(true);
  });
});

describe("periodLabel: periods as officers say them", () => {
  it.each([
    ["2026-H1", "báo cáo 6 tháng đầu năm 2026"],
    ["2026-H2", "báo cáo 6 tháng cuối năm 2026"],
    ["2026-Y", "báo cáo năm 2026"],
    ["2026-Q2", "báo cáo quý 2/2026"],
    ["2026-M03", "báo cáo tháng 3/2026"],
    ["2026-M12", "báo cáo tháng 12/2026"],
    ["2026-X", "báo cáo kỳ 2026-X"],
  ])("%s is called %j", (key, label) => {
    expect(periodLabel(key)).toBe(label);
  });
});

describe("deadlineFor: rows whose date is not in the period's year, and one-character scopes", () => {
  const [h1, y] = periodsOfYear("six-month-and-yearly", 2026) as [PeriodSpec, PeriodSpec];

  it("a row for 2026's yearly report due on 10/01/2027 keeps its own year", () => {
    expect(deadlineFor([{ slot: "Y", level: "commune", year: 2026, deadline: "2027-01-10" }], y, "01.001.00001", "commune")).toBe("2027-01-10");
  });

  it("a scoped row wins over the national one even when its code is a single character (a hand-made tree)", () => {
    const rows: CalendarEntry[] = [
      { slot: "H1", level: "commune", deadline: "2000-05-20" },
      { slot: "H1", level: "commune", scopePath: "5", deadline: "2000-05-10" },
    ];
    expect(deadlineFor(rows, h1, "5.001", "commune")).toBe("2026-05-10");
  });
});
