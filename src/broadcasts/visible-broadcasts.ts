import { and, count, desc, eq, inArray } from "drizzle-orm";
import { broadcastRecipients, broadcasts, units } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { contains, type Scope } from "../domain/scope.js";
import type { ServiceContext } from "../directory/actor.js";
import type { DbOrTx } from "../db/client.js";
import type { Broadcast } from "./broadcasts.js";

/** The directives a scope may see: those whose audience lies in it (national ones: the whole country). */
async function visibleOf(db: DbOrTx, scope: Scope, rows: Broadcast[]): Promise<Broadcast[]> {
  const codes = [...new Set(rows.map((b) => b.audience.rootCode).filter((c): c is string => !!c))];
  const roots = codes.length
    ? await db
        .select()
        .from(units)
        .where(and(eq(units.scheme, scope.scheme as Broadcast["audience"]["scheme"]), inArray(units.code, codes)))
    : [];
  return rows.filter((b) => {
    if (b.audience.scheme !== scope.scheme) return false;
    if (!b.audience.rootCode) return scope.path === "";
    const root = roots.find((u) => u.code === b.audience.rootCode);
    return !!root && contains(scope, root);
  });
}

export interface BroadcastListItem {
  broadcast: Broadcast;
  recipients: number;
  acknowledged: number;
}

/** The latest directives the actor may see, with how many received and acknowledged each. */
export async function listBroadcasts(ctx: ServiceContext, limit = 200): Promise<BroadcastListItem[]> {
  const mine = await visibleOf(ctx.db, ctx.actor.scope, await ctx.db.select().from(broadcasts).orderBy(desc(broadcasts.sendAt)).limit(limit));
  const tallies = mine.length
    ? await ctx.db
        .select({ id: broadcastRecipients.broadcastId, total: count(), acked: count(broadcastRecipients.ackAt) })
        .from(broadcastRecipients)
        .where(
          inArray(
            broadcastRecipients.broadcastId,
            mine.map((b) => b.id),
          ),
        )
        .groupBy(broadcastRecipients.broadcastId)
    : [];
  return mine.map((b) => {
    const t = tallies.find((x) => x.id === b.id);
    return { broadcast: b, recipients: t?.total ?? 0, acknowledged: t?.acked ?? 0 };
  });
}

/** The directive when the actor may see it; otherwise not_found, as for one that does not exist. */
export async function broadcastInScope(ctx: ServiceContext, id: number): Promise<Broadcast> {
  const rows = Number.isSafeInteger(id) && id > 0 && id < 2 ** 31 ? await ctx.db.select().from(broadcasts).where(eq(broadcasts.id, id)) : [];
  const [b] = await visibleOf(ctx.db, ctx.actor.scope, rows);
  if (!b) throw new AppError("not_found", "Không tìm thấy văn bản.");
  return b;
}
