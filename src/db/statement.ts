import pg from "pg";
import type { Db, DbOrTx } from "./client.js";

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
    (client instanceof pg.Pool || client instanceof pg.Client) && !unnamed.has(client)
      ? await client.query({ name: statement.name, text: statement.text, values: params })
      : await (client as Queryable).query(statement.text, params);
  return result.rows as T[];
}

/** Pools, and the connections they open, on which statements go unnamed (see sendStatementsUnnamed). */
const unnamed = new WeakSet<object>();

/**
 * From now on the statements above run unnamed on `db`'s PostgreSQL pool: parsed and planned at
 * every run instead of once per connection. For PgBouncer in transaction pooling without
 * protocol-level prepared statements (before 1.21, or max_prepared_statements = 0): there the next
 * transaction may run on another server connection, which has never seen the name ("prepared
 * statement … does not exist"). Call it before the first query: connections opened earlier keep
 * naming theirs.
 */
export function sendStatementsUnnamed(db: Db): void {
  const pool = (db as unknown as { $client: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return;
  unnamed.add(pool);
  pool.on("connect", (client) => unnamed.add(client));
}

/**
 * A write whose result nobody reads, as the WITH list of a statement ("a as (update …), b as
 * (insert …)"), so that it can run in front of another statement in the same round trip. Its
 * parameters are written `${p(1)}`, `${p(2)}`…: numbered after those of the statement it rides
 * with, without rewriting its text.
 */
export interface DeferrableWrite {
  name: string;
  ctes: (p: (n: number) => string) => string;
}

/**
 * A write held back by the step that decided it, handed on as a value to the statement that
 * carries it (the inbound transaction's reply insert: `runStatementWith`). The invariant that makes
 * this safe is the holder's to keep: nothing it does after holding reads what the write changes;
 * the statement it rides with sees the database as before the write (one snapshot).
 */
export interface HeldWrite {
  write: DeferrableWrite;
  params: unknown[];
}

/** Runs `held` by itself. */
export async function runHeldWrite(db: DbOrTx, held: HeldWrite): Promise<void> {
  await runStatement(db, { name: held.write.name, text: `with ${held.write.ctes((n) => `$${n}`)} select 1` }, held.params);
}

/** Statements with a write in front, built once per pair (the name is the pair's: prepared once per connection). */
const combined = new Map<string, Statement>();

/** Runs `statement` with `held` (if any) in front of it, as one statement: one round trip for both. */
export async function runStatementWith<T>(db: DbOrTx, statement: Statement, params: unknown[], held: HeldWrite | undefined): Promise<T[]> {
  if (!held) return runStatement<T>(db, statement, params);
  const name = `${statement.name}+${held.write.name}`;
  let both = combined.get(name);
  if (!both) {
    const ctes = held.write.ctes((n) => `$${n + params.length}`);
    const head = /^\s*with\s/i.exec(statement.text);
    both = { name, text: head ? `with ${ctes}, ${statement.text.slice(head[0].length)}` : `with ${ctes} ${statement.text}` };
    combined.set(name, both);
  }
  return runStatement<T>(db, both, [...params, ...held.params]);
}
