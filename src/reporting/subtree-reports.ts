import { and, eq, inArray, sql, type Column, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { submissions, units } from "../db/schema/index.js";
import { rootDepth, type ReportRoot, type Unit } from "../directory/units.js";
import type { Period } from "./reporting-calendar.js";
import { inScopeSql } from "../domain/scope.js";

/**
 * The SQL pieces the status view and the consolidation share: a unit's subtree, the child of the
 * root each unit falls under, and the one report of a unit for a period.
 */

/** Reports that count in totals: submitted, whether or not approved yet. */
export const COUNTED = ["submitted", "approved"] as const;
export const isCounted = (status: string | null | undefined): boolean => status === "submitted" || status === "approved";

/** `path` is the root's or below it (the one rule, src/domain/scope.ts; the tree is fixed by the caller). */
export const inSubtree = (path: Column, root: Pick<Unit, "path">): SQL => inScopeSql({ scheme: "", path: root.path }, { path });

/**
 * The code of the root's child that a unit falls under: the path segment just below the root
 * ('' for the root itself). A literal depth, not a parameter: GROUP BY must see the
 * same expression as SELECT.
 */
export const childCodeExpr = (root: Pick<Unit, "path">): SQL<string> => sql<string>`split_part(${units.path}, '.', ${sql.raw(String(rootDepth(root) + 1))})`;

/**
 * The unit's report for the period, as a lateral subquery of `units`. There is at most one (unique
 * index on period and unit); asking per unit lets a subtree probe that index instead of hashing
 * every report of the period, which is what the planner does with a plain join on a busy period.
 */
export function reportOf(db: DbOrTx, periodId: number, statuses?: readonly (typeof submissions.$inferSelect)["status"][]) {
  return db
    .select({ submissionId: submissions.id, status: submissions.status, late: submissions.late, submittedAt: submissions.submittedAt })
    .from(submissions)
    .where(and(eq(submissions.unitId, units.id), eq(submissions.periodId, periodId), statuses ? inArray(submissions.status, [...statuses]) : undefined))
    .limit(1)
    .as("report");
}

export interface SubtreeReport {
  code: string;
  name: string;
  path: string;
  level: Unit["level"];
  submissionId: number | null;
  status: (typeof submissions.$inferSelect)["status"] | null;
  late: boolean | null;
  submittedAt: Date | null;
}

/** Every unit of the root's subtree (the root included) with its report for the period, if any. */
export async function subtreeReports(db: DbOrTx, period: Pick<Period, "id">, root: ReportRoot): Promise<SubtreeReport[]> {
  const report = reportOf(db, period.id);
  return db
    .select({
      code: units.code,
      name: units.name,
      path: units.path,
      level: units.level,
      submissionId: report.submissionId,
      status: report.status,
      late: report.late,
      submittedAt: report.submittedAt,
    })
    .from(units)
    .leftJoinLateral(report, sql`true`)
    .where(and(eq(units.scheme, root.scheme), inSubtree(units.path, root)));
}

/** The root's children in the tree: the units one level below it. */
export async function childrenOf(db: DbOrTx, root: ReportRoot): Promise<Pick<Unit, "code" | "name" | "level">[]> {
  const below =
    root.path === "" ? sql`${units.level} = 'province'` : sql`${units.path} like ${root.path} || '.%' and ${units.path} not like ${root.path} || '.%.%'`;
  return db
    .select({ code: units.code, name: units.name, level: units.level })
    .from(units)
    .where(and(eq(units.scheme, root.scheme), below));
}

/** The code of the root's child that a unit (by its path) falls under; undefined for the root itself. */
export const childCodeOfPath = (root: Pick<Unit, "path">) => {
  const depth = rootDepth(root);
  return (path: string): string | undefined => path.split(".")[depth];
};

/** `column = any($1)`: one array parameter, whatever the number of ids (IN would take one each). */
export const anyOf = (column: Column, ids: number[]): SQL => sql`${column} = any(${sql.param(ids)}::int[])`;
