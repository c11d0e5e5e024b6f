import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answers, conversationSessions, inboundEvents } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";

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
      const afterStart = tg.sent(CHAT).length;
      const state = async () => ((await t.database.db.select().from(conversationSessions))[0]!.state as SessionState);
      for (let i = 0; i < 3; i++) {
        const key = (await state()).report!.cursor!;
        await split(ANSWERS[key.slice(key.lastIndexOf(".") + 1)]?.text ?? "1");
        expect((await t.database.db.select().from(answers)).length).toBe(i + 1);
      }
      expect((await t.database.db.select().from(inboundEvents)).length).toBe(4);
      await expect.poll(() => tg.sent(CHAT).length - afterStart).toBe(3);
    } finally {
      await other.service.stop();
    }
  });

  it("an officer's report start and three answers, each sent three times concurrently: one answer row each, one reply each", async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000701,commune,03388\n");
    await linkOfficer(t.database, "84912000701", "telegram", String(CHAT));
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-11-07T03:00:00Z") });
    const thrice = async (text: string) => {
      const update = textUpdate(CHAT, text);
      const statuses = await Promise.all([0, 1, 2].map(() => s!.postUpdate(update).then((r) => r.status)));
      expect(statuses).toEqual([200, 200, 200]);
    };
    await thrice("báo cáo");
    const repliesAfterStart = tg.sent(CHAT).length;
    expect(repliesAfterStart).toBeGreaterThan(0);
    const state = async () => ((await t.database.db.select().from(conversationSessions))[0]!.state as SessionState);
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
    await expect.poll(() => tg.sent(CHAT).length).toBe(repliesAfterStart + 3);
  });
});
