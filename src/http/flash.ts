import { createHmac, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

const COOKIE = "baocao_flash";
/** The session cookie (sessions.ts), whose secret id signs a flash. */
export const SESSION_COOKIE = "baocao_session";

export interface FlashMessage {
  text: string;
  kind?: "ok" | "error";
}

// Signed with the session cookie's own secret id, which only this browser and the server know: a
// flash planted by another site or a sibling domain does not verify and is not shown. No server
// secret to configure, and any instance can read it.
const sign = (sessionId: string, body: string) => createHmac("sha256", sessionId).update(body).digest("base64url");

/** Shows `text` on the next page this browser opens (after the redirect of a form post). */
export function setFlash(c: Context, text: string, kind: "ok" | "error" = "ok", secure = false): void {
  const sessionId = getCookie(c, SESSION_COOKIE);
  if (!sessionId) return;
  const body = Buffer.from(JSON.stringify({ text, kind }), "utf8").toString("base64url");
  setCookie(c, COOKIE, `${body}.${sign(sessionId, body)}`, { httpOnly: true, sameSite: "Lax", secure, path: "/", maxAge: 120 });
}

/** The flash set by the previous action, once: reading it clears it. */
export function takeFlash(c: Context): FlashMessage | undefined {
  const cookie = getCookie(c, COOKIE);
  if (!cookie) return undefined;
  deleteCookie(c, COOKIE, { path: "/" });
  const sessionId = getCookie(c, SESSION_COOKIE);
  const [body, mac] = cookie.split(".");
  if (!sessionId || !body || !mac) return undefined;
  const expected = Buffer.from(sign(sessionId, body));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { text?: unknown; kind?: unknown };
    if (typeof v.text !== "string") return undefined;
    return { text: v.text.slice(0, 500), kind: v.kind === "error" ? "error" : "ok" };
  } catch {
    return undefined;
  }
}
