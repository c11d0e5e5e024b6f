import { and, eq, gt } from "drizzle-orm";
import { expect, it } from "vitest";
import { channelLinks, officers, outbox, units } from "../../src/db/schema/index.js";
import { createBroadcast } from "../../src/broadcasts/broadcasts.js";
import { createUnitDirectory } from "../../src/directory/units.js";
import { TEST_TOKEN } from "../support/fake-telegram.js";
import { provinceUnits } from "../support/fixtures.js";
import { spawnServer } from "../support/server-process.js";
import { outboxSettled, useServersOnPostgres } from "../support/fault-fixtures.js";
import { describePostgres } from "../support/db.js";

const RECIPIENTS = 2_000;
const STALE_MS = 1500;

describePostgres("kill -9 in the middle of a broadcast (real server process, PostgreSQL)", () => {
  const fx = useServersOnPostgres();
  const t = fx.t;

  it("after a restart every one of 2,000 recipients has the directive once; at most the one message in flight arrives twice", async () => {
    const db = t.database.db;
    await createUnitDirectory({ db }).importFile(provinceUnits("post2025", "12"), "u.csv", "post2025");
    const [province] = await db.select().from(units).where(eq(units.code, "12"));
    const rows = await db
      .insert(officers)
      .values(
        Array.from({ length: RECIPIENTS }, (_, i) => ({
          name: `Cán bộ ${i}`,
          phone: `8491${String(i).padStart(7, "0")}`,
          role: "commune" as const,
          unitId: province!.id,
        })),
      )
      .returning({ id: officers.id });
    await db
      .insert(channelLinks)
      .values(
        rows.map((o) => ({ officerId: o.id, channel: "telegram" as const, externalId: String(50_000 + o.id), chatId: String(50_000 + o.id), preferred: true })),
      );
    await createBroadcast(db, { text: "Chỉ đạo khẩn", audience: { scheme: "post2025", rootCode: "12" }, requireAck: false }, new Date());

    const env = {
      DATABASE_URL: t.url!,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      DEMO_SEED: "off",
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: fx.tg.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: "kill-test-secret",
      TELEGRAM_BOT_USERNAME: "b",
      TELEGRAM_RATE_PER_SEC: "300",
      OUTBOX_STALE_MS: String(STALE_MS),
      // One message on its way at a time: the most a kill can double is that one. (The window
      // widens by itself only when the platform is slow; on loopback it stays at one anyway.)
      OUTBOX_MAX_IN_FLIGHT: "1",
      // The server runs on the real clock: no quiet window at all (start = end), so whatever the
      // hour of the run, nothing is held until morning.
      QUIET_HOURS_START: "00:00",
      QUIET_HOURS_END: "00:00",
    };
    const first = await spawnServer(env);
    // Kill it once about a third has gone out.
    await expect.poll(() => fx.tg.sent().length, { timeout: 120_000, interval: 10 }).toBeGreaterThanOrEqual(RECIPIENTS / 3);
    await first.kill9();
    const atKill = fx.tg.sent().length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(RECIPIENTS);

    // The restarted server takes back at start what the dead one left in flight, once its lease
    // (OUTBOX_STALE_MS) has run out; wait for that rather than for a fixed time.
    const inLease = () =>
      db
        .select({ id: outbox.id })
        .from(outbox)
        .where(and(eq(outbox.status, "sending"), gt(outbox.claimedAt, new Date(Date.now() - STALE_MS))));
    await expect.poll(async () => (await inLease()).length, { timeout: 30_000, interval: 50 }).toBe(0);
    const second = await spawnServer(env);
    try {
      const settled = await outboxSettled(t.database, 90_000);
      expect(settled.settled, `${settled.count} message(s) never sent, first: ${JSON.stringify(settled.first)}`).toBe(true);
    } finally {
      await second.stop();
    }
    const perChat = new Map<string, number>();
    for (const c of fx.tg.sent()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect(perChat.size).toBe(RECIPIENTS);
    const duplicates = [...perChat.values()].filter((n) => n > 1).length;
    // Each send is recorded before the next one starts: only the send whose answer had not been
    // recorded when the process died can repeat.
    console.info(`kill -9 mid-broadcast of ${RECIPIENTS}: ${atKill} sent before the kill, ${duplicates} duplicate(s) after restart`);
    expect(duplicates).toBeLessThanOrEqual(1);
    const statuses = await db.select({ status: outbox.status }).from(outbox);
    expect(statuses.every((s) => s.status === "sent")).toBe(true);
  }, 300_000);
});
