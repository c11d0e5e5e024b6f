import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { appSettings, auditLog, deadlineCalendars, reportTemplates, units } from "../db/schema/index.js";
import { auditName, type Actor, type ServiceContext } from "../directory/actor.js";
import { DEMO_SCHEME, type Scheme, type Unit } from "../directory/units.js";
import { AppError } from "../domain/app-error.js";
import { formatDate } from "../domain/dates.js";
import { periodsOfYear, type CalendarEntry, type Periodicity, type ReportingLevel } from "../domain/periods.js";
import { withinOrNotFound } from "../domain/scope.js";
import {
  deadlineOrderProblem,
  effectiveDeadline,
  LEVEL_NAMES,
  levelsOfScheme,
  parseDeadline,
  parseReminderSteps,
  slotName,
  type LevelDates,
} from "./deadline-rules.js";
import { getTemplate, type ReportTemplate } from "./reporting-calendar.js";

/**
 * The reporting calendar's use cases: a province or district sets its own deadlines for a year
 * ("calendar.edit"); an admin sets a template's reminder steps ("template.reminders") and the
 * national quiet hours ("settings.quiet_hours"). Each writes its audit row with the change.
 */

/** The form field of one slot and level ("due_H1_commune"). */
export const dueField = (slot: string, level: ReportingLevel) => `due_${slot}_${level}`;

/** A calendar row with its scope unit, shaped for `effectiveDeadline` (scopePath; year undefined = every year). */
export interface CalendarRow extends CalendarEntry {
  id: number;
  scopeUnitId: number | null;
  scope?: Pick<Unit, "code" | "name" | "scheme" | "path" | "level">;
  rawYear: number;
  source: string | null;
}

export async function loadCalendarRows(db: DbOrTx, templateId: string): Promise<CalendarRow[]> {
  const rows = await db
    .select({ row: deadlineCalendars, code: units.code, name: units.name, scheme: units.scheme, path: units.path, level: units.level })
    .from(deadlineCalendars)
    .leftJoin(units, eq(units.id, deadlineCalendars.scopeUnitId))
    .where(eq(deadlineCalendars.templateId, templateId));
  return rows.map(({ row, ...u }) => ({
    id: row.id,
    scopeUnitId: row.scopeUnitId,
    ...(u.path !== null ? { scope: { code: u.code!, name: u.name!, scheme: u.scheme!, path: u.path, level: u.level! }, scopePath: u.path } : {}),
    ...(row.year !== 0 ? { year: row.year } : {}),
    rawYear: row.year,
    slot: row.slot,
    level: row.level,
    deadline: row.deadline,
    source: row.source,
  }));
}

const audit = (tx: DbOrTx, actor: Actor, action: string, target: string, detail: Record<string, unknown>) =>
  tx.insert(auditLog).values({ actor: auditName(actor), action, target, detail });

/** A template, a province or district of the actor's scope and a year; not_found otherwise (as for a unit that does not exist). */
async function calendarScope(ctx: ServiceContext, templateId: string, unitCode: string): Promise<{ template: ReportTemplate; unit: Unit }> {
  const template = await getTemplate(ctx.db, templateId);
  if (!template) throw new AppError("not_found", "Không tìm thấy mẫu báo cáo.");
  const [found] = await ctx.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, ctx.actor.scope.scheme as Scheme), eq(units.code, unitCode)));
  const unit = withinOrNotFound(ctx.actor.scope, found);
  if (unit.level === "commune") throw new AppError("not_found", "Không tìm thấy đơn vị.");
  return { template, unit };
}

export const EditCalendarInput = z.object({
  templateId: z.string().trim().min(1).max(100),
  unitCode: z.string().trim().min(1).max(20),
  year: z.number().int().min(2000, "Năm không hợp lệ (từ 2000 đến 2100).").max(2100, "Năm không hợp lệ (từ 2000 đến 2100)."),
  /** By `dueField(slot, level)`: a date (yyyy-mm-dd or dd/mm/yyyy), or blank to follow the wider scope. */
  dates: z.record(z.string(), z.string().trim().max(20)),
  source: z.string().trim().max(1000).default(""),
});

export interface CalendarChange {
  slot: string;
  level: ReportingLevel;
  from: string | null;
  to: string | null;
}

const invalid = (message: string): never => {
  throw new AppError("invalid_input", message);
};

/**
 * Replaces the scope's own deadlines for the year: every date checked, then their order in each
 * slot with what the blank levels would follow (the wider scope's calendar or the national
 * default). Refusals are `invalid_input` with the reason in Vietnamese; nothing is written then.
 */
export async function editCalendar(
  ctx: ServiceContext,
  input: z.input<typeof EditCalendarInput>,
): Promise<{ template: ReportTemplate; unit: Unit; year: number; changes: CalendarChange[] }> {
  const parsed = EditCalendarInput.safeParse(input);
  if (!parsed.success) invalid(parsed.error!.issues[0]?.message ?? "Dữ liệu không hợp lệ.");
  const { templateId, unitCode, year, dates: typed, source: sourceRaw } = parsed.data!;
  const { template, unit } = await calendarScope(ctx, templateId, unitCode);
  const levels = levelsOfScheme(unit.scheme);
  const specs = periodsOfYear(template.periodicity as Periodicity, year);
  const source = sourceRaw.slice(0, 300);

  // Read every field, then check the dates, then their order per slot.
  const entered = new Map<string, LevelDates>();
  for (const spec of specs) {
    const dates: LevelDates = {};
    for (const l of levels) {
      const raw = typed[dueField(spec.slot, l)] ?? "";
      if (!raw) continue;
      const date = parseDeadline(raw);
      const what = `hạn ${LEVEL_NAMES[l]} nộp — kỳ ${slotName(spec.slot)}`;
      if (!date) invalid(`Ngày «${raw}» không hợp lệ (${what}).`);
      if (date! < `${year}-01-01` || date! > `${year + 1}-12-31`) invalid(`Ngày ${formatDate(date!)} không thuộc năm ${year} hoặc ${year + 1} (${what}).`);
      dates[l] = date!;
    }
    entered.set(spec.slot, dates);
  }

  return ctx.db.transaction(async (tx) => {
    // What the blank levels would follow once this scope's rows for the year are replaced.
    const entries = await loadCalendarRows(tx, template.id);
    const others = entries.filter((e) => !(e.scopeUnitId === unit.id && e.rawYear === year));
    for (const spec of specs) {
      const inherited = Object.fromEntries(levels.map((l) => [l, effectiveDeadline(others, spec, unit.path, l).deadline])) as LevelDates;
      const problem = deadlineOrderProblem(spec.slot, entered.get(spec.slot)!, inherited, levels);
      if (problem) invalid(`${problem}.`);
    }
    const before = entries.filter((e) => e.scopeUnitId === unit.id && e.rawYear === year);
    const rowSource = source || `Lịch của ${unit.name} năm ${year}`;
    const changes: CalendarChange[] = [];
    for (const spec of specs) {
      for (const level of levels) {
        const to = entered.get(spec.slot)![level];
        const old = before.find((e) => e.slot === spec.slot && e.level === level);
        if (to) {
          await tx
            .insert(deadlineCalendars)
            .values({ templateId: template.id, scopeUnitId: unit.id, year, slot: spec.slot, level, deadline: to, source: rowSource })
            .onConflictDoUpdate({
              target: [deadlineCalendars.templateId, deadlineCalendars.scopeUnitId, deadlineCalendars.year, deadlineCalendars.slot, deadlineCalendars.level],
              set: { deadline: to, source: rowSource },
            });
        } else if (old) {
          await tx.delete(deadlineCalendars).where(eq(deadlineCalendars.id, old.id));
        }
        if ((old?.deadline ?? null) !== (to ?? null)) changes.push({ slot: spec.slot, level, from: old?.deadline ?? null, to: to ?? null });
      }
    }
    await audit(tx, ctx.actor, "calendar.edit", `calendar:${template.id}:${unit.scheme}:${unit.code}:${year}`, { changes, source: rowSource });
    return { template, unit, year, changes };
  });
}

/** National settings: admins of the official trees only (a demo account shares nothing with them). */
function adminOnly(actor: Actor, what: string) {
  if (actor.kind === "officer" && actor.officer.role !== "admin")
    throw new AppError("forbidden", `Chỉ quản trị viên được thay đổi ${what} (áp dụng toàn quốc).`);
  if (actor.scope.scheme === DEMO_SCHEME || (actor.kind === "officer" && actor.officer.demo))
    throw new AppError("forbidden", `Tài khoản thử không thay đổi được ${what}.`);
}

export const ReminderStepsInput = z.object({ templateId: z.string().trim().min(1).max(100), steps: z.string().max(500) });

/** A template's reminder days relative to the commune's deadline ("-7, -3, -1, 0, 1, 3"). */
export async function setReminderSteps(ctx: ServiceContext, input: z.input<typeof ReminderStepsInput>): Promise<{ template: ReportTemplate; steps: number[] }> {
  adminOnly(ctx.actor, "ngày nhắc");
  const parsedInput = ReminderStepsInput.safeParse(input);
  if (!parsedInput.success) invalid("Ngày nhắc không hợp lệ.");
  const { templateId, steps: typed } = parsedInput.data!;
  const template = await getTemplate(ctx.db, templateId);
  if (!template) throw new AppError("not_found", "Không tìm thấy mẫu báo cáo.");
  const parsed = parseReminderSteps(typed.trim());
  if ("error" in parsed) invalid(parsed.error);
  const steps = (parsed as { steps: number[] }).steps;
  await ctx.db.transaction(async (tx) => {
    await tx.update(reportTemplates).set({ reminderSteps: steps }).where(eq(reportTemplates.id, template.id));
    await audit(tx, ctx.actor, "template.reminders", `template:${template.id}`, { from: template.reminderSteps, to: steps });
  });
  return { template, steps };
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
export const QuietHoursInput = z.object({ start: z.string().trim().max(10), end: z.string().trim().max(10) });

/**
 * The national quiet hours (no reminders or broadcasts sent between them). Saved with its audit
 * row; `live` — the one object the outbox reads (src/delivery/settings.ts) — changes once committed.
 */
export async function setQuietHours(
  ctx: ServiceContext,
  input: z.input<typeof QuietHoursInput>,
  live: { start: string; end: string },
): Promise<{ from: { start: string; end: string }; to: { start: string; end: string } }> {
  adminOnly(ctx.actor, "giờ yên tĩnh");
  const parsed = QuietHoursInput.safeParse(input);
  if (!parsed.success) invalid("Giờ phải có dạng HH:MM, ví dụ 21:00.");
  const { start, end } = parsed.data!;
  if (!HHMM.test(start) || !HHMM.test(end)) invalid("Giờ phải có dạng HH:MM, ví dụ 21:00.");
  if (start === end) invalid("Giờ bắt đầu và kết thúc phải khác nhau.");
  const from = { start: live.start, end: live.end };
  const updatedBy = ctx.actor.kind === "officer" ? ctx.actor.officer.id : null;
  await ctx.db.transaction(async (tx) => {
    await tx
      .insert(appSettings)
      .values({ key: "quiet_hours", value: { start, end }, updatedBy })
      .onConflictDoUpdate({ target: appSettings.key, set: { value: { start, end }, updatedBy, updatedAt: ctx.clock() } });
    await audit(tx, ctx.actor, "settings.quiet_hours", "settings:quiet_hours", { from, to: { start, end } });
  });
  live.start = start;
  live.end = end;
  return { from, to: { start, end } };
}
