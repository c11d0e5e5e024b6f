import { and, desc, eq, isNull, lte, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { deadlineCalendars, periods, reportTemplates, units } from "../db/schema/index.js";
import { addDays } from "../domain/dates.js";
import { deadlineFor, periodsOfYear, type CalendarEntry, type Periodicity, type PeriodSpec, type ReportingLevel } from "../domain/periods.js";

export type Period = typeof periods.$inferSelect;
export type ReportTemplate = typeof reportTemplates.$inferSelect;

const LEVELS: ReportingLevel[] = ["commune", "district", "province"];

/** Calendar rows with their scope's path, ready for the pure `deadlineFor`. */
export async function loadCalendar(db: DbOrTx, templateId: string): Promise<CalendarEntry[]> {
  const rows = await db
    .select({
      scopePath: units.path,
      year: deadlineCalendars.year,
      slot: deadlineCalendars.slot,
      level: deadlineCalendars.level,
      deadline: deadlineCalendars.deadline,
    })
    .from(deadlineCalendars)
    .leftJoin(units, eq(units.id, deadlineCalendars.scopeUnitId))
    .where(eq(deadlineCalendars.templateId, templateId));
  return rows.map(toCalendarEntry);
}

type CalendarRow = { scopePath: string | null; year: number; slot: string; level: ReportingLevel; deadline: string };

const toCalendarEntry = (r: CalendarRow): CalendarEntry => ({
  scopePath: r.scopePath ?? undefined,
  year: r.year === 0 ? undefined : r.year,
  slot: r.slot,
  level: r.level,
  deadline: r.deadline,
});

export function specOf(period: Pick<Period, "key" | "startsOn" | "endsOn">): PeriodSpec {
  return { key: period.key, slot: period.key.split("-")[1] ?? "", startsOn: period.startsOn, endsOn: period.endsOn };
}

/** Deadline per level for one unit (its nearest calendar scope), as yyyy-mm-dd. */
export function deadlinesForUnit(calendar: CalendarEntry[], period: Period, unitPath: string): Record<ReportingLevel, string> {
  const spec = specOf(period);
  return Object.fromEntries(LEVELS.map((l) => [l, deadlineFor(calendar, spec, unitPath, l)])) as Record<ReportingLevel, string>;
}

/**
 * Creates the periods of the given years (idempotent), for a template that has a schedule and is
 * not archived. A period opens `opensDaysBefore` days
 * before the earliest commune deadline any calendar gives it.
 */
export async function ensurePeriods(db: DbOrTx, template: ReportTemplate, years: number[]): Promise<void> {
  // An imported template with no schedule yet offers no period; an archived one no new period.
  if (!template.scheduled || template.archivedAt) return;
  const calendar = await loadCalendar(db, template.id);
  const rows = years.flatMap((year) =>
    periodsOfYear(template.periodicity as Periodicity, year).map((spec) => {
      const deadlines = [
        deadlineFor(calendar, spec, "", "commune"),
        ...calendar
          .filter((c) => c.slot === spec.slot && c.level === "commune" && (c.year === undefined || c.year === year))
          .map((c) => (c.year === undefined ? `${year}${c.deadline.slice(4)}` : c.deadline)),
      ].sort();
      return {
        templateId: template.id,
        key: spec.key,
        startsOn: spec.startsOn,
        endsOn: spec.endsOn,
        opensOn: addDays(deadlines[0]!, -template.opensDaysBefore),
      };
    }),
  );
  if (rows.length > 0) await db.insert(periods).values(rows).onConflictDoNothing();
}

/**
 * The period an officer reports on today: the latest one that has opened and is not closed.
 * It stays current after its deadline (late submissions) until the next one opens.
 */
export async function currentPeriod(db: DbOrTx, template: ReportTemplate, today: string): Promise<Period | undefined> {
  const year = Number(today.slice(0, 4));
  const find = async () => {
    const [p] = await db
      .select()
      .from(periods)
      .where(and(eq(periods.templateId, template.id), lte(periods.opensOn, today), isNull(periods.closedAt)))
      .orderBy(desc(periods.opensOn), desc(periods.endsOn))
      .limit(1);
    return p;
  };
  const found = await find();
  if (found && found.key.startsWith(String(year))) return found;
  await ensurePeriods(db, template, [year - 1, year, year + 1]);
  return find();
}

/**
 * What starting a report needs, in one round trip: the template, its current period, its deadline
 * calendar and the officer's unit (path and level, for the deadline). Every report start runs it,
 * and a start already costs ten statements; a period that is missing or of another year goes
 * through `currentPeriod`, which creates the periods.
 */
export async function reportingContext(
  db: DbOrTx,
  templateId: string,
  unitId: number,
  today: string,
): Promise<
  | { template: ReportTemplate; period: Period | undefined; calendar: CalendarEntry[]; unit: { path: string; level: "province" | "district" | "commune" } }
  | undefined
> {
  const open = db
    .select()
    .from(periods)
    .where(and(eq(periods.templateId, sql`${reportTemplates.id}`), lte(periods.opensOn, today), isNull(periods.closedAt)))
    .orderBy(desc(periods.opensOn), desc(periods.endsOn))
    .limit(1)
    .as("open_period");
  const [row] = await db
    .select({
      template: reportTemplates,
      period: {
        id: open.id,
        templateId: open.templateId,
        key: open.key,
        startsOn: open.startsOn,
        endsOn: open.endsOn,
        opensOn: open.opensOn,
        closedAt: open.closedAt,
      },
      unit: { path: units.path, level: units.level },
      // The calendar as loadCalendar reads it, as one JSON array.
      calendar: sql<
        CalendarRow[]
      >`(select coalesce(json_agg(json_build_object('scopePath', scope.path, 'year', c.year, 'slot', c.slot, 'level', c.level, 'deadline', c.deadline)), '[]')
        from ${deadlineCalendars} c left join ${units} scope on scope.id = c.scope_unit_id where c.template_id = ${reportTemplates.id})`,
    })
    .from(reportTemplates)
    .innerJoin(units, eq(units.id, unitId))
    .leftJoinLateral(open, sql`true`)
    .where(eq(reportTemplates.id, templateId));
  if (!row) return undefined;
  // A left join with no period gives a period of nulls (or null): no open period.
  const found = row.period && row.period.id !== null ? (row.period as Period) : undefined;
  const period = found && found.key.startsWith(today.slice(0, 4)) ? found : await currentPeriod(db, row.template, today);
  return { template: row.template, period, calendar: row.calendar.map(toCalendarEntry), unit: row.unit };
}

export async function getTemplate(db: DbOrTx, id: string): Promise<ReportTemplate | undefined> {
  const [t] = await db.select().from(reportTemplates).where(eq(reportTemplates.id, id));
  return t;
}

export async function listTemplates(db: DbOrTx): Promise<ReportTemplate[]> {
  return db.select().from(reportTemplates).orderBy(reportTemplates.id);
}
