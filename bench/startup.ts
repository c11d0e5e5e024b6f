/**
 * bench:startup — how long the built server takes from `node dist/main.js` to listening, beside
 * the baseline measured in the same run: a bare Node process that only creates (first init) or
 * reopens a PGlite folder.
 *
 *   - first start: an empty DATA_DIR, the quick start's defaults (DEMO_SEED=auto loads the demo
 *     tree); and the same with DEMO_SEED=off (what a production install's first start does);
 *   - restart: the same folder again (nothing to migrate or seed);
 *   - bare: `PGlite.create(dir)` and one query, on an empty folder and on the server's folder.
 *
 * Times are wall-clock from spawn to the line that says the process is ready, so Node's own boot
 * and module loading count on both sides; medians of RUNS runs (the differences are each run's,
 * then their median). The load average is printed: on a busy machine every figure grows.
 * Goal (issue 21): first start within 2 s of bare first init, restart within 1.5 s.
 *
 *   npm run bench:startup           # RUNS=3
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const RUNS = Number(process.env.RUNS ?? 3);
const root = join(import.meta.dirname, "..");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Spawns node with `args` and resolves with the ms until its output matches `ready`; then stops it (SIGTERM). */
function timeToReady(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ ms: number; startupMs?: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`not ready in 180 s:\n${tail}`));
    }, 180_000);
    const onExit = (code: number | null) => reject(new Error(`exited ${code} before ready:\n${tail}`));
    child.on("exit", onExit);
    const on = (b: Buffer) => {
      tail = (tail + b.toString()).slice(-20_000);
      const m = ready.exec(tail);
      if (!m) return;
      const ms = Math.round(performance.now() - started);
      clearTimeout(timer);
      child.stdout!.removeAllListeners("data").on("data", () => {});
      child.stderr!.removeAllListeners("data").on("data", () => {});
      child.off("exit", onExit);
      const startupMs = /"startupMs":(\d+)/.exec(tail)?.[1];
      child.once("exit", (code) =>
        code === 0 || code === null
          ? resolve({ ms, startupMs: startupMs ? Number(startupMs) : undefined })
          : reject(new Error(`stop exited ${code}:\n${tail}`)),
      );
      child.kill("SIGTERM");
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
  });
}

execFileSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: "inherit" });

const listening = /listening on http:\/\/localhost:(\d+)/;
const server = (dir: string, extra: Record<string, string> = {}) =>
  timeToReady(["dist/main.js"], { PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", DATA_DIR: dir, ...extra }, listening);
// The bare baseline: Node, PGlite's import, its init (or reopen) of the folder and one query.
const bareScript = `import { PGlite } from "@electric-sql/pglite"; const db = await PGlite.create(process.argv[1]); await db.query("select 1"); console.log("bare ready"); process.on("SIGTERM", async () => { await db.close(); process.exit(0); }); setInterval(() => {}, 1000);`;
const bare = (folder: string) => timeToReady(["--input-type=module", "-e", bareScript, folder], {}, /bare ready/);

const f: Record<string, number[]> = {
  bare_init: [],
  first_start: [],
  first_start_startup: [],
  first_start_nodemo: [],
  restart: [],
  restart_startup: [],
  bare_reopen: [],
  // Within one run, so that a machine busy with other work weighs on both sides alike.
  first_over_bare: [],
  first_nodemo_over_bare: [],
  restart_over_bare_reopen: [],
};
for (let run = 0; run < RUNS; run++) {
  const dirs = [0, 1, 2].map(() => mkdtempSync(join(tmpdir(), "baocao-start-")));
  try {
    const [bareDir, demoDir, plainDir] = dirs as [string, string, string];
    f.bare_init!.push((await bare(join(bareDir, "pglite"))).ms);
    const first = await server(demoDir);
    f.first_start!.push(first.ms);
    f.first_start_startup!.push(first.startupMs ?? NaN);
    f.first_start_nodemo!.push((await server(plainDir, { DEMO_SEED: "off" })).ms);
    const again = await server(demoDir);
    f.restart!.push(again.ms);
    f.restart_startup!.push(again.startupMs ?? NaN);
    f.bare_reopen!.push((await bare(join(demoDir, "pglite"))).ms);
    f.first_over_bare!.push(f.first_start!.at(-1)! - f.bare_init!.at(-1)!);
    f.first_nodemo_over_bare!.push(f.first_start_nodemo!.at(-1)! - f.bare_init!.at(-1)!);
    f.restart_over_bare_reopen!.push(f.restart!.at(-1)! - f.bare_reopen!.at(-1)!);
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  console.log(
    `run ${run + 1}: ${Object.entries(f)
      .map(([k, v]) => `${k}=${v.at(-1)}`)
      .join(" ")} ms`,
  );
}
const m = Object.fromEntries(Object.entries(f).map(([k, v]) => [`${k}_ms`, median(v)]));
console.log(
  `server: node dist/main.js (node ${process.version}); load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}; goal: first_over_bare_ms ≤ 2000, restart_ms ≤ 1500`,
);
console.log(
  Object.entries(m)
    .map(([k, v]) => `${k}=${v}`)
    .join(" "),
);
