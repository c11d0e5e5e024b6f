import { date, index, integer, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * Official administrative units (đơn vị hành chính). Codes are GSO strings with leading zeros and
 * are reused between the two schemes, so a unit is identified by (scheme, code).
 * - pre2025: tỉnh → huyện → xã (3 levels, until 30/6/2025)
 * - post2025: tỉnh → xã (2 levels, from 1/7/2025)
 * - demo: the simulator's own tỉnh → xã, never an official unit (src/directory/demo.ts)
 */
export const units = pgTable(
  "units",
  {
    id: serial("id").primaryKey(),
    scheme: text("scheme", { enum: ["pre2025", "post2025", "demo"] }).notNull(),
    code: text("code").notNull(),
    name: text("name").notNull(),
    level: text("level", { enum: ["province", "district", "commune"] }).notNull(),
    parentId: integer("parent_id"),
    parentCode: text("parent_code"),
    /** Materialised path of codes, e.g. "01.001.00001": a subtree is one prefix query. */
    path: text("path").notNull(),
    validFrom: date("valid_from"),
    validTo: date("valid_to"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("units_scheme_code_uq").on(t.scheme, t.code),
    // text_pattern_ops lets `path LIKE '01.001.%'` use the index whatever the collation.
    index("units_scheme_path_idx").using("btree", t.scheme, t.path.op("text_pattern_ops")),
    index("units_parent_idx").on(t.parentId),
  ],
);

/** How the 1/7/2025 reform merged old units into new ones (full or partial coverage). */
export const unitMappings = pgTable(
  "unit_mappings",
  {
    oldCode: text("old_code").notNull(),
    oldName: text("old_name").notNull(),
    oldLevel: text("old_level").notNull(),
    newCode: text("new_code").notNull(),
    newName: text("new_name").notNull(),
    coverage: text("coverage", { enum: ["full", "partial"] }).notNull(),
  },
  (t) => [uniqueIndex("unit_mappings_old_new_uq").on(t.oldCode, t.newCode), index("unit_mappings_new_idx").on(t.newCode)],
);
