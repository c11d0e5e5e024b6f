import pg from "pg";
import type { DbOrTx } from "./client.js";

/**
 * A statement written as SQL text, for the few that run on every inbound message. Building a
 * statement with Drizzle's query builder costs ~70 µs of CPU; four of them were a fifth of what a
 * message cost the server in bench:inbound. Everything else goes through Drizzle.
 */
export interface Statement {
  /** Unique: on PostgreSQL the statement is parsed and planned once per connection under this name. */
  name: string;
  text: string;
}

interface Queryable {
  query(...args: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Runs `statement` on the connection under a Drizzle database or transaction, so it takes part in
 * that transaction. Rows come back with the driver's own types (timestamps as Date, json parsed,
 * bigint as text on `pg`), named as the statement names its columns.
 */
export async function runStatement<T>(db: DbOrTx, statement: Statement, params: unknown[]): Promise<T[]> {
  // Both drivers keep their connection (pool, pooled client, PGlite or its transaction) here.
  const client = (db as unknown as { session: { client: Queryable } }).session.client;
  const result =
    client instanceof pg.Pool || client instanceof pg.Client
      ? await client.query({ name: statement.name, text: statement.text, values: params })
      : await client.query(statement.text, params);
  return result.rows as T[];
}
