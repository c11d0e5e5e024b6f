import { join } from "node:path";
import { writeFileSync } from "node:fs";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { eq } from "drizzle-orm";
import { auditLog, broadcastRecipients, broadcasts, documents } from "../../src/db/schema/index.js";
import { useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const DISTRICT = 9501;
const THEN_SIN = 9502;
const TA_LENG = 9503;
const GIANG_MA = 9504;
const CITY = 9505;

describe.skipIf(!hasBrowser)("a district sends a directive from the browser and follows who acknowledged it", () => {
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

  it("composes with a PDF, previews Telegram and Zalo with the recipient count, sends, sees 'đã nhận', reminds the rest and exports the list", async () => {
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code,scheme",
        "Phòng LĐTBXH Tam Đường,0912000501,district,106,pre2025",
        "Cán bộ Thèn Sin,0912000502,commune,03394,pre2025",
        "Cán bộ Tả Lèng,0912000503,commune,03400,pre2025",
        "Cán bộ Giang Ma,0912000504,commune,03405,pre2025",
        "Cán bộ Hồ Thầu,0912000506,commune,03406,pre2025",
        "Phòng LĐTBXH thành phố,0912000505,district,105,pre2025",
      ].join("\n"),
    );
    for (const [phone, chat] of [
      ["84912000501", DISTRICT],
      ["84912000502", THEN_SIN],
      ["84912000503", TA_LENG],
      ["84912000504", GIANG_MA],
      ["84912000505", CITY],
    ] as const) {
      await linkOfficer(t.database, phone, "telegram", String(chat));
    }
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-05-12T02:00:00Z"), env: { PUBLIC_URL: "https://baocao.example.vn" } });

    const page = await signInByChat(browser, s, tg, "0912000501", DISTRICT);
    await page.getByRole("link", { name: "Văn bản chỉ đạo" }).click();
    await page.getByRole("link", { name: /Soạn văn bản mới/ }).click();
    const text = "Đề nghị các xã rà soát trẻ em có nguy cơ đuối nước trước ngày 20/5 và báo cáo về Phòng. <b>không phải thẻ</b>";
    await page.fill("textarea[name=text]", text);
    await expect.poll(() => page.locator("#counter").textContent()).toContain(`Telegram: ${text.length}/4096`);
    const pdf = join(import.meta.dirname, "..", ".tmp", `cong-van-${Date.now()}.pdf`);
    writeFileSync(pdf, "%PDF-1.4\n% Công văn 123/LĐTBXH\n%%EOF\n");
    await page.setInputFiles("input[name=document]", pdf);
    await page.selectOption("select[name=root]", "106");
    await page.check("input[name=roles][value=commune]");
    await page.getByRole("button", { name: "Xem trước" }).click();

    // Four commune officers in Tam Đường; one has no chat yet.
    await expect.poll(() => page.locator("#recipient-count").textContent()).toBe("4");
    await page.getByText("1 chưa liên kết kênh nào").waitFor();
    await page.getByRole("heading", { name: "Telegram" }).waitFor();
    await page.getByRole("heading", { name: "Zalo" }).waitFor();
    expect(await page.getByText("<b>không phải thẻ</b>").count()).toBeGreaterThan(0); // shown as text, not markup
    await page.screenshot({ path: screenshotPath("broadcast-preview.png"), fullPage: true });
    await page.getByRole("button", { name: "Gửi văn bản" }).click();
    await page.waitForURL(/\/broadcasts\/\d+$/);
    // The page says what happened, in words: three reached on chat, one not yet linked.
    expect(await page.getByRole("status").textContent()).toBe("Đã gửi văn bản tới 3 cán bộ (1 người chưa liên kết kênh chat nên chưa nhận được).");

    const [b] = await t.database.db.select().from(broadcasts);
    expect(b!.requireAck).toBe(true);
    expect(b!.audience).toEqual({ scheme: "pre2025", rootCode: "106", roles: ["commune"] });
    const [doc] = await t.database.db.select().from(documents);
    expect(b!.documentId).toBe(doc!.id);
    expect(b!.documentUrl).toBe(`https://baocao.example.vn/documents/${doc!.key}`);

    await expect.poll(() => [THEN_SIN, TA_LENG, GIANG_MA].map((chat) => tg.texts(chat).filter((x) => x.startsWith("📢")).length)).toEqual([1, 1, 1]);
    expect(tg.texts(THEN_SIN).at(-1)).toContain(text);
    expect(tg.texts(THEN_SIN).at(-1)).toContain(b!.documentUrl!);
    expect(tg.texts(CITY)).toEqual([]); // another district is not in the audience
    // The document opens from the chat link without signing in, byte for byte.
    const fetched = await fetch(`${s.url}/documents/${doc!.key}`);
    expect(fetched.headers.get("content-type")).toBe("application/pdf");
    expect(await fetched.text()).toContain("Công văn 123");
    expect((await fetch(`${s.url}/documents/not-a-key`)).status).toBe(404);

    // Thèn Sin taps «Đã nhận».
    await s.postUpdate(callbackUpdate(THEN_SIN, `ack:${b!.id}`));
    await expect.poll(async () => (await page.reload(), page.locator("[data-status=acknowledged]").textContent())).toBe("1");
    await expect.poll(() => page.locator("[data-status=sent]").textContent()).toBe("2");
    await expect.poll(() => page.locator("[data-status=unreachable]").textContent()).toBe("1");

    await page.getByRole("button", { name: "Nhắc 2 người chưa xác nhận" }).click();
    await page.getByRole("status").getByText("Đã nhắc 2 cán bộ chưa xác nhận.").waitFor();
    // Statuses and channels in Vietnamese and by product name, never their codes.
    const table = (await page.locator("table").textContent())!;
    expect(table).toContain("Đã xác nhận");
    expect(table).toContain("Không liên lạc được");
    expect(table).toContain("Telegram");
    expect(table).not.toMatch(/\b(telegram|acknowledged|unreachable|sent)\b/);
    await expect.poll(() => [THEN_SIN, TA_LENG, GIANG_MA].map((chat) => tg.texts(chat).filter((x) => x.startsWith("🔔 Nhắc lại")).length)).toEqual([0, 1, 1]);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /Danh sách \(XLSX\)/ }).click()]);
    const file = join(import.meta.dirname, "..", ".tmp", `recipients-${Date.now()}.xlsx`);
    await download.saveAs(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const rows: Record<string, string> = {};
    wb.worksheets[0]!.eachRow((row, n) => {
      if (n > 1) rows[String(row.getCell(1).value)] = String(row.getCell(4).value);
    });
    expect(rows).toEqual({
      "Cán bộ Thèn Sin": "Đã xác nhận",
      "Cán bộ Tả Lèng": "Đã gửi",
      "Cán bộ Giang Ma": "Đã gửi",
      "Cán bộ Hồ Thầu": "Không liên lạc được",
    });
    const acks = await t.database.db.select().from(broadcastRecipients).where(eq(broadcastRecipients.broadcastId, b!.id));
    expect(acks.filter((a) => a.ackAt).length).toBe(1);
    const actions = (await t.database.db.select().from(auditLog)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["broadcast.create", "broadcast.remind", "broadcast.export"]));

    // The city's district officer cannot see or act on Tam Đường's directive.
    const other = await signInByChat(browser, s, tg, "0912000505", CITY);
    expect((await other.goto(`${s.url}/broadcasts/${b!.id}`))!.status()).toBe(404);
    expect((await other.goto(`${s.url}/broadcasts/${b!.id}/recipients.csv`))!.status()).toBe(404);
    await other.goto(`${s.url}/broadcasts`);
    expect(await other.content()).not.toContain("đuối nước");
    const remind = await other.request.post(`${s.url}/broadcasts/${b!.id}/remind`, { headers: { origin: s.url } });
    expect(remind.status()).toBe(404);
    // A directive to another district's units: the composer comes back with the reason and what was typed.
    const refused = await page.request.post(`${s.url}/broadcasts/preview`, {
      headers: { origin: s.url },
      multipart: { text: "Văn bản gửi nhầm huyện", root: "105", roles: "commune", sendAt: "", requireAck: "on" },
    });
    expect(refused.status()).toBe(400);
    const refusedHtml = await refused.text();
    expect(refusedHtml).toContain("Đơn vị nhận không thuộc phạm vi của anh/chị.");
    expect(refusedHtml).toContain(">Văn bản gửi nhầm huyện</textarea>");
    await page.context().close();
    await other.context().close();
  }, 120_000); // one long story through the browser: slow beside another browser file
});
