import { and, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deadlineCalendars, periods, units } from "../../src/db/schema/index.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import { DEFAULT_TEMPLATE_ID, ensureReportingDefaults, NATIONAL_SOURCE } from "../../src/reporting/reporting-defaults.js";
import { deadlinesForUnit, loadCalendar } from "../../src/reporting/reporting-calendar.js";
import { useTestDb, type TestDb } from "../support/db.js";
import { loadProvince } from "../support/fixtures.js";

/** The deadlines a unit of the shipped calendars has in one period ("2024-H1"), per level. */
async function deadlinesOf(t: TestDb, code: string, periodKey: string) {
  const [unit] = await t.database.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, "pre2025"), eq(units.code, code)));
  const [period] = await t.database.db
    .select()
    .from(periods)
    .where(and(eq(periods.templateId, DEFAULT_TEMPLATE_ID), eq(periods.key, periodKey)));
  return deadlinesForUnit(await loadCalendar(t.database.db, DEFAULT_TEMPLATE_ID), period!, unit!.path);
}

describe("the shipped calendars say what their letters say", () => {
  const t = useTestDb("pglite");

  it(
    "Quảng Bình, Công văn 308/SLĐTBXH-BTTETN (04/03/2024) to «Ủy ban nhân dân các huyện»: «6 tháng trước ngày 15/5/2024 và … năm 2024 trước ngày 10/11/2024» is the districts' date, for 2024 only; the communes come five days earlier",
    { timeout: 60_000 },
    async () => {
      await loadProvince(t.database, "pre2025", "44");
      await ensureReportingDefaults(t.database.db, createFormRegistry(), new Date("2025-01-01T00:00:00Z"));
      const [district] = await t.database.db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "pre2025"), eq(units.level, "district"), like(units.path, "44.%")))
        .limit(1);
      expect(await deadlinesOf(t, district!.code, "2024-H1")).toMatchObject({ commune: "2024-05-10", district: "2024-05-15" });
      expect(await deadlinesOf(t, district!.code, "2024-Y")).toMatchObject({ commune: "2024-11-05", district: "2024-11-10" });
      // A letter for 2024 says nothing of 2025: the national default applies again.
      expect(await deadlinesOf(t, district!.code, "2025-H1")).toMatchObject({ commune: "2025-05-15", district: "2025-05-20", province: "2025-05-25" });
    },
  );

  it(
    "Lạng Sơn, Kế hoạch 2023 to «các sở, ban, ngành … và UBND các huyện»: «báo cáo 6 tháng (trước ngày 20/5) và báo cáo năm (trước ngày 15/11)» to the Sở, which reports «trước ngày 25/5 … trước ngày 20/11»; communes five days before their district, strictly before it",
    { timeout: 60_000 },
    async () => {
      await loadProvince(t.database, "pre2025", "20");
      await ensureReportingDefaults(t.database.db, createFormRegistry(), new Date("2026-01-01T00:00:00Z"));
      const [district] = await t.database.db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "pre2025"), eq(units.level, "district"), like(units.path, "20.%")))
        .limit(1);
      expect(await deadlinesOf(t, district!.code, "2026-H1")).toEqual({ commune: "2026-05-15", district: "2026-05-20", province: "2026-05-25" });
      expect(await deadlinesOf(t, district!.code, "2026-Y")).toEqual({ commune: "2026-11-10", district: "2026-11-15", province: "2026-11-20" });

      // An install that has the earlier rows (communes due the same day as their district) is mended.
      const db = t.database.db;
      const [ls] = await db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "pre2025"), eq(units.code, "20")));
      await db.delete(deadlineCalendars).where(and(eq(deadlineCalendars.scopeUnitId, ls!.id), eq(deadlineCalendars.level, "commune")));
      await db.insert(deadlineCalendars).values(
        (["H1", "Y"] as const).map((slot) => ({
          templateId: DEFAULT_TEMPLATE_ID,
          scopeUnitId: ls!.id,
          year: 0,
          slot,
          level: "commune" as const,
          deadline: slot === "H1" ? "2000-05-20" : "2000-11-15",
          source: "Lạng Sơn 2019, 2023: đơn vị gửi tỉnh trước 20/5 và 15/11; tỉnh gửi Bộ trước 25/5 và 20/11",
        })),
      );
      await ensureReportingDefaults(db, createFormRegistry(), new Date("2026-01-02T00:00:00Z"));
      expect(await deadlinesOf(t, district!.code, "2026-H1")).toMatchObject({ commune: "2026-05-15", district: "2026-05-20" });
    },
  );

  it(
    "an install seeded by an earlier version is mended: its every-year Quảng Bình commune rows are replaced, an edited row is kept, the default says it is baocao's own",
    { timeout: 60_000 },
    async () => {
      await loadProvince(t.database, "pre2025", "44");
      await ensureReportingDefaults(t.database.db, createFormRegistry(), new Date("2025-01-01T00:00:00Z"));
      const db = t.database.db;
      const [qb] = await db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "pre2025"), eq(units.code, "44")));
      // What earlier versions shipped: every year, on the commune level, and the old default's name.
      await db.delete(deadlineCalendars).where(eq(deadlineCalendars.scopeUnitId, qb!.id));
      await db.insert(deadlineCalendars).values([
        {
          templateId: DEFAULT_TEMPLATE_ID,
          scopeUnitId: qb!.id,
          year: 0,
          slot: "H1",
          level: "commune",
          deadline: "2000-05-15",
          source: "Quảng Bình 2024: trước 15/5 và 10/11",
        },
        // Edited by the province since, the source left as the page prefilled it: its own date, kept.
        {
          templateId: DEFAULT_TEMPLATE_ID,
          scopeUnitId: qb!.id,
          year: 0,
          slot: "Y",
          level: "commune",
          deadline: "2000-11-08",
          source: "Quảng Bình 2024: trước 15/5 và 10/11",
        },
      ]);
      await db.update(deadlineCalendars).set({ source: "Mặc định toàn quốc" }).where(eq(deadlineCalendars.source, NATIONAL_SOURCE));

      await ensureReportingDefaults(db, createFormRegistry(), new Date("2025-01-02T00:00:00Z"));
      const rows = await db
        .select({
          year: deadlineCalendars.year,
          slot: deadlineCalendars.slot,
          level: deadlineCalendars.level,
          deadline: deadlineCalendars.deadline,
          source: deadlineCalendars.source,
        })
        .from(deadlineCalendars)
        .where(eq(deadlineCalendars.scopeUnitId, qb!.id))
        .orderBy(deadlineCalendars.year, deadlineCalendars.slot, deadlineCalendars.level);
      expect(rows.map((r) => `${r.year} ${r.slot} ${r.level} ${r.deadline}`)).toEqual([
        "0 Y commune 2000-11-08",
        "2024 H1 commune 2024-05-10",
        "2024 H1 district 2024-05-15",
        "2024 Y commune 2024-11-05",
        "2024 Y district 2024-11-10",
      ]);
      const defaults = await db
        .select()
        .from(deadlineCalendars)
        .where(and(eq(deadlineCalendars.templateId, DEFAULT_TEMPLATE_ID), eq(deadlineCalendars.year, 0)));
      expect(defaults.filter((r) => r.scopeUnitId === null).map((r) => r.source)).toEqual(Array(6).fill(NATIONAL_SOURCE));
      expect(NATIONAL_SOURCE).toMatch(/^Mặc định của baocao, không theo văn bản nào/);
    },
  );
});
