import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, channelLinks, officers, pendingLinks } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { startFakeZaloOa } from "../support/fake-zalo.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { outboxSettled } from "../support/fault-fixtures.js";

const OA = { appId: "360846524940903967", secretKey: "oa-secret-key", appSecret: "app-secret", accessToken: "at-0", refreshToken: "rt-0" };
const USER = "246845883529197922";
const STRANGER = "731190011223344556";
const LAI_CHAU_CHAT = 9512;
// Replies leave after the webhook has answered: wait for them, never for a fixed time.
const POLL = { timeout: 20_000 };
const HANOI_CHAT = 9501;

const RECORDED =
  "Đã nhận yêu cầu liên kết tài khoản Zalo này với baocao.\nSố điện thoại trong biểu mẫu có thể nhập tay, nên baocao chỉ liên kết khi được xác nhận: cán bộ cấp trên của anh/chị sẽ xác nhận yêu cầu trên trang quản trị baocao, hoặc anh/chị gửi mã mời (10 ký tự) đã nhận để liên kết ngay.\nChưa có mã mời hoặc chờ lâu chưa được xác nhận, anh/chị liên hệ cán bộ phụ trách công tác trẻ em của huyện/tỉnh.";
const WAITING =
  "Yêu cầu liên kết tài khoản Zalo này đang chờ cán bộ cấp trên của anh/chị xác nhận. Anh/chị có thể gửi mã mời (10 ký tự) để liên kết ngay; cần hỗ trợ, anh/chị liên hệ cán bộ phụ trách công tác trẻ em của huyện/tỉnh.";

/**
 * Zalo OA's request-info form comes back with whatever number the user left in it, so a number
 * that matches an officer proves nothing: it waits for the officer's supervisor (on /officers,
 * «Chờ xác nhận») or the officer's own invite code. Telegram's contact button is another matter
 * (the card is the sender's own) and stays as it is (tests/e2e/telegram-onboarding.test.ts).
 */
describe.each(dbKinds)("a phone shared through Zalo OA's form links only once confirmed (%s)", (kind) => {
  const t = useTestDb(kind);
  let oa: Awaited<ReturnType<typeof startFakeZaloOa>>;
  let tg: FakeTelegram;
  let s: TestService;
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
    oa.setAccessToken(OA.accessToken);
    await loadProvince(t.database, "post2025", "12");
    await loadProvince(t.database, "post2025", "01");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code",
        "Nguyễn Thị Mai,0912345678,commune,03388",
        "Sở LĐTBXH Lai Châu,0912000112,province,12",
        "Sở LĐTBXH Hà Nội,0912000101,province,01",
      ].join("\n"),
    );
    await linkOfficer(t.database, "84912000112", "telegram", String(LAI_CHAU_CHAT));
    await linkOfficer(t.database, "84912000101", "telegram", String(HANOI_CHAT));
    s = await startTestService(t, {
      clock: () => new Date(),
      telegram: tg,
      env: {
        ZALO_OA_APP_ID: OA.appId,
        ZALO_OA_SECRET_KEY: OA.secretKey,
        ZALO_APP_SECRET: OA.appSecret,
        ZALO_OA_ACCESS_TOKEN: OA.accessToken,
        ZALO_OA_REFRESH_TOKEN: OA.refreshToken,
        ZALO_OA_API_ROOT: oa.apiRoot,
        ZALO_OAUTH_ROOT: oa.apiRoot,
        // These tests send on the real clock: no quiet hours, whatever the time of day of the run.
        QUIET_HOURS_START: "00:00",
        QUIET_HOURS_END: "00:00",
      },
    });
  });
  afterEach(() => s.service.stop());

  let eventNo = 0;
  const event = (e: Record<string, unknown>) => {
    const body = { app_id: OA.appId, timestamp: String(Date.now()), ...e };
    const raw = JSON.stringify(body);
    const mac = createHash("sha256").update(`${OA.appId}${raw}${body.timestamp}${OA.secretKey}`).digest("hex");
    return fetch(`${s.url}/webhooks/zalo-oa`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-zevent-signature": `mac=${mac}` },
      body: raw,
    });
  };
  const submitInfo = async (user: string, phone: string, name?: string) =>
    expect(
      (
        await event({
          event_name: "user_submit_info",
          sender: { id: user },
          recipient: { id: "388613280878808645" },
          info: { phone, ...(name ? { name } : {}) },
        })
      ).status,
    ).toBe(200);
  const say = async (user: string, text: string) =>
    expect(
      (
        await event({
          event_name: "user_send_text",
          sender: { id: user },
          recipient: { id: "388613280878808645" },
          message: { text, msg_id: `text-${++eventNo}` },
        })
      ).status,
    ).toBe(200);

  async function signIn(phone: string, chat: number): Promise<string> {
    const before = tg.texts(chat).length;
    await fetch(`${s.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url },
      body: new URLSearchParams({ phone }).toString(),
    });
    await expect.poll(() => tg.texts(chat).length, { timeout: 20_000 }).toBeGreaterThan(before);
    const link = new URL(/https?:\/\/\S+\/login\/\S+/.exec(tg.texts(chat).at(-1)!)![0]);
    let res = await fetch(`${s.url}${link.pathname}${link.search}`, { redirect: "manual" });
    if (res.status === 200) {
      // A confirm page (so that a link preview cannot spend the link): press its button.
      const html = await res.text();
      const action = /<form[^>]*method="post"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(html);
      const fields = new URLSearchParams(
        [...html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")]),
      );
      res = await fetch(new URL(action?.[1] ?? action?.[2] ?? link.pathname, s.url), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url },
        body: fields.toString(),
      });
    }
    expect(res.status).toBe(302);
    return res.headers.get("set-cookie")!.split(";")[0]!;
  }
  const decide = (cookie: string, id: number, action: "approve" | "reject", origin: string = s.url) =>
    fetch(`${s.url}/officers/pending/${id}/${action}`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin, "content-type": "application/x-www-form-urlencoded" },
      body: "",
    });

  const mai = async () => (await t.database.db.select().from(officers).where(eq(officers.phone, "84912345678")))[0]!;
  const links = () =>
    t.database.db
      .select({ officerId: channelLinks.officerId, channel: channelLinks.channel, externalId: channelLinks.externalId })
      .from(channelLinks)
      .where(eq(channelLinks.channel, "zalo_oa"));

  it("a real officer's number typed into Zalo's form links nothing: the sender is told it waits for a supervisor or an invite code, and their next message is still a stranger's", async () => {
    await submitInfo(USER, "84912345678", "Mai");
    expect(await links()).toEqual([]);
    await expect.poll(() => oa.texts(USER), POLL).toEqual([RECORDED]);
    expect(
      await t.database.db
        .select({ officerId: pendingLinks.officerId, phone: pendingLinks.phone, displayName: pendingLinks.displayName, decision: pendingLinks.decision })
        .from(pendingLinks),
    ).toEqual([{ officerId: (await mai()).id, phone: "84912345678", displayName: "Mai", decision: null }]);

    await say(USER, "báo cáo");
    await expect.poll(() => oa.texts(USER), POLL).toEqual([RECORDED, WAITING]);

    // A number nobody registered gets the very same answers: the form tells no one who is an officer.
    await submitInfo(STRANGER, "0987000111");
    await say(STRANGER, "báo cáo");
    await expect.poll(() => oa.texts(STRANGER), POLL).toEqual([RECORDED, WAITING]);
    expect(await links()).toEqual([]);
  });

  it("the province supervisor approves the request under «Chờ xác nhận» on /officers: the account is linked, Mai is told on Zalo, the decision is audited; another province's supervisor and a form from another site cannot decide it", async () => {
    await submitInfo(USER, "0912 345 678", "Mai Nguyễn");
    await expect.poll(() => oa.texts(USER), POLL).toEqual([RECORDED]);
    const [pending] = await t.database.db.select().from(pendingLinks);

    const laiChau = await signIn("0912000112", LAI_CHAU_CHAT);
    const page = await (await fetch(`${s.url}/officers`, { headers: { cookie: laiChau } })).text();
    const section = /<h2 id="pending-links">([\s\S]*?)<\/table>/.exec(page)?.[0] ?? "";
    expect(section).toContain("Chờ xác nhận: liên kết tài khoản Zalo (1)");
    expect(section).toMatch(
      /<td>Nguyễn Thị Mai<\/td><td>0912 345 678<\/td><td>Phường Đoàn Kết \(03388\)<\/td><td>Zalo OA<\/td>\s*<td>Mai Nguyễn<\/td><td>\d\d:\d\d \d\d\/\d\d\/\d{4}<\/td>/,
    );
    expect(section).toContain(`action="/officers/pending/${pending!.id}/approve"`);
    expect(section).toContain(">Xác nhận</button>");
    expect(section).toContain(`action="/officers/pending/${pending!.id}/reject"`);
    expect(section).toContain(">Từ chối</button>");

    const hanoi = await signIn("0912000101", HANOI_CHAT);
    expect(await (await fetch(`${s.url}/officers`, { headers: { cookie: hanoi } })).text()).not.toContain("Chờ xác nhận");
    expect((await decide(hanoi, pending!.id, "approve")).status).toBe(404);
    expect((await decide(laiChau, pending!.id, "approve", "https://evil.example")).status).toBe(403);
    expect(await links()).toEqual([]);

    const approved = await decide(laiChau, pending!.id, "approve");
    expect(approved.status).toBe(302);
    expect(await links()).toEqual([{ officerId: (await mai()).id, channel: "zalo_oa", externalId: USER }]);
    // Nothing left to send, then exactly 3: a late duplicate would be counted.
    expect((await outboxSettled(t.database, 20_000)).settled).toBe(true);
    expect(oa.texts(USER)).toHaveLength(3);
    expect(oa.texts(USER)[1]).toBe(
      "Xin chào anh/chị Nguyễn Thị Mai — Phường Đoàn Kết.\nSở LĐTBXH Lai Châu đã xác nhận: tài khoản Zalo này đã được liên kết với baocao.",
    );
    const [laiChauOfficer] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000112"));
    expect(
      await t.database.db
        .select({ actor: auditLog.actor, action: auditLog.action, target: auditLog.target })
        .from(auditLog)
        .where(eq(auditLog.action, "officer.link_approve")),
    ).toEqual([{ actor: `officer:${laiChauOfficer!.id}`, action: "officer.link_approve", target: `officer:${(await mai()).id}` }]);
    expect((await t.database.db.select().from(pendingLinks))[0]).toMatchObject({ decision: "approved", decidedBy: laiChauOfficer!.id });
    // Decided once: a second press finds nothing to decide, and the list is empty again.
    expect((await decide(laiChau, pending!.id, "reject")).status).toBe(404);
    expect(await (await fetch(`${s.url}/officers`, { headers: { cookie: laiChau } })).text()).not.toContain("Chờ xác nhận");

    await say(USER, "báo cáo");
    await expect.poll(() => oa.texts(USER).at(-1), POLL).toMatch(/^Câu 1\//);
  });

  it("a rejected request links nothing, the sender is told, and their next message is a stranger's again", async () => {
    await submitInfo(USER, "84912345678", "Mai");
    await expect.poll(() => oa.texts(USER), POLL).toEqual([RECORDED]);
    const [pending] = await t.database.db.select().from(pendingLinks);
    const laiChau = await signIn("0912000112", LAI_CHAU_CHAT);
    expect((await decide(laiChau, pending!.id, "reject")).status).toBe(302);
    expect(await links()).toEqual([]);
    // Nothing left to send, then exactly 2: a late duplicate would be counted.
    expect((await outboxSettled(t.database, 20_000)).settled).toBe(true);
    expect(oa.texts(USER)).toHaveLength(2);
    expect(oa.texts(USER)[1]).toBe(
      "Yêu cầu liên kết tài khoản Zalo này với baocao không được xác nhận. Nếu anh/chị là cán bộ đã đăng ký, vui lòng xin mã mời từ cán bộ cấp trên rồi gửi mã đó tại đây.",
    );
    expect(await t.database.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.action, "officer.link_reject"))).toEqual([
      { action: "officer.link_reject" },
    ]);
    expect((await t.database.db.select().from(pendingLinks))[0]).toMatchObject({ decision: "rejected" });

    await say(USER, "báo cáo");
    await expect.poll(() => oa.texts(USER).at(-1), POLL).toMatch(/chia sẻ số điện thoại để xác nhận là cán bộ đã đăng ký, hoặc gửi mã mời/);
    expect(await links()).toEqual([]);
  });

  it("the officer who types her invite code to the OA is linked at once, and her waiting request is closed", async () => {
    await submitInfo(USER, "84912345678", "Mai");
    const { code } = await createOfficerDirectory({ db: t.database.db, clock: () => new Date(), inviteTtlHours: 72 }).createInvite("0912345678", "zalo_oa");
    await say(USER, code);
    await expect
      .poll(() => oa.texts(USER).join("\n"), POLL)
      .toContain("Xin chào anh/chị Nguyễn Thị Mai — Phường Đoàn Kết.\nTài khoản đã được liên kết với baocao.");
    expect(await links()).toEqual([{ officerId: (await mai()).id, channel: "zalo_oa", externalId: USER }]);
    expect((await t.database.db.select().from(pendingLinks))[0]).toMatchObject({ decision: "linked" });
    const laiChau = await signIn("0912000112", LAI_CHAU_CHAT);
    expect(await (await fetch(`${s.url}/officers`, { headers: { cookie: laiChau } })).text()).not.toContain("Chờ xác nhận");
  });
});
