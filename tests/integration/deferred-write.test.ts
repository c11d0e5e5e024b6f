import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runHeldWrite, runStatementWith, type DeferrableWrite, type HeldWrite, type Statement } from "../../src/db/statement.js";
import { dbKinds, useTestDb } from "../support/db.js";

// An answer's save is handed on as a value (HeldWrite) and rides in front of the reply's insert.
const NOTE: DeferrableWrite = { name: "probe_note", ctes: (p) => `probe_noted as (insert into deferred_probe (id, v) values (${p(1)}, ${p(2)}) returning id)` };
const COUNT: Statement = { name: "probe_count", text: `select count(*)::int as n from deferred_probe where v = $1` };
const WITH_COUNT: Statement = {
  name: "probe_with_count",
  text: `with wanted as (select $1::text as v) select count(*)::int as n from deferred_probe, wanted where deferred_probe.v = wanted.v`,
};
const note = (id: number, v: string): HeldWrite => ({ write: NOTE, params: [id, v] });
const rows = async (t: ReturnType<typeof useTestDb>) =>
  ((await t.database.db.execute(sql`select id, v from deferred_probe order by id`)) as unknown as { rows: { id: number; v: string }[] }).rows;

describe.each(dbKinds)("a write held back to ride with the next statement (%s)", (kind) => {
  const t = useTestDb(kind);
  const fresh = async () => {
    await t.database.db.execute(sql`create table if not exists deferred_probe (id int primary key, v text)`);
    await t.database.db.execute(sql`delete from deferred_probe`);
  };

  it("travels in front of the statement, with its own parameters, and that statement sees the database as before it", async () => {
    await fresh();
    const seen = await t.database.db.transaction((tx) => runStatementWith<{ n: number }>(tx, COUNT, ["a"], note(1, "a")));
    expect(seen).toEqual([{ n: 0 }]);
    expect(await rows(t)).toEqual([{ id: 1, v: "a" }]);
  });

  it("joins a statement that has a WITH list of its own, twice on one connection (prepared once under the pair's name)", async () => {
    await fresh();
    for (const [id, v] of [
      [2, "b"],
      [3, "b"],
    ] as const) {
      await t.database.db.transaction((tx) => runStatementWith(tx, WITH_COUNT, ["b"], note(id, v)));
    }
    expect(await rows(t)).toEqual([
      { id: 2, v: "b" },
      { id: 3, v: "b" },
    ]);
  });

  it("runs alone when there is nothing to ride with, and nothing is added when there is no held write", async () => {
    await fresh();
    await t.database.db.transaction((tx) => runHeldWrite(tx, note(4, "d")));
    expect(await runStatementWith<{ n: number }>(t.database.db, COUNT, ["d"], undefined)).toEqual([{ n: 1 }]);
  });

  it("is lost with its transaction when the transaction fails", async () => {
    await fresh();
    await expect(
      t.database.db.transaction(async (tx) => {
        await runStatementWith(tx, COUNT, ["e"], note(5, "e"));
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");
    expect(await rows(t)).toEqual([]);
  });
});
