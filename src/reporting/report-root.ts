import { and, desc, eq, lte } from "drizzle-orm";
import { periods, units } from "../db/schema/index.js";
import type { ServiceContext } from "../directory/actor.js";
import { NATIONAL_CODE, nationalRoot, type ReportRoot, type Scheme } from "../directory/units.js";
import { AppError } from "../domain/app-error.js";
import { withinOrNotFound } from "../domain/scope.js";
import { currentPeriod, getTemplate } from "./reporting-calendar.js";
import { DEFAULT_TEMPLATE_ID } from "./reporting-defaults.js";

/**
 * The unit whose reports the actor asks about: their own without a code; the whole country ("VN")
 * when their scope is the whole country (admins); else a unit of their tree inside their scope —
 * anything else is `not_found`, as for a code that does not exist.
 */
export async function reportRootInScope(ctx: ServiceContext, code: string | undefined): Promise<ReportRoot> {
  const { scope } = ctx.actor;
  if (!code) return ctx.actor.kind === "officer" ? ctx.actor.unit : nationalRoot(scope.scheme as Scheme);
  if (code === NATIONAL_CODE) {
    if (scope.path === "") return nationalRoot(scope.scheme as Scheme);
    throw new AppError("not_found", "Không tìm thấy đơn vị.");
  }
  const [u] = await ctx.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, scope.scheme as Scheme), eq(units.code, code.slice(0, 40))));
  return withinOrNotFound(scope, u);
}

/**
 * The periods of the default calendar that have opened by `today`, newest first (at most 8), the
 * current one, and the one asked for (`periodKey` among them), else the current one.
 */
export async function openedPeriods(ctx: ServiceContext, today: string, periodKey?: string) {
  const template = await getTemplate(ctx.db, DEFAULT_TEMPLATE_ID);
  const current = template ? await currentPeriod(ctx.db, template, today) : undefined;
  if (!template || !current) return undefined;
  const opened = await ctx.db
    .select()
    .from(periods)
    .where(and(eq(periods.templateId, template.id), lte(periods.opensOn, today)))
    .orderBy(desc(periods.opensOn), desc(periods.endsOn))
    .limit(8);
  let chosen = opened.find((p) => p.key === periodKey);
  if (!chosen && periodKey) {
    // A period past the last eight is still asked for by its key.
    [chosen] = await ctx.db
      .select()
      .from(periods)
      .where(and(eq(periods.templateId, template.id), eq(periods.key, periodKey.slice(0, 20)), lte(periods.opensOn, today)));
  }
  return { template, current, opened, period: chosen ?? current };
}
