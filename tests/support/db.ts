import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, TestRunner } from "vitest";
import { createDatabase, type Database } from "../../src/db/client.js";
import { MIGRATED_DUMP } from "./global-setup.js";
import { postgresAbsent, postgresRequired, skipOrFail } from "./requirements.js";

export type DbKind = "pglite" | "postgres";

/**
 * Both, always. Without TEST_DATABASE_URL the PostgreSQL copies still exist and are reported as
 * skipped (see useTestDb), so a run says how much it left out; under CI or REQUIRE_POSTGRES=1 the
 * missing database fails the run instead.
 */
export const dbKinds: DbKind[] = ["pglite", "postgres"];

/** Why the PostgreSQL tests are skipped in this run, or undefined when they run (throws when they may not be skipped). */
export const postgresSkipReason = (): string | undefined => skipOrFail(postgresAbsent, postgresRequired, "PostgreSQL");

/**
 * A describe block that runs on PostgreSQL only (and needs whatever `alsoMissing` names, e.g. the
 * PostgreSQL binaries): reported as skipped with the reason in its name, or failing the run under
 * CI / REQUIRE_POSTGRES=1.
 */
export function describePostgres(name: string, fn: () => void, alsoMissing?: () => string | undefined): void {
  const why = postgresSkipReason() ?? skipOrFail(alsoMissing?.(), postgresRequired, "PostgreSQL");
  if (why) describe.skip(`${name} — skipped: ${why}`, fn);
  else describe(name, fn);
}

export interface TestDb {
  database: Database;
  /** For services built on the same database: a PGlite instance or a PostgreSQL URL. */
  pglite?: PGlite;
  url?: string;
}

/**
 * One database per test file (a PGlite opened from the migrated dump, or a fresh PostgreSQL
 * database), emptied before each test: no test sees another's rows.
 */
export function useTestDb(kind: DbKind): TestDb {
  const ctx = {} as TestDb;
  const skip = kind === "postgres" ? postgresSkipReason() : undefined;
  if (skip) {
    // Called while the describe block is being collected: marking that block skipped skips its
    // tests and hooks (the file's own beforeAll/afterEach never run against a missing database),
    // and the reason goes into the block's name, which the reporter prints beside each test.
    const block = TestRunner.getCurrentSuite().suite;
    if (block && block.mode !== "skip") {
      block.mode = "skip";
      block.name += ` — skipped: ${skip}`;
    }
    return ctx;
  }
  let dropDb: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (kind === "pglite") {
      const blob = new Blob([readFileSync(MIGRATED_DUMP)]);
      ctx.pglite = await PGlite.create({ loadDataDir: blob });
      ctx.database = createDatabase({ pglite: ctx.pglite });
      await ctx.database.open();
    } else {
      const admin = process.env.TEST_DATABASE_URL!;
      const name = `baocao_t_${randomBytes(5).toString("hex")}`;
      const client = new pg.Client({ connectionString: admin });
      await client.connect();
      await client.query(`create database ${name}`);
      await client.end();
      const url = new URL(admin);
      url.pathname = `/${name}`;
      ctx.url = url.toString();
      ctx.database = createDatabase({ databaseUrl: ctx.url, poolSize: 12 });
      await ctx.database.migrate();
      dropDb = async () => {
        const c = new pg.Client({ connectionString: admin });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      };
    }
  });
  beforeEach(async () => {
    await truncateAll(ctx.database);
  });
  afterAll(async () => {
    await ctx.database?.close();
    if (ctx.pglite && !ctx.pglite.closed) await ctx.pglite.close();
    await dropDb?.();
  });
  return ctx;
}

export async function truncateAll(database: Database): Promise<void> {
  const tables = await database.db.execute<{ tablename: string }>(sql`select tablename from pg_tables where schemaname = 'public'`);
  const names = (tables as unknown as { rows: { tablename: string }[] }).rows.map((r) => `"${r.tablename}"`);
  if (names.length === 0) return;
  // audit_log refuses TRUNCATE (a trigger); a superuser's replica mode skips triggers, for tests only.
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql.raw(`truncate ${names.join(", ")} restart identity cascade`));
  });
}
