import { afterAll, beforeAll, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createDatabase, type Database } from "../../src/db/client.js";
import { startFakeTelegram, TEST_TOKEN, type FakeTelegram } from "../support/fake-telegram.js";
import {
  deliveredPerChat,
  loadUnits,
  onlyWhatTheTestPlans,
  outboxSettled,
  rows,
  telegramOfficers,
  todayInVietnam,
  type TelegramOfficer,
  answerReference,
} from "../support/fault-fixtures.js";
import { killServers, spawnServer, type ServerProcess } from "../support/server-process.js";
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres.js";
import { createWebhookClient, officersTyping } from "../support/webhook-client.js";
import { describePostgres } from "../support/db.js";
import { reportScript } from "../support/report-script.js";

/** How long PostgreSQL stays down: 10 s in `npm run test:faults`, less in CI. */
const DOWN_S = Number(process.env.FAULT_PG_DOWN_S ?? 5);
const OFFICERS = 10;
const SECRET = "postgres-down-secret";
/** Telegram gives up on a webhook call after a while; so does this client, and it must never have to. */
const CLIENT_TIMEOUT_MS = 10_000;

const normalise = (text: string, o: TelegramOfficer) =>
  text
    .replaceAll(o.name, "<name>")
    .replaceAll(o.unitName, "<unit>")
    .replace(/\b\d{1,2}:\d{2}\b/g, "<time>");

// Like the other PostgreSQL tests this one runs when TEST_DATABASE_URL is set; it also needs the
// PostgreSQL binaries, to stop and start a cluster of its own. Under CI either one missing fails the run.
describePostgres(
  `PostgreSQL stopped for ${DOWN_S} s while officers report (real server process, private cluster)`,
  () => {
    let pg: PrivatePostgres;
    let database: Database;
    let tg: FakeTelegram;
    beforeAll(async () => {
      pg = await startPrivatePostgres();
      database = createDatabase({ databaseUrl: pg.url, poolSize: 4 });
      await database.migrate();
      tg = await startFakeTelegram();
    });
    afterAll(async () => {
      await killServers();
      await database?.close();
      await pg?.destroy();
      await tg?.close();
    });

    it(
      "answers non-2xx while the database is down, recovers by itself, and processes every redelivered update exactly once",
      async () => {
        await loadUnits(database);
        const officers = await telegramOfficers(database, OFFICERS + 1, { firstChat: 72_000, ownCommune: true });
        await onlyWhatTheTestPlans(database);
        const [control, ...busy] = officers as [TelegramOfficer, ...TelegramOfficer[]];
        const { texts, expected } = reportScript(todayInVietnam());

        const server: ServerProcess = await spawnServer({
          DATABASE_URL: pg.url,
          TELEGRAM_BOT_TOKEN: TEST_TOKEN,
          TELEGRAM_API_ROOT: tg.apiRoot,
          TELEGRAM_WEBHOOK_SECRET: SECRET,
          TELEGRAM_RATE_PER_SEC: "200",
          OUTBOX_STALE_MS: "1500",
          QUIET_HOURS_START: "00:00",
          QUIET_HOURS_END: "00:00",
        });
        const client = createWebhookClient({ url: () => server.url, secret: SECRET, timeoutMs: CLIENT_TIMEOUT_MS, retryDelayMs: 200 });
        const { say, sentUpdateIds } = officersTyping(client, 2_000_000);
        // The health check, probed all along like a load balancer would.
        const probes: { start: number; end: number; status: number | string }[] = [];
        let probing = true;
        const prober = (async () => {
          while (probing) {
            const start = Date.now();
            const status = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) }).then(
              (r) => r.status,
              (e: Error) => e.name,
            );
            probes.push({ start, end: Date.now(), status });
            await new Promise((ok) => setTimeout(ok, 250));
          }
        })();

        try {
          // The reference: one officer's whole report before anything goes wrong.
          await answerReference(tg, control, texts, say);

          // Ten officers at a human-like pace, so that they are still answering when the database goes
          // away and when it comes back.
          let accepted = 0;
          const officersDone = Promise.all(
            busy.map(async (o) => {
              for (const text of texts) {
                await say(o, text);
                accepted++;
                await new Promise((ok) => setTimeout(ok, 100));
              }
            }),
          );
          // Awaited below; a failed test stops the client, and the officers' loops then give up quietly.
          officersDone.catch(() => {});
          const total = busy.length * texts.length;
          while (accepted < total / 4) await new Promise((ok) => setTimeout(ok, 10));
          const stopBegan = Date.now();
          // "immediate" is a crash of the database server: connections cut mid-transaction, no checkpoint.
          await pg.stop("immediate");
          const downFrom = Date.now();
          // The outage itself: nothing to poll for, the database is simply away this long.
          await new Promise((ok) => setTimeout(ok, DOWN_S * 1000));
          const upFrom = Date.now();
          await pg.start();
          const acceptedWhileDown = accepted;
          // The same process must still be there: nobody restarts it.
          expect(server.exit, `the server process died while PostgreSQL was down:\n${server.logs().slice(-4000)}`).toBeUndefined();

          // Healthy again without anyone restarting the service.
          await expect.poll(async () => (await fetch(`${server.url}/healthz`)).status, { timeout: 30_000, interval: 250 }).toBe(200);
          await officersDone;
          const settled = await outboxSettled(database, 60_000);
          expect(settled.settled, `${settled.count} message(s) never sent, first: ${JSON.stringify(settled.first)}`).toBe(true);
          probing = false;
          await prober;

          expect(server.exit, `the server process must survive the outage:\n${server.logs().slice(-4000)}`).toBeUndefined();

          // While the database was down: every webhook got a prompt non-2xx (so Telegram redelivers),
          // never a 2xx that would drop the update, never a hang.
          const duringOutage = client.attempts.filter((a) => a.start >= downFrom && a.end <= upFrom);
          expect(duringOutage.length).toBeGreaterThan(0);
          expect(duringOutage.filter((a) => a.status === undefined || a.status < 500).map((a) => a.status ?? a.error)).toEqual([]);
          expect(client.attempts.filter((a) => a.timedOut)).toEqual([]);
          const probesDown = probes.filter((p) => p.start >= downFrom && p.end <= upFrom);
          expect(probesDown.length).toBeGreaterThan(0);
          expect(new Set(probesDown.map((p) => p.status))).toEqual(new Set([503]));
          expect(probes.at(-1)!.status).toBe(200);

          // Every officer finished, with every answer once and each update processed once.
          const subs = await rows<{ id: number; status: string }>(database, sql`select id, status from submissions order by id`);
          expect(subs).toHaveLength(officers.length);
          for (const s of subs) {
            expect(s.status).toBe("submitted");
            const stored = await rows<{ key: string; value: { v: unknown } }>(database, sql`select key, value from answers where submission_id = ${s.id}`);
            expect(Object.fromEntries(stored.map((a) => [a.key, a.value.v]))).toEqual(expected);
          }
          const submitted = await rows<{ n: number }>(
            database,
            sql`select count(*)::int as n from submission_events where kind = 'submitted' group by submission_id`,
          );
          expect(submitted.map((r) => r.n)).toEqual(officers.map(() => 1));
          const events = await rows<{ dedupe_key: string }>(database, sql`select dedupe_key from inbound_events where channel = 'telegram'`);
          expect(events.map((e) => Number(e.dedupe_key)).sort((a, b) => a - b)).toEqual([...sentUpdateIds].sort((a, b) => a - b));

          // Every reply arrived. A reply can arrive twice only if it reached Telegram as the database
          // went away, so that its "sent" could not be recorded (it is then sent again afterwards).
          const delivered = deliveredPerChat(tg);
          const reference = (delivered.get(String(control.chatId)) ?? []).map((x) => normalise(x, control));
          const duplicates: { chatId: number; text: string }[] = [];
          for (const o of busy) {
            const got = (delivered.get(String(o.chatId)) ?? []).map((x) => normalise(x, o));
            const missing = [...reference];
            for (const text of got) {
              const i = missing.indexOf(text);
              if (i >= 0) missing.splice(i, 1);
              else duplicates.push({ chatId: o.chatId, text });
            }
            expect(missing, `replies officer ${o.chatId} never received`).toEqual([]);
          }
          for (const d of duplicates) {
            const o = busy.find((b) => b.chatId === d.chatId)!;
            const first = tg.sent(d.chatId).find((c) => normalise(String(c.payload.text), o) === d.text)!;
            expect(
              first.at >= stopBegan - 1000 && first.at <= upFrom,
              `a reply sent twice, first at ${first.at - stopBegan} ms from the outage: ${d.text}`,
            ).toBe(true);
          }
          const failedAttempts = client.attempts.filter((a) => a.status === undefined || a.status >= 300);
          console.info(
            `postgres down ${DOWN_S} s: updates=${sentUpdateIds.length} accepted_before_outage=${acceptedWhileDown} webhook_attempts_during_outage=${duringOutage.length} ` +
              `non_2xx_attempts=${failedAttempts.length} slowest_answer_during_outage_ms=${Math.max(...duringOutage.map((a) => a.end - a.start))} ` +
              `healthz_503=${probesDown.length} healthy_again_after_ms=${probes.find((p) => p.start > upFrom && p.status === 200)!.start - upFrom} ` +
              `duplicates=${duplicates.length}`,
          );
          expect(await server.stop()).toBe(0);
        } finally {
          probing = false;
          client.stop();
          await server.kill9();
        }
      },
      120_000 + DOWN_S * 1000,
    );
  },
  privatePostgresUnavailable,
);
