/**
 * bench:broadcast — a directive to 10,000 officers through the real outbox, planner and grammY
 * sender, against a fake Bot API on loopback that enforces N messages/s (429 + retry_after above
 * it). Prints the achieved rate as a fraction of N, with duplicates and losses counted.
 *
 *   npm run bench:broadcast                      # PGlite in memory
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:broadcast
 *   RECIPIENTS=10000 LIMIT_PER_S=300 npm run bench:broadcast
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { sql } from "drizzle-orm";
import { createDatabase } from "../src/db/client.js";
import { channelLinks, officers, units } from "../src/db/schema/index.js";
import { createUnitDirectory } from "../src/directory/units.js";
import { createLogger } from "../src/log.js";
import { createTelegramChannel } from "../src/bot/telegram.js";
import { createOutbox } from "../src/scheduler/outbox.js";
import { createPlanners } from "../src/scheduler/planners.js";
import { createBroadcast } from "../src/scheduler/broadcasts.js";
import type { InboundHandler } from "../src/bot/inbound.js";

const RECIPIENTS = Number(process.env.RECIPIENTS ?? 10_000);
const LIMIT = Number(process.env.LIMIT_PER_S ?? 300);
const baseUrl = process.env.BENCH_DATABASE_URL;
/** The worker aims 1% under the platform's limit: arrival jitter would otherwise cost 429 pauses. */
const HEADROOM = 0.99;

async function main() {
  // Fake Bot API: a sliding one-second window of LIMIT accepted messages.
  const accepted: number[] = [];
  const perChat = new Map<string, number>();
  let rejected = 0;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const now = performance.now();
      while (accepted.length > 0 && accepted[0]! <= now - 1000) accepted.shift();
      res.setHeader("content-type", "application/json");
      if (accepted.length >= LIMIT) {
        rejected++;
        res.statusCode = 429;
        res.end(JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } }));
        return;
      }
      accepted.push(now);
      const payload = JSON.parse(body) as { chat_id: string };
      perChat.set(String(payload.chat_id), (perChat.get(String(payload.chat_id)) ?? 0) + 1);
      firstAt ??= now;
      lastAt = now;
      res.end(JSON.stringify({ ok: true, result: { message_id: 1, date: 0, chat: { id: Number(payload.chat_id), type: "private" } } }));
    });
  });
  server.keepAliveTimeout = 60_000;
  let firstAt: number | undefined;
  let lastAt = 0;
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const apiRoot = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let dropDb: (() => Promise<void>) | undefined;
  let url: string | undefined;
  if (baseUrl) {
    const name = `baocao_bench_${randomBytes(4).toString("hex")}`;
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    await c.query(`create database ${name}`);
    await c.end();
    const u = new URL(baseUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = async () => {
      const d = new pg.Client({ connectionString: baseUrl });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    };
  }
  const database = createDatabase({ databaseUrl: url });
  await database.migrate();
  const { db } = database;
  await createUnitDirectory({ db }).importFile(readFileSync("seed/vn-admin-units/post2025_units.csv"), "post2025.csv", "post2025");
  const communes = await db.select({ id: units.id }).from(units).where(sql`${units.scheme} = 'post2025' and ${units.level} = 'commune'`);
  const rows = Array.from({ length: RECIPIENTS }, (_, i) => ({ name: `Cán bộ ${i}`, phone: `8491${String(i).padStart(7, "0")}`, role: "commune" as const, unitId: communes[i % communes.length]!.id }));
  for (let i = 0; i < rows.length; i += 2000) {
    const inserted = await db.insert(officers).values(rows.slice(i, i + 2000)).returning({ id: officers.id });
    await db.insert(channelLinks).values(inserted.map((o) => ({ officerId: o.id, channel: "telegram" as const, externalId: String(1_000_000 + o.id), chatId: String(1_000_000 + o.id), preferred: true })));
  }

  const logger = createLogger("silent");
  const telegram = createTelegramChannel({ token: "1:BENCH", apiRoot, inbound: {} as InboundHandler, logger, botInfo: { id: 1, is_bot: true, first_name: "b", username: "b" } as never });
  const noon = () => new Date("2026-11-23T05:00:00Z");
  const outbox = createOutbox({ db, senders: { telegram: telegram.sender }, clock: noon, logger, quietHours: { start: "21:00", end: "07:00", timeZone: "Asia/Ho_Chi_Minh" }, rateLimits: { telegram: { perSecond: LIMIT * HEADROOM, perChatIntervalMs: 1000 } } });
  const planners = createPlanners({ db, outbox, clock: noon, timeZone: "Asia/Ho_Chi_Minh", logger });

  await createBroadcast(db, { text: "Chỉ đạo: tăng cường phòng, chống đuối nước trẻ em.", audience: { scheme: "post2025" }, requireAck: true }, noon());
  const planStart = performance.now();
  const planned = await planners.planBroadcasts();
  const planMs = performance.now() - planStart;

  // Two passes in flight, as in the service's worker: the next batch is claimed while the
  // current one is still going out, so the platform's rate is used without gaps.
  const loop = async () => {
    for (let idle = 0; idle < 3; ) {
      const n = await outbox.drainOnce(Math.ceil(LIMIT / 2));
      if (n === 0) {
        idle++;
        // Retries after a 429 are scheduled on the fixed clock: make them due.
        await db.execute(sql`update outbox set not_before = ${noon()} where status = 'queued'`);
      } else idle = 0;
    }
  };
  await Promise.all([loop(), loop()]);

  const elapsedS = ((lastAt - (firstAt ?? lastAt)) / 1000) || 1e-9;
  // The first message opens the window: N messages/s means RECIPIENTS-1 gaps of 1/N s.
  const ideal = (perChat.size - 1) / LIMIT;
  const fraction = ideal / elapsedS;
  const duplicates = [...perChat.values()].reduce((a, n) => a + (n - 1), 0);
  const lost = RECIPIENTS - perChat.size;
  console.log(`database=${database.kind} planned=${planned} plan_ms=${Math.round(planMs)} send_s=${elapsedS.toFixed(2)} ideal_s=${ideal.toFixed(2)} rejected_429=${rejected}`);
  console.log(`rate_fraction=${fraction.toFixed(3)} duplicates=${duplicates} lost=${lost} recipients=${RECIPIENTS} limit_per_s=${LIMIT}`);
  await database.close();
  await dropDb?.();
  server.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
