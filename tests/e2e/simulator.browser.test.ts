import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { useTestDb } from "../support/db.js";
import { startTestService, type TestService } from "../support/service.js";

import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();

describe.skipIf(!hasBrowser)("the web simulator in a real browser", () => {
  const t = useTestDb("pglite");
  let s: TestService;
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  // After the per-test emptying of the database: the service seeds the demo data on its first start.
  beforeEach(async () => {
    s = await startTestService(t, { clock: () => new Date("2026-11-05T03:00:00Z"), env: { DEMO_SEED: "auto" } });
  }, 60_000);
  afterEach(async () => {
    await s?.service.stop();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("a newcomer picks a demo officer, answers, is corrected, pauses and resumes with a button", { timeout: 90_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
    await page.goto(`${s.url}/simulator`);
    await expect.poll(() => page.locator("#officer option").count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);

    const say = async (text: string) => {
      await page.fill("#text", text);
      await page.press("#text", "Enter");
    };
    await say("báo cáo");
    await page.getByText(/Câu 1\/\d+/).waitFor();
    await say("0");
    // Zero sessions: the two follow-up questions are skipped.
    await page.getByText(/Câu 4\/\d+/).waitFor();
    await say("mười hai");
    await page.getByText("Câu này cần một con số (ví dụ 12 hoặc 1.234).").waitFor();
    await say("2");
    await page.getByText(/Câu 5\/\d+\. Số người được tập huấn/).waitFor();
    await say("tạm dừng");
    await page.getByRole("button", { name: "Tiếp tục" }).last().click();
    await page.getByText(/Tiếp tục báo cáo năm 2026: đã trả lời 2\//).waitFor();
    await page
      .getByText(/Câu 5\/\d+\. Số người được tập huấn/)
      .last()
      .waitFor();

    // A reload shows her own messages again, each where it was, not only the bot's.
    await page.reload();
    await expect.poll(() => page.locator(".msg.me").allTextContents()).toEqual(["báo cáo", "0", "mười hai", "2", "tạm dừng", "Tiếp tục"]);
    const order = await page.locator(".msg").allTextContents();
    expect(order.indexOf("mười hai")).toBeLessThan(order.indexOf("Câu này cần một con số (ví dụ 12 hoặc 1.234)."));
    // At a phone's width the header stays on top of the chat, and nothing is wider than the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    const header = await page.locator("header").boundingBox();
    const chat = await page.locator("#chat").boundingBox();
    expect(header!.y + header!.height).toBeLessThanOrEqual(chat!.y + 1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    await page.screenshot({ path: screenshotPath("simulator.png") });
    await page.close();
  });

  it(
    "a newcomer signs in to the web as the demo province officer: the link appears in the simulator chat, and the web shows the demo province",
    { timeout: 90_000 },
    async () => {
      const sim = await browser.newPage({ viewport: { width: 420, height: 860 } });
      await sim.goto(`${s.url}/simulator`);
      await expect
        .poll(() => sim.locator("#officer option").allTextContents(), { timeout: 20_000 })
        .toContain("Trần Văn Bình — cán bộ tỉnh — Tỉnh Mẫu (dữ liệu thử)");
      await sim.selectOption("#officer", { label: "Trần Văn Bình — cán bộ tỉnh — Tỉnh Mẫu (dữ liệu thử)" });
      await sim.getByText("Trang web của cán bộ tỉnh: mở /login, nhập số 0900000004").waitFor();

      const web = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await web.goto(`${s.url}/login`);
      await web.fill("input[name=phone]", "0900000004");
      await web.getByRole("button", { name: "Gửi đường dẫn đăng nhập" }).click();
      await web.getByText("Kiểm tra tin nhắn").waitFor();
      const bubble = sim.getByText(/Đường dẫn đăng nhập baocao/);
      await bubble.waitFor({ timeout: 20_000 });
      const link = /https?:\/\/\S+\/login\/\S+/.exec((await bubble.textContent()) ?? "")![0];
      await web.goto(link);
      await web.getByRole("button", { name: "Đăng nhập vào baocao" }).click();
      await web.getByRole("heading", { name: /Tỉnh Mẫu \(dữ liệu thử\)/ }).waitFor();
      expect(await web.content()).not.toContain("Lai Châu");
      await web.close();
      await sim.close();
    },
  );
});
