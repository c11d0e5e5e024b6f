import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  afterAll(async () => {
    await browser?.close();
    await s?.service.stop();
  });

  it("a newcomer picks a demo officer, answers, is corrected, pauses and resumes with a button", async () => {
    s = await startTestService(t, { clock: () => new Date("2026-11-05T03:00:00Z"), env: { DEMO_SEED: "auto" } });
    const page = await browser.newPage({ viewport: { width: 420, height: 860 } });
    await page.goto(`${s.url}/simulator`);
    await expect.poll(() => page.locator("#officer option").count()).toBeGreaterThanOrEqual(3);

    const say = async (text: string) => {
      await page.fill("#text", text);
      await page.press("#text", "Enter");
    };
    await say("báo cáo");
    await page.getByText(/Câu 1 \(1\/\d+\)/).waitFor();
    await say("0");
    // Zero sessions: the two follow-up questions are skipped.
    await page.getByText(/Câu 4 \(2\/\d+\)/).waitFor();
    await say("mười hai");
    await page.getByText("Câu này cần một con số (ví dụ 12 hoặc 1.234).").waitFor();
    await say("2");
    await page.getByText(/Câu 5 .*Số người được tập huấn/).waitFor();
    await say("tạm dừng");
    await page.getByRole("button", { name: "Tiếp tục" }).last().click();
    await page.getByText(/Tiếp tục báo cáo năm 2026: đã trả lời 2\//).waitFor();
    await page.getByText(/Câu 5 .*Số người được tập huấn/).last().waitFor();

    await page.screenshot({ path: screenshotPath("simulator.png") });
    await page.close();
  });
});
