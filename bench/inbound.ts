/**
 * bench:inbound — OFFICERS officers answer the whole report at once through the Telegram webhook
 * (real grammY, real Hono on loopback, a fake Bot API in its own process). Prints answers/s and
 * webhook latency percentiles, next to the raw rate of single-row committed UPDATEs that the same
 * PostgreSQL reaches through `pg` at 8 and 16 connections, measured in the same run.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:inbound
 *   npm run bench:inbound                          # PGlite (no raw baseline: one connection)
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { scratchDatabase } from "./scratch-db.js";
import pg from "pg";
import { sql } from "drizzle-orm";
import { loadConfig } from "../src/config.js";
import { createService } from "../src/main.js";
import { createLogger } from "../src/log.js";
import { channelLinks, officers, units } from "../src/db/schema/index.js";
import { createUnitDirectory } from "../src/directory/units.js";
import { createFormRegistry } from "../src/conversations/form-registry.js";
import { parseAnswer, visibleSlots, type Answers } from "../src/conversations/form-runtime.js";

const OFFICERS = Number(process.env.OFFICERS ?? 200);
const baseUrl = process.env.BENCH_DATABASE_URL;
const SECRET = "bench-secret";

/** What each officer types, question after question, computed with the same pure rules. */
function script(): string[] {
  const form = createFormRegistry().latest("child-affairs");
  const typed: Record<string, string> = { comm_sessions: "3", comm_people: "1.234", comm_children: "200", special_total: "12", special_boys: "5", special_girls: "7", special_groups: "1, 4", special_supported: "10", support_kinds: "1", abuse_cases: "1", abuse_children: "1", abuse_boys: "0", abuse_girls: "1", abuse_age_0_5: "0", abuse_age_6_10: "1", abuse_age_11_15: "0", case_form: "1", case_sex: "2", case_age: "9", case_setting: "1", case_supported: "có", more: "không", gift_value: "24 triệu", fund_raised: "bỏ qua", child_friendly: "1", database_updated: "có", report_date: "hôm nay", contact_phone: "0912 345 678", notes: "Không" };
  const answers: Answers = new Map();
  const out = ["báo cáo"];
  for (;;) {
    const next = visibleSlots(form, answers).find((s) => !answers.has(s.key));
    if (!next) break;
    const text = typed[next.question.id] ?? "2";
    if (text === "bỏ qua") {
      answers.set(next.key, null);
    } else {
      const parsed = parseAnswer(next.question, { text }, { today: "2026-11-07" });
      if (!parsed.ok) throw new Error(`script: ${next.key} ${parsed.message}`);
      answers.set(next.key, parsed.value);
    }
    out.push(text);
  }
  out.push("nộp");
  return out;
}

async function rawCommitRate(url: string): Promise<number> {
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query("create table if not exists bench_counter (id int primary key, n bigint not null)");
  await setup.query("insert into bench_counter select g, 0 from generate_series(1, 64) g on conflict do nothing");
  await setup.end();
  let best = 0;
  for (const conns of [8, 16]) {
    const pool = new pg.Pool({ connectionString: url, max: conns });
    pool.on("error", () => {});
    let done = 0;
    const until = performance.now() + 3000;
    await Promise.all(
      Array.from({ length: conns }, async (_, w) => {
        const c = await pool.connect();
        while (performance.now() < until) {
          await c.query("update bench_counter set n = n + 1 where id = $1", [(w % 64) + 1]);
          done++;
        }
        c.release();
      }),
    );
    await pool.end();
    best = Math.max(best, done / 3);
  }
  return best;
}

async function main() {
  const fake = spawn(process.execPath, ["--import", "tsx", "bench/fake-bot-api.ts"], { env: { ...process.env, LIMIT_PER_S: "1000000" }, stdio: ["ignore", "pipe", "inherit"] });
  process.on("exit", () => fake.kill());
  const port = await new Promise<number>((ok) => fake.stdout!.on("data", (d: Buffer) => {
    const m = /PORT=(\d+)/.exec(d.toString());
    if (m) ok(Number(m[1]));
  }));

  const { url, drop } = await scratchDatabase(baseUrl);
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DEMO_SEED: "off",
    DATA_DIR: `/tmp/baocao-bench-${randomBytes(4).toString("hex")}`,
    ...(url ? { DATABASE_URL: url } : {}),
    TELEGRAM_BOT_TOKEN: "1:BENCH",
    TELEGRAM_API_ROOT: `http://127.0.0.1:${port}`,
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    TELEGRAM_RATE_PER_SEC: "1000",
  });
  const service = createService(config, {
    clock: () => new Date("2026-11-07T03:00:00Z"),
    logger: createLogger("silent"),
    telegramBotInfo: { id: 1, is_bot: true, first_name: "b", username: "b" } as never,
    workerIntervalMs: 0,
  });
  const { port: httpPort } = await service.start();
  const db = service.db;
  await createUnitDirectory({ db }).importFile(readFileSync("seed/vn-admin-units/post2025_units.csv"), "u.csv", "post2025");
  const communes = await db.select({ id: units.id }).from(units).where(sql`${units.level} = 'commune'`).limit(OFFICERS);
  const rows = await db
    .insert(officers)
    .values(communes.map((u, i) => ({ name: `Cán bộ ${i}`, phone: `8491${String(i).padStart(7, "0")}`, role: "commune" as const, unitId: u.id })))
    .returning({ id: officers.id });
  await db.insert(channelLinks).values(rows.map((o) => ({ officerId: o.id, channel: "telegram" as const, externalId: String(700_000 + o.id), chatId: String(700_000 + o.id), preferred: true })));

  const texts = script();
  let updateId = 1;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    rows.map(async (o) => {
      const chat = 700_000 + o.id;
      for (const text of texts) {
        const body = JSON.stringify({ update_id: updateId++, message: { message_id: 1, date: 0, chat: { id: chat, type: "private" }, from: { id: chat, is_bot: false, first_name: "x" }, text } });
        const t0 = performance.now();
        const res = await fetch(`http://127.0.0.1:${httpPort}/webhooks/telegram`, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET }, body });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const [{ n } = { n: 0 }] = (await db.execute<{ n: number }>(sql`select count(*)::int as n from submissions where status = 'submitted'`) as unknown as { rows: { n: number }[] }).rows;
  await service.stop();
  fake.kill();

  const raw = url ? await rawCommitRate(url) : NaN;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
  const answersPerS = latencies.length / elapsed;
  console.log(`database=${service.database.kind} officers=${OFFICERS} messages_each=${texts.length} submitted=${n} elapsed_s=${elapsed.toFixed(1)}`);
  console.log(`answers_per_s=${answersPerS.toFixed(0)} raw_commits_per_s=${Number.isNaN(raw) ? "n/a" : raw.toFixed(0)} ratio=${Number.isNaN(raw) ? "n/a" : (answersPerS / raw).toFixed(2)} p50_ms=${pct(50)} p95_ms=${pct(95)} p99_ms=${pct(99)}`);
  await drop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
