import { and, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import {
  broadcasts,
  broadcastRecipients,
  campaigns,
  campaignSteps,
  officers,
  reportRequests,
  reportRequestUnits,
  submissions,
  units,
  type OfficerRole,
} from "../db/schema/index.js";
import { addDays, formatDate, localDate } from "../domain/dates.js";
import { REMINDER_MAX } from "../reporting/deadline-rules.js";
import { campaignText, datesOfRule, namesTheme, THEME_WAIT_DAYS, waitsForTheme } from "../domain/campaign-dates.js";
import { schemeForPeriod } from "../domain/periods.js";
import { pathWithin } from "../domain/scope.js";
import { localTime } from "../domain/quiet-hours.js";
import { DEFAULT_REMINDER_STEPS, reminderStepOn, reminderText } from "../domain/reminders.js";
import { currentPeriod, deadlinesForUnit, listTemplates, loadCalendar } from "../reporting/reporting-calendar.js";
import type { Logger } from "../log.js";
import type { NewOutboxRow, Outbox } from "../delivery/outbox.js";
import { recipientsOfUnits, resolveRecipients } from "../delivery/audience.js";
import { broadcastMessage } from "../broadcasts/broadcasts.js";
import { describeFailure } from "../db/errors.js";
import { DEMO_SCHEME, type Scheme } from "../directory/units.js";

export interface PlannerDeps {
  db: Db;
  outbox: Outbox;
  clock: () => Date;
  timeZone: string;
  logger: Logger;
  /** Overrides every template's own reminder steps (tests). */
  reminderSteps?: number[];
  /** Local time reminders are sent at. */
  reminderTime?: string;
  /** Runs before each tick (reloads settings saved by another instance). */
  beforeTick?: () => Promise<void>;
}

import { asksNobody, reminderTopic, reportLabel, rolesAsked, startChoice, webChoice, WEB_CHOICE_LABEL } from "../reporting/reminder-topic.js";
export { reminderTopic };

/**
 * The planners turn the calendar into outbox rows. Planning is idempotent: every row has a
 * dedupe key (reminder:<period>:<unit>:<step>:<officer>…), so running a planner twice, or on two
 * instances at once, inserts nothing new. A period is one template's, so the keys of two reports
 * due the same day never meet.
 */
export function createPlanners(deps: PlannerDeps) {
  const { db, outbox, clock, timeZone, logger } = deps;
  const reminderTime = deps.reminderTime ?? "08:00";

  /** Deadline reminders to units that have not submitted, and escalations of overdue ones. */
  async function planReminders(): Promise<number> {
    const today = localDate(clock(), timeZone);
    const sendAt = localTime(today, reminderTime, timeZone);
    let planned = 0;
    for (const template of await listTemplates(db)) {
      if (asksNobody(template)) continue;
      // An ad-hoc request asks the roles it names of the units it lists; a periodic report the communes.
      const isRequest = template.kind === "request";
      const roles = isRequest ? (template.roles as OfficerRole[]) : rolesAsked(template, ["commune"] as const);
      if (roles.length === 0) continue;
      const period = await currentPeriod(db, template, today);
      if (!period) continue;
      // A request long past its deadline (its period ends on it) has no reminder step left: not read again every tick.
      if (isRequest && addDays(period.endsOn, REMINDER_MAX) < today) continue;
      const calendar = await loadCalendar(db, template.id);
      // The official tree of the period, and the demo tree, which reports on every period.
      const schemes: Scheme[] = [schemeForPeriod(period.endsOn), DEMO_SCHEME];
      const label = reportLabel(template, period.key);
      // A template scoped to a unit asks only the units below it (in its own tree).
      const [scope] = template.scopeUnitId
        ? await db.select({ path: units.path, scheme: units.scheme }).from(units).where(eq(units.id, template.scopeUnitId))
        : [undefined];
      // Communes (a request: the units it asked) with officers and no submitted report for the period.
      const pending = await db
        .select({ unitId: units.id, unitName: units.name, path: units.path, scheme: units.scheme, parentId: units.parentId, level: units.level })
        .from(units)
        .leftJoin(submissions, and(eq(submissions.unitId, units.id), eq(submissions.periodId, period.id)))
        .where(
          and(
            isRequest
              ? sql`${units.id} in (select ru.unit_id from ${reportRequestUnits} ru join ${reportRequests} r on r.id = ru.request_id where r.template_id = ${template.id})`
              : and(inArray(units.scheme, schemes), eq(units.level, "commune")),
            sql`(${submissions.status} is null or ${submissions.status} in ('in_progress', 'returned'))`,
            sql`exists (select 1 from ${officers} o where o.unit_id = ${units.id} and o.active)`,
          ),
        );
      const due = pending
        .filter((u) => !scope || (u.scheme === scope.scheme && pathWithin(scope.path, u.path)))
        .map((u) => {
          const deadline = deadlinesForUnit(calendar, period, u.path)[u.level];
          return { ...u, deadline, step: reminderStepOn(today, deadline, deps.reminderSteps ?? template.reminderSteps ?? DEFAULT_REMINDER_STEPS) };
        })
        .filter((u): u is typeof u & { step: number } => u.step !== undefined);
      if (due.length === 0) continue;

      const { reachable } = await recipientsOfUnits(
        db,
        due.map((u) => u.unitId),
        roles,
      );
      const rows: NewOutboxRow[] = [];
      for (const r of reachable) {
        const u = due.find((d) => d.unitId === r.unitId)!;
        rows.push({
          officerId: r.officerId,
          channel: r.channel,
          chatId: r.chatId,
          kind: "reminder",
          topic: reminderTopic(period.id, u.unitId),
          dedupeKey: `reminder:${period.id}:${u.unitId}:${u.step}:${r.officerId}`,
          notBefore: sendAt,
          // The button opens this report, whichever others the officer has open.
          payload: {
            text: reminderText(u.step, r.name, label, formatDate(u.deadline)),
            choices: [
              { value: startChoice(template.id), label: isRequest ? "📝 Trả lời ngay" : "📝 Làm báo cáo" },
              { value: webChoice(template.id), label: WEB_CHOICE_LABEL },
            ],
          },
        });
      }

      // Overdue: the supervising unit (the district before the reform, the province after) hears of it.
      // Its admins too; a unit's parent is always in its own tree, so demo and real never mix here.
      const overdue = due.filter((u) => u.step > 0);
      const bySupervisor = new Map<number, typeof overdue>();
      for (const u of overdue) if (u.parentId) bySupervisor.set(u.parentId, [...(bySupervisor.get(u.parentId) ?? []), u]);
      if (bySupervisor.size > 0) {
        const supervisors = await recipientsOfUnits(db, [...bySupervisor.keys()], ["district", "province", "admin"]);
        for (const r of supervisors.reachable) {
          const late = bySupervisor.get(r.unitId)!;
          const step = Math.min(...late.map((u) => u.step));
          const names = late.map((u) => u.unitName).sort((a, b) => a.localeCompare(b, "vi"));
          rows.push({
            officerId: r.officerId,
            channel: r.channel,
            chatId: r.chatId,
            kind: "escalation",
            dedupeKey: `escalation:${period.id}:${r.unitId}:${today}:${r.officerId}`,
            notBefore: sendAt,
            payload: {
              text: `${late.length} ${isRequest ? "đơn vị chưa trả lời" : "xã chưa nộp"} ${label} (quá hạn từ ${step} ngày): ${names.slice(0, 30).join(", ")}${names.length > 30 ? ", …" : ""}.`,
            },
          });
        }
      }
      planned += (await outbox.enqueue(db, rows)).length;
    }
    return planned;
  }

  /** Campaign steps whose date (solar, lunar, relative or weekly) is today. */
  async function planCampaigns(): Promise<number> {
    const now = clock();
    const today = localDate(now, timeZone);
    const year = Number(today.slice(0, 4));
    let planned = 0;
    const active = await db.select().from(campaigns).where(eq(campaigns.active, true));
    for (const c of active) {
      const stepsOf = await db.select().from(campaignSteps).where(eq(campaignSteps.campaignId, c.id));
      // Today's steps; a step naming the theme also on the days after its date it waited for one.
      const due: { step: (typeof stepsOf)[number]; date: string }[] = [];
      for (const s of stepsOf) {
        const back = namesTheme(s.text) ? THEME_WAIT_DAYS : 0;
        const dates = back ? [...datesOfRule(s.rule, year - 1), ...datesOfRule(s.rule, year)] : datesOfRule(s.rule, year);
        for (const date of dates) {
          if (date > today || date < addDays(today, -back)) continue;
          const dateYear = Number(date.slice(0, 4));
          if (waitsForTheme(s.text, c.themes, dateYear)) {
            if (date === today) logger.warn({ campaign: c.key, step: s.key, year: dateYear }, "campaign step waits for the year's theme");
            continue;
          }
          due.push({ step: s, date });
        }
      }
      if (due.length === 0) continue;
      const { reachable } = await resolveRecipients(db, c.audience);
      const rows: NewOutboxRow[] = [];
      for (const { step: s, date } of due) {
        const text = campaignText(s.text, c.themes, Number(date.slice(0, 4)));
        for (const r of reachable) {
          rows.push({
            officerId: r.officerId,
            channel: r.channel,
            chatId: r.chatId,
            kind: "campaign",
            // Keyed by the step's own date: a theme set days late sends it once, not once a day.
            dedupeKey: `campaign:${c.id}:${s.key}:${date}:${r.officerId}`,
            notBefore: localTime(date, s.sendAt, timeZone),
            payload: { text: text.replaceAll("{name}", r.name) },
          });
        }
      }
      planned += (await outbox.enqueue(db, rows)).length;
    }
    return planned;
  }

  /** Broadcasts whose time has come: recipients expanded into the outbox, once. */
  async function planBroadcasts(): Promise<number> {
    let planned = 0;
    for (;;) {
      const done = await db.transaction(async (tx) => {
        const [b] = await tx
          .select()
          .from(broadcasts)
          .where(and(isNull(broadcasts.plannedAt), lte(broadcasts.sendAt, clock())))
          .limit(1)
          .for("update", { skipLocked: true });
        if (!b) return undefined;
        const { reachable, unlinked } = await resolveRecipients(tx, b.audience);
        const ids = await outbox.enqueue(
          tx,
          reachable.map((r) => ({
            officerId: r.officerId,
            channel: r.channel,
            chatId: r.chatId,
            kind: "broadcast",
            dedupeKey: `broadcast:${b.id}:${r.officerId}`,
            notBefore: b.sendAt,
            payload: broadcastMessage(b),
          })),
        );
        // Officers with no linked channel are recipients too: the status shows them as unreachable.
        const recipients = [...reachable, ...unlinked].map((r) => ({ broadcastId: b.id, officerId: r.officerId }));
        for (let i = 0; i < recipients.length; i += 1000) {
          await tx
            .insert(broadcastRecipients)
            .values(recipients.slice(i, i + 1000))
            .onConflictDoNothing();
        }
        await tx.update(broadcasts).set({ plannedAt: clock() }).where(eq(broadcasts.id, b.id));
        return ids.length;
      });
      if (done === undefined) return planned;
      planned += done;
    }
  }

  async function tick(): Promise<void> {
    // Settings edited on another instance (quiet hours) take effect here at the next tick.
    await deps.beforeTick?.().catch((err: unknown) => logger.error({ err: describeFailure(err) }, "settings reload failed"));
    for (const [name, fn] of [
      ["broadcasts", planBroadcasts],
      ["reminders", planReminders],
      ["campaigns", planCampaigns],
    ] as const) {
      try {
        const n = await fn();
        if (n > 0) logger.info({ planner: name, planned: n }, "planned messages");
      } catch (err) {
        logger.error({ planner: name, err: describeFailure(err) }, "planner failed");
      }
    }
  }

  return { planReminders, planCampaigns, planBroadcasts, tick };
}

export type Planners = ReturnType<typeof createPlanners>;
