import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, incidents, officers, periods, submissions } from "../../src/db/schema/index.js";
import { runCommand } from "../../src/cli/commands.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const REPORTER = 9301;
const DISTRICT = 9302;
const OTHER = 9305;

describe.each(dbKinds)("officers sign in with a link sent to their chat and see only their subtree (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code,scheme",
        "Cán bộ Thèn Sin,0912000301,commune,03394,pre2025",
        "Phòng LĐTBXH Tam Đường,0912000302,district,106,pre2025",
        "Cán bộ Quyết Thắng,0912000305,commune,03386,pre2025",
      ].join("\n"),
    );
    for (const [phone, chat] of [
      ["84912000301", REPORTER],
      ["84912000302", DISTRICT],
      ["84912000305", OTHER],
    ] as const)
      await linkOfficer(t.database, phone, "telegram", String(chat));
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-06-14T03:00:00Z") });
  });
  afterEach(() => s.service.stop());

  const form = (path: string, fields: Record<string, string>, origin: string | null = s.url) =>
    fetch(`${s.url}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
      body: new URLSearchParams(fields).toString(),
    });

  async function signIn(phone: string, chat: number): Promise<string> {
    const res = await form("/login", { phone, next: "/dashboard" });
    expect(res.status).toBe(200);
    const link = /https?:\/\/\S+\/login\/\S+/.exec(tg.texts(chat).at(-1) ?? "")![0];
    // Opening the link (as a chat preview would) only shows the confirm button and signs nobody in.
    const opened = await fetch(link, { redirect: "manual" });
    expect(opened.status).toBe(200);
    expect(opened.headers.get("set-cookie")).toBeNull();
    expect(await opened.text()).toContain("Đăng nhập vào baocao");
    const follow = await form(new URL(link).pathname, { next: "/dashboard" });
    expect(follow.status).toBe(302);
    const cookie = follow.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // The link is single-use.
    expect((await form(new URL(link).pathname, {})).status).toBe(410);
    expect((await fetch(link, { redirect: "manual" })).status).toBe(410);
    return cookie.split(";")[0]!;
  }

  it("a district officer signs in from the chat link, sees the dashboard of the district, and reads a case of one of its communes; another commune's officer gets 404", async () => {
    const anon = await fetch(`${s.url}/dashboard`, { redirect: "manual" });
    expect(anon.status).toBe(302);
    expect(anon.headers.get("location")).toBe("/login?next=%2Fdashboard");
    // A form posted from another site is refused.
    expect((await form("/login", { phone: "0912000302" }, "https://evil.example")).status).toBe(403);
    // An unknown number gets the same answer and nobody gets a message.
    const unknown = await form("/login", { phone: "0987654321" });
    expect(await unknown.text()).toContain("Kiểm tra tin nhắn");
    expect(tg.sent()).toHaveLength(0);

    const district = await signIn("0912000302", DISTRICT);
    const dash = await fetch(`${s.url}/dashboard`, { headers: { cookie: district } });
    const html = await dash.text();
    expect(html).toContain("Huyện Tam Đường — Báo cáo 6 tháng đầu năm 2026");
    expect(html).toContain("Xã Thèn Sin");
    expect(html).toMatch(/Cán bộ Thèn Sin <span class="note">Telegram<\/span>/);
    expect(html).toContain("Báo cáo năm 2025"); // a past period, one click away
    // "Nhắc ngay" reaches the commune officer on chat at once (daytime), and shows as the last reminder.
    const remind = await fetch(`${s.url}/dashboard/remind`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: district, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: "unit=03394",
    });
    expect(remind.status).toBe(302);
    expect(tg.texts(REPORTER).at(-1)).toMatch(/Phòng LĐTBXH Tam Đường nhắc: anh\/chị Cán bộ Thèn Sin vui lòng hoàn thành báo cáo 6 tháng đầu năm 2026/);
    expect(await (await fetch(`${s.url}/dashboard`, { headers: { cookie: district } })).text()).toMatch(/Xã Thèn Sin[\s\S]*?\d\d:\d\d 14\/06\/2026/);
    // The JSON API takes the same session, limited to the subtree.
    expect((await fetch(`${s.url}/api/periods/2026-H1/status?unit=106&scheme=pre2025`, { headers: { cookie: district } })).status).toBe(200);
    expect((await fetch(`${s.url}/api/periods/2026-H1/status?unit=105&scheme=pre2025`, { headers: { cookie: district } })).status).toBe(404);
    expect((await fetch(`${s.url}/api/periods/2026-H1/status?unit=12&scheme=pre2025`, { headers: { cookie: district } })).status).toBe(404);
    expect((await fetch(`${s.url}/api/periods/2026-H1/export.xlsx?unit=03394&scheme=pre2025`, { headers: { cookie: district } })).status).toBe(200);
    expect((await fetch(`${s.url}/api/periods/2026-H1/status?unit=106&scheme=pre2025`)).status).toBe(401);
    // Drilling outside one's subtree is refused.
    expect((await fetch(`${s.url}/dashboard?unit=105`, { headers: { cookie: district } })).status).toBe(404);

    // A case is filed from the chat, with text that must never become markup.
    for (const text of ["khẩn", "3", "bây giờ", "Bản <b>Nà</b> Khum", "9", "nam", `<script>alert("x")</script> bị đánh`])
      await s.postUpdate(textUpdate(REPORTER, text));
    const [filed] = await t.database.db.select().from(incidents);
    const read = await fetch(`${s.url}/incidents/${filed!.ref}`, { headers: { cookie: district } });
    expect(read.status).toBe(200);
    const caseHtml = await read.text();
    expect(caseHtml).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; bị đánh");
    expect(caseHtml).not.toContain("<script>alert");
    expect(caseHtml).toContain("Bản &lt;b&gt;Nà&lt;/b&gt; Khum");
    const audit = await t.database.db.select().from(auditLog).where(eq(auditLog.target, filed!.ref));
    expect(audit.map((a) => a.actor)).toEqual([expect.stringMatching(/^officer:\d+$/)]);

    const other = await signIn("0912000305", OTHER);
    // A commune officer cannot send reminders, nor reach another district's commune.
    const refused = await fetch(`${s.url}/dashboard/remind`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: other, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: "unit=03394",
    });
    expect(refused.status).toBe(404);
    const denied = await fetch(`${s.url}/incidents/${filed!.ref}`, { headers: { cookie: other } });
    expect(denied.status).toBe(404);
    expect(await denied.text()).not.toContain(filed!.ref);
    const missing = await fetch(`${s.url}/incidents/KC-2026-9999`, { headers: { cookie: other } });
    expect(missing.status).toBe(404);
    // Another district's officer cannot open, approve or return a submission of Thèn Sin.
    const [period] = await t.database.db.select().from(periods).where(eq(periods.key, "2026-H1"));
    const [theSin] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000301"));
    const [sub] = await t.database.db
      .insert(submissions)
      .values({
        periodId: period!.id,
        unitId: theSin!.unitId,
        officerId: theSin!.id,
        formId: "child-affairs",
        formVersion: 2,
        status: "submitted",
        submittedAt: new Date(),
      })
      .returning();
    expect((await fetch(`${s.url}/submissions/${sub!.id}`, { headers: { cookie: other } })).status).toBe(404);
    const post = (cookie: string, action: string) =>
      fetch(`${s.url}/submissions/${sub!.id}/${action}`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
        body: "comment=x&questions=1",
      });
    expect((await post(other, "approve")).status).toBe(404);
    expect((await post(other, "return")).status).toBe(404);
    // The commune's own officer may read it but not approve it.
    const own = await signIn("0912000301", REPORTER);
    expect((await fetch(`${s.url}/submissions/${sub!.id}`, { headers: { cookie: own } })).status).toBe(200);
    expect((await post(own, "approve")).status).toBe(403);
    // A return without a reason shows the page again with why, and the questions typed kept.
    const noReason = await fetch(`${s.url}/submissions/${sub!.id}/return`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: district, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: "comment=%20&questions=3%2C%2012",
    });
    expect(noReason.status).toBe(400);
    const again = await noReason.text();
    expect(again).toContain("Cần ghi lý do trả lại.");
    expect(again).toContain('name="questions" value="3, 12"');
    expect(again).toContain('<b id="status">Đã nộp</b>');
    // Its district may.
    expect((await post(district, "approve")).status).toBe(302);
    expect((await t.database.db.select().from(submissions))[0]!.status).toBe("approved");
    // The refused read is in the audit log as refused, not as a read.
    const reads = await t.database.db.select().from(auditLog).where(eq(auditLog.target, filed!.ref));
    expect(reads.map((r) => r.action).sort()).toEqual(["incident.read", "incident.read_refused"]);

    const out = await fetch(`${s.url}/logout`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: district, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
    });
    expect(out.status).toBe(302);
    expect((await fetch(`${s.url}/dashboard`, { headers: { cookie: district }, redirect: "manual" })).status).toBe(302);
  });

  it("an admin signs in with a password set from the CLI (argon2); wrong passwords and non-admins are refused alike", async () => {
    await addOfficers(t.database, "name,phone,role,unit_code,scheme\nQuản trị Lai Châu,0912000309,admin,12,pre2025\n");
    const ctx = { db: t.database.db, forms: s.service.forms, clock: () => new Date(), timeZone: "Asia/Ho_Chi_Minh", inviteTtlHours: 72 };
    const set = (phone: string, password: string) =>
      runCommand(["officers", "set-password", phone], { ...ctx, readFile: async () => Buffer.from(`${password}\n`) });
    expect((await set("0912000309", "short")).output).toMatch(/ít nhất 12 ký tự/);
    expect((await set("0912000302", "a-long-enough-password")).output).toMatch(/Chỉ quản trị viên/);
    expect(await set("0912000309", "a-long-enough-password")).toEqual({ output: "Đã đặt mật khẩu cho Quản trị Lai Châu.", exitCode: 0 });
    const [stored] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000309"));
    expect(stored!.passwordHash).toMatch(/^\$argon2id\$/);

    const wrong = await form("/login/password", { phone: "0912000309", password: "not-the-password" });
    expect(wrong.status).toBe(401);
    // The sign-in form again, with why and the number kept.
    const again = await wrong.text();
    expect(again).toContain("Sai số điện thoại hoặc mật khẩu.");
    expect(again).toContain('action="/login/password"');
    expect(again).toContain('value="0912000309"');
    const notAdmin = await form("/login/password", { phone: "0912000302", password: "a-long-enough-password" });
    expect(notAdmin.status).toBe(401);
    const good = await form("/login/password", { phone: "0912000309", password: "a-long-enough-password" });
    expect(good.status).toBe(302);
    const cookie = good.headers.get("set-cookie")!.split(";")[0]!;
    const html = await (await fetch(`${s.url}/dashboard`, { headers: { cookie } })).text();
    expect(html).toContain("Tỉnh Lai Châu — Báo cáo 6 tháng đầu năm 2026");
    // The whole country is one click away, atop the page, and the trend's axis speaks of periods in words.
    expect(html).toMatch(/<\/header>[\s\S]{0,400}<a href="\/dashboard\?unit=VN&amp;period=2026-H1"><b>🌐 Toàn quốc<\/b><\/a>/);
    expect(html).toContain('"6 tháng đầu 2026"');
    expect(html).not.toContain('"2026-H1"');
    expect(await (await fetch(`${s.url}/dashboard?unit=VN`, { headers: { cookie } })).text()).toContain("Toàn quốc — Báo cáo 6 tháng đầu năm 2026");
  });

  it("the site's icon is served to anyone, as SVG, cached for long", async () => {
    const icon = await fetch(`${s.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get("content-type")).toBe("image/svg+xml");
    expect(icon.headers.get("cache-control")).toMatch(/max-age=\d{6,}/);
    expect(await icon.text()).toMatch(/^<svg /);
    expect(await (await fetch(`${s.url}/login`)).text()).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml"');
  });

  it("sign-in requests are rate-limited", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await form("/login", { phone: "0912000302" })).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.at(-1)).toBe(429);
  });
});
