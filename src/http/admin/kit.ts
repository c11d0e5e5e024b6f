import type { Context } from "hono";
import { and, eq } from "drizzle-orm";
import { contains, type Scope } from "../../domain/scope.js";
import { officerActor, type Actor } from "../../directory/actor.js";
import type { Db } from "../../db/client.js";
import { units } from "../../db/schema/index.js";
import type { Officer } from "../../directory/officers.js";
import type { Unit } from "../../directory/units.js";
import { notFoundPage } from "./refused.js";
import type { Sessions } from "../sessions.js";

/** A signed-in officer who supervises a subtree (district, province or admin), with their unit and scope. */
export interface Supervisor {
  officer: Officer;
  own: Unit;
  /** The same officer as use cases take it (src/directory/actor.ts). */
  actor: Actor;
  /** Their unit's subtree; the whole country of the tree for an admin. */
  scope: Scope;
}

export function createAdminKit(deps: { db: Db; sessions: Sessions }) {
  const { db } = deps;

  /**
   * The officer behind the request when they supervise a subtree; otherwise the response to
   * send (sign-in redirect, or 404 for a commune officer — the pages do not exist for them).
   */
  async function supervisor(c: Context): Promise<Supervisor | Response> {
    const officer = await deps.sessions.officer(c);
    if (!officer) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
    if (officer.role === "commune") return notFoundPage(c);
    const [own] = await db.select().from(units).where(eq(units.id, officer.unitId));
    if (!own) return notFoundPage(c);
    const actor = officerActor(officer, own);
    return { officer, own, actor, scope: actor.scope };
  }

  /** The unit with this code in the signed-in subtree (own scheme), or undefined. */
  async function unitBelow(s: Supervisor, code: string | undefined): Promise<Unit | undefined> {
    if (!code) return s.own;
    const [u] = await db
      .select()
      .from(units)
      .where(and(eq(units.scheme, s.own.scheme), eq(units.code, code)));
    return u && contains(s.own, u) ? u : undefined;
  }

  return { supervisor, unitBelow };
}

export type AdminKit = ReturnType<typeof createAdminKit>;
