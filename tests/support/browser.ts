import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { browserRequired, skipOrFail } from "./requirements.js";

/** Debian's Chromium, or another build named by CHROMIUM. */
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const hasBrowser = existsSync(CHROMIUM);
// Under CI or REQUIRE_BROWSER=1 a missing browser fails every browser test file instead of skipping it.
skipOrFail(hasBrowser ? undefined : `${CHROMIUM} not found (apt-get install chromium)`, browserRequired, "A browser");

/** Flags that keep Chromium from reaching out to a network this machine does not have. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

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
