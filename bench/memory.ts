/**
 * bench:memory — resident memory (RSS) of the server process that `npm start` runs, next to the
 * baseline measured in the same run: a bare Node process that only opens the same PGlite folder.
 *
 *   - PGlite: first start on an empty data folder (creates the demo data), then a restart on the
 *     same folder idle, then that same process after the inbound workload below;
 *   - PostgreSQL (with BENCH_DATABASE_URL): first start on a scratch database idle, then after the
 *     inbound workload.
 *
 * The inbound workload is bench:inbound's: OFFICERS officers (imported through the CLI, linked by
 * sharing their phone number) each answer the whole report through the Telegram webhook, all at
 * once, against a fake Bot API in this process.
 * Goal (issue 9): PGlite idle within 80 MB of bare PGlite; ≤ 150 MB idle on PostgreSQL.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:memory
 *   npm run bench:memory                 # PGlite only
 *   RUNS=3 IDLE_S=30 OFFICERS=200        # the defaults
 *   SERVER_ARGS="--import tsx src/main.ts" npm run bench:memory   # another way of running the server
 *
 * The server runs with the node arguments of package.json's `start` script, after `npm run build`
 * (what `prestart` does). RSS is read from /proc/<pid>/status (VmRSS) after IDLE_S seconds of
 * idling; figures are medians of RUNS runs.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scratchDatabase } from "./scratch-db.js";
import { createDatabase } from "../src/db/client.js";
import { createFormRegistry } from "../src/forms/form-registry.js";
import { reportScript } from "../tests/support/report-script.js";
import { runCommand } from "../src/cli/commands.js";

// V8 gives back the heap it grew under load ~10–20 s after the load stops: measure after that.
const IDLE_S = Number(process.env.IDLE_S ?? 30);
const RUNS = Number(process.env.RUNS ?? 3);
const OFFICERS = Number(process.env.OFFICERS ?? 200);
const baseUrl = process.env.BENCH_DATABASE_URL;
const root = join(import.meta.dirname, "..");
const SECRET = "bench-memory-secret";

const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The node arguments `npm start` runs the server with, after the build `prestart` runs. */
function serverArgs(): string[] {
  if (process.env.SERVER_ARGS) return process.env.SERVER_ARGS.split(/\s+/).filter(Boolean);
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  // "exec node …": the shell hands its place to node, so signals reach the server.
  const [bin, ...args] = pkg.scripts.start!.replace(/^exec\s+/, "").split(/\s+/);
  if (bin !== "node") throw new Error(`bench:memory expects "start" to run node, not: ${pkg.scripts.start}`);
  if (pkg.scripts.prestart) execFileSync("npm", ["run", "--silent", "prestart"], { cwd: root, stdio: "inherit" });
  return args;
}

interface Server {
  child: ChildProcess;
  port: number;
  rss(): number;
  stop(): Promise<void>;
}

/** Starts a node process and resolves once its output matches `ready` (with the port, if any). */
async function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 180 s:\n${tail}`)), 180_000);
    const on = (b: Buffer) => {
      // A bounded tail: the server logs a line per request under load.
      tail = (tail + b.toString()).slice(-20_000);
      const m = ready.exec(tail);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1] ?? 0));
      }
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.on("exit", (code) => reject(new Error(`exited ${code}:\n${tail}`)));
  });
  // Keep reading after ready so a chatty process never blocks on a full pipe.
  child.stdout!.on("data", () => {});
  child.stderr!.on("data", () => {});
  return {
    child,
    port,
    rss: () => rssMb(child.pid!),
    stop: async () => {
      child.removeAllListeners("exit");
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A Bot API stand-in: getMe, and every send accepted; counts what each chat was sent. */
async function startFakeBotApi() {
  const sent = new Map<string, string[]>();
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const method = (req.url ?? "").split("/").pop();
      const payload = body ? (JSON.parse(body) as { chat_id?: string | number; text?: string }) : {};
      let result: unknown = true;
      if (method === "getMe") result = { id: 1, is_bot: true, first_name: "baocao", username: "baocao_bench_bot" };
      else if (payload.chat_id !== undefined) {
        const chat = String(payload.chat_id);
        sent.set(chat, [...(sent.get(chat) ?? []), payload.text ?? ""]);
        result = { message_id: 1, date: 0, chat: { id: Number(chat), type: "private" }, text: payload.text ?? "" };
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ ok: true, result }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, sent, close: () => new Promise((ok) => server.close(ok)) };
}

/** The first `n` post-2025 communes of the bundled unit list (the demo data loads that list). */
function communeCodes(n: number): string[] {
  const lines = readFileSync(join(root, "seed/vn-admin-units/post2025_units.csv"), "utf8").split("\n");
  return lines
    .filter((l) => l.split(",")[2] === "commune")
    .slice(0, n)
    .map((l) => l.split(",")[0]!);
}

/** Runs a CLI command the way `npm run cli` would against this server's database. */
type Cli = (args: string[], files?: Record<string, Buffer>) => Promise<string>;

/** PGlite: through the running service (one process per data folder), as `npm run cli` does. */
function cliThroughService(dataDir: string): Cli {
  return async (args, files = {}) => {
    const { port, token } = JSON.parse(readFileSync(join(dataDir, "service.json"), "utf8")) as { port: number; token: string };
    const res = await fetch(`http://127.0.0.1:${port}/internal/cli`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-baocao-cli-token": token },
      body: JSON.stringify({ args, files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString("base64")])) }),
    });
    const result = (await res.json()) as { output: string; exitCode: number };
    if (result.exitCode !== 0) throw new Error(`cli ${args.join(" ")}: ${result.output}`);
    return result.output;
  };
}

/** PostgreSQL: on a connection of this process, as `npm run cli` does. */
function cliOnPostgres(url: string): Cli {
  return async (args, files = {}) => {
    const database = createDatabase({ databaseUrl: url, poolSize: 1 });
    try {
      const result = await runCommand(args, {
        db: database.db,
        forms: createFormRegistry(),
        clock: () => new Date(),
        timeZone: "Asia/Ho_Chi_Minh",
        inviteTtlHours: 72,
        readFile: async (path) => files[path] ?? Promise.reject(Object.assign(new Error("ENOENT"), { code: "ENOENT", path })),
      });
      if (result.exitCode !== 0) throw new Error(`cli ${args.join(" ")}: ${result.output}`);
      return result.output;
    } finally {
      await database.close();
    }
  };
}

let updateId = 1;
/**
 * bench:inbound's workload against a running server: OFFICERS officers imported, each linking by
 * sharing their own phone number, then answering the whole report and submitting it, all at once.
 * Returns how many officers got the submission confirmed.
 */
async function inboundWorkload(server: Server, cli: Cli, bot: Awaited<ReturnType<typeof startFakeBotApi>>, texts: string[]): Promise<number> {
  const officers = communeCodes(OFFICERS).map((code, i) => ({ chat: 700_000 + i, phone: `8491${String(i).padStart(7, "0")}`, code }));
  const csv = ["name,phone,role,unit_code,scheme", ...officers.map((o, i) => `Cán bộ ${i},${o.phone},commune,${o.code},post2025`)].join("\n");
  await cli(["officers", "import", "officers.csv"], { "officers.csv": Buffer.from(csv) });
  const post = async (chat: number, message: Record<string, unknown>) => {
    const body = JSON.stringify({
      update_id: updateId++,
      message: { message_id: 1, date: 0, chat: { id: chat, type: "private" }, from: { id: chat, is_bot: false, first_name: "x" }, ...message },
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
      body,
    });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
  };
  await Promise.all(
    officers.map(async (o) => {
      await post(o.chat, { contact: { phone_number: `+${o.phone}`, first_name: "x", user_id: o.chat } });
      for (const text of texts) await post(o.chat, { text });
    }),
  );
  // Replies are sent right after each commit: wait until every officer has her confirmation, up to
  // a ceiling that only a lost reply reaches (then the check below fails the bench).
  const last = (o: { chat: number }) => bot.sent.get(String(o.chat))?.at(-1) ?? "";
  const confirmedAll = () => officers.every((o) => /^✅ Đã nộp/.test(last(o)));
  for (const until = Date.now() + 30_000; !confirmedAll() && Date.now() < until;) await sleep(50);
  const submitted = officers.filter((o) => /^✅ Đã nộp/.test(last(o)));
  const stuck = officers.find((o) => !submitted.includes(o));
  if (stuck) console.warn(`officer ${stuck.phone} was last told: ${last(stuck)}`);
  return submitted.length;
}

const args = serverArgs();
// What each officer types: the same walk through the form as the tests' and bench:inbound's.
const { texts } = reportScript();
const bot = await startFakeBotApi();
const serverEnv = (extra: Record<string, string>) => ({
  PORT: "0",
  LOG_LEVEL: "info",
  DEMO_SEED: "auto",
  TELEGRAM_BOT_TOKEN: "1:BENCH",
  TELEGRAM_API_ROOT: bot.url,
  TELEGRAM_WEBHOOK_SECRET: SECRET,
  TELEGRAM_RATE_PER_SEC: "1000",
  ...extra,
});
const listening = /listening on http:\/\/localhost:(\d+)/;
/** Idles, then reads the RSS. */
const idleRss = async (s: Server) => {
  await sleep(IDLE_S * 1000);
  return s.rss();
};

// The baseline: what PGlite alone costs on the same folder, in a Node process of its own. The timer
// holds the instance: a module-scope variable nothing refers to is collected, WASM memory and all,
// a few seconds into the idle period (which made the baseline ~140 MB instead of ~300 MB).
const bareScript = `import { PGlite } from "@electric-sql/pglite"; const db = await PGlite.create(process.argv[1]); await db.query("select 1"); console.log("bare ready"); setInterval(() => db.closed, 1000);`;

// Every officer of every run must have got the submission confirmed, or the workload did not
// happen: the run stops there, before any figure of it is printed.
function workloadFailed(): never {
  console.error(`bench:memory FAILED: in one run only ${confirmed} of ${OFFICERS} officers had their report confirmed, so the workload did not happen`);
  process.exit(1);
}

const figures: Record<string, number> = {};
const first: number[] = [];
const restart: number[] = [];
const afterInbound: number[] = [];
const bare: number[] = [];
let confirmed = Infinity;
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), "baocao-mem-"));
  try {
    let s = await startProcess(args, serverEnv({ DATA_DIR: dir }), listening);
    first.push(await idleRss(s));
    await s.stop();
    s = await startProcess(args, serverEnv({ DATA_DIR: dir }), listening);
    restart.push(await idleRss(s));
    confirmed = Math.min(confirmed, await inboundWorkload(s, cliThroughService(dir), bot, texts));
    if (confirmed !== OFFICERS) await s.stop().then(workloadFailed);
    afterInbound.push(await idleRss(s));
    await s.stop();
    const b = await startProcess(["--input-type=module", "-e", bareScript, join(dir, "pglite")], {}, /bare ready/);
    bare.push(await idleRss(b));
    await b.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `run ${run + 1}: pglite_first=${first.at(-1)} pglite_idle=${restart.at(-1)} pglite_after_inbound=${afterInbound.at(-1)} bare_pglite=${bare.at(-1)} MB`,
  );
}
figures.pglite_first_mb = median(first);
figures.pglite_idle_mb = median(restart);
figures.pglite_after_inbound_mb = median(afterInbound);
figures.bare_pglite_mb = median(bare);
figures.pglite_over_bare_mb = figures.pglite_idle_mb - figures.bare_pglite_mb;

if (baseUrl) {
  const idle: number[] = [];
  const after: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const scratch = await scratchDatabase(baseUrl);
    const dir = mkdtempSync(join(tmpdir(), "baocao-mem-"));
    try {
      const s = await startProcess(args, serverEnv({ DATA_DIR: dir, DATABASE_URL: scratch.url! }), listening);
      idle.push(await idleRss(s));
      confirmed = Math.min(confirmed, await inboundWorkload(s, cliOnPostgres(scratch.url!), bot, texts));
      if (confirmed !== OFFICERS) await s.stop().then(workloadFailed);
      after.push(await idleRss(s));
      await s.stop();
    } finally {
      await scratch.drop();
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`run ${run + 1}: postgres_idle=${idle.at(-1)} postgres_after_inbound=${after.at(-1)} MB`);
  }
  figures.postgres_idle_mb = median(idle);
  figures.postgres_after_inbound_mb = median(after);
}
await bot.close();

figures.officers = OFFICERS;
figures.submitted_min = confirmed;
console.log(`server: node ${args.join(" ")}; workload: ${OFFICERS} officers × ${texts.length + 1} webhook updates`);
console.log(
  Object.entries(figures)
    .map(([k, v]) => `${k}=${v}`)
    .join(" "),
);
