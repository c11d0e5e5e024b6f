import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answers, conversationSessions, inboundEvents, outbox, submissions } from "../../src/db/schema/index.js";
import { ensureReportingDefaults } from "../../src/reporting/reporting-defaults.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";
import { reportScript } from "../support/report-script.js";
import pg from "pg";
import { inArray, sql } from "drizzle-orm";

const CHAT = 9701;

// Telegram redelivers an update when our answer is slow or lost; a proxy may retry too. Three
// copies of each arriving at the same moment must still count once.
describe.each(dbKinds)("every update delivered three times at once is processed once (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService | undefined;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await s?.service.stop();
    await tg.close();
  });
  /**
   * Nothing queued or on its way in the outbox: every reply written so far has reached the fake
   * Bot API. A poll for "exactly N sent" would pass the moment N arrive and never see a late
   * duplicate; a count taken once nothing more can come does.
   */
  const outboxSettled = () =>
    expect
      .poll(
        async () =>
          (
            await t.database.db
              .select({ id: outbox.id })
              .from(outbox)
              .where(inArray(outbox.status, ["queued", "sending"]))
          ).length,
        { timeout: 20_000 },
      )
      .toBe(0);

  it.runIf(kind === "postgres")("two instances on one PostgreSQL: the copies of each update split between them, each update counts once", async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000701,commune,03388\n");
    await linkOfficer(t.database, "84912000701", "telegram", String(CHAT));
    const clock = () => new Date("2026-11-07T03:00:00Z");
    await s?.service.stop();
    s = await startTestService(t, { telegram: tg, clock });
    const other = await startTestService(t, { telegram: tg, clock });
    try {
      const split = async (text: string) => {
        const update = textUpdate(CHAT, text);
        const statuses = await Promise.all([s!, other, s!].map((instance) => instance.postUpdate(update).then((r) => r.status)));
        expect(statuses).toEqual([200, 200, 200]);
      };
      await split("báo cáo");
      // The start's own reply (one or more messages), measured on one instance in the test below.
      await expect.poll(() => tg.sent(CHAT).length).toBeGreaterThan(0);
      await outboxSettled();
      const afterStart = tg.sent(CHAT).length;
      const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
      for (let i = 0; i < 3; i++) {
        const key = (await state()).report!.cursor!;
        await split(ANSWERS[key.slice(key.lastIndexOf(".") + 1)]?.text ?? "1");
        expect((await t.database.db.select().from(answers)).length).toBe(i + 1);
      }
      expect((await t.database.db.select().from(inboundEvents)).length).toBe(4);
      await outboxSettled();
      expect(tg.sent(CHAT).length - afterStart).toBe(3);
    } finally {
      await other.service.stop();
    }
  });

  /** Mai (and Lan) of commune 03388 on Telegram, and a service started afresh for them. */
  async function officersOf03388(names = ["Mai"]) {
    await loadLaiChau(t.database);
    await addOfficers(t.database, `name,phone,role,unit_code\n${names.map((n, i) => `${n},091200070${i + 1},commune,03388`).join("\n")}\n`);
    for (const [i] of names.entries()) await linkOfficer(t.database, `8491200070${i + 1}`, "telegram", String(CHAT + i));
    await s?.service.stop();
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-11-07T03:00:00Z") });
  }

  /**
   * Runs `statement` in a transaction on a connection of its own, so that its locks are held;
   * posts the updates one by one, each once the one before waits on a lock; then ends the
   * transaction (`end`) and returns the webhook statuses.
   */
  async function behindLock(statement: string, end: "commit" | "rollback", updates: unknown[]): Promise<number[]> {
    const holder = new pg.Client({ connectionString: t.url });
    await holder.connect();
    // Asked outside the holder's transaction, which sees pg_stat_activity as it was when it began.
    const waiting = async () =>
      (
        (await t.database.db.execute(
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        )) as unknown as { rows: { n: number }[] }
      ).rows[0]!.n;
    try {
      await holder.query("begin");
      await holder.query(statement);
      const responses: Promise<Response>[] = [];
      for (const update of updates) {
        responses.push(s!.postUpdate(update));
        await expect.poll(waiting).toBe(responses.length);
      }
      await holder.query(end);
      return await Promise.all(responses.map(async (r) => (await r).status));
    } finally {
      await holder.end();
    }
  }

  // Two messages of one officer in flight at once (Telegram delivers on several connections): the
  // second waits for the first's lock on the session, and must then see the first's answer too —
  // not only its new state. Reading the answers in the locking statement's snapshot missed it.
  it.runIf(kind === "postgres")("an officer's two answers arriving at once: the second is checked against the first (boys + girls = total)", async () => {
    await officersOf03388();
    const { texts } = reportScript("2026-11-07");
    const state = async () => (await t.database.db.select().from(conversationSessions))[0]?.state as SessionState | undefined;
    // Up to the number of boys: 12 children in special circumstances so far.
    for (const text of texts) {
      if ((await state())?.report?.cursor === "special_boys") break;
      expect((await s!.postUpdate(textUpdate(CHAT, text))).status).toBe(200);
    }
    expect((await state())?.report?.cursor).toBe("special_boys");

    // Hold the session so that both messages queue behind it, in order; 5 + 8 is not 12.
    expect(await behindLock("select 1 from conversation_sessions for update", "commit", [textUpdate(CHAT, "5"), textUpdate(CHAT, "8")])).toEqual([200, 200]);
    const stored = await t.database.db.select().from(answers);
    expect(stored.find((a) => a.key === "special_boys")?.valueNum).toBe(5);
    expect(stored.find((a) => a.key === "special_girls")).toBeUndefined();
    expect((await state())?.report?.cursor).toBe("special_girls");
    await expect.poll(() => tg.texts(CHAT).some((x) => /nhập lại/.test(x))).toBe(true);
  });

  it.runIf(kind === "postgres")(
    "an officer's first message ever, while another message of hers is creating her session, is answered from that session",
    async () => {
      await officersOf03388();
      // The other message: her session row, created and not yet committed.
      const created = `insert into conversation_sessions (officer_id, state) select id, '{"mode":"idle"}' from officers where phone = '84912000701'`;
      expect(await behindLock(created, "commit", [textUpdate(CHAT, "báo cáo")])).toEqual([200]);
      expect(await t.database.db.select().from(conversationSessions)).toHaveLength(1);
      expect(((await t.database.db.select().from(conversationSessions))[0]!.state as SessionState).report?.cursor).toBeDefined();
    },
  );

  it.runIf(kind === "postgres")(
    "two officers of one commune starting the report at the same moment fill in one report, and neither gets an error",
    async () => {
      await officersOf03388(["Mai", "Lan"]);
      await ensureReportingDefaults(t.database.db, createFormRegistry(), new Date("2026-11-07T03:00:00Z"));
      // A report of the commune being created, not yet committed: both starts find none, and both insert.
      const creating = `insert into submissions (period_id, unit_id, officer_id, form_id, form_version)
      select p.id, u.id, o.id, 'child-affairs', 1 from periods p, units u, officers o
      where p.key = '2026-Y' and u.code = '03388' and u.scheme = 'post2025' and o.phone = '84912000701'`;
      expect(await behindLock(creating, "rollback", [textUpdate(CHAT, "báo cáo"), textUpdate(CHAT + 1, "báo cáo")])).toEqual([200, 200]);
      expect(await t.database.db.select().from(submissions)).toHaveLength(1);
      const first = createFormRegistry().latest("child-affairs").sections[0]!.questions[0]!.label;
      for (const chat of [CHAT, CHAT + 1]) await expect.poll(() => tg.texts(chat).some((x) => x.includes(first))).toBe(true);
    },
  );

  it("an officer's report start and three answers, each sent three times concurrently: one answer row each, one reply each", async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000701,commune,03388\n");
    await linkOfficer(t.database, "84912000701", "telegram", String(CHAT));
    // The service of the test before is stopped first: two services on one database would both deliver.
    await s?.service.stop();
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-11-07T03:00:00Z") });
    const thrice = async (text: string) => {
      const update = textUpdate(CHAT, text);
      const statuses = await Promise.all([0, 1, 2].map(() => s!.postUpdate(update).then((r) => r.status)));
      expect(statuses).toEqual([200, 200, 200]);
    };
    await thrice("báo cáo");
    await outboxSettled();
    const repliesAfterStart = tg.sent(CHAT).length;
    expect(repliesAfterStart).toBeGreaterThan(0);
    const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
    const before = (await state()).report!.cursor;
    for (let i = 0; i < 3; i++) {
      const key = (await state()).report!.cursor!;
      await thrice(ANSWERS[key.slice(key.lastIndexOf(".") + 1)]?.text ?? "1");
      // Exactly one more answer per update, however many copies arrived.
      expect((await t.database.db.select().from(answers)).length).toBe(i + 1);
    }
    expect((await state()).report!.cursor).not.toBe(before);
    expect((await t.database.db.select().from(inboundEvents)).length).toBe(4);
    // One reply per distinct update: the copies said nothing.
    await outboxSettled();
    expect(tg.sent(CHAT).length).toBe(repliesAfterStart + 3);
  });
});
