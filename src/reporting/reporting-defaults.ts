import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { deadlineCalendars, formVersions, reportTemplates, units } from "../db/schema/index.js";
import { shippedForms, type FormRegistry } from "../forms/form-registry.js";
import type { FormInput } from "../forms/form-schema.js";
import { ensurePeriods } from "./reporting-calendar.js";

/** Recurring rows carry day and month only; the year 2000 is a placeholder. */
const every = (ddmm: string) => `2000-${ddmm.slice(3, 5)}-${ddmm.slice(0, 2)}`;

type Row = { slot: string; level: "commune" | "district" | "province"; deadline: string };

/** National default: every unit whose province has no calendar of its own reports on these (baocao's choice, see NATIONAL_SOURCE). */
const NATIONAL: Row[] = [
  { slot: "H1", level: "commune", deadline: every("15/05") },
  { slot: "H1", level: "district", deadline: every("20/05") },
  { slot: "H1", level: "province", deadline: every("25/05") },
  { slot: "Y", level: "commune", deadline: every("10/11") },
  { slot: "Y", level: "district", deadline: every("15/11") },
  { slot: "Y", level: "province", deadline: every("20/11") },
];

const LANG_SON = "Lạng Sơn 2019, 2023: đơn vị gửi tỉnh trước 20/5 và 15/11; tỉnh gửi Bộ trước 25/5 và 20/11";

const QUANG_BINH_2024 = "Quảng Bình, Công văn 308/SLĐTBXH-BTTETN ngày 04/3/2024: huyện gửi Sở trước 15/5/2024 và 10/11/2024";

/**
 * What earlier versions shipped and a letter does not say, mended at start-up where nobody has
 * edited them: matched by their exact source, year, level and date (the calendars page prefills
 * the source, so an edited row may keep it, but not its date).
 */
const SUPERSEDED: { source: string; scheme: "pre2025"; code: string; rows: Row[] }[] = [
  {
    // Lạng Sơn's communes were due the same day as their district.
    source: LANG_SON,
    scheme: "pre2025",
    code: "20",
    rows: [
      { slot: "H1", level: "commune", deadline: every("20/05") },
      { slot: "Y", level: "commune", deadline: every("15/11") },
    ],
  },
  {
    source: "Quảng Bình 2024: trước 15/5 và 10/11",
    scheme: "pre2025",
    code: "44",
    rows: [
      { slot: "H1", level: "commune", deadline: every("15/05") },
      { slot: "Y", level: "commune", deadline: every("10/11") },
    ],
  },
];

/** The national default is baocao's own: no letter sets it, and the calendars page says so. */
// Names no level: the tree after the 2025 reform has no districts, and its pages speak of none.
export const NATIONAL_SOURCE = "Mặc định của baocao, không theo văn bản nào";
const OLD_NATIONAL_SOURCE = "Mặc định toàn quốc";

/**
 * The calendars the provinces' letters set (each entry's `source` names its letter), scoped to
 * the unit that issued each letter; `year` when the letter names one year only (every year otherwise).
 */
const LETTERS: { scheme: "pre2025" | "post2025"; code: string; year?: number; source: string; rows: Row[] }[] = [
  // Lạng Sơn's letters (Kế hoạch 2019, line 148; Kế hoạch 2023, line 167) are addressed to «các sở,
  // ban, ngành … và UBND các huyện, thành phố»: those units send the Sở their report before 20/5
  // and 15/11, and the Sở reports to the Bộ before 25/5 and 20/11. Before the reform the communes
  // report to their district, on a date the letters leave to it: baocao's five days earlier. After
  // it, the communes are the units that report to the Sở.
  {
    scheme: "pre2025",
    code: "20",
    source: LANG_SON,
    rows: [
      { slot: "H1", level: "district", deadline: every("20/05") },
      { slot: "H1", level: "province", deadline: every("25/05") },
      { slot: "Y", level: "district", deadline: every("15/11") },
      { slot: "Y", level: "province", deadline: every("20/11") },
    ],
  },
  {
    scheme: "pre2025",
    code: "20",
    source: "baocao: xã gửi huyện 5 ngày trước hạn của huyện (kế hoạch của tỉnh Lạng Sơn không đặt hạn cho xã)",
    rows: [
      { slot: "H1", level: "commune", deadline: every("15/05") },
      { slot: "Y", level: "commune", deadline: every("10/11") },
    ],
  },
  {
    scheme: "post2025",
    code: "20",
    source: LANG_SON,
    rows: [
      { slot: "H1", level: "commune", deadline: every("20/05") },
      { slot: "H1", level: "province", deadline: every("25/05") },
      { slot: "Y", level: "commune", deadline: every("15/11") },
      { slot: "Y", level: "province", deadline: every("20/11") },
    ],
  },
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
    // Công văn 308/SLĐTBXH-BTTETN of 04/03/2024 is addressed to the departments and the districts
    // ("Kính gửi: … Ủy ban nhân dân các huyện, thị xã, thành phố") and names 2024 only.
    scheme: "pre2025",
    code: "44",
    year: 2024,
    source: QUANG_BINH_2024,
    rows: [
      { slot: "H1", level: "district", deadline: "2024-05-15" },
      { slot: "Y", level: "district", deadline: "2024-11-10" },
    ],
  },
  {
    // The letter gives the communes no date of their own: baocao's five days before their district's.
    scheme: "pre2025",
    code: "44",
    year: 2024,
    source: "baocao: xã gửi huyện 5 ngày trước hạn của huyện (Công văn 308/SLĐTBXH-BTTETN không đặt hạn cho xã)",
    rows: [
      { slot: "H1", level: "commune", deadline: "2024-05-10" },
      { slot: "Y", level: "commune", deadline: "2024-11-05" },
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
      .update(deadlineCalendars)
      .set({ source: NATIONAL_SOURCE })
      .where(
        and(eq(deadlineCalendars.templateId, DEFAULT_TEMPLATE_ID), isNull(deadlineCalendars.scopeUnitId), eq(deadlineCalendars.source, OLD_NATIONAL_SOURCE)),
      );
    await tx
      .insert(deadlineCalendars)
      .values(NATIONAL.map((r) => ({ templateId: DEFAULT_TEMPLATE_ID, scopeUnitId: null, year: 0, ...r, source: NATIONAL_SOURCE })))
      .onConflictDoNothing();
    const unitOf = async (scheme: string, code: string) =>
      (
        await tx
          .select({ id: units.id })
          .from(units)
          .where(and(eq(units.scheme, scheme as "pre2025"), eq(units.code, code)))
      )[0];
    for (const old of SUPERSEDED) {
      const unit = await unitOf(old.scheme, old.code);
      if (!unit) continue;
      for (const r of old.rows)
        await tx
          .delete(deadlineCalendars)
          .where(
            and(
              eq(deadlineCalendars.templateId, DEFAULT_TEMPLATE_ID),
              eq(deadlineCalendars.scopeUnitId, unit.id),
              eq(deadlineCalendars.year, 0),
              eq(deadlineCalendars.slot, r.slot),
              eq(deadlineCalendars.level, r.level),
              eq(deadlineCalendars.deadline, r.deadline),
              eq(deadlineCalendars.source, old.source),
            ),
          );
    }
    for (const letter of LETTERS) {
      const unit = await unitOf(letter.scheme, letter.code);
      if (!unit) continue;
      await tx
        .insert(deadlineCalendars)
        .values(letter.rows.map((r) => ({ templateId: DEFAULT_TEMPLATE_ID, scopeUnitId: unit.id, year: letter.year ?? 0, ...r, source: letter.source })))
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
