import { createHash, randomBytes } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { and, eq, gt } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { auditLog, officers, webSessions } from "../db/schema/index.js";
import type { Officer } from "../directory/officers.js";
import { SESSION_COOKIE, setFlash, takeFlash } from "./flash.js";

const COOKIE = SESSION_COOKIE;
const SESSION_HOURS = 12;
export const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Server-side sessions shared by the web pages and the JSON API: the cookie holds a random id
 * (HttpOnly, SameSite=Lax, Secure behind https), the database only its hash.
 */
export function createSessions(deps: { db: Db; clock: () => Date; publicUrl?: string }) {
  const { db, clock } = deps;
  // From configuration, not from a request header a client could send.
  const secure = (_c: Context) => (deps.publicUrl ?? "").startsWith("https://");

  return {
    async officer(c: Context): Promise<Officer | undefined> {
      const id = getCookie(c, COOKIE);
      if (!id) return undefined;
      const [row] = await db
        .select({ officer: officers })
        .from(webSessions)
        .innerJoin(officers, eq(officers.id, webSessions.officerId))
        .where(and(eq(webSessions.idHash, sha256(id)), gt(webSessions.expiresAt, clock()), eq(officers.active, true)));
      return row?.officer;
    },
    async start(c: Context, officerId: number): Promise<void> {
      const id = randomBytes(32).toString("base64url");
      // The sign-in and its audit row stand or fall together.
      await db.transaction(async (tx) => {
        await tx.insert(webSessions).values({ idHash: sha256(id), officerId, expiresAt: new Date(clock().getTime() + SESSION_HOURS * 3_600_000) });
        await tx.insert(auditLog).values({ actor: `officer:${officerId}`, action: "signin", target: "web" });
      });
      setCookie(c, COOKIE, id, { httpOnly: true, sameSite: "Lax", secure: secure(c), path: "/", maxAge: SESSION_HOURS * 3600 });
    },
    /** The message the next page shows after this action (see flash.ts). */
    flash(c: Context, text: string, kind: "ok" | "error" = "ok"): void {
      setFlash(c, text, kind, secure(c));
    },
    takeFlash,
    async end(c: Context): Promise<void> {
      const id = getCookie(c, COOKIE);
      if (id) await db.delete(webSessions).where(eq(webSessions.idHash, sha256(id)));
      deleteCookie(c, COOKIE, { path: "/" });
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
