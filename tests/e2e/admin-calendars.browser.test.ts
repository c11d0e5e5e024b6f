import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { and, eq } from "drizzle-orm";
import { appSettings, auditLog, deadlineCalendars, officers, reportTemplates, units } from "../../src/db/schema/index.js";
import { DEFAULT_TEMPLATE_ID } from "../../src/reporting/reporting-defaults.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const PROVINCE = 9501;
const ADMIN = 9502;
const CITY = 9503;
const COMMUNE = 9504;

/** A form POST from inside the page (same origin, as a hand-made form would send it): the status. */
const postFrom = (page: Page, path: string, fields: Record<string, string>) =>
  page.evaluate(async ([p, f]) => (await fetch(p, { method: "POST", body: new URLSearchParams(f) })).status, [path, fields] as const);

describe.skipIf(!hasBrowser)("calendars and templates: deadlines per scope and year, reminder steps, quiet hours", () => {
  const t = useTestDb("pglite");
  let tg: FakeTelegram;
  let s: TestService;
  let browser: Browser;
  beforeAll(async () => {
    tg = await startFakeTelegram();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.service.stop();
    await tg?.close();
  });

  it(
    "a province officer sees where each deadline comes from, is told why an out-of-order calendar is refused, saves a good one; only admins change reminders and quiet hours; other districts get 404",
    { timeout: 90_000 },
    async () => {
      const { db } = t.database;
      await loadProvince(t.database, "pre2025", "12");
      await addOfficers(
        t.database,
        [
          "name,phone,role,unit_code,scheme",
          "Sở LĐTBXH Lai Châu,0912000501,province,12,pre2025",
          "Quản trị Lai Châu,0912000502,admin,12,pre2025",
          "Phòng LĐTBXH Thành phố Lai Châu,0912000503,district,105,pre2025",
          "Cán bộ Thèn Sin,0912000504,commune,03394,pre2025",
        ].join("\n"),
      );
      for (const [phone, chat] of [
        ["84912000501", PROVINCE],
        ["84912000502", ADMIN],
        ["84912000503", CITY],
        ["84912000504", COMMUNE],
      ] as const)
        await linkOfficer(t.database, phone, "telegram", String(chat));
      s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-05-10T03:00:00Z") });

      const unitId = async (code: string) =>
        (
          await db
            .select()
            .from(units)
            .where(and(eq(units.scheme, "pre2025"), eq(units.code, code)))
        )[0]!.id;
      const officerId = async (phone: string) => (await db.select().from(officers).where(eq(officers.phone, phone)))[0]!.id;
      const province = await unitId("12");
      const tamDuong = await unitId("106");
      const audits = (action: string) => db.select().from(auditLog).where(eq(auditLog.action, action));
      const provinceRows = () =>
        db.select().from(deadlineCalendars).where(eq(deadlineCalendars.scopeUnitId, province)).orderBy(deadlineCalendars.slot, deadlineCalendars.level);
      const cell = (page: Page, slot: string, level: string) => page.locator(`#effective td[data-slot="${slot}"][data-level="${level}"]`).innerText();

      // The provincial officer opens «Lịch báo cáo»: for the province itself, the national default applies.
      const page = await signInByChat(browser, s, tg, "0912000501", PROVINCE);
      await page.goto(`${s.url}/calendars`);
      await page.getByRole("heading", { name: "Hạn đang áp dụng cho Tỉnh Lai Châu — năm 2026" }).waitFor();
      expect(await page.getByRole("link", { name: "Lịch báo cáo" }).count()).toBe(1);
      expect(await cell(page, "H1", "commune")).toMatch(/15\/05\/2026\s+Mặc định toàn quốc \(hằng năm\)/);
      expect(await cell(page, "Y", "province")).toMatch(/20\/11\/2026\s+Mặc định toàn quốc/);
      // The seed letters under the province are listed as examples.
      const examples = await page.locator("#examples").innerText();
      expect(examples).toContain("Huyện Tam Đường 2020: xã gửi huyện trước 25/5 và 20/11");
      expect(examples).toContain("Thành phố Lai Châu 2024: trước 30/4 và 31/10 hằng năm");

      // Scope Tam Đường: its 2020 letter wins for communes; the levels it does not set follow the national default.
      await page.selectOption("select[name=unit]", "106");
      await page.getByRole("button", { name: "Xem" }).click();
      await page.getByRole("heading", { name: "Hạn đang áp dụng cho Huyện Tam Đường — năm 2026" }).waitFor();
      expect(await cell(page, "H1", "commune")).toMatch(
        /25\/05\/2026\s+Huyện Tam Đường \(hằng năm\) — Huyện Tam Đường 2020: xã gửi huyện trước 25\/5 và 20\/11/,
      );
      expect(await cell(page, "H1", "district")).toMatch(/20\/05\/2026\s+Mặc định toàn quốc/);
      expect(await cell(page, "Y", "commune")).toMatch(/20\/11\/2026\s+Huyện Tam Đường/);
      // The letter's commune date is after the national district date: shown, not hidden.
      await page.getByText("⚠ Chưa hợp lý: Hạn của xã (25/05/2026) phải trước hạn của huyện (20/05/2026) — kỳ 6 tháng đầu năm").waitFor();

      // Province scope, 2026: communes after districts is refused, with both dates and the period; nothing is written.
      await page.goto(`${s.url}/calendars?unit=12&year=2026`);
      const due = (who: string, slot: string) => page.getByLabel(`${who} nộp trước — kỳ ${slot}`);
      await due("Xã", "6 tháng đầu năm").fill("2026-06-20");
      await due("Huyện", "6 tháng đầu năm").fill("2026-06-18");
      await due("Tỉnh", "6 tháng đầu năm").fill("2026-06-25");
      await page.fill("input[name=source]", "Công văn 45/SLĐTBXH-BVCSTE ngày 05/01/2026");
      const [refused] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/calendars")),
        page.getByRole("button", { name: "Lưu lịch" }).click(),
      ]);
      expect(refused.status()).toBe(400);
      expect(await page.getByRole("alert").innerText()).toBe("Hạn của xã (20/06/2026) phải trước hạn của huyện (18/06/2026) — kỳ 6 tháng đầu năm.");
      expect(await due("Xã", "6 tháng đầu năm").inputValue()).toBe("2026-06-20"); // kept for correcting
      expect(await page.locator("input[name=source]").inputValue()).toBe("Công văn 45/SLĐTBXH-BVCSTE ngày 05/01/2026");
      expect(await provinceRows()).toEqual([]);
      expect(await audits("calendar.edit")).toEqual([]);

      // Fixed (data cut-off 14/6, before the half-year ends): saved, and the table shows the new dates.
      await due("Xã", "6 tháng đầu năm").fill("2026-06-14");
      await page.getByRole("button", { name: "Lưu lịch" }).click();
      await page.getByText("Đã lưu lịch.").waitFor();
      expect(await cell(page, "H1", "commune")).toMatch(/14\/06\/2026\s+Tỉnh Lai Châu \(năm 2026\) — Công văn 45\/SLĐTBXH-BVCSTE ngày 05\/01\/2026/);
      expect(await cell(page, "H1", "district")).toMatch(/18\/06\/2026/);
      expect(await cell(page, "Y", "commune")).toMatch(/10\/11\/2026\s+Mặc định toàn quốc/); // left blank: unchanged
      expect((await provinceRows()).map((r) => [r.year, r.slot, r.level, r.deadline, r.source])).toEqual([
        [2026, "H1", "commune", "2026-06-14", "Công văn 45/SLĐTBXH-BVCSTE ngày 05/01/2026"],
        [2026, "H1", "district", "2026-06-18", "Công văn 45/SLĐTBXH-BVCSTE ngày 05/01/2026"],
        [2026, "H1", "province", "2026-06-25", "Công văn 45/SLĐTBXH-BVCSTE ngày 05/01/2026"],
      ]);
      const [edit, ...more] = await audits("calendar.edit");
      expect(more).toEqual([]);
      expect(edit).toMatchObject({ actor: `officer:${await officerId("84912000501")}`, target: `calendar:${DEFAULT_TEMPLATE_ID}:pre2025:12:2026` });
      expect((edit!.detail as { changes: unknown[] }).changes).toEqual([
        { slot: "H1", level: "commune", from: null, to: "2026-06-14" },
        { slot: "H1", level: "district", from: null, to: "2026-06-18" },
        { slot: "H1", level: "province", from: null, to: "2026-06-25" },
      ]);
      await page.screenshot({ path: screenshotPath("calendars.png"), fullPage: true });

      // In Tam Đường the nearest scope still wins for communes; the districts' date now comes from the province.
      await page.goto(`${s.url}/calendars?unit=106&year=2026`);
      expect(await cell(page, "H1", "commune")).toMatch(/25\/05\/2026\s+Huyện Tam Đường/);
      expect(await cell(page, "H1", "district")).toMatch(/18\/06\/2026\s+Tỉnh Lai Châu \(năm 2026\)/);
      expect(await page.locator("#effective").innerText()).not.toContain("kỳ 6 tháng đầu năm");
      await page.getByText("⚠ Chưa hợp lý: Hạn của xã (20/11/2026) phải trước hạn của huyện (15/11/2026) — kỳ năm").waitFor(); // the year report: still so
      expect((await db.select().from(deadlineCalendars).where(eq(deadlineCalendars.scopeUnitId, tamDuong))).map((r) => r.year)).toEqual([0, 0]);

      // A province officer is not an admin: no forms for the national settings, and the server refuses them.
      expect(await page.getByRole("button", { name: "Lưu giờ yên tĩnh" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: "Lưu ngày nhắc" }).count()).toBe(0);
      expect(await postFrom(page, "/calendars/quiet-hours", { start: "20:00", end: "08:00" })).toBe(400);
      expect(await postFrom(page, "/calendars/reminders", { template: DEFAULT_TEMPLATE_ID, steps: "-1" })).toBe(400);
      expect(await db.select().from(appSettings).where(eq(appSettings.key, "quiet_hours"))).toEqual([]);
      expect((await db.select().from(reportTemplates))[0]!.reminderSteps).toEqual([-7, -3, -1, 0, 1, 3]);

      // The admin sets quiet hours 22:00–06:30 and reminder steps -5, -1, 0, 2.
      const admin = await signInByChat(browser, s, tg, "0912000502", ADMIN);
      const adminId = await officerId("84912000502");
      await admin.goto(`${s.url}/calendars`);
      await admin.getByText("Quản trị Lai Châu").first().waitFor();
      await admin.fill("input[name=start]", "22:00");
      await admin.fill("input[name=end]", "22:00");
      await admin.getByRole("button", { name: "Lưu giờ yên tĩnh" }).click();
      expect(await admin.getByRole("alert").innerText()).toBe("Giờ bắt đầu và kết thúc phải khác nhau.");
      await admin.fill("input[name=end]", "06:30");
      await admin.getByRole("button", { name: "Lưu giờ yên tĩnh" }).click();
      await admin.getByText("Đã lưu giờ yên tĩnh.").waitFor();
      expect(await admin.locator("#quiet-hours").innerText()).toBe("22:00–06:30");
      const [quiet] = await db.select().from(appSettings).where(eq(appSettings.key, "quiet_hours"));
      expect(quiet).toMatchObject({ value: { start: "22:00", end: "06:30" }, updatedBy: adminId });
      expect(await audits("settings.quiet_hours")).toMatchObject([
        { actor: `officer:${adminId}`, target: "settings:quiet_hours", detail: { to: { start: "22:00", end: "06:30" } } },
      ]);

      await admin.fill("input[name=steps]", "-5, ba");
      await admin.getByRole("button", { name: "Lưu ngày nhắc" }).click();
      expect(await admin.getByRole("alert").innerText()).toMatch(/^«ba» không phải số ngày/);
      expect(await admin.locator("input[name=steps]").inputValue()).toBe("-5, ba");
      expect((await db.select().from(reportTemplates))[0]!.reminderSteps).toEqual([-7, -3, -1, 0, 1, 3]);
      await admin.fill("input[name=steps]", "2, -5, -1, 0, -1");
      await admin.getByRole("button", { name: "Lưu ngày nhắc" }).click();
      await admin.getByText("Đã lưu ngày nhắc.").waitFor();
      expect(await admin.locator("#reminder-steps").innerText()).toBe("-5, -1, 0, 2");
      expect((await db.select().from(reportTemplates))[0]!.reminderSteps).toEqual([-5, -1, 0, 2]);
      expect(await audits("template.reminders")).toMatchObject([
        { actor: `officer:${adminId}`, target: `template:${DEFAULT_TEMPLATE_ID}`, detail: { from: [-7, -3, -1, 0, 1, 3], to: [-5, -1, 0, 2] } },
      ]);

      // Thành phố Lai Châu's officer: their own calendar only; Tam Đường's is as missing as a unit that does not exist.
      const city = await signInByChat(browser, s, tg, "0912000503", CITY);
      await city.goto(`${s.url}/calendars`);
      await city.getByRole("heading", { name: "Hạn đang áp dụng cho Thành phố Lai Châu — năm 2026" }).waitFor();
      expect(await cell(city, "H1", "commune")).toMatch(/30\/04\/2026\s+Thành phố Lai Châu \(hằng năm\)/);
      expect(await city.locator("select[name=unit] option").allInnerTexts()).toEqual(["— Thành phố Lai Châu (105)"]);
      expect((await city.goto(`${s.url}/calendars?unit=106`))!.status()).toBe(404);
      expect((await city.goto(`${s.url}/calendars?unit=12`))!.status()).toBe(404);
      await city.goto(`${s.url}/calendars`);
      expect(await postFrom(city, "/calendars", { template: DEFAULT_TEMPLATE_ID, unit: "106", year: "2026", due_H1_commune: "2026-05-01" })).toBe(404);
      expect((await db.select().from(deadlineCalendars).where(eq(deadlineCalendars.scopeUnitId, tamDuong))).map((r) => r.year)).toEqual([0, 0]);

      // A commune officer has no calendar pages at all.
      const commune = await signInByChat(browser, s, tg, "0912000504", COMMUNE);
      expect((await commune.goto(`${s.url}/calendars`))!.status()).toBe(404);
      expect(await audits("calendar.edit")).toHaveLength(1);

      for (const p of [page, admin, city, commune]) await p.context().close();
    },
  );
});
