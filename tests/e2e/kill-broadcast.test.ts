import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { channelLinks, officers, outbox, units } from "../../src/db/schema/index.js";
import { createBroadcast } from "../../src/scheduler/broadcasts.js";
import { createUnitDirectory } from "../../src/directory/units.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, TEST_TOKEN, type FakeTelegram } from "../support/fake-telegram.js";
import { provinceUnits } from "../support/fixtures.js";

const ROOT = join(import.meta.dirname, "..", "..");
const RECIPIENTS = 400;

function startServer(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`no start:\n${out}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("listening on")) {
        clearTimeout(timer);
        ok(child);
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  });
}

describe.skipIf(!process.env.TEST_DATABASE_URL)("kill -9 in the middle of a broadcast (real server process, PostgreSQL)", () => {
  const t = useTestDb("postgres");
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());

  it("after a restart every recipient has the directive; only messages in flight can arrive twice", async () => {
    const db = t.database.db;
    await createUnitDirectory({ db }).importFile(provinceUnits("post2025", "12"), "u.csv", "post2025");
    const [province] = await db.select().from(units).where(eq(units.code, "12"));
    const rows = await db
      .insert(officers)
      .values(Array.from({ length: RECIPIENTS }, (_, i) => ({ name: `Cán bộ ${i}`, phone: `8491${String(i).padStart(7, "0")}`, role: "commune" as const, unitId: province!.id })))
      .returning({ id: officers.id });
    await db.insert(channelLinks).values(rows.map((o) => ({ officerId: o.id, channel: "telegram" as const, externalId: String(50_000 + o.id), chatId: String(50_000 + o.id), preferred: true })));
    await createBroadcast(db, { text: "Chỉ đạo khẩn", audience: { scheme: "post2025", rootCode: "12" }, requireAck: false }, new Date());

    const env = {
      DATABASE_URL: t.url!,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      DEMO_SEED: "off",
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: "kill-test-secret",
      TELEGRAM_BOT_USERNAME: "b",
      TELEGRAM_RATE_PER_SEC: "80",
      OUTBOX_STALE_MS: "1500",
      // Nights must not stop this test: a quiet window of one minute at 00:00.
      QUIET_HOURS_START: "00:00",
      QUIET_HOURS_END: "00:01",
    };
    const first = await startServer(env);
    // Kill it once about a third has gone out.
    const started = Date.now();
    while (tg.sent().length < RECIPIENTS / 3 && Date.now() - started < 30_000) await new Promise((ok) => setTimeout(ok, 20));
    first.kill("SIGKILL");
    await new Promise((ok) => first.on("exit", ok));
    const atKill = tg.sent().length;
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(RECIPIENTS);

    await new Promise((ok) => setTimeout(ok, 1600)); // past OUTBOX_STALE_MS
    const second = await startServer(env);
    try {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const queued = await db.select({ id: outbox.id }).from(outbox).where(eq(outbox.status, "queued"));
        const sending = await db.select({ id: outbox.id }).from(outbox).where(eq(outbox.status, "sending"));
        if (queued.length === 0 && sending.length === 0) break;
        await new Promise((ok) => setTimeout(ok, 200));
      }
    } finally {
      second.kill("SIGTERM");
      await new Promise((ok) => second.on("exit", ok));
    }
    const perChat = new Map<string, number>();
    for (const c of tg.sent()) perChat.set(String(c.payload.chat_id), (perChat.get(String(c.payload.chat_id)) ?? 0) + 1);
    expect(perChat.size).toBe(RECIPIENTS);
    const duplicates = [...perChat.values()].filter((n) => n > 1).length;
    // Each send is recorded as soon as the platform answers: only sends whose answer had not been
    // recorded when the process died can repeat — at 80 messages/s, a handful at most.
    console.info(`kill -9 mid-broadcast: ${atKill} sent before the kill, ${duplicates} duplicate(s) after restart`);
    expect(duplicates).toBeLessThanOrEqual(10);
    const statuses = await db.select({ status: outbox.status }).from(outbox);
    expect(statuses.every((s) => s.status === "sent")).toBe(true);
  }, 150_000);
});
