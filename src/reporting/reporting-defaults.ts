import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { deadlineCalendars, formVersions, reportTemplates, units } from "../db/schema/index.js";
import { shippedForms, type FormRegistry } from "../forms/form-registry.js";
import type { FormInput } from "../forms/form-schema.js";
import { ensurePeriods } from "./reporting-calendar.js";

/** Recurring rows carry day and month only; the year 2000 is a placeholder. */
const every = (ddmm: string) => `2000-${ddmm.slice(3, 5)}-${ddmm.slice(0, 2)}`;

type Row = { slot: string; level: "commune" | "district" | "province"; deadline: string };

/** National default: every unit whose province has no calendar of its own reports on these. */
const NATIONAL: Row[] = [
  { slot: "H1", level: "commune", deadline: every("15/05") },
  { slot: "H1", level: "district", deadline: every("20/05") },
  { slot: "H1", level: "province", deadline: every("25/05") },
  { slot: "Y", level: "commune", deadline: every("10/11") },
  { slot: "Y", level: "district", deadline: every("15/11") },
  { slot: "Y", level: "province", deadline: every("20/11") },
];

/** The calendars the provinces' letters set (each entry's `source` names its letter), scoped to the unit that issued each letter. */
const LETTERS: { scheme: "pre2025" | "post2025"; code: string; source: string; rows: Row[] }[] = [
  ...(["pre2025", "post2025"] as const).map((scheme) => ({
    scheme,
    code: "20",
    source: "Lạng Sơn 2019, 2023: đơn vị gửi tỉnh trước 20/5 và 15/11; tỉnh gửi Bộ trước 25/5 và 20/11",
    rows: [
      { slot: "H1", level: "commune" as const, deadline: every("20/05") },
      { slot: "H1", level: "district" as const, deadline: every("20/05") },
      { slot: "H1", level: "province" as const, deadline: every("25/05") },
      { slot: "Y", level: "commune" as const, deadline: every("15/11") },
      { slot: "Y", level: "district" as const, deadline: every("15/11") },
      { slot: "Y", level: "province" as const, deadline: every("20/11") },
    ],
  })),
  {
    scheme: "pre2025",
    code: "106",
    source: "Huyện Tam Đường 2020: xã gửi huyện trước 25/5 và 20/11",
    rows: [
      { slot: "H1", level: "commune", deadline: every("25/05") },
      { slot: "Y", level: "commune", deadline: every("20/11") },
    ],
  },
  {
    scheme: "pre2025",
    code: "44",
    source: "Quảng Bình 2024: trước 15/5 và 10/11",
    rows: [
      { slot: "H1", level: "commune", deadline: every("15/05") },
      { slot: "Y", level: "commune", deadline: every("10/11") },
    ],
  },
  {
    scheme: "pre2025",
    code: "105",
    source: "Thành phố Lai Châu 2024: trước 30/4 và 31/10 hằng năm",
    rows: [
      { slot: "H1", level: "commune", deadline: every("30/04") },
      { slot: "Y", level: "commune", deadline: every("31/10") },
    ],
  },
];

/**
 * Makes sure the shipped report template and its calendars exist (idempotent; runs at start-up
 * and after a unit import, since the letters' calendars need their units).
 */
/** The report every commune officer has today (the six-monthly and yearly child-affairs report). */
export const DEFAULT_TEMPLATE_ID = "child-affairs";

export async function ensureReportingDefaults(db: Db, forms: FormRegistry, now: Date = new Date()): Promise<{ failedForms: string[] }> {
  await ensureShippedTemplates(db, now);
  const { failed } = await forms.loadAll(db);
  const form = forms.latest("child-affairs");
  await db.transaction(async (tx) => {
    await tx
      .insert(reportTemplates)
      .values({
        id: DEFAULT_TEMPLATE_ID,
        name: "Báo cáo công tác trẻ em (6 tháng, năm)",
        formId: form.id,
        formVersion: form.version,
        periodicity: "six-month-and-yearly",
      })
      // The published version is the truth (an admin may publish an older version again); before any was stored, the newest shipped.
      .onConflictDoUpdate({ target: reportTemplates.id, set: { formVersion: sql`excluded.form_version` } });
    await tx
      .insert(deadlineCalendars)
      .values(NATIONAL.map((r) => ({ templateId: DEFAULT_TEMPLATE_ID, scopeUnitId: null, year: 0, ...r, source: "Mặc định toàn quốc" })))
      .onConflictDoNothing();
    for (const letter of LETTERS) {
      const [unit] = await tx
        .select({ id: units.id })
        .from(units)
        .where(and(eq(units.scheme, letter.scheme), eq(units.code, letter.code)));
      if (!unit) continue;
      await tx
        .insert(deadlineCalendars)
        .values(letter.rows.map((r) => ({ templateId: DEFAULT_TEMPLATE_ID, scopeUnitId: unit.id, year: 0, ...r, source: letter.source })))
        .onConflictDoNothing();
    }
    // Periods of last, this and next year exist from the start, so every officer has one.
    const [template] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, DEFAULT_TEMPLATE_ID));
    const year = now.getUTCFullYear();
    await ensurePeriods(tx, template!, [year - 1, year, year + 1]);
  });
  return { failedForms: failed };
}

/**
 * The templates shipped with baocao become published version 1 of their form at first start
 * (idempotent, like the unit lists): from then on they are templates like any imported one,
 * exported, changed and published as the next version by their owners.
 */
export async function ensureShippedTemplates(db: Db, now: Date, definitions: FormInput[] = shippedForms()): Promise<void> {
  for (const def of definitions) {
    const [stored] = await db.select({ version: formVersions.version }).from(formVersions).where(eq(formVersions.formId, def.id)).limit(1);
    if (stored) continue;
    await db
      .insert(formVersions)
      .values({
        formId: def.id,
        version: def.version,
        status: "published",
        definition: def as unknown as Record<string, unknown>,
        title: def.title,
        createdAt: now,
        publishedAt: now,
      })
      .onConflictDoNothing();
  }
}
