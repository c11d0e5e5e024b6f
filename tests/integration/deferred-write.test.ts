import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { deferWrite, runStatement, withDeferredWrites, type DeferrableWrite, type Statement } from "../../src/db/statement.js";
import { dbKinds, useTestDb } from "../support/db.js";

const NOTE: DeferrableWrite = { name: "probe_note", ctes: `probe_noted as (insert into deferred_probe (id, v) values ($1, $2) returning id)` };
const COUNT: Statement = { name: "probe_count", text: `select count(*)::int as n from deferred_probe where v = $1` };
const rows = async (t: ReturnType<typeof useTestDb>) =>
  ((await t.database.db.execute(sql`select id, v from deferred_probe order by id`)) as unknown as { rows: { id: number; v: string }[] }).rows;

describe.each(dbKinds)("a write held back to ride with the next statement (%s)", (kind) => {
  const t = useTestDb(kind);

  it("travels in front of the next statement, with its own parameters, and that statement sees the database as before it", async () => {
    await t.database.db.execute(sql`create table if not exists deferred_probe (id int primary key, v text)`);
    await t.database.db.execute(sql`delete from deferred_probe`);
    const seen = await withDeferredWrites(t.database.db, async (tx) => {
      await deferWrite(tx, NOTE, [1, "a"]);
      // Nothing written yet, even as the transaction sees it: it waits for the next statement.
      expect(((await tx.execute(sql`select count(*)::int as n from deferred_probe`)) as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(0);
      return runStatement<{ n: number }>(tx, COUNT, ["a"]);
    });
    expect(seen).toEqual([{ n: 0 }]);
    expect(await rows(t)).toEqual([{ id: 1, v: "a" }]);
  });

  it("is written at the end of the transaction when no statement takes it, and at once outside one", async () => {
    await t.database.db.execute(sql`create table if not exists deferred_probe (id int primary key, v text)`);
    await t.database.db.execute(sql`delete from deferred_probe`);
    await withDeferredWrites(t.database.db, async (tx) => {
      await deferWrite(tx, NOTE, [2, "b"]);
      // A second held-back write sends the first on its way.
      await deferWrite(tx, NOTE, [3, "c"]);
    });
    expect(await rows(t)).toEqual([{ id: 2, v: "b" }, { id: 3, v: "c" }]);
    await t.database.db.transaction(async (tx) => deferWrite(tx, NOTE, [4, "d"]));
    expect((await rows(t)).map((r) => r.id)).toEqual([2, 3, 4]);
  });

  it("is lost with its transaction when the transaction fails", async () => {
    await t.database.db.execute(sql`create table if not exists deferred_probe (id int primary key, v text)`);
    await t.database.db.execute(sql`delete from deferred_probe`);
    await expect(
      withDeferredWrites(t.database.db, async (tx) => {
        await deferWrite(tx, NOTE, [5, "e"]);
        await runStatement(tx, COUNT, ["e"]);
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(await rows(t)).toEqual([]);
  });
});
