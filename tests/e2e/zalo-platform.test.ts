import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inboundEvents, outbox, zaloOaTokens } from "../../src/db/schema/index.js";
import { loadConfig } from "../../src/config.js";
import { createService, type Service } from "../../src/main.js";
import { createLogger } from "../../src/log.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import {
  startFakeZaloBot,
  startFakeZaloOa,
  zaloConsoleSavesWebhook,
  zaloConsoleVerifiesDomain,
  ZALO_BOT_TOKEN,
  ZALO_OA_RETRY_OFFSETS_MS,
} from "../support/fake-zalo.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * What the real Zalo platforms do that a plain-text happy path does not show (issue 19): the
 * request-info form's image, lower-tier OAs refusing templates, the console's probes and domain
 * check, Zalo's redelivery schedule, token expiry on a quiet OA, Zalo Bot events without a
 * message, text limits and the -211 quota. Each behaviour of the fakes names its source.
 */
const OA = { appId: "360846524940903967", secretKey: "oa-secret-key", appSecret: "app-secret", accessToken: "at-0", refreshToken: "rt-0" };
const USER = "246845883529197922";
const ADMIN_CHAT = 9711;
const SITE_CODE = "CyU78lIr33n_e8ePfgaWBqVNbN6hg4OgDZC";
const IMAGE = "https://cdn.example.vn/baocao/oa-info.png";

function oaEnv(oa: { apiRoot: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ZALO_OA_APP_ID: OA.appId,
    ZALO_OA_SECRET_KEY: OA.secretKey,
    ZALO_APP_SECRET: OA.appSecret,
    ZALO_OA_ACCESS_TOKEN: OA.accessToken,
    ZALO_OA_REFRESH_TOKEN: OA.refreshToken,
    ZALO_OA_API_ROOT: oa.apiRoot,
    ZALO_OAUTH_ROOT: oa.apiRoot,
    QUIET_HOURS_START: "00:00",
    QUIET_HOURS_END: "00:00",
    ...extra,
  };
}

let msgNo = 0;
/** A signed OA event as Zalo sends it; `at` is the event's own timestamp (ms), kept on redeliveries. */
function oaPost(url: string, e: Record<string, unknown>, at: number, opts: { forged?: boolean } = {}) {
  const body = { app_id: OA.appId, timestamp: String(at), ...e };
  const raw = JSON.stringify(body);
  const mac = createHash("sha256").update(`${OA.appId}${raw}${body.timestamp}${OA.secretKey}`).digest("hex");
  return fetch(`${url}/webhooks/zalo-oa`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-zevent-signature": opts.forged ? "mac=deadbeef" : `mac=${mac}` },
    body: raw,
  });
}
const textEvent = (text: string, msgId = `plat-${++msgNo}`) => ({
  event_name: "user_send_text",
  sender: { id: USER },
  recipient: { id: "388613280878808645" },
  message: { text, msg_id: msgId },
});
const followEvent = (user = USER) => ({ event_name: "follow", oa_id: "388613280878808645", follower: { id: user }, source: "oa_profile" });
const NEWCOMER = "731190011223344556";

describe.each(dbKinds)("Zalo OA as the platform really behaves (%s)", (kind) => {
  const t = useTestDb(kind);
  let oa: Awaited<ReturnType<typeof startFakeZaloOa>>;
  let tg: FakeTelegram;
  let s: TestService | undefined;
  /** A settable clock: the tests move it to replay Zalo's schedules and token lifetimes. */
  let now = Date.now();
  const clock = () => new Date(now);
  beforeAll(async () => {
    oa = await startFakeZaloOa(OA);
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await oa.close();
    await tg.close();
  });
  beforeEach(async () => {
    oa.reset();
    tg.reset();
    oa.issuePair(OA.accessToken, OA.refreshToken);
    now = Date.now();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\nQuản trị Lai Châu,0912000709,admin,12\n");
  });
  afterEach(async () => {
    await s?.service.stop();
    s = undefined;
  });
  const start = async (extra: Record<string, string> = {}, awaitReplies = true) => {
    s = await startTestService(t, { clock, telegram: tg, awaitReplies, env: oaEnv(oa, extra) });
    return s;
  };

  it("the phone-sharing form carries a public https image, and its text is sent whether or not the form is", async () => {
    // Configured image: the form goes with it, then the text that explains it.
    let svc = await start({ ZALO_OA_INFO_IMAGE_URL: IMAGE });
    expect((await oaPost(svc.url, followEvent(), now)).status).toBe(200);
    expect(oa.sent.filter((m) => m.template === "request_user_info")).toEqual([expect.objectContaining({ userId: USER, imageUrl: IMAGE })]);
    expect(oa.texts(USER).at(-1)).toMatch(/chia sẻ số điện thoại/);
    expect(oa.texts(USER).at(-1)).not.toMatch(/Nếu không thấy biểu mẫu/);

    // The form refused for another reason (here its image): the text still goes, pointing to the invite code.
    oa.reset();
    await svc.service.stop();
    svc = await start({ ZALO_OA_INFO_IMAGE_URL: "https://127.0.0.1/not-public.png" });
    oa.failNext(-201);
    expect((await oaPost(svc.url, followEvent(), now + 1)).status).toBe(200);
    expect(oa.sent.some((m) => m.template === "request_user_info")).toBe(false);
    expect(oa.texts(USER).at(-1)).toMatch(/chia sẻ số điện thoại[\s\S]*Nếu không thấy biểu mẫu chia sẻ số điện thoại, anh\/chị vui lòng gửi mã mời/);

    // No image and no https PUBLIC_URL: no form is attempted (Zalo would refuse image_url ""), the text says what to do.
    oa.reset();
    await svc.service.stop();
    svc = await start();
    expect((await oaPost(svc.url, followEvent(), now + 2)).status).toBe(200);
    expect(oa.refused).toEqual([]);
    expect(oa.texts(USER)).toHaveLength(1);
    expect(oa.texts(USER)[0]).toMatch(/gửi mã mời \(10 ký tự\) đã nhận\.$/);

    // An https PUBLIC_URL: baocao serves its own image, and the form uses it.
    oa.reset();
    await svc.service.stop();
    svc = await start({ PUBLIC_URL: "https://baocao.example.vn" });
    expect((await oaPost(svc.url, followEvent(), now + 3)).status).toBe(200);
    expect(oa.sent.find((m) => m.template === "request_user_info")?.imageUrl).toBe("https://baocao.example.vn/zalo/oa-info.png");
    const png = await fetch(`${svc.url}/zalo/oa-info.png`);
    expect(png.status).toBe(200);
    expect(png.headers.get("content-type")).toBe("image/png");
    expect([...new Uint8Array(await png.arrayBuffer()).slice(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it("a lower-tier OA refusing templates (-224) gets choices as the numbered list, once remembered as text-only, and the form falls back to text", async () => {
    const svc = await start({ ZALO_OA_INFO_IMAGE_URL: IMAGE });
    const mai = await linkOfficer(t.database, "84912345678", "zalo_oa", USER);
    oa.setTier("basic");
    const question = {
      text: "Câu 12 (12/40)\nXã đã đạt chuẩn xã, phường phù hợp với trẻ em chưa?",
      choices: [
        { label: "Đạt chuẩn", value: "a" },
        { label: "Chưa đạt", value: "b" },
        { label: "Đang đánh giá", value: "c" },
      ],
    };
    await svc.service.outbox.enqueue(t.database.db, [
      { officerId: mai.id, channel: "zalo_oa", chatId: USER, kind: "broadcast", dedupeKey: "q:1", payload: question },
      {
        officerId: mai.id,
        channel: "zalo_oa",
        chatId: USER,
        kind: "broadcast",
        dedupeKey: "q:2",
        payload: { ...question, text: "Câu 13 (13/40)\nCó trẻ em bị bạo lực không?" },
      },
    ]);
    await svc.service.outbox.drainOnce();
    const rows = await t.database.db.select().from(outbox).orderBy(outbox.id);
    expect(rows.map((r) => r.status)).toEqual(["sent", "sent"]);
    // One refused attempt in all: the second message went as text straight away.
    expect(oa.refused).toEqual([{ userId: USER, error: -224, template: "buttons" }]);
    expect(oa.texts(USER)).toHaveLength(2);
    for (const text of oa.texts(USER)) expect(text).toMatch(/\n1\. Đạt chuẩn\n2\. Chưa đạt\n3\. Đang đánh giá\nTrả lời bằng số hoặc tên lựa chọn\.$/);
    expect(oa.sent.some((m) => m.buttons)).toBe(false);

    // The form is a template too: not attempted on a text-only OA, its text says to use the invite code.
    oa.reset();
    oa.setTier("basic");
    expect((await oaPost(svc.url, followEvent(NEWCOMER), now)).status).toBe(200);
    expect(oa.refused).toEqual([]);
    expect(oa.texts(NEWCOMER).at(-1)).toMatch(/chia sẻ số điện thoại[\s\S]*Nếu không thấy biểu mẫu/);
  });

  it("the console's probes (GET, unsigned POST {}) answer 200 and change nothing; forged events still get 401; the domain verification file is served", async () => {
    const svc = await start({ ZALO_SITE_VERIFICATION: SITE_CODE });
    expect(await zaloConsoleSavesWebhook(`${svc.url}/webhooks/zalo-oa`)).toEqual({ get: 200, post: 200, saved: true });
    expect(await t.database.db.select().from(inboundEvents)).toEqual([]);
    expect(await t.database.db.select().from(outbox)).toEqual([]);
    expect(oa.sent).toEqual([]);
    expect((await oaPost(svc.url, textEvent("báo cáo"), now, { forged: true })).status).toBe(401);
    const unsignedEvent = await fetch(`${svc.url}/webhooks/zalo-oa`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ app_id: OA.appId, timestamp: String(now), ...textEvent("x") }),
    });
    expect(unsignedEvent.status).toBe(401);

    expect(await zaloConsoleVerifiesDomain(svc.url, SITE_CODE)).toBe(true);
    expect((await fetch(`${svc.url}/zalo_verifierSomethingElse123.html`)).status).toBe(404);
  });

  it("Zalo's redeliveries within its retry schedule are accepted and applied once; the webhook answers before any send could finish, while the reply waits on a slow Zalo", async () => {
    const svc = await start({}, false);
    await linkOfficer(t.database, "84912345678", "zalo_oa", USER);
    // Each send takes longer than any answer on a loaded machine: an answer shorter than a send did
    // not wait for one (in production that is well under Zalo's 2 s).
    const SEND_MS = 8_000;
    oa.setSendDelay(SEND_MS);
    const first = now;
    const event = textEvent("báo cáo", "redelivered-1");
    // Zalo's whole schedule, as if no answer had reached it in time: every attempt is accepted.
    for (const offset of ZALO_OA_RETRY_OFFSETS_MS) {
      now = first + offset;
      const started = performance.now();
      const res = await oaPost(svc.url, event, first);
      expect(res.status, `attempt at +${offset / 1000} s`).toBe(200);
      expect(performance.now() - started).toBeLessThan(SEND_MS);
    }
    await expect.poll(() => oa.texts(USER).filter((x) => /^Câu 1\//.test(x)).length, { timeout: 120_000 }).toBe(1);
    expect(await t.database.db.select().from(inboundEvents)).toHaveLength(1);
    const rows = await t.database.db.select().from(outbox);
    await expect.poll(() => oa.texts(USER).length, { timeout: 120_000 }).toBe(rows.length);
    // Past the window (older than ZALO_OA_MAX_EVENT_AGE_S, 3 h) it is a replay.
    now = first + 3 * 3_600_000 + 60_000;
    expect((await oaPost(svc.url, textEvent("báo cáo"), first)).status).toBe(401);
  }, 300_000); // sends of 8 s each, one after another

  it("-211 (out of quota) is retried later, not recorded as a failure", async () => {
    const svc = await start();
    const mai = await linkOfficer(t.database, "84912345678", "zalo_oa", USER);
    await svc.service.outbox.enqueue(t.database.db, [
      { officerId: mai.id, channel: "zalo_oa", chatId: USER, kind: "broadcast", dedupeKey: "b:211", payload: { text: "Chỉ đạo" } },
    ]);
    oa.failNext(-211);
    await svc.service.outbox.drainOnce();
    const [row] = await t.database.db.select().from(outbox);
    expect(row).toMatchObject({ status: "queued", attempts: 1 });
    expect(row!.lastError).toMatch(/-211/);
    expect(row!.notBefore.getTime() - now).toBeGreaterThanOrEqual(3_000_000);
  });

  it("long texts with buttons are split, never cut inside an emoji, and the buttons ride on the last part", async () => {
    const svc = await start();
    const mai = await linkOfficer(t.database, "84912345678", "zalo_oa", USER);
    // The 2,000th unit falls inside an emoji; no space nearby to cut at.
    const text = `${"a".repeat(1999)}😀${"b".repeat(300)} kết thúc`;
    await svc.service.outbox.enqueue(t.database.db, [
      {
        officerId: mai.id,
        channel: "zalo_oa",
        chatId: USER,
        kind: "broadcast",
        dedupeKey: "long",
        payload: {
          text,
          choices: [
            { label: "Có", value: "cmd:yes" },
            { label: "Không", value: "cmd:no" },
          ],
        },
      },
    ]);
    await svc.service.outbox.drainOnce();
    expect((await t.database.db.select().from(outbox))[0]!.status).toBe("sent");
    expect(oa.refused).toEqual([]);
    const parts = oa.sent.filter((m) => m.userId === USER);
    expect(parts.map((p) => p.text!.length <= 2000)).toEqual([true, true]);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    expect(parts.map((p) => Boolean(p.buttons))).toEqual([false, true]);
  });

  it("OA tokens are refreshed ahead of expiry on a quiet OA; a failing refresh shows on /healthz, on the admins' dashboard and in the log; a new pair from the environment recovers it", async () => {
    let svc = await start();
    const oaClient = () => svc.service.zaloOa!;
    expect(await oaClient().refreshIfDue()).toBe("fresh");
    expect(await (await fetch(`${svc.url}/healthz`)).json()).toMatchObject({ status: "ok", zaloOa: { status: "ok" } });
    // 15 hours of silence: the access token (25 h, stored as 20 h for the first pair) is renewed ahead of expiry.
    now += 15 * 3_600_000;
    expect(await oaClient().refreshIfDue()).toBe("refreshed");
    expect(oa.tokens()).toMatchObject({ refreshes: 1, refreshToken: "rt-1" });
    const [stored] = await t.database.db.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1));
    expect(stored).toMatchObject({ accessToken: "at-1", refreshToken: "rt-1" });
    now += 3_600_000;
    expect(await oaClient().refreshIfDue()).toBe("fresh");
    expect(oa.tokens().refreshes).toBe(1);

    // The refresh token dies (revoked, or unused too long): visible everywhere an admin looks.
    oa.refuseRefresh();
    now += 20 * 3_600_000;
    expect(await oaClient().refreshIfDue()).toBe("failed");
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "degraded", zaloOa: { status: "degraded", reason: expect.stringMatching(/refresh refused/) } });
    await linkOfficer(t.database, "84912000709", "telegram", String(ADMIN_CHAT));
    const cookie = await signIn(svc, "0912000709", ADMIN_CHAT);
    const dashboard = await (await fetch(`${svc.url}/dashboard`, { headers: { cookie } })).text();
    expect(dashboard).toMatch(
      /role="alert">⚠ Zalo OA không gửi được tin: mã truy cập không làm mới được[\s\S]*ZALO_OA_ACCESS_TOKEN \/ ZALO_OA_REFRESH_TOKEN rồi khởi động lại baocao/,
    );

    // The OA admin issues a new pair, puts it in the environment and restarts baocao.
    oa.issuePair("at-new", "rt-new");
    await svc.service.stop();
    s = undefined;
    svc = await start({ ZALO_OA_ACCESS_TOKEN: "at-new", ZALO_OA_REFRESH_TOKEN: "rt-new" });
    expect(await oaClient().refreshIfDue()).toBe("refreshed");
    expect(await (await fetch(`${svc.url}/healthz`)).json()).toMatchObject({ status: "ok", zaloOa: { status: "ok" } });
    const [renewed] = await t.database.db.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1));
    expect(renewed!.refreshToken).toBe(oa.tokens().refreshToken);
  });

  async function signIn(svc: TestService, phone: string, chat: number): Promise<string> {
    const form = (path: string, fields: Record<string, string>) =>
      fetch(`${svc.url}${path}`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: svc.url },
        body: new URLSearchParams(fields).toString(),
      });
    expect((await form("/login", { phone, next: "/dashboard" })).status).toBe(200);
    const link = /https?:\/\/\S+\/login\/\S+/.exec(tg.texts(chat).at(-1) ?? "")![0];
    const follow = await form(new URL(link).pathname, { next: "/dashboard" });
    return follow.headers.get("set-cookie")!.split(";")[0]!;
  }
});

describe.each(dbKinds)("Zalo Bot events without a message (%s)", (kind) => {
  const t = useTestDb(kind);
  let zb: Awaited<ReturnType<typeof startFakeZaloBot>>;
  let service: Service;
  let url: string;
  const lines: Record<string, unknown>[] = [];
  const SECRET = "zalo-bot-secret-123";
  beforeAll(async () => {
    zb = await startFakeZaloBot();
  });
  afterAll(() => zb.close());
  beforeEach(async () => {
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      DEMO_SEED: "off",
      ...(t.url ? { DATABASE_URL: t.url } : {}),
      ZALO_BOT_TOKEN,
      ZALO_BOT_WEBHOOK_SECRET: SECRET,
      ZALO_BOT_API_ROOT: zb.apiRoot,
    });
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    service = createService(config, { ...(t.pglite ? { pglite: t.pglite } : {}), logger, workerIntervalMs: 0 });
    url = `http://127.0.0.1:${(await service.start()).port}`;
  });
  afterEach(() => service.stop());

  it("are answered 200 and logged once (message is optional in the Zalo Bot docs); a body that is no event is still 400", async () => {
    lines.length = 0;
    const post = (body: unknown) =>
      fetch(`${url}/webhooks/zalo`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-bot-api-secret-token": SECRET },
        body: JSON.stringify(body),
      });
    const res = await post({ event_name: "bot.webhook.test" });
    expect(res.status).toBe(200);
    const ignored = lines.filter((l) => l.msg === "zalo bot event ignored");
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.reason).toMatch(/carries no message/);
    expect(await t.database.db.select().from(inboundEvents)).toEqual([]);
    expect(zb.sent).toEqual([]);
    expect((await post({ event_name: "message.text.received", message: [] })).status).toBe(400);
  });
});
