import { sql, type SQL } from "drizzle-orm";
import { reportRequests, reportRequestUnits, reportTemplates, units } from "../db/schema/index.js";
import { isRequestPeriod, periodLabel } from "../domain/periods.js";
import { DEFAULT_TEMPLATE_ID } from "./reporting-defaults.js";

/**
 * The outbox topic of a period's reminders to one unit: the planned reminders (src/scheduler/planners.ts)
 * and «Nhắc ngay» share it, so a submission cancels both and the dashboard shows the last of either.
 * A period belongs to one template, so the topic is per template too.
 */
export const reminderTopic = (periodId: number, unitId: number) => `reminder:${periodId}:${unitId}`;

/** The button of a reminder or of the open-reports list: it opens that template's report, whatever else is open. */
export const startChoice = (templateId: string) => `cmd:start:${templateId}`;

/** The button beside it: the same report as a phone web form (a fresh link, made when pressed). */
export const webChoice = (templateId: string) => `cmd:web:${templateId}`;
export const WEB_CHOICE_LABEL = "🌐 Điền trên web";

/**
 * A report as the officer tells it from another: "Báo cáo công tác trẻ em năm 2026" — the
 * template's name (without its parenthesised periodicity) and the period. A name that already
 * carries the year ("Báo cáo Tháng hành động 2026") is not given it twice.
 */
export function reportTitle(template: { name: string }, periodKey: string): string {
  // An ad-hoc request is named by its title alone: it has no period to tell it from another.
  if (isRequestPeriod(periodKey)) return template.name;
  const name = template.name.replace(/\s*\([^)]*\)\s*$/, "").trim();
  const year = periodKey.slice(0, 4);
  const period = periodLabel(periodKey).replace(/^báo cáo\s+/, "");
  if (period === `năm ${year}` && name.includes(year)) return name;
  return `${name} ${period}`;
}

/**
 * How the messages of one report name it ("Đã nộp …", "Hạn nộp …", reminders). The shipped
 * report keeps its short period name, which every officer knows; any other names its template.
 */
export function reportLabel(template: { id: string; name: string }, periodKey: string): string {
  if (template.id === DEFAULT_TEMPLATE_ID) return periodLabel(periodKey);
  if (isRequestPeriod(periodKey)) return `báo cáo «${template.name}»`;
  const title = reportTitle(template, periodKey);
  return /^Báo cáo\b/u.test(title) ? `b${title.slice(1)}` : title;
}

/** "10/11": a deadline in a list, the year being the report's own. */
export const shortDate = (iso: string) => `${Number(iso.slice(8, 10))}/${Number(iso.slice(5, 7))}`;

/** Who a template asks: its scope (null = everyone), its roles (empty = every role), while it has a schedule and is not archived. */
export type TemplateAudience = Pick<typeof reportTemplates.$inferSelect, "archivedAt" | "scopeUnitId" | "roles" | "scheduled">;

/** SQL over report_templates: the templates that ask an officer of this unit and role for reports now. */
export function templateAsksSql(unit: { id: number; path: string; scheme: string }, role: string): SQL {
  const t = reportTemplates;
  // An ad-hoc request asks only the units it lists (fixed when it was made).
  return sql`${t.archivedAt} is null and ${t.scheduled}
    and (${t.kind} = 'periodic' or exists (select 1 from ${reportRequests} r join ${reportRequestUnits} ru on ru.request_id = r.id
      where r.template_id = ${t.id} and ru.unit_id = ${unit.id}))
    and (${t.scopeUnitId} is null or exists (select 1 from ${units} scope where scope.id = ${t.scopeUnitId} and scope.scheme = ${unit.scheme}
      and (scope.path = '' or ${unit.path} = scope.path or ${unit.path} like scope.path || '.%')))
    and (jsonb_array_length(${t.roles}) = 0 or ${t.roles} @> jsonb_build_array(${role}::text))`;
}

export const asksNobody = (t: TemplateAudience) => t.archivedAt !== null || !t.scheduled;

/** The roles of a unit's officers a template's reminders go to: `wanted` (who reports), narrowed to the template's roles. */
export function rolesAsked<R extends string>(t: Pick<TemplateAudience, "roles">, wanted: readonly R[]): R[] {
  return wanted.filter((r) => t.roles.length === 0 || t.roles.includes(r));
}
