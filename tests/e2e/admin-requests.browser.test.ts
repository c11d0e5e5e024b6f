import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { and, eq, lte, or } from "drizzle-orm";
import { auditLog, outbox } from "../../src/db/schema/index.js";
import { useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const DISTRICT = 9601;
const THEN_SIN = 9602;
const TA_LENG = 9603;
const GIANG_MA = 9604;
const CITY = 9605;

describe.skipIf(!hasBrowser)("a district asks its communes for a one-off report from the browser", () => {
  const t = useTestDb("pglite");
  let tg: FakeTelegram;
  let s: TestService;
  let browser: Browser;
  const now = new Date("2026-12-01T02:00:00Z");
  beforeAll(async () => {
    tg = await startFakeTelegram();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.service.stop();
    await tg?.close();
  });

  /** Every message due now is sent, whoever sends it. */
  const deliver = async () => {
    await expect
      .poll(
        async () => {
          await s.service.outbox.drainOnce();
          return (
            await t.database.db
              .select({ id: outbox.id })
              .from(outbox)
              .where(or(eq(outbox.status, "sending"), and(eq(outbox.status, "queued"), lte(outbox.notBefore, now))))
          ).length;
        },
        { timeout: 30_000 },
      )
      .toBe(0);
  };
  const lastText = (chat: number) => tg.texts(chat).at(-1) ?? "";

  it(
    "writes quick questions, is told what is wrong, sends; a commune answers by chat; the figures, a reminder to the rest, the export and the dashboard follow",
    { timeout: 240_000 },
    async () => {
      await loadProvince(t.database, "pre2025", "12");
      await addOfficers(
        t.database,
        [
          "name,phone,role,unit_code,scheme",
          "Phòng LĐTBXH Tam Đường,0912000701,district,106,pre2025",
          "Cán bộ Thèn Sin,0912000702,commune,03394,pre2025",
          "Cán bộ Tả Lèng,0912000703,commune,03400,pre2025",
          "Cán bộ Giang Ma,0912000704,commune,03405,pre2025",
          "Phòng LĐTBXH thành phố,0912000705,district,105,pre2025",
        ].join("\n"),
      );
      for (const [phone, chat] of [
        ["84912000701", DISTRICT],
        ["84912000702", THEN_SIN],
        ["84912000703", TA_LENG],
        ["84912000704", GIANG_MA],
        ["84912000705", CITY],
      ] as const)
        await linkOfficer(t.database, phone, "telegram", String(chat));
      s = await startTestService(t, { telegram: tg, clock: () => now, env: { PUBLIC_URL: "https://baocao.example.vn" } });

      const page = await signInByChat(browser, s, tg, "0912000701", DISTRICT);
      await page.getByRole("link", { name: "Yêu cầu báo cáo" }).first().click();
      await page.getByText("Chưa có yêu cầu báo cáo nào.").waitFor();
      await page.getByRole("link", { name: /Tạo yêu cầu mới/ }).click();

      await page.fill("input[name=title]", "Rà soát trẻ em đuối nước");
      await page.fill("textarea[name=note]", "Theo Công văn 20/LĐTBXH.");
      await page.selectOption("select[name=unit]", "106");
      await page.fill("input[name=deadline]", "2026-12-10");
      await page.getByLabel("Câu hỏi 1", { exact: true }).fill("Số trẻ em bị đuối nước");
      await page.getByLabel("Câu hỏi 2", { exact: true }).fill("Hình thức tuyên truyền chính");
      await page.getByLabel("Loại câu 2", { exact: true }).selectOption("single");
      // One choice only: refused, said in words, and everything typed comes back.
      await page.getByLabel("Lựa chọn của câu 2", { exact: true }).fill("Loa phát thanh");
      await page.getByRole("button", { name: "Gửi yêu cầu" }).click();
      await page
        .getByRole("alert")
        .getByText(/ít nhất hai lựa chọn/)
        .waitFor();
      expect(await page.inputValue("input[name=title]")).toBe("Rà soát trẻ em đuối nước");
      expect(await page.getByLabel("Câu hỏi 1", { exact: true }).inputValue()).toBe("Số trẻ em bị đuối nước");
      expect(await t.database.db.select().from(auditLog).where(eq(auditLog.action, "request.create"))).toHaveLength(0);

      await page.getByLabel("Lựa chọn của câu 2", { exact: true }).fill("Loa phát thanh\nHọp dân\nTờ rơi");
      await page.getByRole("button", { name: "Gửi yêu cầu" }).click();
      await page.getByText(/Đã gửi yêu cầu tới \d+ đơn vị, báo cho 3 cán bộ\./).waitFor();
      const id = Number(/\/requests\/(\d+)$/.exec(page.url())?.[1]);
      expect(id).toBeGreaterThan(0);
      await page.getByRole("heading", { name: `Yêu cầu #${id}: Rà soát trẻ em đuối nước` }).waitFor();
      await expect.poll(() => page.locator("[data-count=answered]").textContent()).toBe("0");

      // Thèn Sin is told and answers straight away by chat.
      await deliver();
      expect(lastText(THEN_SIN)).toMatch(/^📋 Yêu cầu báo cáo đột xuất của .*Tam Đường: Rà soát trẻ em đuối nước/);
      for (const u of [callbackUpdate(THEN_SIN, `cmd:start:yeu-cau-${id}`), textUpdate(THEN_SIN, "4"), textUpdate(THEN_SIN, "2"), textUpdate(THEN_SIN, "nộp")])
        expect((await s.postUpdate(u)).status).toBe(200);
      expect(lastText(THEN_SIN)).toMatch(/^✅ Đã nộp báo cáo «Rà soát trẻ em đuối nước»/);

      await page.reload();
      await expect.poll(() => page.locator("[data-count=answered]").textContent()).toBe("1");
      expect(await page.locator("[data-question=q1]").textContent()).toBe("4");
      expect(await page.locator("[data-question=q2]").textContent()).toBe("Loa phát thanh: 0 · Họp dân: 1 · Tờ rơi: 0");
      expect(await page.locator("tr[data-unit='03394'] td").nth(2).textContent()).toBe("Đã trả lời đúng hạn");
      expect(await page.locator("tr[data-unit='03400'] td").nth(2).textContent()).toBe("Chưa trả lời");

      await page.screenshot({ path: screenshotPath("admin-request-status.png"), fullPage: true });
      // «Nhắc những đơn vị chưa trả lời»: Tả Lèng and Giang Ma are reminded, Thèn Sin is not.
      const before = tg.texts(THEN_SIN).length;
      await page.getByRole("button", { name: /Nhắc những đơn vị chưa trả lời/ }).click();
      await page.getByText(/Đã nhắc 2 cán bộ của \d+ đơn vị chưa trả lời\./).waitFor();
      // A second click within the minute reminds nobody twice.
      await page.getByRole("button", { name: /Nhắc những đơn vị chưa trả lời/ }).click();
      await page.getByText("Không nhắc thêm ai: các đơn vị chưa trả lời vừa được nhắc.").waitFor();
      await deliver();
      for (const chat of [TA_LENG, GIANG_MA])
        expect(lastText(chat)).toMatch(/vui lòng trả lời yêu cầu báo cáo «Rà soát trẻ em đuối nước» \(hạn 10\/12\/2026\)/);
      expect(tg.texts(THEN_SIN)).toHaveLength(before);

      // The answers as a spreadsheet.
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /Tải các câu trả lời/ }).click()]);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile((await download.path())!);
      const rows = wb.getWorksheet("Trả lời")!.getSheetValues().filter(Boolean) as unknown[][];
      const thenSin = rows.find((r) => r.includes("03394"))!;
      expect(thenSin).toContain(4);
      expect(thenSin).toContain("Họp dân");
      expect(
        await t.database.db
          .select()
          .from(auditLog)
          .where(and(eq(auditLog.action, "export"), eq(auditLog.target, `request:${id}`))),
      ).toHaveLength(1);

      // The list and the dashboard show it beside the periodic report.
      await page.goto(`${s.url}/requests`);
      await page.getByRole("link", { name: "Rà soát trẻ em đuối nước" }).waitFor();
      await page.goto(`${s.url}/dashboard`);
      await page.locator("#requests").getByRole("link", { name: "Rà soát trẻ em đuối nước" }).waitFor();
      await page.screenshot({ path: screenshotPath("admin-requests.png"), fullPage: true });

      // Another district's officer: the request does not exist for them.
      const other = await signInByChat(browser, s, tg, "0912000705", CITY);
      const res = await other.goto(`${s.url}/requests/${id}`);
      expect(res?.status()).toBe(404);
      const list = await other.goto(`${s.url}/requests`);
      expect(list?.status()).toBe(200);
      expect(await other.getByText("Rà soát trẻ em đuối nước").count()).toBe(0);
    },
  );
});
