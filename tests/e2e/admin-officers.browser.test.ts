import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { and, eq } from "drizzle-orm";
import { auditLog, channelLinks, officers } from "../../src/db/schema/index.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, skipNotice } from "../support/browser.js";

skipNotice();
const DISTRICT = 9701;
const ADMIN = 9702;
const NEW_PROVINCE = 9703;

const OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Cán bộ Thèn Sin,0912000701,commune,03394,pre2025",
  "Phòng LĐTBXH Tam Đường,0912000702,district,106,pre2025",
  "Quản trị Lai Châu,0912000703,admin,12,pre2025",
  "Cán bộ Bình Lư,0912000704,commune,03394,pre2025",
  "Sở Y tế Lai Châu mới,0912000705,province,12,post2025",
].join("\n");

const flash = (page: Page) => page.locator("p.flash").innerText();

describe.skipIf(!hasBrowser)("officers, units and calendars read as Vietnamese and answer every action", () => {
  const t = useTestDb("pglite");
  let tg: FakeTelegram;
  let s: TestService | undefined;
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

  /** Lai Châu in both trees, its officers linked on Telegram (one on the simulator only), and the service. */
  async function start() {
    await loadProvince(t.database, "pre2025", "12");
    await loadProvince(t.database, "post2025", "12");
    await addOfficers(t.database, OFFICERS);
    for (const [phone, chat] of [
      ["84912000701", 9700],
      ["84912000702", DISTRICT],
      ["84912000703", ADMIN],
      ["84912000705", NEW_PROVINCE],
    ] as const) {
      await linkOfficer(t.database, phone, "telegram", String(chat));
    }
    // Linked on the simulator only: no channel the list shows, so not counted as linked either.
    const [binhLu] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000704"));
    await t.database.db.insert(channelLinks).values({ officerId: binhLu!.id, channel: "simulator", externalId: "sim-704", chatId: "sim-704", preferred: true });
    await s?.service.stop();
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-05-10T03:00:00Z") });
    return s;
  }

  it(
    "a district officer reads phones as 0912 345 678, a linked count that agrees with the rows, import errors with roles in Vietnamese, and a message after importing, deactivating and reactivating",
    { timeout: 90_000 },
    async () => {
      const s = await start();
      const page = await signInByChat(browser, s, tg, "0912000702", DISTRICT);
      await page.goto(`${s.url}/officers`);
      const thenSin = page.locator("tr", { hasText: "Cán bộ Thèn Sin" });
      expect(await thenSin.innerText()).toContain("0912 000 701");
      expect(await thenSin.innerText()).not.toContain("84912000701");
      const linkedRows = await page.locator("tr[data-officer]", { hasText: "✓" }).count();
      const count = await page.locator("#officer-count").innerText();
      expect(count).toBe(`${await page.locator("tr[data-officer]").count()} cán bộ · đã liên kết ${linkedRows}`);
      expect(await page.locator("tr", { hasText: "Cán bộ Bình Lư" }).innerText()).toContain("chưa liên kết");

      const csv = join(import.meta.dirname, "..", ".tmp", `officers-h4-${Date.now()}.csv`);
      writeFileSync(
        csv,
        [
          "Họ và tên,Số điện thoại,Vai trò,Mã đơn vị,Hệ mã",
          "Cán bộ Tả Lèng,0912000711,commune,03400,pre2025",
          "Xã ở huyện,0912000712,commune,106,pre2025",
          "Vai lạ,0912000713,trưởng thôn,03400,pre2025",
        ].join("\n"),
      );
      await page.setInputFiles("input[name=file]", csv);
      await page.getByRole("button", { name: "Kiểm tra tệp" }).click();
      const rejected = await page.locator("#rejected").innerText();
      expect(rejected).toContain("vai trò cán bộ xã không thuộc đơn vị cấp huyện");
      expect(rejected).toContain('vai trò "trưởng thôn" không hợp lệ (cán bộ xã, cán bộ huyện, cán bộ tỉnh hoặc quản trị viên)');
      expect(rejected).not.toMatch(/\b(commune|district|province)\b/);
      expect(await page.locator("tr", { hasText: "Cán bộ Tả Lèng" }).innerText()).toContain("0912 000 711");
      await page.getByRole("button", { name: "Nhập 1 dòng hợp lệ" }).click();
      expect(await flash(page)).toBe("Đã nhập 1 cán bộ; bỏ qua 2 dòng lỗi.");

      await page.goto(`${s.url}/officers`);
      page.once("dialog", (d) => void d.accept());
      await page.locator("tr", { hasText: "Cán bộ Tả Lèng" }).getByRole("button", { name: "Ngừng hoạt động" }).click();
      await page.waitForURL(/officers\?unit=/);
      expect(await flash(page)).toBe("Đã ngừng hoạt động Cán bộ Tả Lèng; lịch sử báo cáo được giữ nguyên.");
      await page.goto(`${s.url}/officers?inactive=1`);
      await page.locator("tr", { hasText: "Cán bộ Tả Lèng" }).getByRole("button", { name: "Kích hoạt lại" }).click();
      await page.waitForURL(/inactive=1/);
      expect(await flash(page)).toBe("Đã kích hoạt lại Cán bộ Tả Lèng.");
      // The flash is shown once: the next page has none.
      await page.reload();
      expect(await page.locator("p.flash").count()).toBe(0);
      const [taLeng] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000711"));
      expect(taLeng!.active).toBe(true);
      expect(
        await t.database.db
          .select({ action: auditLog.action })
          .from(auditLog)
          .where(and(eq(auditLog.target, `officer:${taLeng!.id}`))),
      ).toEqual([{ action: "officer.deactivate" }, { action: "officer.reactivate" }]);
      await page.context().close();
    },
  );

  it("an admin's /units starts at «Toàn quốc» with the provinces below it, and a province page leads back to it", { timeout: 60_000 }, async () => {
    const s = await start();
    const admin = await signInByChat(browser, s, tg, "0912000703", ADMIN);
    await admin.goto(`${s.url}/units`);
    expect(await admin.locator("main, body").first().innerText()).toContain("Toàn quốc");
    await admin.getByRole("link", { name: "Tỉnh Lai Châu" }).click();
    await admin.waitForURL(/units\?code=12/);
    await admin.getByRole("link", { name: "Toàn quốc" }).click();
    await admin.waitForURL((u) => u.pathname === "/units" && u.search === "");
    await admin.context().close();
  });

  it("the calendars of the new tree speak of no district, and a saved calendar is answered with what was saved", { timeout: 60_000 }, async () => {
    const s = await start();
    const page = await signInByChat(browser, s, tg, "0912000705", NEW_PROVINCE);
    await page.goto(`${s.url}/calendars?year=2026`);
    // Everything above the examples (which name other trees' calendars, Huyện Tam Đường's among them).
    const speaks = (await page.locator("body").innerText()).split("Lịch riêng đã có")[0]!;
    expect(speaks).toContain("hạn của xã phải trước hạn của tỉnh");
    expect(speaks).toContain("theo lịch của đơn vị gần nhất có lịch (tỉnh)");
    expect(speaks).not.toMatch(/huyện/i);
    const due = page.getByLabel("Xã nộp trước — kỳ 6 tháng đầu năm");
    await due.fill("2026-06-14");
    await page.fill("input[name=source]", "Công văn 7/SYT ngày 05/01/2026");
    await page.getByRole("button", { name: "Lưu lịch" }).click();
    // Refused in the new tree's words (no district), with what was typed kept for correcting.
    expect(await page.getByRole("alert").innerText()).toBe("Hạn của xã (14/06/2026) phải trước hạn của tỉnh (25/05/2026, đang áp dụng) — kỳ 6 tháng đầu năm.");
    expect(await due.inputValue()).toBe("2026-06-14");
    expect(await page.locator("input[name=source]").inputValue()).toBe("Công văn 7/SYT ngày 05/01/2026");
    await due.fill("2026-05-20");
    await page.getByRole("button", { name: "Lưu lịch" }).click();
    expect(await flash(page)).toBe("Đã lưu lịch. Hạn nộp của Tỉnh Lai Châu năm 2026: 1 hạn đã thay đổi.");
    expect(await due.inputValue()).toBe("2026-05-20");
    await page.context().close();
  });
});
