import { and, asc, eq, inArray, ne, or, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { channelLinks, officers, units, type OfficerRole } from "../db/schema/index.js";
import { DEMO_SCHEME } from "../directory/units.js";
import { inScopeSql } from "../domain/scope.js";

export type { Audience } from "../db/schema/broadcasts.js";
import type { Audience } from "../db/schema/broadcasts.js";

export interface Recipient {
  officerId: number;
  name: string;
  unitId: number;
  channel: string;
  chatId: string;
}

/**
 * The officers of an audience with the channel to reach each on: the preferred linked channel,
 * else the most recently linked one. Officers with no linked channel are returned apart.
 */
export async function resolveRecipients(db: DbOrTx, audience: Audience): Promise<{ reachable: Recipient[]; unlinked: { officerId: number; name: string }[] }> {
  const roles = audience.roles && audience.roles.length > 0 ? inArray(officers.role, audience.roles) : undefined;
  if (audience.rootCode === undefined) return recipientsWhere(db, and(eq(units.scheme, audience.scheme), roles));
  const [root] = await db
    .select()
    .from(units)
    .where(and(eq(units.scheme, audience.scheme), eq(units.code, audience.rootCode)));
  if (!root) return { reachable: [], unlinked: [] };
  return recipientsWhere(db, and(inScopeSql(root, units), roles));
}

export async function recipientsOfUnits(db: DbOrTx, unitIds: number[], roles?: OfficerRole[]) {
  if (unitIds.length === 0) return { reachable: [], unlinked: [] };
  return recipientsWhere(db, and(inArray(officers.unitId, unitIds), roles ? inArray(officers.role, roles) : undefined));
}

async function recipientsWhere(db: DbOrTx, where: ReturnType<typeof and>) {
  const rows = await db
    .select({
      officerId: officers.id,
      name: officers.name,
      unitId: officers.unitId,
      channel: channelLinks.channel,
      chatId: channelLinks.chatId,
      preferred: channelLinks.preferred,
    })
    .from(officers)
    .innerJoin(units, eq(units.id, officers.unitId))
    // The simulator chat is readable by anyone who opens /simulator: only the demo tree is ever sent there.
    .leftJoin(channelLinks, and(eq(channelLinks.officerId, officers.id), or(ne(channelLinks.channel, "simulator"), eq(units.scheme, DEMO_SCHEME))))
    .where(and(eq(officers.active, true), where))
    .orderBy(asc(officers.id), sql`${channelLinks.preferred} desc nulls last`, sql`${channelLinks.linkedAt} desc nulls last`);
  const reachable: Recipient[] = [];
  const unlinked: { officerId: number; name: string }[] = [];
  const seen = new Set<number>();
  for (const r of rows) {
    if (seen.has(r.officerId)) continue;
    seen.add(r.officerId);
    if (r.channel && r.chatId) reachable.push({ officerId: r.officerId, name: r.name, unitId: r.unitId, channel: r.channel, chatId: r.chatId });
    else unlinked.push({ officerId: r.officerId, name: r.name });
  }
  return { reachable, unlinked };
}
