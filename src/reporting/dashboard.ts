import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { channelLinks, officers, outbox, units } from "../db/schema/index.js";
import type { ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { reminderTopic } from "./reminder-topic.js";
import { periodStatus } from "./period-status.js";
import { openedPeriods, reportRootInScope } from "./report-root.js";

export const DashboardInput = z.object({
  unitCode: z.string().max(40).optional(),
  periodKey: z.string().max(20).optional(),
  /** The reporting day (local date, YYYY-MM-DD). */
  today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

/**
 * What the dashboard shows for a unit in the actor's scope and a period that has opened: the
 * period's status by child unit, the submission rate of the last periods, and for communes who
 * their officers are, on which channel, and when the last reminder was sent.
 */
export async function readDashboard(ctx: ServiceContext, input: z.input<typeof DashboardInput>) {
  const parsed = DashboardInput.safeParse(input);
  if (!parsed.success) throw new AppError("invalid_input", "Địa chỉ trang không hợp lệ.");
  const { unitCode, periodKey, today } = parsed.data;
  const root = await reportRootInScope(ctx, unitCode);
  const periods = await openedPeriods(ctx, today, periodKey);
  if (!periods) return { root, periods: undefined };
  const { current, opened, period } = periods;
  const status = await periodStatus(ctx.db, period, root, today);
  const trend = await Promise.all(
    [...opened].reverse().map(async (p) => {
      const st = await periodStatus(ctx.db, p, root, today);
      return { key: p.key, rate: st.counts.units ? Math.round((100 * st.counts.submitted) / st.counts.units) : 0 };
    }),
  );
  const communeCodes = status.children.filter((ch) => ch.level === "commune").map((ch) => ch.code);
  const people = communeCodes.length
    ? await ctx.db
        .select({ code: units.code, unitId: units.id, name: officers.name, channel: channelLinks.channel })
        .from(officers)
        .innerJoin(units, eq(units.id, officers.unitId))
        .leftJoin(channelLinks, eq(channelLinks.officerId, officers.id))
        .where(and(eq(units.scheme, root.scheme), inArray(units.code, communeCodes), eq(officers.active, true), eq(officers.role, "commune")))
    : [];
  const sent = people.length
    ? await ctx.db
        .select({ topic: outbox.topic, last: sql<Date | string>`max(${outbox.sentAt})` })
        .from(outbox)
        .where(and(inArray(outbox.topic, [...new Set(people.map((p) => reminderTopic(period.id, p.unitId)))]), eq(outbox.status, "sent")))
        .groupBy(outbox.topic)
    : [];
  /** The last reminder sent to a commune in this period. */
  const lastReminder = (unitId: number | undefined): Date | undefined => {
    const r = unitId === undefined ? undefined : sent.find((x) => x.topic === reminderTopic(period.id, unitId));
    return r?.last ? new Date(r.last) : undefined;
  };
  return { root, periods: { current, opened, period }, status, trend, people, lastReminder };
}

export type Dashboard = Awaited<ReturnType<typeof readDashboard>>;
export type DashboardWithPeriod = Exclude<Dashboard, { periods: undefined }>;
