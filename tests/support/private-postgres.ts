import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * The folder holding initdb and pg_ctl: PG_BIN; else the newest /usr/lib/postgresql/<version>/bin
 * (Debian keeps them off PATH); else the first folder on PATH that has both (e.g. /usr/local/bin,
 * Homebrew, a source build); else the usual install folders.
 */
export function postgresBinaries(): string | undefined {
  const debian = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  const onPath = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  const candidates = process.env.PG_BIN ? [process.env.PG_BIN] : [...debian, ...onPath, "/usr/local/pgsql/bin", "/usr/local/bin", "/opt/homebrew/bin"];
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

/** Why a private cluster cannot be made here, or undefined when it can. */
export function privatePostgresUnavailable(): string | undefined {
  if (!postgresBinaries())
    return "no PostgreSQL binaries: initdb and pg_ctl are neither in PG_BIN, /usr/lib/postgresql/*/bin nor on PATH (install postgresql or set PG_BIN)";
  const root = process.getuid?.() === 0;
  if (root && !existsSync("/usr/sbin/runuser") && !existsSync("/sbin/runuser")) return "running as root without runuser to drop to the postgres user";
  return undefined;
}

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

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** pg_ctl stop: "immediate" is a crash (no checkpoint, connections cut), "fast" a clean stop. */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and removes its folder. */
  destroy(): Promise<void>;
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temporary folder, a free port, trust
 * authentication on loopback), so the test can stop and start the database server itself
 * without touching the machine's PostgreSQL. initdb refuses to run as root: as root, the
 * commands run as the `postgres` user.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error("no PostgreSQL binaries");
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), "baocao-pg-"));
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pg = (tool: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args], { cwd: dir }) : run(join(bin, tool), args, { cwd: dir });
  const data = join(dir, "data");
  const superuser = asRoot ? "postgres" : userInfo().username;
  await pg("initdb", ["-D", data, "-A", "trust", "-U", superuser, "--no-sync", "-E", "UTF8", "--locale", "C"]);
  const port = await freePort();
  // Durability against an OS crash is not what this tests (the machine stays up), so no fsync.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`;
  const start = async () => {
    await pg("pg_ctl", ["start", "-D", data, "-w", "-t", "60", "-l", join(dir, "server.log"), "-o", options]);
  };
  const stop = async (mode: "immediate" | "fast" = "immediate") => {
    await pg("pg_ctl", ["stop", "-D", data, "-w", "-t", "60", "-m", mode]);
  };
  await start();
  return {
    url: `postgres://${superuser}@127.0.0.1:${port}/postgres`,
    port,
    stop,
    start,
    async destroy() {
      await stop("immediate").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
