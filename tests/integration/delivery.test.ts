import { inArray } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { outbox } from "../../src/db/schema/index.js";
import { createDatabase } from "../../src/db/client.js";
import { createLogger } from "../../src/log.js";
import { createTelegramChannel } from "../../src/bot/telegram.js";
import { createOutbox, type ChannelSender, type NewOutboxRow } from "../../src/delivery/outbox.js";
import { otherChannel } from "../../src/broadcasts/broadcasts.js";
import { dbKinds, describePostgres, useTestDb, type TestDb } from "../support/db.js";
import { BOT_INFO, startFakeTelegram, TEST_TOKEN, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";

const quietHours = { start: "21:00", end: "07:00", timeZone: "Asia/Ho_Chi_Minh" };
// Midday in Hà Nội: no quiet hours in the way.
const noon = new Date("2026-11-23T05:00:00Z");

function telegramSender(tg: FakeTelegram): ChannelSender {
  const channel = createTelegramChannel({
    token: TEST_TOKEN,
    apiRoot: tg.apiRoot,
    inbound: { handle: () => Promise.reject(new Error("this test receives nothing")) },
    logger: createLogger("silent"),
    botInfo: BOT_INFO as never,
  });
  return channel.sender;
}

function makeOutbox(t: TestDb, tg: FakeTelegram, now: { value: Date }, extra: Record<string, ChannelSender> = {}, db = t.database.db) {
  return createOutbox({
    db,
    senders: { telegram: telegramSender(tg), ...extra },
    clock: () => now.value,
    logger: createLogger("silent"),
    quietHours,
    rateLimits: { telegram: { perSecond: 500, perChatIntervalMs: 0 } },
    fallback: (row) => otherChannel(db, row.officerId!, row.channel),
  });
}

const broadcastRows = (n: number): NewOutboxRow[] =>
  Array.from({ length: n }, (_, i) => ({
    officerId: null,
    channel: "telegram",
    chatId: String(10_000 + i),
    kind: "broadcast",
    dedupeKey: `bench:${i}`,
    payload: { text: `Văn bản ${i}` },
  }));

describe.each(dbKinds)("delivery through the Bot API, once and within limits (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(() => tg.reset());

  it("a 429 is retried after retry_after, a 5xx after grammY's one quick retry and then a back-off, and each message arrives once", async () => {
    const now = { value: noon };
    const box = makeOutbox(t, tg, now);
    const [first, second, third] = broadcastRows(3);
    await box.enqueue(t.database.db, [first!]);
    tg.failNext("sendMessage", 429, "Too Many Requests: retry after 5", { retry_after: 5 });
    await box.drainOnce();
    // auto-retry tries a 5xx once more itself; a second 502 goes back to the outbox.
    await box.enqueue(t.database.db, [second!]);
    tg.failNext("sendMessage", 502, "Bad Gateway");
    tg.failNext("sendMessage", 502, "Bad Gateway");
    await box.drainOnce();
    await box.enqueue(t.database.db, [third!]);
    await box.drainOnce();
    const rows = await t.database.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((r) => `${r.status}:${r.lastError}`)).toEqual(["queued:Too Many Requests: retry after 5", "queued:Bad Gateway", "sent:null"]);
    expect(rows[0]!.notBefore.getTime() - noon.getTime()).toBe(5_000);
    expect(rows[1]!.lastError).toBe("Bad Gateway");
    // Nothing is due yet: no hot loop.
    expect(await box.drainOnce()).toBe(0);
    now.value = new Date(noon.getTime() + 5_000);
    await box.drainOnce();
    now.value = new Date(noon.getTime() + 60_000);
    await box.drainOnce();
    const final = await t.database.db.select().from(outbox);
    expect(final.every((r) => r.status === "sent")).toBe(true);
    const perChat = new Map<string, number>();
    for (const c of tg.sent()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect([...perChat.values()]).toEqual([1, 1, 1]);
  });

  it("a blocked officer (403) is marked unreachable without retrying, and reached on another linked channel", async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912345678,commune,03388\n");
    const mai = await linkOfficer(t.database, "84912345678", "telegram", "777", true);
    await linkOfficer(t.database, "84912345678", "zalo_bot", "zalo-777", false);
    const zaloSent: string[] = [];
    const now = { value: noon };
    const box = makeOutbox(t, tg, now, { zalo_bot: { send: async (chatId) => (zaloSent.push(chatId), {}) } });
    await box.enqueue(t.database.db, [
      { officerId: mai.id, channel: "telegram", chatId: "777", kind: "broadcast", dedupeKey: "b:1:mai", payload: { text: "Chỉ đạo" } },
    ]);
    tg.failNext("sendMessage", 403, "Forbidden: bot was blocked by the user");
    await box.drainOnce();
    await box.drainOnce();
    const rows = await t.database.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((r) => [r.channel, r.status, r.attempts])).toEqual([
      ["telegram", "unreachable", 1],
      ["zalo_bot", "sent", 1],
    ]);
    expect(zaloSent).toEqual(["zalo-777"]);
    expect(tg.sent()).toHaveLength(0);
  });

  it("a message that keeps failing stops after its attempts, marked failed", async () => {
    const now = { value: noon };
    const box = createOutbox({
      db: t.database.db,
      senders: { telegram: { send: async () => Promise.reject(new Error("network down")) } },
      clock: () => now.value,
      logger: createLogger("silent"),
      quietHours,
      maxAttempts: 3,
    });
    await box.enqueue(t.database.db, broadcastRows(1));
    for (let i = 0; i < 5; i++) {
      await box.drainOnce();
      now.value = new Date(now.value.getTime() + 3_600_000);
    }
    const [row] = await t.database.db.select().from(outbox);
    expect(row).toMatchObject({ status: "failed", attempts: 3, lastError: "network down" });
  });

  it("a worker that dies mid-broadcast loses nothing: its in-flight rows are recovered and sent", async () => {
    const now = { value: noon };
    const box = makeOutbox(t, tg, now);
    await box.enqueue(t.database.db, broadcastRows(200));
    // The dead worker had claimed 50 rows and got 20 of them to the platform, without recording it.
    const inFlight = await t.database.db.transaction(async (tx) => {
      const rows = await tx.select({ id: outbox.id }).from(outbox).orderBy(outbox.id).limit(50).for("update", { skipLocked: true });
      return tx
        .update(outbox)
        .set({ status: "sending", claimedAt: now.value, attempts: 1 })
        .where(
          inArray(
            outbox.id,
            rows.map((r) => r.id),
          ),
        )
        .returning({ chatId: outbox.chatId });
    });
    const sender = telegramSender(tg);
    for (const r of inFlight.slice(0, 20)) await sender.send(r.chatId, { text: "x" });
    // A new instance starts: rows left "sending" for longer than the stale limit are recovered.
    now.value = new Date(noon.getTime() + 120_000);
    const fresh = makeOutbox(t, tg, now);
    expect(await fresh.recoverStale(60_000)).toBe(50);
    while ((await fresh.drainOnce()) > 0);
    const perChat = new Map<string, number>();
    for (const c of tg.sent()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect(perChat.size).toBe(200);
    // Only what was in flight when the worker died can arrive twice.
    expect([...perChat.values()].filter((n) => n > 1)).toHaveLength(20);
  });
});

describePostgres("two instances on one PostgreSQL", () => {
  const t = useTestDb("postgres");
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());

  it("deliver each of 600 messages exactly once", async () => {
    const now = { value: noon };
    const second = createDatabase({ databaseUrl: t.url!, poolSize: 4 });
    try {
      const a = makeOutbox(t, tg, now);
      const b = makeOutbox(t, tg, now, {}, second.db);
      await a.enqueue(t.database.db, broadcastRows(600));
      const drain = async (box: typeof a) => {
        let n = 0;
        for (let k; (k = await box.drainOnce(40)) > 0;) n += k;
        return n;
      };
      const [na, nb] = await Promise.all([drain(a), drain(b)]);
      expect(na + nb).toBe(600);
      expect(na).toBeGreaterThan(0);
      expect(nb).toBeGreaterThan(0);
      const chats = tg.sent().map((c) => String(c.payload.chat_id));
      expect(chats).toHaveLength(600);
      expect(new Set(chats).size).toBe(600);
    } finally {
      await second.close();
    }
  });
});
