import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { channelLinks, inboundEvents } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, contactUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const MAI = 7001;
const STRANGER = 7002;

describe.each(dbKinds)("an officer links Telegram and nothing leaks to strangers (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await tg.close();
  });
  beforeEach(async () => {
    tg.reset();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { telegram: tg });
  });
  afterEach(async () => {
    await s.service.stop();
  });

  it("an officer who opens her invite link is linked and greeted by name and commune", async () => {
    const { code } = await createOfficerDirectory({ db: t.database.db, clock: () => new Date(), inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    const res = await s.postUpdate(textUpdate(MAI, `/start ${code}`));
    expect(res.status).toBe(200);
    const texts = tg.texts(MAI);
    expect(texts[0]).toContain("Xin chào anh/chị Nguyễn Thị Mai — Phường Đoàn Kết");
    const links = await t.database.db.select().from(channelLinks);
    expect(links).toMatchObject([{ channel: "telegram", externalId: String(MAI), preferred: true }]);

    // The code is single-use: a second person cannot reuse it.
    tg.reset();
    await s.postUpdate(textUpdate(STRANGER, `/start ${code}`));
    expect(tg.texts(STRANGER)[0]).toMatch(/Mã mời không đúng, đã dùng hoặc đã hết hạn/);
    expect(await t.database.db.select().from(channelLinks)).toHaveLength(1);
  });

  it("an officer who shares her own phone number is linked; someone else's card is refused", async () => {
    await s.postUpdate(textUpdate(MAI, "/start"));
    const ask = tg.sent(MAI)[0]!;
    expect(JSON.stringify(ask.payload.reply_markup)).toContain('"request_contact":true');

    await s.postUpdate(contactUpdate(STRANGER, "+84912345678", MAI));
    expect(tg.texts(STRANGER).at(-1)).toMatch(/của chính mình/);
    expect(await t.database.db.select().from(channelLinks)).toHaveLength(0);

    await s.postUpdate(contactUpdate(MAI, "84912345678"));
    expect(tg.texts(MAI).join("\n")).toContain("Nguyễn Thị Mai");
    expect(await t.database.db.select().from(channelLinks)).toHaveLength(1);
  });

  it("an unregistered person is told whom to ask, and learns nothing about any officer", async () => {
    await s.postUpdate(contactUpdate(STRANGER, "0987000111"));
    const reply = tg.texts(STRANGER).join("\n");
    expect(reply).toMatch(/chưa được đăng ký/);
    expect(reply).toMatch(/liên hệ/);
    expect(reply).not.toMatch(/Mai|Đoàn Kết|0912/);
    await s.postUpdate(textUpdate(STRANGER, "báo cáo"));
    expect(tg.texts(STRANGER).at(-1)).not.toMatch(/Mai|Đoàn Kết/);
  });

  it("an update delivered twice (same update_id) is processed once", async () => {
    const update = textUpdate(MAI, "/start");
    const [a, b, c] = await Promise.all([s.postUpdate(update), s.postUpdate(update), s.postUpdate(update)]);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    expect(tg.sent(MAI)).toHaveLength(1);
    const seen = await t.database.db
      .select()
      .from(inboundEvents)
      .where(eq(inboundEvents.dedupeKey, String(update.update_id)));
    expect(seen).toHaveLength(1);
  });

  it("a forged secret gets 401 and nothing is processed; malformed bodies get 400, oversized 413", async () => {
    const forged = await s.postUpdate(textUpdate(MAI, "/start"), "wrong-secret");
    expect(forged.status).toBe(401);
    const missing = await fetch(`${s.url}/webhooks/telegram`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(missing.status).toBe(401);
    const bad = await fetch(`${s.url}/webhooks/telegram`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "test-webhook-secret" },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    const wrongShape = await s.postUpdate({ update_id: "x", message: 1 });
    expect(wrongShape.status).toBe(400);
    const huge = await s.postUpdate({ update_id: 1, pad: "x".repeat(1_100_000) });
    expect(huge.status).toBe(413);
    expect(tg.calls.filter((c) => c.method === "sendMessage")).toHaveLength(0);
    expect(await t.database.db.select().from(inboundEvents)).toHaveLength(0);
  });

  it("health and metrics: 200 with the database, Prometheus text with per-route counts", async () => {
    const health = await fetch(`${s.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", database: kind });
    await s.postUpdate(textUpdate(MAI, "/start"));
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/baocao_http_requests_total\{method="POST",route="\/webhooks\/telegram",status="200"\} 1/);
    expect(metrics).toMatch(/baocao_inbound_events_total\{channel="telegram",outcome="processed"\} 1/);
    expect(metrics).toMatch(/baocao_http_request_duration_seconds_bucket/);
  });
});

describe("long polling for local development", () => {
  const t = useTestDb("pglite");
  it("TELEGRAM_MODE=polling takes updates from getUpdates and answers them", async () => {
    const tg = await startFakeTelegram();
    await loadLaiChau(t.database);
    const s = await startTestService(t, { telegram: tg, env: { TELEGRAM_MODE: "polling" } });
    try {
      tg.queueUpdate(textUpdate(STRANGER, "/start"));
      await expect.poll(() => tg.texts(STRANGER).length).toBeGreaterThan(0);
      expect(tg.texts(STRANGER)[0]).toMatch(/chia sẻ số điện thoại/i);
      expect(tg.calls.some((c) => c.method === "getUpdates")).toBe(true);
      // In polling mode the webhook route is not served.
      expect((await s.postUpdate(textUpdate(STRANGER, "/start"))).status).toBe(404);
    } finally {
      await s.service.stop();
      await tg.close();
    }
    // Stopping waits for sends in flight: a second answer to the one update would be here by now.
    expect(tg.texts(STRANGER)).toHaveLength(1);
  });
});

describe("without a database the health check says so", () => {
  const t = useTestDb("pglite");
  it("answers 503 when the database is gone", async () => {
    const s = await startTestService(t);
    try {
      await t.pglite!.close();
      const res = await fetch(`${s.url}/healthz`);
      expect(res.status).toBe(503);
    } finally {
      await s.service.stop();
    }
  });
});
