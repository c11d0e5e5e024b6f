import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export const CHROMIUM = "/usr/bin/chromium";
export const hasBrowser = existsSync(CHROMIUM);
if (!hasBrowser && process.env.REQUIRE_BROWSER) throw new Error(`REQUIRE_BROWSER is set but ${CHROMIUM} is missing (apt-get install chromium)`);

/** Flags that keep Chromium from reaching out to a network this machine does not have. */
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function skipNotice(): void {
  if (!hasBrowser) console.info(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium to run them)`);
}

/**
 * Where a browser test saves its screenshot: docs/ (shown in the README) only when asked with
 * UPDATE_SCREENSHOTS=1, so that running the tests leaves the working tree unchanged.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS ? join(import.meta.dirname, "..", "..", "docs") : join(import.meta.dirname, "..", ".tmp");
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
