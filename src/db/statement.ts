import pg from "pg";
import type { Db, DbOrTx, Tx } from "./client.js";

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
export async function runStatement<T>(db: DbOrTx, original: Statement, originalParams: unknown[]): Promise<T[]> {
  const [statement, params] = withPendingWrite(db, original, originalParams);
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
 * (insert …)"): so it can run in front of another statement, in the same round trip.
 */
export interface DeferrableWrite {
  name: string;
  ctes: string;
}

interface PendingWrite {
  write: DeferrableWrite;
  params: unknown[];
}

/** Transactions opened by `withDeferredWrites`, and the write each holds back (if any). */
const pending = new WeakMap<object, PendingWrite | null>();

/** Runs `fn` in a transaction whose deferred write (see `deferWrite`) is always run before it commits. */
export async function withDeferredWrites<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    pending.set(tx, null);
    const result = await fn(tx);
    await flushDeferredWrite(tx);
    return result;
  });
}

/**
 * Holds `write` back to travel in front of the next statement run on this transaction with
 * `runStatement`: one round trip fewer (an answer's save rides with its reply's insert). Only
 * inside `withDeferredWrites`, which runs it at the end if nothing took it; anywhere else it runs
 * at once. The statement it rides with sees the database as before the write (one snapshot), so
 * it must not read what the write changes, and no query-builder statement may run in between.
 * The write's text holds no "$" but its parameters.
 */
export async function deferWrite(db: DbOrTx, write: DeferrableWrite, params: unknown[]): Promise<void> {
  await flushDeferredWrite(db);
  if (pending.has(db)) pending.set(db, { write, params });
  else await runStatement(db, alone(write), params);
}

/** Runs the held-back write by itself, if there is one. */
async function flushDeferredWrite(db: DbOrTx): Promise<void> {
  const held = pending.get(db);
  if (!held) return;
  pending.set(db, null);
  await runStatement(db, alone(held.write), held.params);
}

const alone = (write: DeferrableWrite): Statement => ({ name: write.name, text: `with ${write.ctes} select 1` });

/** `statement` with this transaction's held-back write (if any) in front of it, as one statement. */
function withPendingWrite(db: DbOrTx, statement: Statement, params: unknown[]): [Statement, unknown[]] {
  const held = pending.get(db);
  if (!held) return [statement, params];
  pending.set(db, null);
  // The write's parameters come after the statement's own.
  const ctes = held.write.ctes.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + params.length}`);
  const text = /^\s*with\s/i.test(statement.text) ? statement.text.replace(/^\s*with\s/i, `with ${ctes}, `) : `with ${ctes} ${statement.text}`;
  return [{ name: `${statement.name}+${held.write.name}`, text }, [...params, ...held.params]];
}
