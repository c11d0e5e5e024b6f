import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { submissions } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { fold } from "../../src/domain/text.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();

const MAI = 8201;
const clock = () => new Date("2026-11-07T03:00:00Z");
const questionOf = (key: string) => (key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1));

describe.skipIf(!hasBrowser)("the phone web form in a real browser, 390 × 844", () => {
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

  const send = async (text: string) => expect((await s.postUpdate(textUpdate(MAI, text))).status).toBe(200);
  const status = (page: Page, key: string) => page.locator(`[data-status="${key}"]`);

  /** Answers one question the way a thumb would: types the chat's answer, or taps the option it names. */
  async function answer(page: Page, open: Locator): Promise<string> {
    const key = (await open.getAttribute("data-key"))!;
    // Held by its key: once answered, it is no longer the first open question.
    const q = page.locator(`.q[data-key="${key}"]`);
    const given = ANSWERS[questionOf(key)]!;
    const options = q.locator("input[type=radio], input[type=checkbox]");
    if ((await options.count()) > 0) {
      const text = given.text ?? "";
      const values = await options.evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
      const picked =
        given.choice !== undefined
          ? [given.choice]
          : /^[\d,\s]+$/.test(text)
            ? text
                .split(/[,\s]+/)
                .filter(Boolean)
                .map((n) => values[Number(n) - 1]!)
            : /^co\b/.test(fold(text))
              ? ["yes"]
              : /^khong\b/.test(fold(text))
                ? ["no"]
                : [fold(text)];
      for (const v of picked) await q.locator(`input[value="${v}"]`).check();
    } else if (given.text === "bỏ qua") {
      await q.getByRole("button", { name: "Bỏ qua câu này" }).click();
    } else {
      const field = q.locator("input, textarea").first();
      await field.fill(given.text!);
      await field.press("Tab");
    }
    return key;
  }
  const nextOpen = (page: Page) =>
    page
      .locator(".q")
      .filter({ hasNot: page.locator(".status.ok, .status.waiting") })
      .first();

  it(
    "an officer opens «Điền trên web» from chat, answers on the phone, loses the connection and reloads, then submits: every answer stored once",
    { timeout: 180_000 },
    async () => {
      await loadLaiChau(t.database);
      await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
      s = await startTestService(t, { telegram: tg, clock });
      const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
      await send(`/start ${code}`);
      await send("báo cáo");
      // Without an https PUBLIC_URL (development) the address is written under the text.
      const link = /📝 Điền trên web: (http:\/\/127\.0\.0\.1:\d+\/f\/[A-Za-z0-9_-]{43})/.exec(tg.texts(MAI).join("\n"))?.[1];
      expect(link).toBeDefined();
      await send("3");

      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(link!);
      // What she answered in chat is there.
      await expect.poll(() => status(page, "comm_sessions").textContent()).toBe("✓ Đã lưu: 3 buổi");
      await expect.poll(() => page.locator("#report").textContent()).toBe("báo cáo năm 2026 — hạn nộp 10/11/2026");
      // Ready for a reload without a connection: the page and its script are on the phone.
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
      await expect.poll(() => page.evaluate(() => caches.match(location.pathname).then((r) => r !== undefined))).toBe(true);

      let taps = 0;
      for (let i = 0; i < 6; i++) {
        const key = await answer(page, nextOpen(page));
        taps++;
        await expect.poll(() => status(page, key).getAttribute("class")).toBe("status ok");
      }
      // The sum that does not add up is named with both numbers before anything is sent up.
      expect(await page.locator("#sync").textContent()).toMatch(/^Đã lưu 7\/\d+$/);

      // The connection drops: three answers wait on the phone, and a reload loses none of them.
      await context.setOffline(true);
      const offline: string[] = [];
      for (let i = 0; i < 3; i++) {
        const key = await answer(page, nextOpen(page));
        taps++;
        offline.push(key);
        await expect.poll(() => status(page, key).textContent()).toBe("⏳ Chờ gửi");
      }
      await expect.poll(() => page.locator("#sync").textContent()).toMatch(/3 câu chờ gửi · đang mất kết nối/);
      await page.reload();
      await expect.poll(() => page.locator("#sync").textContent()).toMatch(/^Đã lưu 7\/\d+ · 3 câu chờ gửi/);
      for (const key of offline) expect(await status(page, key).textContent()).toBe("⏳ Chờ gửi");
      expect(await page.locator("#submit").isDisabled()).toBe(true);

      await context.setOffline(false);
      await expect.poll(() => page.locator("#sync").textContent(), { timeout: 30_000 }).toMatch(/^Đã lưu 10\/\d+$/);
      const applied = await t.database.db.execute<{ key: string; n: number }>(
        sql`select result ->> 'key' as key, count(*)::int as n from web_answer_ops group by 1`,
      );
      const counts = new Map((applied as unknown as { rows: { key: string; n: number }[] }).rows.map((r) => [r.key, r.n]));
      for (const key of offline) expect(counts.get(key)).toBe(1);

      // The rest, to the end; then «Nộp báo cáo».
      for (let i = 0; i < 80; i++) {
        const q = nextOpen(page);
        if ((await q.count()) === 0) break;
        const key = await answer(page, q);
        taps++;
        await expect.poll(() => status(page, key).getAttribute("class")).toBe("status ok");
      }
      await expect.poll(() => page.locator("#submit").isEnabled()).toBe(true);
      // Readable on the phone: nothing wider than its screen.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: screenshotPath("web-form.png") });
      await page.locator("#submit").click();
      await page.getByText(/^✅ Đã nộp báo cáo năm 2026 lúc .* \(đúng hạn\)/).waitFor();
      const elapsed = Date.now() - started;
      console.info(`web form: the whole report in ${taps} answers, ${(elapsed / 1000).toFixed(1)} s (including the offline reload)`);
      const [sub] = await t.database.db.select().from(submissions);
      expect(sub!.status).toBe("submitted");

      // The chat knows the report is in.
      await send("xem");
      expect(tg.texts(MAI).at(-1)).toMatch(/chưa có báo cáo nào đang làm/);

      // A forged link opens nothing.
      await page.goto(link!.replace(/\/f\/.{43}$/, `/f/${"x".repeat(43)}`));
      await page.getByText("Đường dẫn không còn dùng được").first().waitFor();
      await context.close();
    },
  );
});
