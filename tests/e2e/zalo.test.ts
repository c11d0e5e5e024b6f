import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { channelLinks, conversationSessions, outbox, submissions, zaloOaTokens } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { startFakeZaloBot, startFakeZaloOa, ZALO_BOT_TOKEN } from "../support/fake-zalo.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { ANSWERS } from "../support/answers.js";
import { startTestService, type TestService } from "../support/service.js";

const clock = () => new Date("2026-11-07T03:00:00Z");
const BOT_SECRET = "zalo-bot-secret-123";
const OA = { appId: "360846524940903967", secretKey: "oa-secret-key", appSecret: "app-secret", accessToken: "at-0", refreshToken: "rt-0" };

/** On Zalo there are no buttons: choices are answered by number. */
const ZALO_ANSWERS: Record<string, { text?: string }> = { ...ANSWERS, case_form: { text: "1" } };

let eventNo = 0;
const botEvent = (userId: string, text: string, wrapped = false) => {
  const event = {
    event_name: "message.text.received",
    message: {
      date: clock().getTime(),
      chat: { chat_type: "PRIVATE", id: userId },
      message_id: `msg${++eventNo}`,
      from: { id: userId, is_bot: false, display_name: "Cán bộ" },
      text,
    },
  };
  return wrapped ? { ok: true, result: event } : event;
};

function signOa(raw: string, body: { app_id?: string; timestamp: string }) {
  return `mac=${createHash("sha256")
    .update(`${body.app_id ?? ""}${raw}${body.timestamp}${OA.secretKey}`)
    .digest("hex")}`;
}

describe.each(dbKinds)("Zalo Bot: an officer links with her code and files the whole report by text (%s)", (kind) => {
  const t = useTestDb(kind);
  let zb: Awaited<ReturnType<typeof startFakeZaloBot>>;
  let s: TestService;
  const USER = "ae800e9657c5be9be7d4";
  beforeAll(async () => {
    zb = await startFakeZaloBot();
  });
  afterAll(() => zb.close());
  beforeEach(async () => {
    zb.reset();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { clock, env: { ZALO_BOT_TOKEN, ZALO_BOT_WEBHOOK_SECRET: BOT_SECRET, ZALO_BOT_API_ROOT: zb.apiRoot } });
  });
  afterEach(() => s.service.stop());

  const post = (body: unknown, secret = BOT_SECRET) =>
    fetch(`${s.url}/webhooks/zalo`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-bot-api-secret-token": secret },
      body: JSON.stringify(body),
    });

  it("refuses forged events, links by invite code, dedupes, and walks the report to submission", async () => {
    expect((await post(botEvent(USER, "báo cáo"), "wrong-secret-xx")).status).toBe(401);
    expect(zb.sent).toHaveLength(0);

    await post(botEvent(USER, "xin chào"));
    expect(zb.texts(USER)[0]).toMatch(/gửi mã mời \(10 ký tự\)/);

    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "zalo_bot");
    // The documented wrapped form and the bare form seen in real traffic both work.
    await post(botEvent(USER, `  ${code.toLowerCase()} `, true));
    expect(zb.texts(USER).join("\n")).toMatch(/Xin chào anh\/chị Nguyễn Thị Mai — Phường Đoàn Kết/);
    expect(zb.texts(USER).at(-1)).toMatch(/Gõ "báo cáo" \(Làm báo cáo\)/);

    const dup = botEvent(USER, "báo cáo");
    await Promise.all([post(dup), post(dup)]);
    expect(zb.texts(USER).at(-1)).toMatch(/^Câu 1\/\d+/);
    const asked = zb.sent.length;

    const unsupported = {
      event_name: "message.unsupported.received",
      message: { message_id: `u${++eventNo}`, chat: { id: USER, chat_type: "PRIVATE" }, from: { id: USER } },
    };
    await post(unsupported);
    // What cannot be read is said, then the same question is asked again: the report never stalls.
    expect(zb.texts(USER).at(-2)).toMatch(/chưa đọc được/);
    expect(zb.texts(USER).at(-1)).toMatch(/^Câu 1\/\d+/);
    expect(zb.sent.length).toBe(asked + 2);

    const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
    for (let guard = 0; (await state()).mode === "asking" && guard < 90; guard++) {
      const key = (await state()).report!.cursor!;
      await post(botEvent(USER, ZALO_ANSWERS[key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1)]!.text!));
    }
    // The review of ~40 answers is split under Zalo's 2,000 characters; choices are numbered.
    expect(zb.sent.every((m) => m.text.length <= 2000)).toBe(true);
    expect(zb.sent.some((m) => /\n1\. Bạo lực\n2\. Xâm hại tình dục/.test(m.text))).toBe(true);
    expect(zb.texts(USER).at(-1)).toMatch(/Gõ "nộp" \(Nộp báo cáo\)/);
    await post(botEvent(USER, "nop"));
    expect(zb.texts(USER).at(-1)).toMatch(/Đã nộp báo cáo năm 2026/);
    const [sub] = await t.database.db.select().from(submissions);
    expect(sub!.status).toBe("submitted");
  });

  it("a quota error (429) is retried later, not lost", async () => {
    const officer = await linkOfficer(t.database, "84912345678", "zalo_bot", USER);
    await s.service.outbox.enqueue(t.database.db, [
      { officerId: officer.id, channel: "zalo_bot", chatId: USER, kind: "broadcast", dedupeKey: "b:1", payload: { text: "Chỉ đạo" } },
    ]);
    zb.failNext(429, "Quota exceeded");
    await s.service.outbox.drainOnce();
    const [row] = await t.database.db.select().from(outbox);
    expect(row).toMatchObject({ status: "queued", attempts: 1 });
    expect(row!.lastError).toMatch(/quota/);
    expect(row!.notBefore.getTime()).toBeGreaterThan(clock().getTime());
  });
});

describe("Zalo Bot long polling for local development", () => {
  const t = useTestDb("pglite");
  it("ZALO_BOT_MODE=polling takes events from getUpdates (408 = nothing new) and answers them", async () => {
    const zb = await startFakeZaloBot();
    const s = await startTestService(t, { clock, env: { ZALO_BOT_TOKEN, ZALO_BOT_MODE: "polling", ZALO_BOT_API_ROOT: zb.apiRoot } });
    try {
      zb.queueUpdate(botEvent("polluser00000000001", "xin chào"));
      await expect.poll(() => zb.texts("polluser00000000001").length).toBeGreaterThan(0);
      expect(zb.texts("polluser00000000001")[0]).toMatch(/gửi mã mời/);
    } finally {
      await s.service.stop();
      await zb.close();
    }
    // Stopping waits for sends in flight: a second answer to the one event would be here by now.
    expect(zb.texts("polluser00000000001")).toHaveLength(1);
  });
});

describe.each(dbKinds)("Zalo Official Account: signed webhooks, phone sharing, token rotation, the 7-day window (%s)", (kind) => {
  const t = useTestDb(kind);
  let oa: Awaited<ReturnType<typeof startFakeZaloOa>>;
  let tg: FakeTelegram;
  let s: TestService;
  const USER = "246845883529197922";
  const now = () => new Date();
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
    oa.setAccessToken(OA.accessToken);
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, {
      clock: now,
      telegram: tg,
      env: {
        ZALO_OA_APP_ID: OA.appId,
        ZALO_OA_SECRET_KEY: OA.secretKey,
        ZALO_APP_SECRET: OA.appSecret,
        ZALO_OA_ACCESS_TOKEN: OA.accessToken,
        ZALO_OA_REFRESH_TOKEN: OA.refreshToken,
        ZALO_OA_API_ROOT: oa.apiRoot,
        ZALO_OAUTH_ROOT: oa.apiRoot,
        ZALO_OA_INFO_IMAGE_URL: "https://baocao.example.vn/zalo/oa-info.png",
        // These tests send on the real clock: no quiet hours, whatever the time of day of the run.
        QUIET_HOURS_START: "00:00",
        QUIET_HOURS_END: "00:00",
      },
    });
  });
  afterEach(() => s.service.stop());

  const event = (e: Record<string, unknown>, opts: { sign?: boolean; timestamp?: string } = {}) => {
    const body = { app_id: OA.appId, timestamp: opts.timestamp ?? String(Date.now()), ...e };
    const raw = JSON.stringify(body);
    return fetch(`${s.url}/webhooks/zalo-oa`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-zevent-signature": opts.sign === false ? "mac=deadbeef" : signOa(raw, body) },
      body: raw,
    });
  };
  let msgNo = 0;
  const text = (t: string) =>
    event({ event_name: "user_send_text", sender: { id: USER }, recipient: { id: "388613280878808645" }, message: { text: t, msg_id: `oa-msg-${++msgNo}` } });

  it("forged or stale events get 401; follow asks for the phone; user_submit_info only asks for a link, the invite code makes it; text drives the conversation", async () => {
    expect((await event({ event_name: "user_send_text", sender: { id: USER }, message: { text: "x", msg_id: "f1" } }, { sign: false })).status).toBe(401);
    expect(
      (
        await event(
          { event_name: "user_send_text", sender: { id: USER }, message: { text: "x", msg_id: "f2" } },
          { timestamp: String(Date.now() - 4 * 3_600_000) },
        )
      ).status,
    ).toBe(401);
    oa.reset();

    expect((await event({ event_name: "follow", oa_id: "388613280878808645", follower: { id: USER }, source: "oa_profile" })).status).toBe(200);
    expect(oa.sent.some((m) => m.userId === USER && m.template === "request_user_info")).toBe(true);
    expect(oa.texts(USER).at(-1)).toMatch(/chia sẻ số điện thoại/);

    // The form's number can be typed in: it waits for a supervisor (tests/e2e/zalo-oa-phone.test.ts).
    await event({ event_name: "user_submit_info", sender: { id: USER }, recipient: { id: "388613280878808645" }, info: { name: "Mai", phone: "84912345678" } });
    await expect.poll(() => oa.texts(USER).at(-1), { timeout: 20_000 }).toMatch(/^Đã nhận yêu cầu liên kết tài khoản Zalo này/);
    expect(await t.database.db.select().from(channelLinks)).toEqual([]);
    const { code } = await createOfficerDirectory({ db: t.database.db, clock: now, inviteTtlHours: 72 }).createInvite("0912345678", "zalo_oa");
    await text(code);
    await expect.poll(() => oa.texts(USER).join("\n"), { timeout: 20_000 }).toMatch(/Xin chào anh\/chị Nguyễn Thị Mai/);
    expect(await t.database.db.select().from(channelLinks)).toMatchObject([{ channel: "zalo_oa", externalId: USER }]);

    await text("báo cáo");
    expect(oa.texts(USER).at(-1)).toMatch(/^Câu 1\//);
    await text("-2");
    expect(oa.texts(USER).at(-2)).toBe("Số không được âm.");
    // Choices come as buttons that send their number or command word.
    for (const a of ["0", "0", "0", "0", "0", "0", "0", "0", "0", "bỏ qua"]) await text(a);
    const withButtons = oa.sent.filter((m) => m.buttons);
    expect(withButtons.at(-1)!.buttons).toEqual([
      { title: "Đạt chuẩn xã, phường phù hợp với trẻ em", type: "oa.query.show", payload: "1" },
      { title: "Chưa đạt", type: "oa.query.show", payload: "2" },
      { title: "Đang đánh giá", type: "oa.query.show", payload: "3" },
    ]);
    // A button tap arrives as its payload text; the rest of the report is typed.
    const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
    for (let guard = 0; (await state()).mode === "asking" && guard < 60; guard++) {
      const key = (await state()).report!.cursor!;
      await text(ZALO_ANSWERS[key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1)]!.text!);
    }
    const submit = oa.sent.filter((m) => m.buttons).at(-1)!;
    expect(submit.buttons![0]).toEqual({ title: "✅ Nộp báo cáo", type: "oa.query.show", payload: "nộp" });
    await text("nộp");
    expect(oa.texts(USER).at(-1)).toMatch(/Đã nộp báo cáo năm 2026/);
    expect((await t.database.db.select().from(submissions))[0]!.status).toBe("submitted");
  });

  it("a rate-limited OA (-32) gets the message retried later, not lost", async () => {
    const mai = await linkOfficer(t.database, "84912345678", "zalo_oa", USER);
    await s.service.outbox.enqueue(t.database.db, [
      { officerId: mai.id, channel: "zalo_oa", chatId: USER, kind: "broadcast", dedupeKey: "b:32", payload: { text: "Chỉ đạo" } },
    ]);
    oa.failNext(-32);
    await s.service.outbox.drainOnce();
    const [row] = await t.database.db.select().from(outbox);
    expect(row).toMatchObject({ status: "queued", attempts: 1 });
    expect(row!.notBefore.getTime() - Date.now()).toBeGreaterThan(50_000);
  });

  it("an expired access token is refreshed once, the new single-use pair is stored before use, and the send is retried", async () => {
    const mai = await linkOfficer(t.database, "84912345678", "zalo_oa", USER);
    oa.expireAccessToken();
    // The fake now only accepts what a refresh returns.
    oa.setAccessToken("at-1");
    await s.service.outbox.enqueue(t.database.db, [
      { officerId: mai.id, channel: "zalo_oa", chatId: USER, kind: "broadcast", dedupeKey: "b:oa", payload: { text: "Chỉ đạo mới" } },
    ]);
    await s.service.outbox.drainOnce();
    expect(oa.texts(USER)).toEqual(["Chỉ đạo mới"]);
    const [stored] = await t.database.db.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1));
    expect(stored).toMatchObject({ accessToken: "at-1", refreshToken: "rt-1" });
    expect(oa.tokens().refreshes).toBe(1);
    const [row] = await t.database.db.select().from(outbox);
    expect(row).toMatchObject({ status: "sent", attempts: 1 });
  });

  it("outside the 7-day window the message is recorded as such and goes to the officer's other channel", async () => {
    const mai = await linkOfficer(t.database, "84912345678", "zalo_oa", USER, true);
    await linkOfficer(t.database, "84912345678", "telegram", "5151", false);
    oa.outsideWindow.add(USER);
    const res = await s.api("/api/broadcasts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "Triển khai Tháng hành động", audience: { scheme: "post2025", rootCode: "12" } }),
    });
    const { id } = (await res.json()) as { id: number };
    await expect.poll(async () => (await s.service.outbox.drainOnce(), tg.sent("5151").length)).toBe(1);
    const rows = await t.database.db.select().from(outbox).where(eq(outbox.officerId, mai.id)).orderBy(outbox.id);
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ["zalo_oa", "outside_window"],
      ["telegram", "sent"],
    ]);
    const status = (await (await s.api(`/api/broadcasts/${id}`)).json()) as { recipients: { status: string; channel: string }[] };
    expect(status.recipients).toMatchObject([{ status: "sent", channel: "telegram" }]);
  });
});
