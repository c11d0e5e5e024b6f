import { eq } from "drizzle-orm";
import { reportTemplates, units } from "../db/schema/index.js";
import type { ServiceContext } from "../directory/actor.js";
import { contains } from "../domain/scope.js";
import { mayRequest } from "./create-request.js";

export interface RequestableTemplate {
  id: string;
  name: string;
}

/**
 * The periodic templates an asker may send as a one-off request: the national ones, those of a
 * unit above them (their province's appendix) and those of their own subtree — the same rule
 * createRequest checks.
 */
export async function requestableTemplates(ctx: ServiceContext): Promise<RequestableTemplate[]> {
  mayRequest(ctx);
  const rows = await ctx.db
    .select({ id: reportTemplates.id, name: reportTemplates.name, scheme: units.scheme, path: units.path })
    .from(reportTemplates)
    .leftJoin(units, eq(units.id, reportTemplates.scopeUnitId))
    .where(eq(reportTemplates.kind, "periodic"))
    .orderBy(reportTemplates.name);
  const { scope } = ctx.actor;
  return rows
    .filter(
      (t) => t.scheme === null || t.path === null || contains({ scheme: t.scheme, path: t.path }, scope) || contains(scope, { scheme: t.scheme, path: t.path }),
    )
    .map((t) => ({ id: t.id, name: t.name }));
}
