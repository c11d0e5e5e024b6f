import { and, sql, type Column, type SQL } from "drizzle-orm";
import { AppError } from "./app-error.js";

/**
 * The one rule of who sees what: an officer's scope is their unit's subtree in its tree of units.
 *
 * A unit sits at a dotted path of codes ("12.106.03394": province, district, commune) in one of the
 * trees (`scheme`: before or after the 1/7/2025 reform, or the demo world). Codes are reused
 * between trees (Lai Châu is "12" in both), so a path alone never says which tree a unit is in;
 * and a path is a prefix of its descendants' only up to a dot ("12.1" is not the parent of
 * "12.10"). The empty path is the whole country of a tree (admins).
 */
export interface Placed {
  scheme: string;
  path: string;
}

export type Scope = Readonly<Placed>;

export const scopeOf = (unit: Placed): Scope => ({ scheme: unit.scheme, path: unit.path });
export const wholeCountry = (scheme: string): Scope => ({ scheme, path: "" });

/** `path` is `root` or below it (paths of one tree; "" holds every path). */
export function pathWithin(root: string, path: string): boolean {
  return root === "" || path === root || path.startsWith(`${root}.`);
}

/** The unit is in the scope: the same tree, and the scope's unit itself or below it. */
export function contains(scope: Placed, unit: Placed): boolean {
  return scope.scheme === unit.scheme && pathWithin(scope.path, unit.path);
}

/** The unit is below the scope's own unit (a supervisor's communes, not their own office). */
export function strictlyBelow(scope: Placed, unit: Placed): boolean {
  return contains(scope, unit) && unit.path !== scope.path;
}

/**
 * SQL: the row's (scheme, path) columns are in the scope — one range of the
 * (scheme, path text_pattern_ops) index. Pass `{ path }` alone where the tree is already fixed.
 */
export function inScopeSql(scope: Placed, cols: { scheme?: Column | SQL; path: Column | SQL }): SQL {
  const tree = cols.scheme ? sql`${cols.scheme} = ${scope.scheme}` : undefined;
  const below = scope.path === "" ? undefined : sql`(${cols.path} = ${scope.path} or ${cols.path} like ${scope.path} || '.%')`;
  return and(tree, below) ?? sql`true`;
}

/** SQL twin of `strictlyBelow`. */
export function belowScopeSql(scope: Placed, cols: { scheme?: Column | SQL; path: Column | SQL }): SQL {
  return and(inScopeSql(scope, cols), sql`${cols.path} <> ${scope.path}`)!;
}

/**
 * The unit when it is in the scope; otherwise `not_found`, exactly as for a unit that does not
 * exist: a stranger learns nothing of what lies outside their subtree (404, never 403).
 */
export function withinOrNotFound<T extends Placed>(scope: Placed, unit: T | undefined | null, what = "đơn vị"): T {
  if (!unit || !contains(scope, unit)) throw new AppError("not_found", `Không tìm thấy ${what}.`);
  return unit;
}
