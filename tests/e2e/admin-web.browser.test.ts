import { join } from "node:path";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { conversationSessions, submissions } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const REPORTER = 9401;
const DISTRICT = 9402;
const OTHER = 9405;
const TA_LENG = 9403;

describe.skipIf(!hasBrowser)("a district officer reviews a commune's report in the browser", () => {
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

  async function signIn(page: Page, phone: string, chat: number) {
    await page.goto(`${s.url}/login`);
    await page.fill("input[name=phone]", phone);
    await page.click("button");
    await page.getByText("Kiểm tra tin nhắn").waitFor();
    const link = /https?:\/\/\S+\/login\/\S+/.exec(tg.texts(chat).at(-1) ?? "")![0];
    await page.goto(link);
    // The link opens a confirm page (a chat preview must not spend it); its button signs in.
    await page.getByRole("button", { name: "Đăng nhập vào baocao" }).click();
  }

  it("signs in through the chat link, reminds a commune and is told how many officers it reached, returns a report and approves the resubmission with a message after each, reads every status in Vietnamese, downloads the export; another district sees none of it", async () => {
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code,scheme",
        "Cán bộ Thèn Sin,0912000401,commune,03394,pre2025",
        "Phòng LĐTBXH Tam Đường,0912000402,district,106,pre2025",
        "Cán bộ Quyết Thắng,0912000405,commune,03386,pre2025",
        "Cán bộ Tả Lèng,0912000403,commune,03400,pre2025",
      ].join("\n"),
    );
    for (const [phone, chat] of [
      ["84912000401", REPORTER],
      ["84912000402", DISTRICT],
      ["84912000405", OTHER],
      ["84912000403", TA_LENG],
    ] as const)
      await linkOfficer(t.database, phone, "telegram", String(chat));
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-05-10T03:00:00Z") });

    // The commune officer files the report on Telegram.
    const say = (text: string) => s.postUpdate(textUpdate(REPORTER, text));
    const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
    await say("báo cáo");
    for (let guard = 0; (await state()).mode === "asking" && guard < 90; guard++) {
      const key = (await state()).report!.cursor!;
      const a = ANSWERS[key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1)]!;
      await say(a.text ?? "1");
    }
    await say("nộp");
    const [sub] = await t.database.db.select().from(submissions);
    expect(sub!.status).toBe("submitted");

    const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
    await signIn(page, "0912000402", DISTRICT);
    await page.getByText("Huyện Tam Đường — Báo cáo 6 tháng đầu năm 2026").waitFor();
    // «Nhắc ngay» says what it did.
    await page.locator("tr", { hasText: "Xã Tả Lèng" }).getByRole("button", { name: "Nhắc ngay" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toBe("Đã gửi nhắc 1 cán bộ của Xã Tả Lèng.");
    expect(tg.texts(TA_LENG).at(-1)).toMatch(/^Phòng LĐTBXH Tam Đường nhắc: anh\/chị Cán bộ Tả Lèng vui lòng hoàn thành báo cáo 6 tháng đầu năm 2026/);
    await page.getByRole("link", { name: "Xã Thèn Sin" }).click();
    await page.getByText("Số buổi truyền thông về bảo vệ, chăm sóc trẻ em đã tổ chức").waitFor();

    await page.fill("textarea[name=comment]", "Số buổi truyền thông chưa khớp sổ theo dõi");
    await page.fill("input[name=questions]", "1");
    await page.getByRole("button", { name: "Trả lại để sửa" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Đã trả lại");
    expect(await page.getByRole("status").textContent()).toBe("Đã trả lại báo cáo cho Xã Thèn Sin.");
    expect(tg.texts(REPORTER).at(-1)).toMatch(/được Phòng LĐTBXH Tam Đường trả lại để sửa: «Số buổi truyền thông chưa khớp sổ theo dõi» \(câu 1\)/);

    // The officer corrects question 1 on chat and submits again.
    await say("báo cáo");
    expect(tg.texts(REPORTER).at(-1)).toMatch(/^Câu 1\/\d+\. .*\n.*\nĐang ghi: 3 buổi/);
    await say("5");
    await say("nộp");
    await page.reload();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Đã nộp");
    expect(await page.getByRole("status").count()).toBe(0); // the message was shown once
    await page.getByText(/— Đã trả lại \(Phòng LĐTBXH Tam Đường\): «Số buổi truyền thông chưa khớp sổ theo dõi» — câu 1/).waitFor();
    await page.getByRole("button", { name: "Duyệt báo cáo" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Đã duyệt");
    expect(await page.getByRole("status").textContent()).toBe("Đã duyệt báo cáo của Xã Thèn Sin.");
    await page
      .getByText(/— Đã nộp \(Cán bộ Thèn Sin\)$/)
      .first()
      .waitFor();
    expect(await page.content()).not.toMatch(/submitted|returned|approved|in_progress/);
    expect(tg.texts(REPORTER).at(-1)).toMatch(/đã được Phòng LĐTBXH Tam Đường duyệt/);

    await page.goto(`${s.url}/dashboard`);
    await page.getByText("✔ đã duyệt").waitFor();
    await page.screenshot({ path: screenshotPath("dashboard.png"), fullPage: true });
    await page.getByText("Số liệu tổng hợp").click();
    await page.getByText("Số xã đã nộp: 1/13").waitFor();
    expect(await page.locator("tr", { hasText: "Số buổi truyền thông" }).first().textContent()).toContain("5");
    await page.screenshot({ path: screenshotPath("figures.png"), fullPage: false });
    await page.goto(`${s.url}/dashboard`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByText("Tải báo cáo tổng hợp (XLSX)").click()]);
    const file = join(import.meta.dirname, "..", ".tmp", `export-${Date.now()}.xlsx`);
    await download.saveAs(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const perUnit = wb.getWorksheet("Theo đơn vị")!;
    let theSin: ExcelJS.Row | undefined;
    perUnit.eachRow((row) => {
      if (row.getCell(1).value === "03394") theSin = row;
    });
    expect(theSin!.getCell(5).value).toBe(5); // comm_sessions after the correction

    // A commune officer of another district sees none of it.
    const other = await browser.newPage();
    await signIn(other, "0912000405", OTHER);
    await other
      .getByText(/Phường Quyết Thắng/)
      .first()
      .waitFor();
    expect(await other.content()).not.toContain("Thèn Sin");
    const res = await other.goto(`${s.url}/submissions/${sub!.id}`);
    expect(res!.status()).toBe(404);
    expect((await other.goto(`${s.url}/dashboard?unit=106`))!.status()).toBe(404);
    await page.close();
    await other.close();
  }, 120_000); // one long story through the browser: slow beside another browser file
});
