import { and, eq, inArray, like } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  answers,
  auditLog,
  broadcastRecipients,
  campaigns,
  channelLinks,
  deadlineCalendars,
  incidents,
  officers,
  outbox,
  periods,
  reportTemplates,
  submissions,
  units,
} from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { runCommand } from "../../src/cli/commands.js";

/**
 * Finding 1 of issue 14: the public simulator used to seat its demo officers in real units of Lai
 * Châu, so anyone could act as the Lai Châu province officer, sign in to the web as them, read and
 * acknowledge real urgent cases and file a real commune's report. The demo officers now live in a
 * demo tree of their own; these tests play the stranger.
 */

const T0 = new Date("2026-11-05T03:00:00Z"); // 10:00 in Vietnam: the yearly 2026 report is open
const PUBLIC_URL = "https://baocao.example.vn";
const REAL = { province: 9401, commune: 9402, admin: 9409 } as const;
const REAL_OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Sở LĐTBXH Lai Châu,0912000401,province,12,post2025",
  "Cán bộ Đoàn Kết,0912000402,commune,03388,post2025",
  "Quản trị Lai Châu,0912000409,admin,12,post2025",
].join("\n");
const DEMO_UNITS = ["Tỉnh Mẫu (dữ liệu thử)", "Xã Mẫu Một (dữ liệu thử)", "Xã Mẫu Hai (dữ liệu thử)", "Xã Mẫu Ba (dữ liệu thử)"];

interface SimOfficer {
  id: number;
  name: string;
  role: string;
  unit: string;
  phone: string;
}

describe.each(dbKinds)("the demo world is a world of its own: a stranger in the simulator reaches nothing real (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  let now = T0;
  let n = 0;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  afterEach(() => s?.service.stop());

  /** A fresh install with DEMO_SEED=auto, then the real roster of Lai Châu, linked on Telegram. */
  async function freshInstall(env: Record<string, string> = {}) {
    now = T0;
    tg.reset();
    await loadLaiChau(t.database, "post2025");
    s = await startTestService(t, { telegram: tg, clock: () => now, env: { DEMO_SEED: "auto", PUBLIC_URL, ...env } });
    await addOfficers(t.database, REAL_OFFICERS);
    await linkOfficer(t.database, "84912000401", "telegram", String(REAL.province));
    await linkOfficer(t.database, "84912000402", "telegram", String(REAL.commune));
    await linkOfficer(t.database, "84912000409", "telegram", String(REAL.admin));
  }

  const simOfficers = async () => ((await (await fetch(`${s.url}/simulator/api/officers`)).json()) as { officers: SimOfficer[] }).officers;
  const demo = async (name: string) => (await simOfficers()).find((o) => o.name === name)!;
  const simSay = (officerId: number, body: { text?: string; choice?: string }) =>
    fetch(`${s.url}/simulator/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ officerId, clientId: `client-${kind}-${++n}`, ...body }),
    });
  const simChat = async (officerId: number) => {
    const res = await fetch(`${s.url}/simulator/api/messages?officerId=${officerId}`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { messages: { id: number; text: string; choices?: { value: string }[] }[] }).messages;
  };
  const tgSay = (chat: number, text: string) => s.postUpdate(textUpdate(chat, text));
  const form = (path: string, fields: Record<string, string>, cookie?: string) =>
    fetch(`${s.url}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url, ...(cookie ? { cookie } : {}) },
      body: new URLSearchParams(fields).toString(),
    });
  const get = (path: string, cookie: string) => fetch(`${s.url}${path}`, { redirect: "manual", headers: { cookie } });

  /** What a newcomer does: /login with the demo number, then the link that appears in the simulator chat. */
  async function signInThroughSimulator(officer: SimOfficer, phone: string): Promise<string> {
    expect((await form("/login", { phone })).status).toBe(200);
    const link = /https?:\/\/\S+\/login\/\S+/.exec((await simChat(officer.id)).at(-1)?.text ?? "")?.[0];
    expect(link, "the sign-in link appears in the simulator chat").toBeDefined();
    const path = new URL(link!).pathname + new URL(link!).search;
    let res = await fetch(`${s.url}${path}`, { redirect: "manual" });
    if (!res.headers.get("set-cookie")) res = await form(new URL(link!).pathname, {}); // the confirm button
    const cookie = /baocao_session=[^;]+/.exec(res.headers.get("set-cookie") ?? "")?.[0];
    expect(cookie, "a web session").toBeDefined();
    return cookie!;
  }

  /** The real commune officer files a drowning on Telegram: three answers. */
  async function fileRealCase() {
    await tgSay(REAL.commune, "khẩn");
    await tgSay(REAL.commune, "1");
    await tgSay(REAL.commune, "hôm qua 17h");
    await tgSay(REAL.commune, "Bản Nà Khum");
    const [real] = await t.database.db.select().from(incidents).innerJoin(units, eq(units.id, incidents.unitId)).where(eq(units.code, "03388"));
    expect(real).toBeDefined();
    return real!.incidents;
  }

  describe("on a fresh install", () => {
    beforeEach(() => freshInstall());

    it("the simulator offers only demo officers of the demo tree, with their numbers for the web sign-in", async () => {
      const list = await simOfficers();
      expect(list.map((o) => [o.name, o.role, o.unit, o.phone])).toEqual([
        ["Nguyễn Thị Mai", "commune", "Xã Mẫu Một (dữ liệu thử)", "0900000001"],
        ["Lò Văn Sáng", "commune", "Xã Mẫu Hai (dữ liệu thử)", "0900000002"],
        ["Tẩn Thị Hoa", "commune", "Xã Mẫu Ba (dữ liệu thử)", "0900000003"],
        ["Trần Văn Bình", "province", "Tỉnh Mẫu (dữ liệu thử)", "0900000004"],
        ["Phạm Minh Quân", "admin", "Tỉnh Mẫu (dữ liệu thử)", "0900000005"],
      ]);
      // Nothing of the demo tree is an official unit: its own scheme, never post2025.
      const demoUnits = await t.database.db.select().from(units).where(inArray(units.name, DEMO_UNITS));
      expect(demoUnits.map((u) => u.scheme)).toEqual(["demo", "demo", "demo", "demo"]);
      // A real officer's chat does not exist for the simulator, to write or to read.
      const [real] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000401"));
      expect((await simSay(real!.id, { text: "báo cáo" })).status).toBe(404);
      expect((await fetch(`${s.url}/simulator/api/messages?officerId=${real!.id}`)).status).toBe(404);
      expect((await fetch(`${s.url}/simulator/api/messages?officerId=99999999999`)).status).toBe(400);
    });

    it("the demo province officer signed in from the simulator sees the demo province only: no real unit, no real case, and cannot acknowledge one", async () => {
      const real = await fileRealCase();
      expect(tg.texts(REAL.province).join("\n")).toContain(`Báo cáo khẩn ${real.ref}`);
      const binh = await demo("Trần Văn Bình");
      // The real alert never reached the simulator chat.
      expect((await simChat(binh.id)).map((m) => m.text).join("\n")).not.toContain(real.ref);

      // The attack: act as the demo province officer, ask for a sign-in link, read it from the simulator.
      await simSay(binh.id, { text: "xin chào" });
      const cookie = await signInThroughSimulator(binh, "0900000004");
      const dashboard = await get("/dashboard", cookie);
      expect(dashboard.status).toBe(200);
      const html = await dashboard.text();
      for (const name of DEMO_UNITS) expect(html).toContain(name);
      expect(html).not.toContain("Lai Châu");
      expect(html).not.toContain("Đoàn Kết");
      for (const path of [
        "/dashboard?unit=12",
        "/dashboard?unit=03388",
        "/dashboard/figures?unit=12",
        `/incidents/${real.ref}`,
        "/units?code=12",
        "/api/periods/2026-Y/status?unit=12",
      ]) {
        expect((await get(path, cookie)).status, path).toBe(404);
      }
      expect(await (await get("/incidents", cookie)).text()).not.toContain(real.ref);
      expect((await form(`/incidents/${real.ref}/acknowledge`, {}, cookie)).status).toBe(404);

      // The alert's button, pressed from the simulator: refused, and the case still escalates to real people.
      await simSay(binh.id, { choice: `inc-ack:${real.id}` });
      expect((await simChat(binh.id)).at(-1)!.text).toBe("Không tìm thấy báo cáo khẩn này.");
      const [after] = await t.database.db.select().from(incidents).where(eq(incidents.id, real.id));
      expect(after!.acknowledgedAt).toBeNull();
      now = new Date(T0.getTime() + 31 * 60_000);
      expect(await s.service.incidents.escalateDue(t.database.db)).toBe(1);
      await s.service.outbox.drainOnce();
      expect(tg.texts(REAL.admin).join("\n")).toContain(`NHẮC LẠI — chưa ai tiếp nhận: Báo cáo khẩn ${real.ref}`);
      const quan = await demo("Phạm Minh Quân");
      for (const o of [binh, quan]) expect((await simChat(o.id)).map((m) => m.text).join("\n")).not.toContain(real.ref);
    });

    it("a demo commune officer's report is the demo commune's, due on the demo calendar; the real commune's report stays untouched", async () => {
      const mai = await demo("Nguyễn Thị Mai");
      await simSay(mai.id, { text: "báo cáo" });
      const told = (await simChat(mai.id)).map((m) => m.text).join("\n");
      expect(told).toContain("Hạn nộp: 15/11/2026.");
      await simSay(mai.id, { text: "3" });
      const reports = await t.database.db
        .select({ code: units.code, scheme: units.scheme })
        .from(submissions)
        .innerJoin(units, eq(units.id, submissions.unitId));
      expect(reports).toEqual([{ code: "99001", scheme: "demo" }]);
      const [calendar] = await t.database.db
        .select()
        .from(deadlineCalendars)
        .innerJoin(units, eq(units.id, deadlineCalendars.scopeUnitId))
        .where(eq(units.scheme, "demo"));
      expect(calendar!.deadline_calendars.source).toMatch(/^Lịch mẫu \(dữ liệu thử\)/);

      // Lai Châu's status knows nothing of it.
      const status = (await (await s.api("/api/periods/2026-Y/status?unit=12")).json()) as { counts: { inProgress: number; submitted: number } };
      expect(status.counts).toMatchObject({ inProgress: 0, submitted: 0 });
      // The real commune officer starts an empty report of their own, due on the national date.
      await tgSay(REAL.commune, "báo cáo");
      expect(tg.texts(REAL.commune).join("\n")).toContain("Hạn nộp: 10/11/2026.");
    });

    it("reminders and escalations of each tree reach only that tree's officers", async () => {
      // 13/11: three days past the national deadline (10/11), two days before the demo one (15/11).
      now = new Date("2026-11-13T03:00:00Z");
      await s.service.planners.planReminders();
      const simRows = () => t.database.db.select().from(outbox).where(eq(outbox.channel, "simulator"));
      expect(await simRows()).toEqual([]);
      const realRows = await t.database.db.select({ kind: outbox.kind, chatId: outbox.chatId }).from(outbox).where(eq(outbox.channel, "telegram"));
      expect(realRows.sort((a, b) => a.chatId.localeCompare(b.chatId))).toEqual([
        { kind: "escalation", chatId: String(REAL.province) },
        { kind: "reminder", chatId: String(REAL.commune) },
        { kind: "escalation", chatId: String(REAL.admin) },
      ]);

      // 16/11: one day past the demo deadline, six past the national one (no reminder step).
      now = new Date("2026-11-16T03:00:00Z");
      await s.service.planners.planReminders();
      expect(await t.database.db.select().from(outbox).where(eq(outbox.channel, "telegram"))).toHaveLength(3);
      const byName = new Map((await simOfficers()).map((o) => [o.id, o.name]));
      const demoRows = (await simRows()).map((r) => [byName.get(r.officerId!), r.kind]).sort();
      expect(demoRows).toEqual([
        ["Lò Văn Sáng", "reminder"],
        ["Nguyễn Thị Mai", "reminder"],
        ["Phạm Minh Quân", "escalation"],
        ["Trần Văn Bình", "escalation"],
        ["Tẩn Thị Hoa", "reminder"],
      ]);
      const binh = await demo("Trần Văn Bình");
      expect((await simChat(binh.id)).at(-1)!.text).toBe(
        "3 xã chưa nộp báo cáo năm 2026 (quá hạn từ 1 ngày): Xã Mẫu Ba (dữ liệu thử), Xã Mẫu Hai (dữ liệu thử), Xã Mẫu Một (dữ liệu thử).",
      );
    });

    it("urgent cases alert, and escalate to the admins of, their own tree only; a real officer's stray simulator link gets nothing", async () => {
      // As an import takeover might leave it: a real officer holding a simulator chat.
      const [realProvince] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000401"));
      await t.database.db
        .insert(channelLinks)
        .values({ officerId: realProvince!.id, channel: "simulator", externalId: "sim-stray", chatId: "sim-stray", preferred: true });
      const real = await fileRealCase();
      expect(tg.texts(REAL.province).join("\n")).toContain(`Báo cáo khẩn ${real.ref}`);

      const hoa = await demo("Tẩn Thị Hoa");
      for (const text of ["khẩn", "1", "hôm qua 17h", "Thôn Mẫu"]) await simSay(hoa.id, { text });
      const [demoCase] = await t.database.db.select().from(incidents).where(eq(incidents.reporterId, hoa.id));
      expect((await simChat(hoa.id)).map((m) => m.text).join("\n")).toContain("Đã báo ngay cho: Trần Văn Bình.");
      const binh = await demo("Trần Văn Bình");
      const quan = await demo("Phạm Minh Quân");
      expect((await simChat(binh.id)).map((m) => m.text).join("\n")).toContain(`Báo cáo khẩn ${demoCase!.ref}`);

      now = new Date(T0.getTime() + 31 * 60_000);
      expect(await s.service.incidents.escalateDue(t.database.db)).toBe(2);
      await s.service.outbox.drainOnce();
      // Widened to the admins: the demo admin hears of the demo case, the real admin of the real one.
      expect((await simChat(quan.id)).map((m) => m.text).join("\n")).toContain(`NHẮC LẠI — chưa ai tiếp nhận: Báo cáo khẩn ${demoCase!.ref}`);
      expect((await simChat(quan.id)).map((m) => m.text).join("\n")).not.toContain(real.ref);
      const adminTexts = tg.texts(REAL.admin).join("\n");
      expect(adminTexts).toContain(`NHẮC LẠI — chưa ai tiếp nhận: Báo cáo khẩn ${real.ref}`);
      expect(adminTexts).not.toContain(demoCase!.ref);
      expect(tg.texts(REAL.province).join("\n")).not.toContain(demoCase!.ref);
      expect(await t.database.db.select().from(outbox).where(eq(outbox.chatId, "sim-stray"))).toEqual([]);
    });

    it("a national broadcast and the national campaigns reach real officers only; the demo admin's broadcast reaches demo officers only", async () => {
      const res = await s.api("/api/broadcasts", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "Văn bản thật gửi toàn quốc", audience: { scheme: "post2025" } }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: number };
      await s.service.planners.planBroadcasts();
      const recipients = await t.database.db
        .select({ phone: officers.phone })
        .from(broadcastRecipients)
        .innerJoin(officers, eq(officers.id, broadcastRecipients.officerId))
        .where(eq(broadcastRecipients.broadcastId, id));
      expect(recipients.map((r) => r.phone).sort()).toEqual(["84912000401", "84912000402", "84912000409"]);

      // 1 June: the Action Month's national step goes to real communes; the demo tree has its own copy.
      now = new Date("2026-06-01T01:00:00Z");
      await s.service.planners.planCampaigns();
      const [shipped] = await t.database.db.select().from(campaigns).where(eq(campaigns.key, "action-month"));
      const [demoCopy] = await t.database.db.select().from(campaigns).where(eq(campaigns.key, "demo-action-month"));
      const chatsOf = async (campaignId: number) =>
        (
          await t.database.db
            .select({ chatId: outbox.chatId })
            .from(outbox)
            .where(like(outbox.dedupeKey, `campaign:${campaignId}:%`))
        )
          .map((r) => r.chatId)
          .sort();
      expect(await chatsOf(shipped!.id)).toEqual([String(REAL.commune)]);
      const communes = (await simOfficers()).filter((o) => o.role === "commune");
      expect(await chatsOf(demoCopy!.id)).toEqual(communes.map((o) => `sim-${o.id}`).sort());
      expect((await simChat(communes[0]!.id)).map((m) => m.text).join("\n")).toContain("Hôm nay 1/6, Ngày Quốc tế Thiếu nhi");

      // The demo admin, signed in from the simulator, can address the demo province and nothing else.
      now = T0;
      const quan = await demo("Phạm Minh Quân");
      const cookie = await signInThroughSimulator(quan, "0900000005");
      expect((await form("/broadcasts", { text: "Thử gửi Lai Châu", root: "12", requireAck: "on" }, cookie)).status).toBe(400);
      const sent = await form("/broadcasts", { text: "Văn bản mẫu", root: "99", requireAck: "on" }, cookie);
      expect(sent.status).toBe(302);
      await s.service.planners.planBroadcasts();
      const demoRecipients = await t.database.db
        .select({ phone: officers.phone, demo: officers.demo })
        .from(broadcastRecipients)
        .innerJoin(officers, eq(officers.id, broadcastRecipients.officerId))
        .where(inArray(broadcastRecipients.broadcastId, [Number(/\/broadcasts\/(\d+)/.exec(sent.headers.get("location") ?? "")?.[1])]));
      expect(demoRecipients.length).toBe(5);
      expect(demoRecipients.every((r) => r.demo)).toBe(true);
      expect(tg.texts().join("\n")).not.toContain("Văn bản mẫu");
    });

    it("the demo admin's country is the demo tree, and every setting shared with real units is refused with a reason", async () => {
      const quan = await demo("Phạm Minh Quân");
      const cookie = await signInThroughSimulator(quan, "0900000005");
      const country = await (await get("/dashboard?unit=VN", cookie)).text();
      expect(country).toContain("Tỉnh Mẫu (dữ liệu thử)");
      expect(country).not.toContain("Lai Châu");
      const api = (await (await get("/api/periods/2026-Y/status?unit=VN", cookie)).json()) as { children: { name: string }[] };
      expect(api.children.map((c) => c.name)).toEqual(["Tỉnh Mẫu (dữ liệu thử)"]);

      const REASON = "Tài khoản mẫu không được thay đổi cấu hình chung";
      const [template] = await t.database.db.select().from(reportTemplates);
      const quiet = await form("/calendars/quiet-hours", { start: "23:00", end: "05:00" }, cookie);
      expect(quiet.status).toBe(400);
      expect(await quiet.text()).toContain(REASON);
      const steps = await form("/calendars/reminders", { steps: "-1, 0" }, cookie);
      expect(steps.status).toBe(400);
      expect(await steps.text()).toContain(REASON);
      const calendars = await (await get("/calendars", cookie)).text();
      expect(calendars).toContain("21:00–07:00");
      expect(calendars).not.toContain('action="/calendars/quiet-hours"');
      expect((await t.database.db.select().from(reportTemplates))[0]!.reminderSteps).toEqual(template!.reminderSteps);

      const national = await form("/campaigns", { name: "Chiến dịch thử toàn quốc", root: "toan-quoc", roles: "commune" }, cookie);
      expect(national.status).toBe(400);
      expect(await national.text()).toContain(REASON);
      const campaignList = await (await get("/campaigns", cookie)).text();
      expect(campaignList).toContain("Tháng hành động vì trẻ em (dữ liệu thử)");
      expect(campaignList).not.toMatch(/Tháng hành động vì trẻ em<\/a>/);
      const [shipped] = await t.database.db.select().from(campaigns).where(eq(campaigns.key, "action-month"));
      expect((await form(`/campaigns/${shipped!.id}/pause`, {}, cookie)).status).toBe(404);

      const unitsBefore = (await t.database.db.select().from(units)).length;
      const file = new FormData();
      file.set("scheme", "post2025");
      file.set("file", new File(["code,name,level,parent_code\n12,Tỉnh Đổi Tên,province,\n"], "units.csv", { type: "text/csv" }));
      const imported = await fetch(`${s.url}/units/import`, { method: "POST", headers: { cookie, origin: s.url }, body: file });
      expect(imported.status).toBe(400);
      expect(await imported.text()).toContain(REASON);
      expect((await t.database.db.select().from(units)).length).toBe(unitsBefore);
      const [laiChau] = await t.database.db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "post2025"), eq(units.code, "12")));
      expect(laiChau!.name).toBe("Tỉnh Lai Châu");

      // The audit log shows the demo tree's own entries, never the API's (they name real units and cases).
      await t.database.db.insert(auditLog).values({ actor: "admin-api-token", action: "incident.read", target: "KC-2026-0042" });
      await get("/audit", cookie);
      const audit = await (await get("/audit", cookie)).text();
      expect(audit).toContain("Phạm Minh Quân");
      expect(audit).not.toContain("KC-2026-0042");
    });
  });

  describe("with SIMULATOR=off", () => {
    beforeEach(() => freshInstall({ SIMULATOR: "off" }));

    it("the simulator and its API answer 404, and the front page goes to sign-in", async () => {
      expect((await fetch(`${s.url}/simulator`)).status).toBe(404);
      expect((await fetch(`${s.url}/simulator/api/officers`)).status).toBe(404);
      expect((await fetch(`${s.url}/simulator/api/messages?officerId=1`)).status).toBe(404);
      expect((await simSay(1, { text: "báo cáo" })).status).toBe(404);
      const front = await fetch(`${s.url}/`, { redirect: "manual" });
      expect(front.status).toBe(302);
      expect(front.headers.get("location")).toBe("/login");
    });
  });

  describe("on an install seeded by an older baocao (demo officers in real units of Lai Châu)", () => {
    it("the next start moves them into the demo tree with what they left, and real cases they took in escalate again", async () => {
      now = T0;
      tg.reset();
      await loadLaiChau(t.database, "post2025");
      // The older service's first start: the template and periods exist.
      s = await startTestService(t, { telegram: tg, clock: () => now });
      await s.service.stop();
      const db = t.database.db;
      const unitOf = async (code: string) =>
        (
          await db
            .select()
            .from(units)
            .where(and(eq(units.scheme, "post2025"), eq(units.code, code)))
        )[0]!;
      // What the old seed left: the demo officers in 03388, 03390, 03405 and the province 12.
      const old = await db
        .insert(officers)
        .values([
          { name: "Nguyễn Thị Mai", phone: "84900000001", role: "commune", unitId: (await unitOf("03388")).id, demo: true },
          { name: "Lò Văn Sáng", phone: "84900000002", role: "commune", unitId: (await unitOf("03390")).id, demo: true },
          { name: "Tẩn Thị Hoa", phone: "84900000003", role: "commune", unitId: (await unitOf("03405")).id, demo: true },
          { name: "Trần Văn Bình", phone: "84900000004", role: "province", unitId: (await unitOf("12")).id, demo: true },
        ])
        .returning();
      const [mai, , , binh] = old;
      await addOfficers(t.database, REAL_OFFICERS);
      await linkOfficer(t.database, "84912000401", "telegram", String(REAL.province));
      await linkOfficer(t.database, "84912000402", "telegram", String(REAL.commune));
      for (const o of [mai!, binh!])
        await db.insert(channelLinks).values({ officerId: o.id, channel: "simulator", externalId: `sim-${o.id}`, chatId: `sim-${o.id}`, preferred: true });
      const [realCommune] = await db.select().from(officers).where(eq(officers.phone, "84912000402"));
      // A real case the old demo province officer "took in" from the simulator, and the alert in its chat.
      const [taken] = await db
        .insert(incidents)
        .values({
          ref: "KC-2026-0001",
          unitId: (await unitOf("03388")).id,
          reporterId: realCommune!.id,
          type: "duoi_nuoc",
          occurredAt: T0,
          place: "Bản Nà Khum",
          createdAt: T0,
          status: "acknowledged",
          acknowledgedAt: T0,
          acknowledgedBy: binh!.id,
        })
        .returning();
      await db.insert(outbox).values({
        officerId: binh!.id,
        channel: "simulator",
        chatId: `sim-${binh!.id}`,
        kind: "alert",
        status: "sent",
        payload: { text: "🚨 Báo cáo khẩn KC-2026-0001\nNơi xảy ra: Bản Nà Khum, Phường Đoàn Kết" },
      });
      // The real commune's yearly report, started by a stranger as the old demo commune officer.
      const [year] = await db.select().from(periods).where(eq(periods.key, "2026-Y"));
      const [junk] = await db
        .insert(submissions)
        .values({ periodId: year!.id, unitId: (await unitOf("03388")).id, officerId: mai!.id, formId: "child-affairs", formVersion: 2 })
        .returning();
      await db.insert(answers).values({ submissionId: junk!.id, key: "q1", questionId: "q1", valueNum: 999, value: { v: 999 } });

      s = await startTestService(t, { telegram: tg, clock: () => now, env: { DEMO_SEED: "auto", PUBLIC_URL } });
      const list = await simOfficers();
      expect(list.map((o) => o.unit)).toEqual([
        "Xã Mẫu Một (dữ liệu thử)",
        "Xã Mẫu Hai (dữ liệu thử)",
        "Xã Mẫu Ba (dữ liệu thử)",
        "Tỉnh Mẫu (dữ liệu thử)",
        "Tỉnh Mẫu (dữ liệu thử)",
      ]);
      expect(list.slice(0, 4).map((o) => o.id)).toEqual(old.map((o) => o.id));
      // Its chat no longer holds the real alert; its report went with it.
      expect((await simChat(binh!.id)).map((m) => m.text).join("\n")).not.toContain("KC-2026-0001");
      const [moved] = await db
        .select({ code: units.code, scheme: units.scheme })
        .from(submissions)
        .innerJoin(units, eq(units.id, submissions.unitId))
        .where(eq(submissions.id, junk!.id));
      expect(moved).toEqual({ code: "99001", scheme: "demo" });
      await tgSay(REAL.commune, "báo cáo");
      expect(tg.texts(REAL.commune).join("\n")).toMatch(/Câu 1\//);

      // The real case is nobody's until a real supervisor takes it in: the escalation starts again.
      const [reopened] = await db.select().from(incidents).where(eq(incidents.id, taken!.id));
      expect(reopened).toMatchObject({ status: "new", acknowledgedAt: null, acknowledgedBy: null });
      expect(await s.service.incidents.escalateDue(db)).toBe(1);
      await s.service.outbox.drainOnce();
      expect(tg.texts(REAL.province).join("\n")).toContain("NHẮC LẠI — chưa ai tiếp nhận: Báo cáo khẩn KC-2026-0001");
      await s.postUpdate(callbackUpdate(REAL.province, `inc-ack:${taken!.id}`));
      expect(tg.texts(REAL.province).at(-1)).toBe("Đã tiếp nhận KC-2026-0001. Người báo cáo đã được thông báo.");

      // A second start finds nothing to repair.
      await s.service.stop();
      s = await startTestService(t, { telegram: tg, clock: () => now, env: { DEMO_SEED: "auto", PUBLIC_URL } });
      expect((await simOfficers()).length).toBe(5);
    });

    it("`npm run cli -- demo seed` moves them too, deactivates a demo officer the roster no longer has, and a second run has nothing to repair", async () => {
      now = T0;
      tg.reset();
      await loadLaiChau(t.database, "post2025");
      s = await startTestService(t, { telegram: tg, clock: () => now });
      const db = t.database.db;
      const unitOf = async (code: string) =>
        (
          await db
            .select()
            .from(units)
            .where(and(eq(units.scheme, "post2025"), eq(units.code, code)))
        )[0]!;
      const [binh, extra] = await db
        .insert(officers)
        .values([
          { name: "Trần Văn Bình", phone: "84900000004", role: "province", unitId: (await unitOf("12")).id, demo: true },
          { name: "Cán bộ mẫu cũ", phone: "84900000009", role: "commune", unitId: (await unitOf("03390")).id, demo: true },
        ])
        .returning();
      for (const o of [binh!, extra!])
        await db.insert(channelLinks).values({ officerId: o.id, channel: "simulator", externalId: `sim-${o.id}`, chatId: `sim-${o.id}`, preferred: true });
      const ctx = {
        db,
        forms: s.service.forms,
        clock: () => now,
        timeZone: "Asia/Ho_Chi_Minh",
        inviteTtlHours: 72,
        readFile: () => Promise.reject(new Error("no file")),
      };

      const first = await runCommand(["demo", "seed"], ctx);
      expect(first.exitCode).toBe(0);
      expect(first.output).toContain("Đã chuyển 1 cán bộ mẫu khỏi đơn vị thật sang Tỉnh Mẫu (dữ liệu thử), ngừng 1 cán bộ mẫu khác");
      const seats = await db
        .select({ phone: officers.phone, active: officers.active, scheme: units.scheme, code: units.code })
        .from(officers)
        .innerJoin(units, eq(units.id, officers.unitId))
        .where(inArray(officers.id, [binh!.id, extra!.id]));
      expect(seats.sort((a, b) => a.phone.localeCompare(b.phone))).toEqual([
        { phone: "84900000004", active: true, scheme: "demo", code: "99" },
        { phone: "84900000009", active: false, scheme: "demo", code: "99" },
      ]);
      // The one the roster no longer has is gone from the simulator, its chat unreadable and unlinked.
      expect((await simOfficers()).map((o) => o.name)).toEqual(["Trần Văn Bình", "Nguyễn Thị Mai", "Lò Văn Sáng", "Tẩn Thị Hoa", "Phạm Minh Quân"]);
      expect((await fetch(`${s.url}/simulator/api/messages?officerId=${extra!.id}`)).status).toBe(404);
      expect(await db.select().from(channelLinks).where(eq(channelLinks.officerId, extra!.id))).toEqual([]);

      const second = await runCommand(["demo", "seed"], ctx);
      expect(second.exitCode).toBe(0);
      expect(second.output).not.toContain("Đã chuyển");
      expect(second.output).toContain(
        "Cán bộ mẫu: Nguyễn Thị Mai, Lò Văn Sáng, Tẩn Thị Hoa, Trần Văn Bình, Phạm Minh Quân (Tỉnh Mẫu (dữ liệu thử), không phải đơn vị thật).",
      );
    });
  });
});
