import type { MiddlewareHandler } from "hono";
import type { FlashMessage } from "../flash.js";
import type { Sessions } from "../sessions.js";
import type { AdminKit, Supervisor } from "./kit.js";

/** What an admin sub-app's handlers find in `c.var`: the signed-in supervisor and the last action's message. */
export type AdminEnv = { Variables: { supervisor: Supervisor; flash: FlashMessage | undefined } };

/**
 * Every admin page sits behind this: no session → the sign-in page (coming back here after);
 * a commune officer → 404, the pages do not exist for them.
 */
export function supervisorsOnly(kit: AdminKit, sessions: Sessions): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const s = await kit.supervisor(c);
    if (s instanceof Response) return s;
    c.set("supervisor", s);
    c.set("flash", c.req.method === "GET" ? sessions.takeFlash(c) : undefined);
    await next();
  };
}
