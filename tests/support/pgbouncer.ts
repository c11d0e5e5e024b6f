import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** pgbouncer: PGBOUNCER_BIN, else on PATH, else Debian's /usr/sbin (not on a normal user's PATH). */
export function pgbouncerBinary(): string | undefined {
  const candidates = [
    process.env.PGBOUNCER_BIN,
    ...(process.env.PATH ?? "")
      .split(delimiter)
      .filter(Boolean)
      .map((d) => join(d, "pgbouncer")),
    "/usr/sbin/pgbouncer",
    "/usr/local/bin/pgbouncer",
    "/opt/homebrew/bin/pgbouncer",
  ];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** Why a private PgBouncer cannot be started here, or undefined when it can. */
export function pgbouncerUnavailable(): string | undefined {
  if (!pgbouncerBinary()) return "no pgbouncer binary (apt-get install pgbouncer, or set PGBOUNCER_BIN)";
  if (process.getuid?.() === 0 && !existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser"))
    return "running as root without runuser (pgbouncer refuses to run as root)";
  return undefined;
}

/** [major, minor] of the installed pgbouncer ("PgBouncer 1.18.0"). */
export function pgbouncerVersion(): [number, number] {
  const out = execFileSync(pgbouncerBinary()!, ["--version"], { encoding: "utf8" });
  const m = /PgBouncer (\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`unexpected pgbouncer --version: ${out}`);
  return [Number(m[1]), Number(m[2])];
}

/** Protocol-level named prepared statements in transaction pooling came with 1.21 (max_prepared_statements). */
export const supportsPreparedStatements = ([major, minor]: [number, number]) => major > 1 || (major === 1 && minor >= 21);

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const accepts = (port: number) =>
  new Promise<boolean>((ok) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      ok(true);
    });
    socket.once("error", () => ok(false));
  });

export interface PrivatePgbouncer {
  port: number;
  version: [number, number];
  /** `upstreamUrl` with its host and port replaced by this PgBouncer's. */
  urlFor(upstreamUrl: string): string;
  /** The tail of its log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * A PgBouncer of the test's own on a free port, in front of `upstream` (host and port of a
 * PostgreSQL with trust authentication on loopback): its own ini and userlist in a temporary
 * folder, transaction pooling, a small pool so that consecutive transactions of one client land on
 * different server connections. As root it runs as the postgres user (pgbouncer refuses root).
 */
export async function startPgbouncer(opts: {
  upstreamHost: string;
  upstreamPort: number;
  poolSize?: number;
  maxPreparedStatements?: number;
}): Promise<PrivatePgbouncer> {
  const bin = pgbouncerBinary();
  if (!bin) throw new Error("no pgbouncer");
  const version = pgbouncerVersion();
  const dir = mkdtempSync(join(tmpdir(), "baocao-pgbouncer-"));
  const port = await freePort();
  const ini = join(dir, "pgbouncer.ini");
  const logfile = join(dir, "pgbouncer.log");
  writeFileSync(
    ini,
    [
      "[databases]",
      `* = host=${opts.upstreamHost} port=${opts.upstreamPort}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      "pool_mode = transaction",
      "max_client_conn = 500",
      `default_pool_size = ${opts.poolSize ?? 4}`,
      // node-postgres sends none of the usual extra startup parameters; psql-like clients might.
      "ignore_startup_parameters = extra_float_digits",
      `logfile = ${logfile}`,
      `pidfile = ${join(dir, "pgbouncer.pid")}`,
      ...(supportsPreparedStatements(version) ? [`max_prepared_statements = ${opts.maxPreparedStatements ?? 200}`] : []),
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "userlist.txt"), '"postgres" ""\n');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    for (const p of [dir, ini, join(dir, "userlist.txt")]) chownSync(p, uid, gid);
  }
  let output = "";
  const child: ChildProcess = asRoot
    ? spawn("runuser", ["-u", "postgres", "--", bin, ini], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(bin, [ini], { stdio: ["ignore", "pipe", "pipe"] });
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited = false;
  const done = new Promise<void>((ok) => child.once("exit", () => ((exited = true), ok())));
  const log = () => {
    try {
      return execFileSync("tail", ["-c", "8000", logfile], { encoding: "utf8" });
    } catch {
      return output;
    }
  };
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) throw new Error(`pgbouncer did not start:\n${output}\n${log()}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return {
    port,
    version,
    urlFor(upstreamUrl) {
      const u = new URL(upstreamUrl);
      u.hostname = "127.0.0.1";
      u.port = String(port);
      return u.toString();
    },
    log,
    async stop() {
      // runuser may not pass the signal on: pgbouncer's own pid (this test started it) gets it too.
      try {
        process.kill(Number(readFileSync(join(dir, "pgbouncer.pid"), "utf8").trim()), "SIGTERM");
      } catch {
        // already gone
      }
      if (!exited) child.kill("SIGTERM");
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
