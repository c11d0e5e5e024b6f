import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import { migrationsFolder } from "../../src/db/client.js";
import { browserRequired, postgresAbsent, postgresRequired } from "./requirements.js";
import { privatePostgresUnavailable } from "./private-postgres.js";

export const TMP = join(import.meta.dirname, "..", ".tmp");
export const MIGRATED_DUMP = join(TMP, "migrated-pglite.tar.gz");

/**
 * What this run was asked to test on and does not have, said once before any test starts (each
 * test file says it again where it would otherwise skip): under CI, REQUIRE_POSTGRES=1 or
 * REQUIRE_BROWSER=1 a missing PostgreSQL, PostgreSQL binaries or browser fails the run.
 */
async function missingRequirements(): Promise<string[]> {
  const missing: string[] = [];
  const url = process.env.TEST_DATABASE_URL;
  if (postgresRequired) {
    if (postgresAbsent) missing.push(postgresAbsent);
    const binaries = privatePostgresUnavailable();
    if (binaries) missing.push(binaries);
  }
  if (url) {
    // Set but unreachable fails every PostgreSQL test one by one; say why once instead.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
    try {
      await client.connect();
      await client.query("select 1");
    } catch (err) {
      missing.push(`TEST_DATABASE_URL=${url} cannot be reached: ${(err as Error).message}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  const chromium = process.env.CHROMIUM || "/usr/bin/chromium";
  if (browserRequired && !existsSync(chromium)) missing.push(`${chromium} not found (apt-get install chromium)`);
  return missing;
}

/**
 * Initialising PGlite costs ~5 s; opening a dump of an initialised, migrated database costs
 * well under one. Make the dump once per run; each test file opens its own copy.
 */
export default async function setup(): Promise<void> {
  const missing = await missingRequirements();
  if (missing.length > 0)
    throw new Error(`The tests cannot run as asked (CI, REQUIRE_POSTGRES, REQUIRE_BROWSER or TEST_DATABASE_URL):\n- ${missing.join("\n- ")}`);
  mkdirSync(TMP, { recursive: true });
  const pglite = new PGlite();
  await migrate(drizzle(pglite), { migrationsFolder });
  const dump = await pglite.dumpDataDir("gzip");
  writeFileSync(MIGRATED_DUMP, Buffer.from(await dump.arrayBuffer()));
  await pglite.close();
}
