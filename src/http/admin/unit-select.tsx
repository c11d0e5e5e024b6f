import { inScopeSql, type Placed } from "../../domain/scope.js";
import type { DbOrTx } from "../../db/client.js";
import { units } from "../../db/schema/index.js";
import type { UnitLevel } from "../../directory/units.js";

export interface UnitOption {
  code: string;
  name: string;
  level: UnitLevel;
  path: string;
}

/** The root and its subtree, in tree order, for a unit <select> (districts only when `maxLevel` says so). */
export async function unitOptionsOf(db: DbOrTx, root: Placed, maxLevel: "district" | "commune" = "commune"): Promise<UnitOption[]> {
  const rows = await db
    .select({ code: units.code, name: units.name, level: units.level, path: units.path })
    .from(units)
    .where(inScopeSql(root, units))
    .orderBy(units.path);
  return rows.filter((u) => maxLevel === "commune" || u.level !== "commune");
}

const INDENT: Record<UnitLevel, string> = { province: "", district: "— ", commune: "—— " };

/** Options for a unit <select>: each unit indented by its level, the chosen one selected. */
export function UnitOptions(props: { options: UnitOption[]; selected?: string | undefined }) {
  return (
    <>
      {props.options.map((u) => (
        <option value={u.code} selected={u.code === props.selected}>
          {INDENT[u.level]}
          {u.name} ({u.code})
        </option>
      ))}
    </>
  );
}
