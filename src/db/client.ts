import { mkdirSync } from "node:fs";
import type { PGlite } from "@electric-sql/pglite";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
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
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = fileURLToPath(new URL("../../drizzle", import.meta.url));

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite data folder; undefined = in memory (tests). */
  dataDir?: string;
  /** An already opened PGlite (tests share one per file). */
  pglite?: PGlite;
  poolSize?: number;
}

export function createDatabase(opts: DatabaseOptions): Database {
  if (opts.databaseUrl) return createPostgres(opts.databaseUrl, opts.poolSize ?? 10);
  return createPgliteDatabase(opts);
}

function createPostgres(url: string, max: number): Database {
  // A database that does not answer fails the request in seconds (503, redelivered later), not never.
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000 });
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
    migrate: () => migratePg(drizzlePg(pool), { migrationsFolder }),
    close: () => pool.end(),
  };
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
        if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
        client = new PGlite(opts.dataDir);
      }
      const opened = drizzle(client, { schema });
      real = opened as unknown as Db;
      return opened;
    })());
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
    migrate: async () => migratePglite(await open(), { migrationsFolder }),
    close: async () => {
      if (!opening) return;
      await opening.catch(() => undefined);
      if (owned && client && !client.closed) await client.close();
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
