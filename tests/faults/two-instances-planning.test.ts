import { expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { campaigns, campaignSteps, officers, reportTemplates, units } from "../../src/db/schema/index.js";
import { currentPeriod, deadlinesForUnit, getTemplate, loadCalendar } from "../../src/reporting/reporting-calendar.js";
import { DEFAULT_TEMPLATE_ID } from "../../src/reporting/reporting-defaults.js";
import { createBroadcast } from "../../src/broadcasts/broadcasts.js";
import { TEST_TOKEN, type RecordedCall } from "../support/fake-telegram.js";
import { loadUnits, onlyWhatTheTestPlans, outboxSettled, rows, telegramOfficers, todayInVietnam, useServersOnPostgres } from "../support/fault-fixtures.js";
import { describePostgres } from "../support/db.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";

const COMMUNES = 30;
/** Officers at the province office, on the commune roster: campaign and directive, no reminder. */
const AT_PROVINCE = 300;
const CAMPAIGN_MARK = "Chiến dịch kiểm thử";

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

describePostgres("two instances planning and delivering on one PostgreSQL (real server processes)", () => {
  const fx = useServersOnPostgres();
  const t = fx.t;

  it("every officer gets each reminder, campaign message and scheduled directive exactly once", async () => {
    const db = t.database.db;
    await loadUnits(t.database);
    const communeOfficers = await telegramOfficers(t.database, COMMUNES, { firstChat: 75_000, ownCommune: true, phonePrefix: "8493" });
    // Enough messages that neither instance can claim them all in one pass: both deliver.
    const provinceOffice = await telegramOfficers(t.database, AT_PROVINCE, { firstChat: 77_000, ownCommune: false, phonePrefix: "8495" });
    // The province's officer hears about overdue communes (an escalation) when the deadline has passed.
    const [province] = await telegramOfficers(t.database, 1, { firstChat: 76_000, ownCommune: false, phonePrefix: "8494" });
    await db.update(officers).set({ role: "province" }).where(eq(officers.id, province!.id));
    await onlyWhatTheTestPlans(t.database);

    // A reminder is due today, whatever today is: the step is today's distance to the deadline.
    const today = todayInVietnam();
    const template = (await getTemplate(db, DEFAULT_TEMPLATE_ID))!;
    const period = (await currentPeriod(db, template, today))!;
    const [commune] = await db.select({ path: units.path }).from(units).where(eq(units.id, communeOfficers[0]!.unitId));
    const deadline = deadlinesForUnit(await loadCalendar(db, template.id), period, commune!.path).commune;
    const step = daysBetween(deadline, today);
    await db
      .update(reportTemplates)
      .set({ reminderSteps: [step] })
      .where(eq(reportTemplates.id, template.id));
    // A campaign step on today's date, for the province's commune officers.
    const [campaign] = await db
      .insert(campaigns)
      .values({ key: "fault-test", name: "Kiểm thử", audience: { scheme: "post2025", rootCode: "12", roles: ["commune"] } })
      .returning({ id: campaigns.id });
    await db.insert(campaignSteps).values({
      campaignId: campaign!.id,
      key: "today",
      rule: { kind: "solar", day: Number(today.slice(8, 10)), month: Number(today.slice(5, 7)) },
      sendAt: "00:00",
      text: `${CAMPAIGN_MARK}: {name} ơi, hôm nay là ngày hành động.`,
    });

    const env = (prefix: string) => ({
      DATABASE_URL: t.url!,
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      // One fake Bot API; the path tells which instance sent each message.
      TELEGRAM_API_ROOT: `${fx.tg.apiRoot}/${prefix}`,
      TELEGRAM_WEBHOOK_SECRET: "two-instances-secret",
      // Both planners every second: they run into each other over and over.
      PLANNER_CRON: "* * * * * *",
      TELEGRAM_RATE_PER_SEC: "100",
      QUIET_HOURS_START: "00:00",
      QUIET_HOURS_END: "00:00",
    });
    const servers: ServerProcess[] = await Promise.all([spawnServer(env("a")), spawnServer(env("b"))]);
    try {
      // A directive scheduled for a moment when both planners are running.
      await createBroadcast(
        db,
        {
          text: "Văn bản chỉ đạo theo lịch",
          audience: { scheme: "post2025", rootCode: "12", roles: ["commune"] },
          sendAt: new Date(Date.now() + 1500),
          requireAck: false,
        },
        new Date(),
      );

      // Reminders go out at 08:00 local time. When this runs earlier in the day, bring that
      // morning forward instead of waiting for it (the rows are planned; only their hour is moved).
      const overdue = step > 0;
      const expectedRows = { reminder: COMMUNES, campaign: COMMUNES + AT_PROVINCE, broadcast: COMMUNES + AT_PROVINCE, escalation: overdue ? 1 : 0 };
      await expect
        .poll(async () => (await rows<{ n: number }>(t.database, sql`select count(*)::int as n from outbox where kind in ('reminder', 'escalation')`))[0]!.n, {
          timeout: 30_000,
        })
        .toBe(expectedRows.reminder + expectedRows.escalation);
      await db.execute(sql`update outbox set not_before = now() where kind in ('reminder', 'escalation') and status = 'queued' and not_before > now()`);

      await expect
        .poll(async () => (await rows<{ n: number }>(t.database, sql`select count(*)::int as n from outbox where kind = 'broadcast'`))[0]!.n, {
          timeout: 30_000,
        })
        .toBe(expectedRows.broadcast);
      const settled = await outboxSettled(t.database, 60_000);
      expect(settled.settled, `${settled.count} message(s) never sent, first: ${JSON.stringify(settled.first)}`).toBe(true);
      // Both planners keep ticking every second: let them run a few more rounds, counted rather
      // than timed, and nothing may be planned or sent twice. Every tick begins by reading the
      // settings row (quiet hours), so PostgreSQL's scan count of app_settings counts the ticks
      // of both instances; six more is three rounds each, however slow the machine.
      const sentBefore = fx.tg.sent().length;
      const outboxBefore = await rows<{ n: number }>(t.database, sql`select count(*)::int as n from outbox`);
      const settingsReads = async () => {
        await rows(t.database, sql`select pg_stat_clear_snapshot()`);
        const [r] = await rows<{ n: number }>(
          t.database,
          sql`select (coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::int as n from pg_stat_user_tables where relname = 'app_settings'`,
        );
        return r?.n ?? 0;
      };
      const ticksBefore = await settingsReads();
      await expect.poll(settingsReads, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(ticksBefore + 6);
      expect(fx.tg.sent().length).toBe(sentBefore);
      expect(await rows<{ n: number }>(t.database, sql`select count(*)::int as n from outbox`)).toEqual(outboxBefore);

      const byKind = await rows<{ kind: string; status: string; n: number }>(
        t.database,
        sql`select kind, status, count(*)::int as n from outbox group by kind, status order by kind`,
      );
      expect(Object.fromEntries(byKind.map((r) => [`${r.kind}:${r.status}`, r.n]))).toEqual(
        Object.fromEntries(
          Object.entries(expectedRows)
            .filter(([, n]) => n > 0)
            .map(([kind, n]) => [`${kind}:sent`, n]),
        ),
      );

      const kindOf = (c: RecordedCall) => {
        const text = String(c.payload.text);
        if (text.startsWith("📢")) return "broadcast";
        if (text.startsWith(CAMPAIGN_MARK)) return "campaign";
        if (/xã chưa nộp/.test(text)) return "escalation";
        if (/hạn nộp|quá hạn/.test(text)) return "reminder";
        return "other";
      };
      for (const o of communeOfficers) {
        expect(fx.tg.sent(o.chatId).map(kindOf).sort(), `messages to officer ${o.chatId}`).toEqual(["broadcast", "campaign", "reminder"]);
      }
      for (const o of provinceOffice) {
        expect(fx.tg.sent(o.chatId).map(kindOf).sort(), `messages to officer ${o.chatId}`).toEqual(["broadcast", "campaign"]);
      }
      expect(fx.tg.sent(province!.chatId).map(kindOf)).toEqual(overdue ? ["escalation"] : []);

      const byInstance = (p: string) => fx.tg.sent().filter((c) => c.path.startsWith(`/${p}/`)).length;
      console.info(
        `two instances: reminder step ${step} (deadline ${deadline}), messages=${fx.tg.sent().length} sent_by_a=${byInstance("a")} sent_by_b=${byInstance("b")}`,
      );
      expect(byInstance("a") + byInstance("b")).toBe(fx.tg.sent().length);
      // Or the two instances never competed for the same rows, and this test proved nothing.
      expect(byInstance("a")).toBeGreaterThan(0);
      expect(byInstance("b")).toBeGreaterThan(0);

      expect(await Promise.all(servers.map((s) => s.stop()))).toEqual([0, 0]);
    } finally {
      await Promise.all(servers.map((s) => s.kill9()));
    }
  }, 120_000);
});
