import { and, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { unitMappings, units } from "../db/schema/index.js";
import { readTable, type TableRow } from "./csv.js";
import type { ImportReport, RejectedRow } from "./import-report.js";

/**
 * The official trees (before and after the 1/7/2025 reform), and the demo tree: a province and
 * communes of its own for the simulator's demo officers (src/directory/demo.ts), never an
 * official unit, so every rule that compares schemes keeps the demo world apart.
 */
export type Scheme = "pre2025" | "post2025" | "demo";
export type OfficialScheme = Exclude<Scheme, "demo">;
export const DEMO_SCHEME: Extract<Scheme, "demo"> = "demo";
export type UnitLevel = "province" | "district" | "commune";
export type Unit = typeof units.$inferSelect;

/**
 * What status and consolidation are asked about: a unit of the tree, or the whole country (the
 * ministry's view), whose children are the provinces. The country is not a row of `units`.
 */
export type ReportRoot = Omit<Unit, "level"> & { level: UnitLevel | "country" };

/** The code that asks for the whole country ("VN"): unit codes are digits, so it cannot collide. */
export const NATIONAL_CODE = "VN";

/** The whole country in one scheme: the empty path lies above every province's. */
export function nationalRoot(scheme: Scheme): ReportRoot {
  return {
    id: 0,
    scheme,
    code: NATIONAL_CODE,
    name: "Toàn quốc",
    level: "country",
    parentId: null,
    parentCode: null,
    path: "",
    validFrom: null,
    validTo: null,
    updatedAt: new Date(0),
  };
}

/** How many path segments lie above the root's children (0 for the country, whose children are provinces). */
export const rootDepth = (root: Pick<Unit, "path">): number => (root.path === "" ? 0 : root.path.split(".").length);

const SCHEME_VALIDITY: Record<Scheme, { validFrom: string | null; validTo: string | null }> = {
  pre2025: { validFrom: null, validTo: "2025-06-30" },
  post2025: { validFrom: "2025-07-01", validTo: null },
  demo: { validFrom: null, validTo: null },
};

const LEVEL_DIGITS: Record<UnitLevel, number> = { province: 2, district: 3, commune: 5 };

/** Which kind of unit file this is, recognised by its header. */
export type UnitFileKind = "units" | "mapping" | "province-mapping" | "renames";

export function detectUnitFile(header: string[]): UnitFileKind | undefined {
  const h = new Set(header);
  if (h.has("old_code") && h.has("new_code") && h.has("new_province_code")) return "mapping";
  if (h.has("old_code") && h.has("new_code")) return "province-mapping";
  if (h.has("name_from_2026_04_30")) return "renames";
  if (h.has("code") && h.has("name") && h.has("level")) return "units";
  return undefined;
}

export function createUnitDirectory(deps: { db: DbOrTx }) {
  const { db } = deps;

  /** Imports any of the official unit files; the file kind is recognised by its header. */
  async function importFile(content: Buffer, fileName: string, scheme?: Scheme): Promise<ImportReport & { kind: UnitFileKind }> {
    const { header, rows } = await readTable(content, fileName);
    const kind = detectUnitFile(header);
    if (!kind) {
      throw new ImportFileError("Không nhận ra tệp: cần cột code,name,level,parent_code (danh mục đơn vị) hoặc old_code,new_code (bảng chuyển đổi).");
    }
    if (kind === "units") {
      if (!scheme) throw new ImportFileError("Cần chọn hệ mã: --scheme pre2025 hoặc --scheme post2025.");
      return { kind, ...(await importUnits(rows, scheme)) };
    }
    if (kind === "mapping") return { kind, ...(await importMapping(rows)) };
    if (kind === "renames") return { kind, ...(await importRenames(rows)) };
    // Province mapping: the commune mapping already tells which new province each commune joined.
    return { kind, imported: 0, rejected: [{ line: 1, reason: "bảng chuyển đổi cấp tỉnh chỉ để tham khảo, không cần nhập" }] };
  }

  async function importUnits(rows: TableRow[], scheme: Scheme): Promise<ImportReport> {
    const rejected: RejectedRow[] = [];
    const byCode = new Map<string, { code: string; name: string; level: UnitLevel; parentCode: string | null; line: number }>();
    for (const { line, cells } of rows) {
      const code = cells.code ?? "";
      const name = cells.name ?? "";
      const level = cells.level as UnitLevel;
      const parentCode = cells.parent_code || null;
      if (!(level in LEVEL_DIGITS)) {
        rejected.push({ line, reason: `cấp "${cells.level}" không hợp lệ (province, district hoặc commune)` });
        continue;
      }
      if (scheme === "post2025" && level === "district") {
        rejected.push({ line, reason: "sau 01/7/2025 không còn cấp huyện" });
        continue;
      }
      if (!new RegExp(`^\\d{${LEVEL_DIGITS[level]}}$`).test(code)) {
        rejected.push({ line, reason: `mã "${code}" phải có ${LEVEL_DIGITS[level]} chữ số cho cấp ${level}` });
        continue;
      }
      if (!name) {
        rejected.push({ line, reason: "thiếu tên đơn vị" });
        continue;
      }
      if (level !== "province" && !parentCode) {
        rejected.push({ line, reason: "thiếu mã đơn vị cấp trên (parent_code)" });
        continue;
      }
      if (byCode.has(code)) {
        rejected.push({ line, reason: `mã ${code} trùng với dòng ${byCode.get(code)!.line}` });
        continue;
      }
      byCode.set(code, { code, name, level, parentCode, line });
    }

    // Paths need the whole file: a commune's path is its district's path plus its own code.
    const paths = new Map<string, string>();
    const existing = await db.select({ code: units.code, path: units.path }).from(units).where(eq(units.scheme, scheme));
    const existingPaths = new Map(existing.map((u) => [u.code, u.path]));
    const pathOf = (code: string, seen = new Set<string>()): string | undefined => {
      const known = paths.get(code);
      if (known) return known;
      const row = byCode.get(code);
      if (!row) return existingPaths.get(code);
      if (seen.has(code)) return undefined;
      seen.add(code);
      const parentPath = row.parentCode ? pathOf(row.parentCode, seen) : "";
      if (parentPath === undefined) return undefined;
      const path = parentPath ? `${parentPath}.${code}` : code;
      paths.set(code, path);
      return path;
    };
    const good: (typeof units.$inferInsert)[] = [];
    for (const row of byCode.values()) {
      const path = pathOf(row.code);
      if (!path) {
        rejected.push({ line: row.line, reason: `không tìm thấy đơn vị cấp trên ${row.parentCode}` });
        continue;
      }
      good.push({ scheme, code: row.code, name: row.name, level: row.level, parentCode: row.parentCode, path, ...SCHEME_VALIDITY[scheme] });
    }

    await db.transaction(async (tx) => {
      for (let i = 0; i < good.length; i += 2000) {
        await tx
          .insert(units)
          .values(good.slice(i, i + 2000))
          .onConflictDoUpdate({
            target: [units.scheme, units.code],
            set: {
              name: sql`excluded.name`,
              level: sql`excluded.level`,
              parentCode: sql`excluded.parent_code`,
              path: sql`excluded.path`,
              validFrom: sql`excluded.valid_from`,
              validTo: sql`excluded.valid_to`,
              updatedAt: sql`now()`,
            },
            // Re-importing the same file rewrites nothing.
            setWhere: sql`(${units.name}, ${units.level}, ${units.parentCode}, ${units.path}) is distinct from (excluded.name, excluded.level, excluded.parent_code, excluded.path)`,
          });
      }
      await tx.execute(sql`
        update ${units} c set parent_id = p.id
        from ${units} p
        where c.scheme = ${scheme} and p.scheme = ${scheme} and p.code = c.parent_code
          and c.parent_id is distinct from p.id`);
    });
    rejected.sort((a, b) => a.line - b.line);
    return { imported: good.length, rejected };
  }

  async function importMapping(rows: TableRow[]): Promise<ImportReport> {
    const rejected: RejectedRow[] = [];
    const good: (typeof unitMappings.$inferInsert)[] = [];
    const seen = new Set<string>();
    for (const { line, cells } of rows) {
      const coverage = cells.coverage;
      if (!/^\d{3,5}$/.test(cells.old_code ?? "") || !/^\d{5}$/.test(cells.new_code ?? "")) {
        rejected.push({ line, reason: "mã cũ hoặc mã mới không hợp lệ" });
        continue;
      }
      if (coverage !== "full" && coverage !== "partial") {
        rejected.push({ line, reason: `phạm vi "${coverage}" phải là full hoặc partial` });
        continue;
      }
      const key = `${cells.old_code}>${cells.new_code}`;
      if (seen.has(key)) {
        rejected.push({ line, reason: `trùng cặp ${cells.old_code} → ${cells.new_code}` });
        continue;
      }
      seen.add(key);
      good.push({
        oldCode: cells.old_code!,
        oldName: cells.old_name ?? "",
        oldLevel: cells.old_level ?? "commune",
        newCode: cells.new_code!,
        newName: cells.new_name ?? "",
        coverage,
      });
    }
    await db.transaction(async (tx) => {
      for (let i = 0; i < good.length; i += 2000) {
        await tx
          .insert(unitMappings)
          .values(good.slice(i, i + 2000))
          .onConflictDoUpdate({
            target: [unitMappings.oldCode, unitMappings.newCode],
            set: { oldName: sql`excluded.old_name`, newName: sql`excluded.new_name`, coverage: sql`excluded.coverage`, oldLevel: sql`excluded.old_level` },
          });
      }
    });
    return { imported: good.length, rejected };
  }

  /** Renames that take effect later (30/04/2026: Đồng Nai becomes a city, 10 xã become phường). */
  async function importRenames(rows: TableRow[]): Promise<ImportReport> {
    const rejected: RejectedRow[] = [];
    let imported = 0;
    await db.transaction(async (tx) => {
      for (const { line, cells } of rows) {
        const updated = await tx
          .update(units)
          .set({ name: cells.name_from_2026_04_30!, updatedAt: sql`now()` })
          .where(and(eq(units.scheme, "post2025"), eq(units.code, cells.code ?? "")))
          .returning({ id: units.id });
        if (updated.length === 0) rejected.push({ line, reason: `không có đơn vị post2025 mã ${cells.code}` });
        else imported++;
      }
    });
    return { imported, rejected };
  }

  return { importFile, importUnits };
}

export class ImportFileError extends Error {
  override name = "ImportFileError";
}

export async function findUnit(db: DbOrTx, scheme: Scheme, code: string): Promise<Unit | undefined> {
  const [u] = await db
    .select()
    .from(units)
    .where(and(eq(units.scheme, scheme), eq(units.code, code)));
  return u;
}

/** The chain from the province down to the unit, for "Xã X, Huyện Y, Tỉnh Z". */
export async function ancestorsOf(db: DbOrTx, unit: Unit): Promise<Unit[]> {
  const codes = unit.path.split(".");
  const rows = await db
    .select()
    .from(units)
    .where(and(eq(units.scheme, unit.scheme), inArray(units.code, codes)));
  return codes.map((c) => rows.find((r) => r.code === c)).filter((u): u is Unit => u !== undefined);
}

/** Where a pre-2025 commune's history continues after the reform. */
export async function successorsOf(db: DbOrTx, oldCode: string) {
  return db.select().from(unitMappings).where(eq(unitMappings.oldCode, oldCode));
}
