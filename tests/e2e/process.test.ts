import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
/** What `npm start` runs once `prestart` has built dist/: node with the `start` script's arguments. */
// ("exec" so that the shell npm starts hands over to node, and `kill` of `npm start` reaches the server.)
const START_ARGS = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start
  .replace(/^exec\s+/, "")
  .split(/\s+/)
  .slice(1);

/** `npm start` as a user runs it: a real child process on an embedded database folder. */
function startServer(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; logs: string[] }> {
  const child = spawn(process.execPath, START_ARGS, {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    // A ceiling only a server that cannot start reaches: a first start on a loaded machine takes a minute.
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join("")}`)), 180_000);
    const onData = (d: Buffer) => {
      logs.push(d.toString());
      const m = /listening on http:\/\/localhost:(\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), logs });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => logs.push(d.toString()));
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${logs.join("")}`)));
  });
}

const cli = (args: string[], env: Record<string, string>) =>
  run(TSX, ["src/cli/index.ts", ...args], { cwd: ROOT, env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

describe("the service as a process on embedded PGlite", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "baocao-proc-"));
  const env = { DATA_DIR: dataDir, LOG_LEVEL: "info", TELEGRAM_BOT_USERNAME: "baocao_demo_bot" };
  beforeAll(async () => {
    await run("npm", ["run", "--silent", "build"], { cwd: ROOT });
  }, 60_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("starts, serves the simulator, takes CLI commands while running, and stops cleanly on SIGTERM", async () => {
    const { child, port, logs } = await startServer(env);
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(logs.join("")).toMatch(/Telegram is off/);
    // The first start's demo officers live in the demo tree, never in an official unit.
    const officers = (await (await fetch(`${base}/simulator/api/officers`)).json()) as { officers: { unit: string }[] };
    expect(officers.officers.length).toBe(5);
    expect(officers.officers.every((o) => o.unit.endsWith("(dữ liệu thử)"))).toBe(true);

    // While the service holds the PGlite folder, the CLI goes through it.
    const invite = await cli(["officers", "invite", "0900000001"], env);
    expect(invite.code).toBe(0);
    expect(invite.out).toMatch(/https:\/\/t\.me\/baocao_demo_bot\?start=[A-Z2-9]{10}/);
    const reseeded = await cli(["demo", "seed"], env);
    expect(reseeded.code).toBe(0);
    expect(reseeded.out).toMatch(/Tỉnh Mẫu \(dữ liệu thử\), không phải đơn vị thật/);
    const imported = await cli(["units", "import", "seed/vn-admin-units/pre2025_units.csv", "--scheme", "pre2025"], env);
    expect(imported.out).toMatch(/Đã nhập 10794 đơn vị/);
    const missing = await cli(["officers", "import", "does-not-exist.csv"], env);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/Không mở được tệp/);

    // A second service on the same folder refuses to start rather than corrupt it.
    await expect(startServer(env)).rejects.toThrow(/Another baocao/);

    const exited = new Promise<number | null>((ok) => child.on("exit", (code) => ok(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(join(dataDir, "service.json"))).toBe(false);

    // With the service stopped, the CLI opens the folder itself.
    const status = await cli(["report", "status", "2026-Y", "12"], env);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/Tỉnh Lai Châu/);
  }, 600_000); // three starts of the real process and its CLI: minutes on a machine running another suite

  it("refuses bad configuration with a message naming each variable", async () => {
    const r = await cli(["report", "status", "2026-Y", "12"], { ...env, PORT: "abc", TELEGRAM_WEBHOOK_SECRET: "has spaces!" });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/PORT/);
    expect(r.out).toMatch(/TELEGRAM_WEBHOOK_SECRET/);
  }, 120_000); // a process that loads the whole program before refusing: slow beside another suite
});
