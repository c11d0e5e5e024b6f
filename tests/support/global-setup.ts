import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { migrationsFolder } from "../../src/db/client.js";

export const TMP = join(import.meta.dirname, "..", ".tmp");
export const MIGRATED_DUMP = join(TMP, "migrated-pglite.tar.gz");

/**
 * Initialising PGlite costs ~5 s; opening a dump of an initialised, migrated database costs
 * well under one. Make the dump once per run; each test file opens its own copy.
 */
export default async function setup(): Promise<void> {
  mkdirSync(TMP, { recursive: true });
  const pg = new PGlite();
  await migrate(drizzle(pg), { migrationsFolder });
  const dump = await pg.dumpDataDir("gzip");
  writeFileSync(MIGRATED_DUMP, Buffer.from(await dump.arrayBuffer()));
  await pg.close();
}
