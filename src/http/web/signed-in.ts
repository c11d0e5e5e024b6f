import type { Context, MiddlewareHandler } from "hono";
import { eq } from "drizzle-orm";
import { units } from "../../db/schema/index.js";
import { officerActor, type Actor, type ServiceContext } from "../../directory/actor.js";
import type { Officer } from "../../directory/officers.js";
import type { Unit } from "../../directory/units.js";
import { AppError } from "../../domain/app-error.js";
import type { FlashMessage } from "../flash.js";
import type { WebDeps } from "./deps.js";

/** What the officers' pages (dashboard, submissions) find in `c.var`: any signed-in officer, commune ones too. */
export type WebEnv = { Variables: { officer: Officer; own: Unit; actor: Actor; flash: FlashMessage | undefined } };

/**
 * The officers' pages sit behind this: no session → the sign-in page (a page asked for with GET
 * is opened again after; `next` names another), else the officer, their unit and their actor.
 */
export function signedIn(deps: Pick<WebDeps, "db" | "sessions">, next?: string): MiddlewareHandler<WebEnv> {
  return async (c, go) => {
    const officer = await deps.sessions.officer(c);
    if (!officer) return c.redirect(c.req.method === "GET" ? `/login?next=${encodeURIComponent(next ?? c.req.path)}` : "/login");
    const [own] = await deps.db.select().from(units).where(eq(units.id, officer.unitId));
    if (!own) throw new AppError("not_found", "Không tìm thấy đơn vị của tài khoản.");
    c.set("officer", officer);
    c.set("own", own);
    c.set("actor", officerActor(officer, own));
    c.set("flash", c.req.method === "GET" ? deps.sessions.takeFlash(c) : undefined);
    await go();
  };
}

/** The use cases' context for this request: the signed-in officer, the database, the time. */
export const serviceContext = (c: Context<WebEnv>, deps: Pick<WebDeps, "db" | "clock">): ServiceContext => ({
  actor: c.var.actor,
  db: deps.db,
  clock: deps.clock,
});
