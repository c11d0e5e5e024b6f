import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createDatabase, type Database } from "../../src/db/client.js";
import { inboundEvents } from "../../src/db/schema/index.js";
import { describePostgres, type TestDb } from "../support/db.js";
import { startFakeZaloOa, ZALO_OA_RETRY_OFFSETS_MS } from "../support/fake-zalo.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { onlyWhatTheTestPlans, outboxSettled } from "../support/fault-fixtures.js";
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * Real seconds PostgreSQL stays down per outage, on top of the stop and start themselves. The
 * outages' length on the service's clock is what Zalo's schedule is played against (3 and 25
 * minutes, compressed: the clock is set to each attempt's time), so CI needs none of it.
 */
const REAL_DOWN_S = Number(process.env.FAULT_ZALO_PG_DOWN_S ?? 0);
const OA = { appId: "360846524940903967", secretKey: "oa-secret-key", appSecret: "app-secret", accessToken: "at-0", refreshToken: "rt-0" };
const OFFICERS = 3;
const M = 60_000;

describePostgres(
  "PostgreSQL down while officers write on Zalo OA: Zalo's redeliveries (30 s … 1 h, time compressed) apply every message once",
  () => {
    let pg: PrivatePostgres;
    let database: Database;
    let oa: Awaited<ReturnType<typeof startFakeZaloOa>>;
    let s: TestService | undefined;
    beforeAll(async () => {
      pg = await startPrivatePostgres();
      database = createDatabase({ databaseUrl: pg.url, poolSize: 4 });
      await database.migrate();
      oa = await startFakeZaloOa(OA);
    });
    afterAll(async () => {
      await s?.service.stop();
      await database?.close();
      await pg?.destroy();
      await oa?.close();
    });

    it(
      "answers non-2xx while the database is away, accepts the later retries (3 and 25 minute outages), and applies each message once",
      async () => {
        await loadLaiChau(database);
        await onlyWhatTheTestPlans(database);
        const phones = Array.from({ length: OFFICERS }, (_, i) => `09120008${String(i).padStart(2, "0")}`);
        await addOfficers(database, ["name,phone,role,unit_code", ...phones.map((p, i) => `Cán bộ ${i},${p},commune,03388`)].join("\n"));
        const users = phones.map((_, i) => `88000000000000000${i}`);
        for (const [i, p] of phones.entries()) await linkOfficer(database, `84${p.slice(1)}`, "zalo_oa", users[i]!);

        let now = Date.now();
        const t: TestDb = { database, url: pg.url };
        s = await startTestService(t, {
          clock: () => new Date(now),
          awaitReplies: false,
          env: {
            ZALO_OA_APP_ID: OA.appId,
            ZALO_OA_SECRET_KEY: OA.secretKey,
            ZALO_APP_SECRET: OA.appSecret,
            ZALO_OA_ACCESS_TOKEN: OA.accessToken,
            ZALO_OA_REFRESH_TOKEN: OA.refreshToken,
            ZALO_OA_API_ROOT: oa.apiRoot,
            ZALO_OAUTH_ROOT: oa.apiRoot,
            QUIET_HOURS_START: "00:00",
            QUIET_HOURS_END: "00:00",
          },
        });
        const url = s.url;
        const post = (body: Record<string, unknown>) => {
          const raw = JSON.stringify(body);
          const mac = createHash("sha256")
            .update(`${OA.appId}${raw}${String(body.timestamp)}${OA.secretKey}`)
            .digest("hex");
          return fetch(`${url}/webhooks/zalo-oa`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-zevent-signature": `mac=${mac}`, num_retry: "0" },
            body: raw,
            signal: AbortSignal.timeout(10_000),
          });
        };

        /**
         * One outage: each officer writes once while the database is away (at its start, a third
         * in, two thirds in); Zalo's whole schedule of each event is replayed on the clock, in time
         * order, the database coming back when the clock passes the outage's end.
         */
        async function outage(lengthMs: number, text: string) {
          const from = now;
          const sends = users.map((user, i) => {
            const at = from + Math.floor((i * lengthMs) / OFFICERS);
            return {
              at,
              body: {
                app_id: OA.appId,
                timestamp: String(at),
                event_name: "user_send_text",
                sender: { id: user },
                recipient: { id: "388613280878808645" },
                message: { text, msg_id: `${text}-${i}-${at}` },
              },
            };
          });
          const attempts = sends.flatMap((m) => ZALO_OA_RETRY_OFFSETS_MS.map((offset) => ({ time: m.at + offset, m }))).sort((a, b) => a.time - b.time);
          await pg.stop("immediate");
          const downSince = Date.now();
          let down = true;
          const results: { time: number; down: boolean; status: number; ms: number }[] = [];
          for (const a of attempts) {
            if (down && a.time >= from + lengthMs) {
              // The outage itself, in real time, only when asked for (FAULT_ZALO_PG_DOWN_S).
              const left = REAL_DOWN_S * 1000 - (Date.now() - downSince);
              if (left > 0) await new Promise((ok) => setTimeout(ok, left));
              await pg.start();
              await expect.poll(async () => (await fetch(`${url}/healthz`)).status, { timeout: 30_000, interval: 250 }).toBe(200);
              down = false;
            }
            now = a.time;
            const started = performance.now();
            const res = await post(a.m.body);
            results.push({ time: a.time - a.m.at, down, status: res.status, ms: performance.now() - started });
          }
          if (down) await pg.start();
          // Away: a prompt non-2xx every time (Zalo retries), never a 2xx that would drop the event.
          const whileDown = results.filter((r) => r.down);
          expect(whileDown.length).toBeGreaterThan(0);
          expect(whileDown.filter((r) => r.status < 500)).toEqual([]);
          // Back: every later attempt, up to the last one 1 h 50 min after the first, is accepted.
          expect(results.filter((r) => !r.down && r.status !== 200)).toEqual([]);
          // Zalo waits 2 s for an answer; no answer here waits on work (a send, a pool that never gives a
          // connection), which would take far longer than this bound a loaded test machine still meets.
          expect(results.filter((r) => r.ms >= 10_000)).toEqual([]);
          now = Math.max(...attempts.map((a) => a.time)) + M;
        }

        await outage(3 * M, "báo cáo");
        // Each officer got the first question once: each event applied once, whatever the redeliveries.
        for (const user of users) await expect.poll(() => oa.texts(user).filter((x) => /^Câu 1\//.test(x)).length, { timeout: 20_000 }).toBe(1);
        expect(await database.db.select().from(inboundEvents)).toHaveLength(OFFICERS);

        // A longer outage: the retries that succeed come 20 and 50 minutes after the first attempt.
        const before = users.map((u) => oa.texts(u).length);
        await outage(25 * M, "tạm dừng");
        for (const [i, user] of users.entries()) {
          await expect.poll(() => oa.texts(user).length, { timeout: 20_000 }).toBeGreaterThan(before[i]!);
        }
        expect(await database.db.select().from(inboundEvents)).toHaveLength(2 * OFFICERS);
        // Once, not once per redelivery: with nothing left to send, every officer got the same replies.
        const settled = await outboxSettled(database, 60_000);
        expect(settled.settled, `${settled.count} message(s) never sent`).toBe(true);
        const after = users.map((u) => oa.texts(u).length);
        expect(after.map((n, i) => n - before[i]!)).toEqual(users.map(() => after[0]! - before[0]!));
      },
      120_000 + 2 * REAL_DOWN_S * 1000,
    );
  },
  privatePostgresUnavailable,
);
