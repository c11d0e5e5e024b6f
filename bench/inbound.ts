/**
 * bench:inbound — OFFICERS officers (in a process of their own) answer the whole report at once
 * through the Telegram webhook (real grammY, real Hono on loopback, a fake Bot API in its own
 * process). Prints answers/s and webhook latency percentiles, next to the raw rate of single-row
 * committed UPDATEs that the same database reaches — through `pg` at 8 and 16 connections, or on
 * PGlite's one connection — measured in the same run; and where each answer's CPU goes.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:inbound
 *   npm run bench:inbound                          # PGlite
 *   CPU_PROF=/tmp/inbound.cpuprofile npm run bench:inbound   # the server's CPU profile of the flat-out run
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { Session } from "node:inspector/promises";
import { scratchDatabase } from "./scratch-db.js";
import pg from "pg";
import { sql } from "drizzle-orm";
import { loadConfig } from "../src/config.js";
import { createService, type Service } from "../src/main.js";
import { runStatement } from "../src/db/statement.js";
import { createLogger } from "../src/log.js";
import { channelLinks, officers, units } from "../src/db/schema/index.js";
import { createUnitDirectory } from "../src/directory/units.js";
import { reportScript } from "../tests/support/report-script.js";

const OFFICERS = Number(process.env.OFFICERS ?? 200);
/** The pause between an officer's messages in the second, human-paced run (0 skips that run). */
const THINK_MS = Number(process.env.THINK_MS ?? 1000);
const baseUrl = process.env.BENCH_DATABASE_URL;
const SECRET = "bench-secret";

/** CPU time used by the whole machine so far (all cores), from /proc/stat. */
function machineCpuMs(): number {
  const [cpu] = readFileSync("/proc/stat", "utf8").split("\n");
  const [user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).slice(1).map(Number);
  return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / 100;
}

/** The officers' process (bench/officers-load.ts) for one group. */
async function runOfficers(job: { port: number; secret: string; chats: number[]; texts: string[]; thinkMs: number; firstUpdateId: number }) {
  const load = spawn(process.execPath, ["--import", "tsx", "bench/officers-load.ts"], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  load.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  load.stdin!.end(JSON.stringify(job));
  const code = await new Promise<number | null>((ok) => load.on("exit", ok));
  if (code !== 0) throw new Error(`the officers' process failed (${code})`);
  return JSON.parse(out) as { elapsedMs: number; latencies: number[]; cpuMs: number };
}

function percentile(values: number[], p: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(1);
}

async function backendCpuMs(db: Service["db"]): Promise<number> {
  const res = (await db.execute(sql`select pid from pg_stat_activity where datname = current_database()`)) as unknown as { rows: { pid: number }[] };
  // Not on this machine (a remote PostgreSQL): no figure.
  return res.rows.reduce((ms, { pid }) => ms + processCpuMs(pid), 0);
}

/** utime + stime of a process of this machine, from /proc (NaN if there is none). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

async function rawPgliteCommitRate(db: Service["db"]): Promise<number> {
  await db.execute(sql`create table if not exists bench_counter (id int primary key, n bigint not null)`);
  await db.execute(sql`insert into bench_counter values (1, 0) on conflict do nothing`);
  const statement = { name: "bench_raw", text: "update bench_counter set n = n + 1 where id = 1" };
  let done = 0;
  const until = performance.now() + 3000;
  while (performance.now() < until) {
    await runStatement(db, statement, []);
    done++;
  }
  return done / 3;
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

/** Profiles this process (the server) until the returned function is called; --cpu-prof would also hold the setup. */
async function startProfiler(): Promise<() => Promise<object>> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    return profile;
  };
}

async function main() {
  const fake = spawn(process.execPath, ["--import", "tsx", "bench/fake-bot-api.ts"], {
    env: { ...process.env, LIMIT_PER_S: "1000000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.on("exit", () => fake.kill());
  const port = await new Promise<number>((ok) =>
    fake.stdout!.on("data", (d: Buffer) => {
      const m = /PORT=(\d+)/.exec(d.toString());
      if (m) ok(Number(m[1]));
    }),
  );

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
  // Officers of two groups, on communes of their own: one answers flat out, one at a human pace.
  const communes = await db
    .select({ id: units.id })
    .from(units)
    .where(sql`${units.level} = 'commune'`)
    .limit(OFFICERS * 2);
  const rows = await db
    .insert(officers)
    .values(communes.map((u, i) => ({ name: `Cán bộ ${i}`, phone: `8491${String(i).padStart(7, "0")}`, role: "commune" as const, unitId: u.id })))
    .returning({ id: officers.id });
  await db
    .insert(channelLinks)
    .values(
      rows.map((o) => ({ officerId: o.id, channel: "telegram" as const, externalId: String(700_000 + o.id), chatId: String(700_000 + o.id), preferred: true })),
    );
  const chats = rows.map((o) => 700_000 + o.id);
  // What each officer types, question after question: the same walk through the form as the tests'.
  const { texts } = reportScript("2026-11-07");
  const run = (group: number[], thinkMs: number, firstUpdateId: number) =>
    runOfficers({ port: httpPort, secret: SECRET, chats: group, texts, thinkMs, firstUpdateId });

  // Flat out: every officer sends the next message as soon as the last is answered.
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpuMs();
  const pg0 = url ? await backendCpuMs(db) : NaN;
  const fake0 = processCpuMs(fake.pid!);
  const profiler = process.env.CPU_PROF ? await startProfiler() : undefined;
  const flat = await run(chats.slice(0, OFFICERS), 0, 1);
  if (profiler) writeFileSync(process.env.CPU_PROF!, JSON.stringify(await profiler()));
  const cpu = process.cpuUsage(cpu0);
  const machineMs = machineCpuMs() - machine0;
  // PostgreSQL's share: the CPU of the backends serving this database (they live as long as the pool).
  const pgBackendMs = url ? (await backendCpuMs(db)) - pg0 : NaN;
  const fakeMs = processCpuMs(fake.pid!) - fake0;

  // At a human pace: a pause of about THINK_MS between an answer and the next message.
  const paced = THINK_MS > 0 ? await run(chats.slice(OFFICERS), THINK_MS, 1_000_000) : undefined;

  const [{ n } = { n: 0 }] = (
    (await db.execute<{ n: number }>(sql`select count(*)::int as n from submissions where status = 'submitted'`)) as unknown as { rows: { n: number }[] }
  ).rows;
  // Every reply written must reach the Bot API once: wait (with a ceiling) for the outbox to empty,
  // then compare what the fake accepted per chat with the replies the database holds for it.
  const queryRows = async <T>(q: ReturnType<typeof sql>) => ((await db.execute(q)) as unknown as { rows: T[] }).rows;
  const settleBy = Date.now() + 120_000;
  while (
    (await queryRows<{ n: number }>(sql`select count(*)::int as n from outbox where status in ('queued', 'sending')`))[0]!.n > 0 &&
    Date.now() < settleBy
  ) {
    await new Promise((ok) => setTimeout(ok, 200));
  }
  const written = new Map(
    (
      await queryRows<{ chat_id: string; n: number; sent: number }>(
        sql`select chat_id, count(*)::int as n, count(*) filter (where status = 'sent')::int as sent from outbox group by chat_id`,
      )
    ).map((r) => [r.chat_id, r]),
  );
  const stats = (await (await fetch(`http://127.0.0.1:${port}/stats`)).json()) as { perChat: Record<string, number> };
  let lost = 0;
  let duplicated = 0;
  for (const [chat, r] of written) {
    const got = stats.perChat[chat] ?? 0;
    lost += Math.max(0, r.n - Math.min(r.sent, got));
    duplicated += Math.max(0, got - r.n);
  }
  for (const chat of Object.keys(stats.perChat)) if (!written.has(chat)) duplicated += stats.perChat[chat]!;
  // PGlite has one connection, in this process: its baseline is committed updates one after another.
  const rawPglite = url ? NaN : await rawPgliteCommitRate(db);
  await service.stop();
  fake.kill();

  // Checks before figures: every officer of both groups must have submitted, or the rate measured
  // something other than the whole report (an answer refused halfway is cheaper than a submission).
  const expectedSubmitted = OFFICERS + (paced ? OFFICERS : 0);
  if (lost > 0 || duplicated > 0) {
    console.error(`bench:inbound FAILED: ${lost} repl(ies) lost, ${duplicated} sent more than once`);
    await drop();
    process.exit(1);
  }
  if (n !== expectedSubmitted) {
    console.error(
      `bench:inbound FAILED: ${n} submission(s), expected ${expectedSubmitted} (${OFFICERS} officers flat out${paced ? ` and ${OFFICERS} at a human pace` : ""})`,
    );
    await drop();
    process.exit(1);
  }
  const raw = url ? await rawCommitRate(url) : rawPglite;
  const answers = flat.latencies.length;
  const answersPerS = answers / (flat.elapsedMs / 1000);
  console.log(
    `database=${service.database.kind} officers=${OFFICERS} messages_each=${texts.length} submitted=${n} flat_out_s=${(flat.elapsedMs / 1000).toFixed(1)}`,
  );
  const serverCpuMs = (cpu.user + cpu.system) / 1000 / answers;
  // Where each answer's CPU goes: this server, the officers' process, PostgreSQL, the fake Bot API,
  // and the rest of the machine (the kernel's loopback, anything else running).
  console.log(
    `cpu_ms_per_answer: server=${serverCpuMs.toFixed(2)} officers=${(flat.cpuMs / answers).toFixed(2)} postgres=${(pgBackendMs / answers).toFixed(2)} fake_bot_api=${(fakeMs / answers).toFixed(2)} rest_of_machine=${((machineMs - flat.cpuMs - (pgBackendMs || 0) - fakeMs) / answers - serverCpuMs).toFixed(2)} cores=${cpus().length}`,
  );
  if (paced)
    console.log(
      `at a human pace (THINK_MS=${THINK_MS}): answers_per_s=${(paced.latencies.length / (paced.elapsedMs / 1000)).toFixed(0)} p50_ms=${percentile(paced.latencies, 50)} p99_ms=${percentile(paced.latencies, 99)}`,
    );
  console.log(
    `answers_per_s=${answersPerS.toFixed(0)} raw_commits_per_s=${raw.toFixed(0)} ratio=${(answersPerS / raw).toFixed(3)} p50_ms=${percentile(flat.latencies, 50)} p95_ms=${percentile(flat.latencies, 95)} p99_ms=${percentile(flat.latencies, 99)} server_cpu_ms_per_answer=${serverCpuMs.toFixed(2)}` +
      (paced ? ` paced_p50_ms=${percentile(paced.latencies, 50)} paced_p99_ms=${percentile(paced.latencies, 99)}` : ""),
  );
  await drop();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
