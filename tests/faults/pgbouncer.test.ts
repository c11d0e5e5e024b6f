import { afterAll, beforeAll, expect, it } from "vitest";
import pg from "pg";
import { sql } from "drizzle-orm";
import { TEST_TOKEN } from "../support/fake-telegram.js";
import {
  answerReference,
  deliveredPerChat,
  loadUnits,
  onlyWhatTheTestPlans,
  outboxSettled,
  rows,
  telegramOfficers,
  todayInVietnam,
  useServersOnPostgres,
  type TelegramOfficer,
} from "../support/fault-fixtures.js";
import { spawnServer } from "../support/server-process.js";
import { createWebhookClient, officersTyping } from "../support/webhook-client.js";
import { describePostgres } from "../support/db.js";
import { reportScript } from "../support/report-script.js";
import { pgbouncerUnavailable, startPgbouncer, supportsPreparedStatements, type PrivatePgbouncer } from "../support/pgbouncer.js";

const OFFICERS = 10;
/** Province officers who receive the directive beside the reporting communes. */
const LISTENERS = 200;
const SECRET = "pgbouncer-secret";
const ADMIN_TOKEN = "pgbouncer-admin-token-0123456789";

const normalise = (text: string, o: TelegramOfficer) =>
  text
    .replaceAll(o.name, "<name>")
    .replaceAll(o.unitName, "<unit>")
    .replace(/\b\d{1,2}:\d{2}\b/g, "<time>");

// PostgreSQL-only, like every process-level test here; it also needs pgbouncer (Debian's package).
// Under CI either one missing fails the run.
describePostgres(
  "through PgBouncer in transaction pooling (real server process, private PgBouncer in front of the test PostgreSQL)",
  () => {
    const fx = useServersOnPostgres();
    let bouncer: PrivatePgbouncer;
    beforeAll(async () => {
      const upstream = new URL(fx.t.url!);
      // Four server connections for a pool of ten clients: transactions of one client keep landing on another connection.
      bouncer = await startPgbouncer({ upstreamHost: upstream.hostname, upstreamPort: Number(upstream.port || 5432), poolSize: 4 });
    });
    afterAll(async () => {
      await bouncer?.stop();
    });

    it("breaks named prepared statements unless PgBouncer supports them (≥ 1.21 with max_prepared_statements): why DATABASE_PREPARED_STATEMENTS exists", async () => {
      const pool = new pg.Pool({ connectionString: bouncer.urlFor(fx.t.url!), max: 8 });
      const failures: string[] = [];
      try {
        await Promise.all(
          Array.from({ length: 8 }, async (_, w) => {
            for (let i = 0; i < 20; i++) {
              await pool.query({ name: `probe-${i % 3}`, text: `select $1::int + ${i % 3} as x`, values: [w] }).catch((e: Error) => failures.push(e.message));
            }
          }),
        );
      } finally {
        await pool.end();
      }
      if (supportsPreparedStatements(bouncer.version)) expect(failures).toEqual([]);
      else
        expect(
          failures.some((f) => /prepared statement "probe-\d" (already exists|does not exist)/.test(f)),
          failures.slice(0, 3).join("; "),
        ).toBe(true);
    }, 60_000);

    it("officers' whole reports through the webhook and a directive planned by the planner: every answer recorded once, every reply and message sent once", async () => {
      const { t, tg } = fx;
      await loadUnits(t.database);
      const officers = await telegramOfficers(t.database, OFFICERS + 1, { firstChat: 91_000, ownCommune: true });
      const listeners = await telegramOfficers(t.database, LISTENERS, { firstChat: 95_000, ownCommune: false, phonePrefix: "8493" });
      await onlyWhatTheTestPlans(t.database);
      const [control, ...busy] = officers as [TelegramOfficer, ...TelegramOfficer[]];
      const { texts, expected } = reportScript(todayInVietnam());

      const server = await spawnServer({
        // The whole service — inbound, outbox, planners, migrations check — through PgBouncer only.
        DATABASE_URL: bouncer.urlFor(t.url!),
        // Before 1.21 (Debian 12 ships 1.18) named statements break in transaction pooling.
        DATABASE_PREPARED_STATEMENTS: supportsPreparedStatements(bouncer.version) ? "on" : "off",
        TELEGRAM_BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_RATE_PER_SEC: "500",
        TELEGRAM_CHAT_INTERVAL_MS: "0",
        ADMIN_API_TOKEN: ADMIN_TOKEN,
        // Every two seconds: the directive below is planned by the planners' own tick, not by the API call.
        PLANNER_CRON: "*/2 * * * * *",
        QUIET_HOURS_START: "00:00",
        QUIET_HOURS_END: "00:00",
      });
      const client = createWebhookClient({ url: () => server.url, secret: SECRET, timeoutMs: 30_000, retryDelayMs: 200 });
      const { say, sentUpdateIds } = officersTyping(client, 4_000_000);
      try {
        await answerReference(tg, control, texts, say);

        // A directive due in three seconds to the whole province (every officer here): planned by
        // the planner's tick while the officers report.
        const res = await fetch(`${server.url}/api/broadcasts`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
          body: JSON.stringify({
            text: "Công văn thử qua PgBouncer",
            audience: { scheme: "post2025", rootCode: "12" },
            sendAt: new Date(Date.now() + 3_000).toISOString(),
          }),
        });
        expect(res.status).toBe(201);
        const broadcastId = ((await res.json()) as { id: number }).id;

        await Promise.all(
          busy.map(async (o) => {
            for (const text of texts) await say(o, text);
          }),
        );
        await expect
          .poll(
            async () =>
              (
                (await (await fetch(`${server.url}/api/broadcasts/${broadcastId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
                  planned: boolean;
                }
              ).planned,
            { timeout: 60_000, interval: 250 },
          )
          .toBe(true);
        const settled = await outboxSettled(t.database, 90_000);
        expect(settled.settled, `${settled.count} message(s) never sent, first: ${JSON.stringify(settled.first)}`).toBe(true);

        // Every officer's report complete, every answer once, each update processed once.
        const subs = await rows<{ id: number; status: string }>(t.database, sql`select id, status from submissions order by id`);
        expect(subs).toHaveLength(officers.length);
        for (const s of subs) {
          expect(s.status).toBe("submitted");
          const stored = await rows<{ key: string; value: { v: unknown } }>(t.database, sql`select key, value from answers where submission_id = ${s.id}`);
          expect(stored).toHaveLength(Object.keys(expected).length);
          expect(Object.fromEntries(stored.map((a) => [a.key, a.value.v]))).toEqual(expected);
        }
        const submitted = await rows<{ n: number }>(
          t.database,
          sql`select count(*)::int as n from submission_events where kind = 'submitted' group by submission_id`,
        );
        expect(submitted.map((r) => r.n)).toEqual(officers.map(() => 1));
        const events = await rows<{ dedupe_key: string }>(t.database, sql`select dedupe_key from inbound_events where channel = 'telegram'`);
        expect(events.map((e) => Number(e.dedupe_key)).sort((a, b) => a - b)).toEqual([...sentUpdateIds].sort((a, b) => a - b));

        // Every reply once: each busy officer got exactly the reference officer's replies, plus the directive.
        const delivered = deliveredPerChat(tg);
        const directive = (xs: string[]) => xs.filter((x) => x.includes("Công văn thử qua PgBouncer"));
        const reference = (delivered.get(String(control.chatId)) ?? [])
          .filter((x) => !x.includes("Công văn thử qua PgBouncer"))
          .map((x) => normalise(x, control));
        expect(reference.length).toBeGreaterThanOrEqual(texts.length);
        for (const o of busy) {
          const got = (delivered.get(String(o.chatId)) ?? []).filter((x) => !x.includes("Công văn thử qua PgBouncer")).map((x) => normalise(x, o));
          expect(got.sort(), `replies of officer ${o.chatId}`).toEqual([...reference].sort());
        }
        // The directive: once to each of the province's officers (the reporting communes and the listeners).
        for (const o of [...officers, ...listeners]) expect(directive(delivered.get(String(o.chatId)) ?? []), `directive to ${o.chatId}`).toHaveLength(1);

        expect(server.logs()).not.toMatch(/prepared statement/);
        console.info(
          `pgbouncer ${bouncer.version.join(".")} transaction pooling, prepared statements ${supportsPreparedStatements(bouncer.version) ? "on" : "off"}: ` +
            `updates=${sentUpdateIds.length} replies=${[...delivered.values()].reduce((n, xs) => n + xs.length, 0)} directive_recipients=${officers.length + listeners.length}`,
        );
        expect(await server.stop()).toBe(0);
      } finally {
        client.stop();
        await server.kill9();
      }
    }, 300_000);
  },
  pgbouncerUnavailable,
);
