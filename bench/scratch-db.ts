import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * A fresh PostgreSQL database for one benchmark run, next to the one `baseUrl` names, dropped
 * afterwards. Without `baseUrl` the benchmark runs on PGlite: no url, nothing to drop.
 */
export async function scratchDatabase(baseUrl: string | undefined): Promise<{ url?: string; drop: () => Promise<void> }> {
  if (!baseUrl) return { drop: async () => {} };
  const name = `baocao_bench_${randomBytes(4).toString("hex")}`;
  const admin = async (query: string) => {
    const c = new pg.Client({ connectionString: baseUrl });
    await c.connect();
    await c.query(query);
    await c.end();
  };
  await admin(`create database ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
