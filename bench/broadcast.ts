/**
 * bench:broadcast — a directive to 10,000 officers through the real outbox, planner and grammY
 * sender, against a fake Bot API on loopback that enforces N messages/s (429 + retry_after above
 * it). Prints the achieved rate as a fraction of N, with duplicates and losses counted.
 *
 *   npm run bench:broadcast                      # PGlite in memory
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:broadcast
 *   RECIPIENTS=10000 LIMIT_PER_S=300 npm run bench:broadcast
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { scratchDatabase } from "./scratch-db.js";
import { sql } from "drizzle-orm";
import { createDatabase } from "../src/db/client.js";
import { channelLinks, officers, units } from "../src/db/schema/index.js";
import { createUnitDirectory } from "../src/directory/units.js";
import { createLogger } from "../src/log.js";
import { createTelegramChannel } from "../src/bot/telegram.js";
import { createOutbox } from "../src/delivery/outbox.js";
import { createPlanners } from "../src/scheduler/planners.js";
import { createBroadcast } from "../src/broadcasts/broadcasts.js";

const RECIPIENTS = Number(process.env.RECIPIENTS ?? 10_000);
const LIMIT = Number(process.env.LIMIT_PER_S ?? 300);
const baseUrl = process.env.BENCH_DATABASE_URL;
/** The worker aims 1% under the platform's limit: arrival jitter would otherwise cost 429 pauses of a whole second. */
const HEADROOM = 0.99;

async function sendingCount(db: ReturnType<typeof createDatabase>["db"]): Promise<number> {
  const res = (await db.execute(sql`select count(*)::int as n from outbox where status = 'sending'`)) as unknown as { rows: { n: number }[] };
  return res.rows[0]!.n;
}

async function main() {
  const fake = spawn(process.execPath, ["--import", "tsx", "bench/fake-bot-api.ts"], {
    env: { ...process.env, LIMIT_PER_S: process.env.FAKE_LIMIT_PER_S ?? String(LIMIT) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.on("exit", () => fake.kill());
  const port = await new Promise<number>((ok) =>
    fake.stdout!.on("data", (d: Buffer) => {
      const m = /PORT=(\d+)/.exec(d.toString());
      if (m) ok(Number(m[1]));
    }),
  );
  const apiRoot = `http://127.0.0.1:${port}`;

  const { url, drop: dropDb } = await scratchDatabase(baseUrl);
  const database = createDatabase({ databaseUrl: url });
  await database.migrate();
  const { db } = database;
  await createUnitDirectory({ db }).importFile(readFileSync("seed/vn-admin-units/post2025_units.csv"), "post2025.csv", "post2025");
  const communes = await db
    .select({ id: units.id })
    .from(units)
    .where(sql`${units.scheme} = 'post2025' and ${units.level} = 'commune'`);
  const rows = Array.from({ length: RECIPIENTS }, (_, i) => ({
    name: `Cán bộ ${i}`,
    phone: `8491${String(i).padStart(7, "0")}`,
    role: "commune" as const,
    unitId: communes[i % communes.length]!.id,
  }));
  for (let i = 0; i < rows.length; i += 2000) {
    const inserted = await db
      .insert(officers)
      .values(rows.slice(i, i + 2000))
      .returning({ id: officers.id });
    await db.insert(channelLinks).values(
      inserted.map((o) => ({
        officerId: o.id,
        channel: "telegram" as const,
        externalId: String(1_000_000 + o.id),
        chatId: String(1_000_000 + o.id),
        preferred: true,
      })),
    );
  }

  const logger = createLogger("silent");
  const telegram = createTelegramChannel({
    token: "1:BENCH",
    apiRoot,
    inbound: { handle: () => Promise.reject(new Error("this test receives nothing")) },
    logger,
    botInfo: { id: 1, is_bot: true, first_name: "b", username: "b" } as never,
  });
  // Noon in Vietnam, running at the real pace (retries after a 429 fall due as they would).
  const startedAt = Date.now();
  const clock = () => new Date(Date.parse("2026-11-23T05:00:00Z") + (Date.now() - startedAt));
  const outbox = createOutbox({
    db,
    senders: { telegram: telegram.sender },
    clock,
    logger,
    quietHours: { start: "21:00", end: "07:00", timeZone: "Asia/Ho_Chi_Minh" },
    rateLimits: { telegram: { perSecond: LIMIT * HEADROOM, perChatIntervalMs: 1000 } },
  });
  const planners = createPlanners({ db, outbox, clock, timeZone: "Asia/Ho_Chi_Minh", logger });

  await createBroadcast(db, { text: "Chỉ đạo: tăng cường phòng, chống đuối nước trẻ em.", audience: { scheme: "post2025" }, requireAck: true }, clock());
  const planStart = performance.now();
  const planned = await planners.planBroadcasts();
  const planMs = performance.now() - planStart;

  // The service's own delivery worker, as `npm start` runs it.
  const worker = outbox.startWorker(50);
  // Until nothing is queued or in flight; a ceiling only a stuck outbox reaches (the lost count then fails the bench).
  for (const until = Date.now() + 30 * 60_000; ((await outbox.queuedCount()) > 0 || (await sendingCount(db)) > 0) && Date.now() < until;)
    await new Promise((ok) => setTimeout(ok, 100));
  await worker.stop();

  const stats = (await (await fetch(`${apiRoot}/stats`)).json()) as { perChat: Record<string, number>; rejected: number; firstAt: number; lastAt: number };
  fake.kill();
  const counts = Object.values(stats.perChat);
  const elapsedS = (stats.lastAt - stats.firstAt) / 1000 || 1e-9;
  // N messages/s means (delivered - 1) gaps of 1/N s between the first and the last.
  const ideal = (counts.length - 1) / LIMIT;
  const fraction = ideal / elapsedS;
  const duplicates = counts.reduce((a, n) => a + (n - 1), 0);
  const lost = RECIPIENTS - counts.length;
  const rejected = stats.rejected;
  // The bench's own checks come before its figures: a rate achieved by losing or doubling
  // messages is no figure at all, and a script that only printed the counts could not fail.
  const wrong = [
    planned !== RECIPIENTS && `planned ${planned} messages for ${RECIPIENTS} recipients`,
    lost !== 0 && `${lost} recipient(s) never got the directive`,
    duplicates !== 0 && `${duplicates} duplicate message(s)`,
  ].filter((w): w is string => typeof w === "string");
  if (wrong.length > 0) {
    console.error(`bench:broadcast FAILED: ${wrong.join("; ")}`);
    process.exit(1);
  }
  console.log(
    `database=${database.kind} planned=${planned} plan_ms=${Math.round(planMs)} send_s=${elapsedS.toFixed(2)} ideal_s=${ideal.toFixed(2)} rejected_429=${rejected}`,
  );
  console.log(`rate_fraction=${fraction.toFixed(3)} duplicates=${duplicates} lost=${lost} recipients=${RECIPIENTS} limit_per_s=${LIMIT}`);
  await database.close();
  await dropDb();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
