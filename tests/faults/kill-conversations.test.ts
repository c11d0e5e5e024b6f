import { expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { TEST_TOKEN } from "../support/fake-telegram.js";
import {
  deliveredPerChat,
  loadUnits,
  onlyWhatTheTestPlans,
  outboxSettled,
  rows,
  telegramOfficers,
  todayInVietnam,
  type TelegramOfficer,
  useServersOnPostgres,
  answerReference,
} from "../support/fault-fixtures.js";
import { describePostgres } from "../support/db.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";
import { createWebhookClient, officersTyping } from "../support/webhook-client.js";
import { reportScript } from "../support/report-script.js";

/** Kills per run: a few in CI (`npm test`), 50 in `npm run test:faults`. */
const KILLS = Number(process.env.FAULT_KILLS ?? 3);
const OFFICERS = 10;
const SECRET = "kill-conversations-secret";

/**
 * Texts compared across officers: the submission time ("lúc 22:17 01/12/2026") differs from one
 * officer to the next, and so could their names and communes.
 */
const normalise = (text: string, o: TelegramOfficer) =>
  text
    .replaceAll(o.name, "<name>")
    .replaceAll(o.unitName, "<unit>")
    .replace(/\b\d{1,2}:\d{2}\b/g, "<time>");

describePostgres(`kill -9 during officers' reports, ${KILLS} times (real server process, PostgreSQL)`, () => {
  const fx = useServersOnPostgres();
  const t = fx.t;

  it(
    "officers whose server is killed mid-report finish with every answer recorded once and every reply sent once",
    async () => {
      await loadUnits(t.database);
      const officers = await telegramOfficers(t.database, OFFICERS + 1, { firstChat: 71_000, ownCommune: true });
      await onlyWhatTheTestPlans(t.database);
      const [control, ...chaos] = officers as [TelegramOfficer, ...TelegramOfficer[]];
      const { texts, expected } = reportScript(todayInVietnam());

      const env = {
        DATABASE_URL: t.url!,
        TELEGRAM_BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: fx.tg.apiRoot,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        // Replies left "sending" by a killed process are sent again by the next one: soon, so the
        // test need not wait the production minute.
        OUTBOX_STALE_MS: "1500",
        // Above Telegram's 29/s, so replies are not held back by the limiter: the kills then land
        // anywhere in an update's life, including between a reply reaching Telegram and its record.
        TELEGRAM_RATE_PER_SEC: "200",
        // No quiet hours: the test must behave the same at any time of day.
        QUIET_HOURS_START: "00:00",
        QUIET_HOURS_END: "00:00",
      };
      let server: ServerProcess | undefined = await spawnServer(env);
      const client = createWebhookClient({ url: () => server?.url, secret: SECRET });
      const { say, sentUpdateIds } = officersTyping(client, 1_000_000);

      try {
        // One officer answers the report on a server nobody kills: what every officer must receive.
        await answerReference(fx.tg, control, texts, say);

        // Ten officers answer at once while the server is killed at random points of their reports.
        let accepted = 0;
        const officersDone = Promise.all(
          chaos.map(async (o) => {
            for (const text of texts) {
              await say(o, text);
              accepted++;
            }
          }),
        );
        // Awaited below; a failed test stops the client, and the officers' loops then give up quietly.
        officersDone.catch(() => {});
        const total = chaos.length * texts.length;
        const inFlightAtKills: { id: number; chatId: string; text: string }[][] = [];
        const restartMs: number[] = [];
        for (let k = 0; k < KILLS; k++) {
          // A random point inside the k-th of KILLS+1 equal stretches of all the officers' messages.
          const at = Math.floor(((k + Math.random()) * total) / (KILLS + 1));
          while (accepted < at) await new Promise((ok) => setTimeout(ok, 2));
          // ...and a random moment within that message: mid-transaction, mid-send, between the two.
          await new Promise((ok) => setTimeout(ok, Math.random() * 15));
          const victim: ServerProcess = server!;
          server = undefined;
          await victim.kill9();
          // What the dead process had claimed and not recorded as sent: the only messages that may
          // reach an officer twice. (A process killed before its worker's first pass leaves the
          // previous process's rows there too: they are still in flight.)
          const sending = await rows<{ id: number; chat_id: string; payload: { text: string } }>(
            t.database,
            sql`select id, chat_id, payload from outbox where status = 'sending'`,
          );
          inFlightAtKills.push(sending.map((r) => ({ id: Number(r.id), chatId: r.chat_id, text: r.payload.text })));
          const t0 = Date.now();
          server = await spawnServer(env);
          restartMs.push(Date.now() - t0);
        }
        await officersDone;
        const settled = await outboxSettled(t.database, 60_000);
        expect(settled.settled, `${settled.count} message(s) never sent, first: ${JSON.stringify(settled.first)}`).toBe(true);

        // Every officer's report is submitted once, with exactly the answers they typed.
        const subs = await rows<{ id: number; officer_id: number; status: string }>(
          t.database,
          sql`select id, officer_id, status from submissions order by id`,
        );
        expect(subs).toHaveLength(officers.length);
        for (const s of subs) {
          expect(s.status).toBe("submitted");
          const stored = await rows<{ key: string; value: { v: unknown } }>(t.database, sql`select key, value from answers where submission_id = ${s.id}`);
          expect(Object.fromEntries(stored.map((a) => [a.key, a.value.v])), `officer ${s.officer_id}`).toEqual(expected);
        }
        const submitted = await rows<{ submission_id: number; n: number }>(
          t.database,
          sql`select submission_id, count(*)::int as n from submission_events where kind = 'submitted' group by submission_id`,
        );
        expect(submitted.map((r) => r.n)).toEqual(officers.map(() => 1));

        // Each update was processed exactly once: one inbound row per update_id, none missing.
        const events = await rows<{ dedupe_key: string }>(t.database, sql`select dedupe_key from inbound_events where channel = 'telegram'`);
        expect(events.map((e) => Number(e.dedupe_key)).sort((a, b) => a - b)).toEqual([...sentUpdateIds].sort((a, b) => a - b));

        // Every officer received every reply the undisturbed officer received; anything more is a
        // message that was in flight when a process died.
        const delivered = deliveredPerChat(fx.tg);
        const reference = (delivered.get(String(control.chatId)) ?? []).map((x) => normalise(x, control));
        expect(reference.length).toBeGreaterThanOrEqual(texts.length);
        const duplicates = new Map<string, number>();
        for (const o of chaos) {
          const got = (delivered.get(String(o.chatId)) ?? []).map((x) => normalise(x, o));
          const missing = [...reference];
          for (const text of got) {
            const i = missing.indexOf(text);
            if (i >= 0) missing.splice(i, 1);
            else duplicates.set(`${o.chatId} ${text}`, (duplicates.get(`${o.chatId} ${text}`) ?? 0) + 1);
          }
          expect(missing, `replies officer ${o.chatId} never received`).toEqual([]);
        }
        // A message can arrive once more for each kill that found it claimed and not yet recorded
        // as sent — and never otherwise.
        const byChat = new Map(officers.map((o) => [String(o.chatId), o]));
        for (const [key, extra] of duplicates) {
          const timesInFlight = inFlightAtKills.filter((snapshot) =>
            snapshot.some((f) => `${f.chatId} ${normalise(f.text, byChat.get(f.chatId)!)}` === key),
          ).length;
          expect(extra, `a reply sent ${extra + 1} times, in flight at ${timesInFlight} kill(s): ${key}`).toBeLessThanOrEqual(timesInFlight);
        }
        const seen = new Set<number>();
        const newlyInFlight = inFlightAtKills.map((snapshot) => {
          const fresh = snapshot.filter((f) => !seen.has(f.id));
          for (const f of fresh) seen.add(f.id);
          return fresh.length;
        });
        const duplicateCount = [...duplicates.values()].reduce((a, b) => a + b, 0);
        const redeliveries = client.attempts.length - sentUpdateIds.length;
        console.info(
          `kill -9 during reports: kills=${KILLS} officers=${chaos.length} updates=${sentUpdateIds.length} redeliveries=${redeliveries} ` +
            `replies_in_flight_at_kills=${seen.size} (new per kill: ${newlyInFlight.join(",")}) in_flight_duplicates=${duplicateCount} ` +
            `restart_ms_median=${restartMs.sort((a, b) => a - b)[Math.floor(restartMs.length / 2)] ?? 0}`,
        );

        // The last process stops cleanly.
        const code = await server!.stop();
        server = undefined;
        expect(code).toBe(0);
      } finally {
        client.stop();
        await server?.kill9();
      }
    },
    240_000 + KILLS * 30_000,
  ); // a loaded machine (another suite beside it) needs minutes, not seconds
});
