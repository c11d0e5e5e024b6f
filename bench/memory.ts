/**
 * bench:memory — resident memory (RSS) of `npm start`'s server process idle: on PGlite (first
 * start on an empty data folder, then a restart on the same folder) and on PostgreSQL, next to the
 * baseline measured in the same run: a bare Node process that only opens the same PGlite folder.
 * Goal (issue 9): PGlite idle within 80 MB of the bare PGlite process; ≤ 150 MB idle on PostgreSQL.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:memory
 *   npm run bench:memory                 # PGlite only
 *
 * RSS is read from /proc/<pid>/status (VmRSS) after IDLE_S seconds; medians of RUNS runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scratchDatabase } from "./scratch-db.js";

const IDLE_S = Number(process.env.IDLE_S ?? 10);
const RUNS = Number(process.env.RUNS ?? 3);
const baseUrl = process.env.BENCH_DATABASE_URL;
const root = join(import.meta.dirname, "..");

const rssMb = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Starts a node process, waits for `ready` on its stdout, idles, reads RSS, stops it. */
async function measure(args: string[], env: Record<string, string>, ready: RegExp): Promise<number> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 120 s:\n${out}`)), 120_000);
    const on = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.on("exit", (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
  await sleep(IDLE_S * 1000);
  const rss = rssMb(child.pid!);
  child.removeAllListeners("exit");
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  return rss;
}

const serverArgs = ["--import", "tsx", "src/main.ts"];
const serverEnv = (extra: Record<string, string>) => ({ PORT: "0", LOG_LEVEL: "info", DEMO_SEED: "auto", ...extra });
const listening = /listening on/;

// The baseline: what PGlite alone costs on the same folder, in a Node process of its own.
const bareScript = `import { PGlite } from "@electric-sql/pglite"; const db = await PGlite.create(process.argv[1]); await db.query("select 1"); console.log("bare ready"); setInterval(() => {}, 1000);`;

const figures: Record<string, number> = {};
const first: number[] = [];
const restart: number[] = [];
const bare: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const dir = mkdtempSync(join(tmpdir(), "baocao-mem-"));
  try {
    first.push(await measure(serverArgs, serverEnv({ DATA_DIR: dir }), listening));
    restart.push(await measure(serverArgs, serverEnv({ DATA_DIR: dir }), listening));
    bare.push(await measure(["--input-type=module", "-e", bareScript, join(dir, "pglite")], {}, /bare ready/));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`run ${run + 1}: pglite_first=${first.at(-1)} pglite_restart=${restart.at(-1)} bare_pglite=${bare.at(-1)} MB`);
}
figures.pglite_first_mb = median(first);
figures.pglite_idle_mb = median(restart);
figures.bare_pglite_mb = median(bare);
figures.pglite_over_bare_mb = figures.pglite_idle_mb - figures.bare_pglite_mb;

if (baseUrl) {
  const pgRuns: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const scratch = await scratchDatabase(baseUrl);
    const dir = mkdtempSync(join(tmpdir(), "baocao-mem-"));
    try {
      pgRuns.push(await measure(serverArgs, serverEnv({ DATA_DIR: dir, DATABASE_URL: scratch.url! }), listening));
    } finally {
      await scratch.drop();
      rmSync(dir, { recursive: true, force: true });
    }
    console.log(`run ${run + 1}: postgres=${pgRuns.at(-1)} MB`);
  }
  figures.postgres_idle_mb = median(pgRuns);
}

console.log(Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(" "));
