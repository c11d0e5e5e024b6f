import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { MIGRATION_LOCK, migrationsFolder } from "../../src/db/client.js";
import { describePostgres } from "../support/db.js";
import { killServers, spawnServer, type ServerProcess } from "../support/server-process.js";

/**
 * Start-up on PostgreSQL: instances started together on an empty database migrate one after the
 * other (under an advisory lock), so every one becomes healthy and ready and each migration is
 * applied exactly once. Real server processes, as a rolling deploy or a scaled-out service starts them.
 */
describePostgres("instances starting at once on an empty PostgreSQL database (real server processes)", () => {
  const admin = process.env.TEST_DATABASE_URL!;
  const made: string[] = [];
  let dataDir: string;

  const query = async <T extends pg.QueryResultRow>(url: string, text: string) => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<T>(text)).rows;
    } finally {
      await c.end();
    }
  };
  /** A new, empty database next to TEST_DATABASE_URL's: no schema, no drizzle table. */
  const emptyDatabase = async () => {
    const name = `baocao_t_${randomBytes(5).toString("hex")}`;
    await query(admin, `create database ${name}`);
    made.push(name);
    const url = new URL(admin);
    url.pathname = `/${name}`;
    return url.toString();
  };
  const env = (url: string) => ({ DATABASE_URL: url, DATA_DIR: dataDir, SIMULATOR: "on" });
  const status = (s: ServerProcess, path: string) =>
    fetch(`${s.url}${path}`).then(
      (r) => r.status,
      () => 0,
    );

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "baocao-three-"));
  });
  afterAll(async () => {
    await killServers();
    for (const name of made) await query(admin, `drop database if exists ${name} with (force)`);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("three instances all become healthy and ready, and each migration is applied once", async () => {
    const url = await emptyDatabase();
    const servers = await Promise.all([0, 1, 2].map(() => spawnServer(env(url), { timeoutMs: 120_000 })));
    try {
      for (const s of servers) {
        await expect.poll(() => status(s, "/healthz"), { timeout: 30_000 }).toBe(200);
        await expect.poll(() => status(s, "/readyz"), { timeout: 30_000 }).toBe(200);
      }
      const ready = (await (await fetch(`${servers[0]!.url}/readyz`)).json()) as {
        status: string;
        pendingMigrations: number;
        channels: Record<string, string>;
      };
      expect(ready).toMatchObject({ status: "ready", pendingMigrations: 0, channels: { simulator: "on", telegram: "off" } });

      const shipped = readMigrationFiles({ migrationsFolder });
      const applied = await query<{ hash: string; created_at: string }>(url, "select hash, created_at from drizzle.__drizzle_migrations order by id");
      expect(applied.map((m) => Number(m.created_at))).toEqual(shipped.map((m) => m.folderMillis));
      expect(applied.map((m) => m.hash)).toEqual(shipped.map((m) => m.hash));
      // The seeds that follow the migration ran under the same race: each campaign step once.
      const [steps] = await query<{ total: number; uniq: number }>(
        url,
        "select count(*)::int as total, count(distinct (campaign_id, key))::int as uniq from campaign_steps",
      );
      expect(steps!.total).toBeGreaterThan(0);
      expect(steps!.total).toBe(steps!.uniq);

      expect(await Promise.all(servers.map((s) => s.stop()))).toEqual([0, 0, 0]);
    } finally {
      await Promise.all(servers.map((s) => s.kill9()));
    }
  }, 180_000);

  it("an instance waits for the migration lock while another process holds it, then starts", async () => {
    const url = await emptyDatabase();
    // This test holds the lock the way a migrating instance does: an open transaction.
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    let server: ServerProcess | undefined;
    try {
      await holder.query("begin");
      await holder.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
      let listening = false;
      const starting = spawnServer(env(url), { timeoutMs: 120_000 }).then((s) => {
        listening = true;
        return s;
      });
      // The instance is connected and queued behind the lock (its wait shows in pg_locks)...
      const waiting = async () =>
        (
          await query<{ n: number }>(
            admin,
            `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and not l.granted and d.datname = '${new URL(url).pathname.slice(1)}'`,
          )
        )[0]!.n;
      await expect.poll(waiting, { timeout: 60_000, interval: 200 }).toBe(1);
      // ...and has not migrated or started listening.
      expect(listening).toBe(false);
      expect(await query(url, "select to_regclass('drizzle.__drizzle_migrations') as t")).toEqual([{ t: null }]);
      await holder.query("rollback");
      server = await starting;
      await expect.poll(() => status(server!, "/readyz"), { timeout: 30_000 }).toBe(200);
      expect(await server.stop()).toBe(0);
    } finally {
      await holder.end().catch(() => undefined);
      await server?.kill9();
    }
  }, 180_000);
});
