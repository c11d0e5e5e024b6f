import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/client.js";
import { createSentMarks } from "../../src/delivery/sent-marks.js";

/** A database whose every statement waits until the test lets it through, and records its ids. */
function heldDatabase(fail?: (ids: number[]) => boolean) {
  const calls: number[][] = [];
  const gates: (() => void)[] = [];
  const client = {
    query(_text: string, params: unknown[]) {
      const ids = (params[0] as number[]).slice();
      calls.push(ids);
      return new Promise<{ rows: unknown[] }>((ok, no) => gates.push(() => (fail?.(ids) ? no(new Error("deadlock detected")) : ok({ rows: [] }))));
    },
  };
  const db = { session: { client } } as unknown as Db;
  const release = async () => {
    while (gates.length > 0) gates.shift()!();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { db, calls, release };
}

describe("sent marks: each message recorded as sent, many per statement", () => {
  it("a lone mark is written at once; the 30 that arrive while it is written go together in the next statement", async () => {
    const { db, calls, release } = heldDatabase();
    const marks = createSentMarks(db);
    const first = marks.mark(1, new Date(), "m1");
    expect(calls).toEqual([[1]]);
    const rest = Array.from({ length: 30 }, (_, i) => marks.mark(i + 2, new Date(), `m${i + 2}`));
    expect(calls).toHaveLength(1);
    await release();
    await first;
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
    await release();
    await Promise.all(rest);
  });

  it("a batch that fails is retried row by row: the good rows are recorded, only the bad one's caller hears of it", async () => {
    const { db, calls, release } = heldDatabase((ids) => ids.length > 1 || ids[0] === 3);
    const marks = createSentMarks(db);
    const first = marks.mark(1, new Date(), null);
    const batch = [2, 3, 4].map((id) =>
      marks.mark(id, new Date(), null).then(
        () => "sent",
        () => "failed",
      ),
    );
    await release(); // 1 alone
    await first;
    for (let i = 0; i < 4; i++) await release(); // the batch, then 2, 3, 4 one by one
    expect(await Promise.all(batch)).toEqual(["sent", "failed", "sent"]);
    expect(calls).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });
});
