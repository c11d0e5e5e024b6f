import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import pg from "pg";
import { fileURLToPath } from "node:url";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
/** The one database type the rest of the code sees, whichever driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export interface Database {
  db: Db;
  kind: "pglite" | "postgres";
  /**
   * Loads the driver and opens the database (PGlite only; PostgreSQL connects on first query).
   * `migrate()` and `ping()` do it first; code that skips them must await it before using `db`.
   */
  open(): Promise<void>;
  /** true when the database answers a trivial query. */
  ping(): Promise<boolean>;
  /** Applies the migrations this version ships that the database lacks (PostgreSQL: one process at a time). */
  migrate(): Promise<void>;
  /** How many of this version's migrations the database lacks (0 = up to date); throws when it does not answer. */
  pendingMigrations(): Promise<number>;
  close(): Promise<void>;
}

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

/**
 * Key of the advisory lock migrations run under (any bigint; this is "baocao"'s bytes). Advisory
 * locks are per database, so instances of other databases on the same server never wait for it.
 */
export const MIGRATION_LOCK = 0x62616f63616fn;

/** This version's migrations, by folder timestamp (drizzle records each applied one by it); read once. */
let shipped: { stamps: number[]; newest: number } | undefined;
const shippedMigrations = () => {
  if (!shipped) {
    const stamps = readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis);
    shipped = { stamps, newest: Math.max(...stamps) };
  }
  return shipped;
};

/** Applied migrations' timestamps, or [] when drizzle's table does not exist (a new database). */
async function appliedMigrations(query: (text: string) => Promise<{ rows: Record<string, unknown>[] }>): Promise<number[]> {
  const { rows: exists } = await query("select to_regclass('drizzle.__drizzle_migrations') is not null as present");
  if (!exists[0]?.present) return [];
  const { rows } = await query("select created_at from drizzle.__drizzle_migrations");
  return rows.map((r) => Number(r.created_at));
}

/** Drizzle applies every shipped migration newer than the latest applied one: those are pending. */
const pendingOf = (applied: number[]) => {
  const latest = Math.max(0, ...applied);
  return shippedMigrations().stamps.filter((stamp) => stamp > latest).length;
};

/**
 * Runs `work` while this process holds the migration lock of the database at `url`, so that
 * instances starting together migrate one after the other: the first applies what is missing, the
 * next find nothing left to do. Without it, two instances on a new database both see no migration
 * applied and both run them; the second fails on "already exists" (or on CREATE SCHEMA's
 * duplicate key) and its process stops.
 *
 * The lock is a transaction-level one held by an open transaction on a connection of its own,
 * rather than pg_advisory_lock on the migrating connection: behind PgBouncer in transaction
 * pooling, consecutive statements of one client may run on different server connections, so a
 * session lock could be taken on one and "released" on another, and stay held until PgBouncer
 * closes that connection. An open transaction keeps its server connection, and the lock ends
 * with it — also when this process dies (the connection closes, the transaction rolls back).
 */
async function underMigrationLock<T>(url: string, work: () => Promise<T>): Promise<T> {
  // Its own connection, outside the pool: a pool of one (the CLI's) would otherwise wait for itself.
  const holder = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  holder.on("error", () => {});
  await holder.connect();
  try {
    await holder.query("begin");
    await holder.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK.toString()]);
    return await work();
  } finally {
    await holder.end().catch(() => undefined);
  }
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /**
   * PostgreSQL: a connection as the role that owns the tables, used only by `migrate()`, so that
   * `databaseUrl` can be a role that owns nothing (docs/app-role.sql). Without it, `migrate()`
   * migrates through `databaseUrl` when that role may, and otherwise only checks that nothing is pending.
   */
  migrationUrl?: string;
  /** PGlite data folder; undefined = in memory (tests). */
  dataDir?: string;
  /** An already opened PGlite (tests share one per file). */
  pglite?: PGlite;
  poolSize?: number;
}

export function createDatabase(opts: DatabaseOptions): Database {
  if (opts.databaseUrl) return createPostgres(opts.databaseUrl, opts.poolSize ?? 10, opts.migrationUrl);
  return createPgliteDatabase(opts);
}

function createPostgres(url: string, max: number, migrationUrl?: string): Database {
  // A database that does not answer fails the request in seconds (503, redelivered later), not never
  // (a stopped one refuses at once). pg-pool counts the wait for a free connection in the same
  // timeout: a burst must queue for one rather than be told to come back, hence 15 s, not 5.
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 15_000 });
  // A dropped connection must not crash the process: the pool replaces it on next use.
  pool.on("error", () => {});
  // pg-pool listens for errors only on idle clients: a connection cut mid-transaction (the database
  // restarting) would otherwise be an unhandled 'error' that ends the process. The statement that
  // was running fails on its own and is mapped to a 503 at the HTTP edge.
  pool.on("connect", (client) => client.on("error", () => {}));
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    open: async () => {},
    ping: () => ping(db),
    migrate: async () => {
      if (migrationUrl) {
        const owner = new pg.Pool({ connectionString: migrationUrl, max: 1, connectionTimeoutMillis: 5_000 });
        owner.on("error", () => {});
        try {
          await underMigrationLock(migrationUrl, () => migrateUnlessCurrent(owner));
        } finally {
          await owner.end();
        }
        return;
      }
      // Drizzle's migrator starts with CREATE SCHEMA IF NOT EXISTS, refused to a role without CREATE
      // on the database even when the schema exists: such a role (the application role) only checks.
      const { rows } = await pool.query<{ may: boolean }>("select has_database_privilege(current_database(), 'CREATE') as may");
      // The role that only checks waits for the lock too: an instance migrating right now finishes first.
      await underMigrationLock(url, () => (rows[0]?.may ? migrateUnlessCurrent(pool) : requireMigrated(pool)));
    },
    pendingMigrations: async () => pendingOf(await appliedMigrations((text) => pool.query(text))),
    close: () => pool.end(),
  };
}

/**
 * Drizzle's migrator unless every migration is applied already. A restart (the common case) then
 * costs one query instead of the migrator's CREATE SCHEMA / CREATE TABLE IF NOT EXISTS, which
 * take locks that wait for other sessions' transactions on drizzle's table.
 */
async function migrateUnlessCurrent(pool: pg.Pool): Promise<void> {
  if (pendingOf(await appliedMigrations((text) => pool.query(text))) === 0) return;
  await migratePg(drizzlePg(pool), { migrationsFolder });
}

/** For a role that may not migrate: the database must already have every migration of this version. */
async function requireMigrated(pool: pg.Pool): Promise<void> {
  const newest = shippedMigrations().newest;
  let applied = 0;
  try {
    const { rows } = await pool.query<{ at: string | null }>("select max(created_at) as at from drizzle.__drizzle_migrations");
    applied = Number(rows[0]?.at ?? 0);
  } catch {
    // No migrations table, or not readable by this role: nothing is known to be applied.
  }
  if (applied < newest) {
    throw new Error(
      "The database is not migrated to this version and DATABASE_URL's role may not migrate it: set DATABASE_MIGRATION_URL to a connection as the tables' owner (README, Production).",
    );
  }
}

/**
 * Keeps a data folder private to the user baocao runs as: the folder and every folder below 0700,
 * every file 0600. PGlite writes the files of a new cluster world-writable (0666) whatever the
 * umask, and rewrites a few at each start, so this runs after every open, migration and close;
 * files PostgreSQL itself creates later are 0600 already, and the folder's 0700 keeps everyone
 * else out in between. Symbolic links are left alone.
 */
export function makePrivate(dir: string): void {
  // A file PostgreSQL removes while the walk runs (a temporary one) is simply gone, not an error.
  const gone = (err: unknown) => (err as NodeJS.ErrnoException).code === "ENOENT";
  const fix = (path: string, want: number) => {
    try {
      if ((lstatSync(path).mode & 0o777) !== want) chmodSync(path, want);
    } catch (err) {
      if (!gone(err)) throw err;
    }
  };
  const walk = (folder: string) => {
    fix(folder, 0o700);
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch (err) {
      if (gone(err)) return;
      throw err;
    }
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) fix(path, 0o600);
    }
  };
  walk(dir);
}

/** New files and folders of this process: owner only (worker threads may not set it; their files are fixed by makePrivate). */
function restrictUmask(): void {
  try {
    process.umask(0o077);
  } catch {
    // ERR_WORKER_UNSUPPORTED_OPERATION
  }
}

/**
 * PGlite's code is imported only here, when the database is PGlite, so a PostgreSQL deployment
 * never loads it (under tsx the import added ~40 MB resident right after start). `createDatabase` must stay
 * synchronous (services are built synchronously, opened in `start()`), so `db` is a stand-in that
 * forwards to the real Drizzle database once `open()` has loaded the driver.
 */
function createPgliteDatabase(opts: DatabaseOptions): Database {
  let real: Db | undefined;
  let client = opts.pglite;
  const owned = !opts.pglite;
  let opening: Promise<PgliteDatabase<Schema>> | undefined;
  const open = () =>
    (opening ??= (async () => {
      const [{ PGlite }, { drizzle }] = await Promise.all([import("@electric-sql/pglite"), import("drizzle-orm/pglite")]);
      if (!client) {
        if (opts.dataDir) {
          restrictUmask();
          mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
          makePrivate(opts.dataDir);
        }
        client = new PGlite(opts.dataDir);
        await client.waitReady;
        if (opts.dataDir) makePrivate(opts.dataDir);
      }
      const opened = drizzle(client, { schema });
      real = opened as unknown as Db;
      return opened;
    })());
  const pendingPglite = async () => pendingOf(await appliedMigrations(async (text) => ({ rows: (await client!.query<Record<string, unknown>>(text)).rows })));
  const current = (): Db => {
    if (!real) throw new Error("The PGlite database is not open yet: await database.open() (migrate() opens it)");
    return real;
  };
  // Before opening, `then` and symbols read as absent rather than throwing, so that resolving a
  // promise with `db`, or logging it, does not fail.
  const absent = (key: string | symbol) => !real && (key === "then" || typeof key === "symbol");
  // Methods read through the stand-in run with it as `this`, so their own reads come back here too.
  const db = new Proxy({} as Db, {
    get: (_, key) => (absent(key) ? undefined : Reflect.get(current(), key)),
    has: (_, key) => !absent(key) && Reflect.has(current(), key),
    set: (_, key, value) => Reflect.set(current(), key, value),
    getPrototypeOf: () => (real ? Reflect.getPrototypeOf(real) : Object.prototype),
  });
  return {
    db,
    kind: "pglite",
    open: async () => {
      await open();
    },
    ping: async () => {
      try {
        await open();
      } catch {
        return false;
      }
      return ping(db);
    },
    // One process per data folder (service.json): no lock needed.
    migrate: async () => {
      const opened = await open();
      if ((await pendingPglite()) > 0) await migratePglite(opened, { migrationsFolder });
      if (owned && opts.dataDir) makePrivate(opts.dataDir);
    },
    pendingMigrations: async () => {
      await open();
      return pendingPglite();
    },
    close: async () => {
      if (!opening) return;
      await opening.catch(() => undefined);
      if (owned && client && !client.closed) await client.close();
      if (owned && opts.dataDir) makePrivate(opts.dataDir);
    },
  };
}

async function ping(db: Db): Promise<boolean> {
  try {
    await db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
