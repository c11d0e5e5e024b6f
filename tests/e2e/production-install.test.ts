import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");

/**
 * The production install of README's "Production" section, in a copy of this working tree (the
 * files git tracks or would add: what a fresh clone has, plus changes not yet committed), with the
 * node that runs the tests: `npm ci`, `npm run build`, `npm prune --omit=dev`, then
 * `node dist/main.js` and `node dist/cli/index.js` with no dev dependency left.
 */
describe("production install: npm ci, build, prune --omit=dev, node dist/main.js", () => {
  let work = "";
  let app = "";
  let dataDir = "";
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "baocao-prod-"));
    app = join(work, "app");
    dataDir = join(work, "data");
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const sh = (cmd: string, args: string[], env: Record<string, string> = {}) =>
    run(cmd, args, { cwd: app, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });

  it("builds, prunes the dev dependencies, starts without a warning, answers /healthz, /readyz and the CLI, and stops on SIGTERM with 0", async () => {
    const cliEnv = { DATA_DIR: dataDir, DEMO_SEED: "off", LOG_LEVEL: "silent" };
    const { stdout: listed } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    for (const file of listed.split("\0").filter(Boolean)) {
      const from = join(ROOT, file);
      // A tracked file deleted in the working tree is not part of it.
      if (!existsSync(from)) continue;
      mkdirSync(dirname(join(app, file)), { recursive: true });
      cpSync(from, join(app, file));
    }

    await sh("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund"]);
    await sh("npm", ["run", "build"]);
    await sh("npm", ["prune", "--omit=dev", "--no-audit", "--no-fund"]);
    // What runs the TypeScript sources is gone: only dist/ can start.
    for (const dev of ["tsx", "esbuild", "typescript", "vitest", "drizzle-kit"])
      expect(existsSync(join(app, "node_modules", dev)), `node_modules/${dev}`).toBe(false);
    // npm start's prestart finds dist/ up to date and does not look for esbuild.
    await sh("npm", ["run", "--silent", "prestart"]);

    const child = spawn(process.execPath, ["dist/main.js"], {
      cwd: app,
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", DATA_DIR: dataDir, DEMO_SEED: "off", SIMULATOR: "on" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
    try {
      await expect.poll(() => /listening on http:\/\/localhost:(\d+)/.exec(stdout)?.[1], { timeout: 120_000, interval: 100 }).toBeDefined();
      const port = /listening on http:\/\/localhost:(\d+)/.exec(stdout)![1];
      const base = `http://127.0.0.1:${port}`;
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", database: "pglite" });
      const ready = await fetch(`${base}/readyz`);
      expect(await ready.json()).toMatchObject({ status: "ready", pendingMigrations: 0 });
      expect(ready.status).toBe(200);

      // The CLI from dist/, sent to the running service (PGlite: one process per folder).
      const status = await sh(process.execPath, ["dist/cli/index.js", "report", "status", "2026-H1", "VN"], cliEnv);
      expect(status.stderr).toBe("");
      expect((await sh(process.execPath, ["dist/cli/index.js", "help"], cliEnv)).stdout).toMatch(/lệnh quản trị/);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
    // Every line the server wrote is a JSON log line: no warning from Node or a dependency.
    expect(stderr).toBe("");
    for (const line of stdout.split("\n").filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();

    // The CLI on its own, the service stopped: it opens the data folder and finds the migrations from dist/.
    const alone = await sh(process.execPath, ["dist/cli/index.js", "report", "status", "2026-H1", "VN"], cliEnv);
    expect(alone.stderr).toBe("");
  }, 600_000);
});
