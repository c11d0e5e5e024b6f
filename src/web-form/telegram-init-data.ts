import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * A Telegram Web App's `initData` (the query string Telegram hands the page it opens), checked
 * as Telegram documents it (core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app):
 * the hash is HMAC-SHA256 of the sorted "key=value" lines, keyed by HMAC-SHA256("WebAppData", bot token),
 * and `auth_date` must be recent. Written here because it is twenty lines and grammY ships no helper.
 */
export type InitDataCheck = { ok: true; userId: string; authDate: Date } | { ok: false; reason: "malformed" | "bad_hash" | "expired" | "no_user" };

export function verifyInitData(initData: string, botToken: string, now: Date, maxAgeSeconds: number): InitDataCheck {
  if (initData.length === 0 || initData.length > 8192) return { ok: false, reason: "malformed" };
  const params = new URLSearchParams(initData);
  const hash = params.get("hash");
  if (!hash || !/^[0-9a-f]{64}$/.test(hash)) return { ok: false, reason: "malformed" };
  const lines = [...params.entries()]
    .filter(([k]) => k !== "hash")
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const secret = createHmac("sha256", "WebAppData").update(botToken).digest();
  const expected = createHmac("sha256", secret).update(lines.join("\n")).digest();
  if (!timingSafeEqual(expected, Buffer.from(hash, "hex"))) return { ok: false, reason: "bad_hash" };
  const authSeconds = Number(params.get("auth_date"));
  if (!Number.isInteger(authSeconds) || authSeconds <= 0) return { ok: false, reason: "malformed" };
  const age = now.getTime() / 1000 - authSeconds;
  // A little slack for a phone whose clock runs ahead of ours.
  if (age > maxAgeSeconds || age < -300) return { ok: false, reason: "expired" };
  let userId: unknown;
  try {
    userId = (JSON.parse(params.get("user") ?? "null") as { id?: unknown } | null)?.id;
  } catch {
    return { ok: false, reason: "malformed" };
  }
  if (typeof userId !== "number" && typeof userId !== "string") return { ok: false, reason: "no_user" };
  return { ok: true, userId: String(userId), authDate: new Date(authSeconds * 1000) };
}

/** The same signature as Telegram makes it: for tests and the fake Bot API, never used to accept anything. */
export function signInitData(fields: Record<string, string>, botToken: string): string {
  const lines = Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const secret = createHmac("sha256", "WebAppData").update(botToken).digest();
  const hash = createHmac("sha256", secret).update(lines.join("\n")).digest("hex");
  return new URLSearchParams({ ...fields, hash }).toString();
}
