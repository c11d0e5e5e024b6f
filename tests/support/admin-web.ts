import type { Browser, Page } from "playwright-core";
import type { FakeTelegram } from "./fake-telegram.js";
import type { TestService } from "./service.js";

/**
 * Signs an officer in the way they would: "Đăng nhập", their phone, then the one-time link that
 * baocao sends to their chat (read from the fake Bot API). Returns a page of a fresh context, so
 * two officers in one test never share a cookie.
 */
export async function signInByChat(browser: Browser, s: TestService, tg: FakeTelegram, phone: string, chat: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${s.url}/login`);
  await page.fill("input[name=phone]", phone);
  await page.getByRole("button", { name: "Gửi đường dẫn đăng nhập" }).click();
  await page.getByText("Kiểm tra tin nhắn").waitFor();
  const link = /https?:\/\/\S+\/login\/\S+/.exec(tg.texts(chat).at(-1) ?? "")?.[0];
  if (!link) throw new Error(`no sign-in link reached chat ${chat}`);
  // With PUBLIC_URL set the link names the public site; the test opens the same path here.
  await page.goto(`${s.url}${new URL(link).pathname}${new URL(link).search}`);
  // The link opens a confirm page (a chat preview must not spend it); its button signs in.
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login/")), page.getByRole("button", { name: "Đăng nhập vào baocao" }).click()]);
  return page;
}
