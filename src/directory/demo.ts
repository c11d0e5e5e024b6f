import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { count, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { officers, units } from "../db/schema/index.js";
import { createUnitDirectory, findUnit } from "./units.js";

export const bundledUnitsDir = fileURLToPath(new URL("../../seed/vn-admin-units/", import.meta.url));

/** Demo officers in Lai Châu (post-2025 tree): what a newcomer meets in the simulator. */
const DEMO_OFFICERS = [
  { name: "Nguyễn Thị Mai", phone: "84900000001", role: "commune" as const, unit: "03388" },
  { name: "Lò Văn Sáng", phone: "84900000002", role: "commune" as const, unit: "03390" },
  { name: "Tẩn Thị Hoa", phone: "84900000003", role: "commune" as const, unit: "03405" },
  { name: "Trần Văn Bình", phone: "84900000004", role: "province" as const, unit: "12" },
];

/**
 * Creates the demo data: the official post-2025 unit list (if no units are loaded yet) and a few
 * demo officers. Idempotent. Returns what it did, in Vietnamese.
 */
export async function seedDemo(db: Db): Promise<string> {
  const lines: string[] = [];
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(units);
  if (n === 0) {
    const dir = createUnitDirectory({ db });
    const r = await dir.importFile(await readFile(`${bundledUnitsDir}post2025_units.csv`), "post2025_units.csv", "post2025");
    lines.push(`Đã nhập ${r.imported} đơn vị hành chính (sau 01/7/2025).`);
  }
  for (const o of DEMO_OFFICERS) {
    const unit = await findUnit(db, "post2025", o.unit);
    if (!unit) continue;
    await db
      .insert(officers)
      .values({ name: o.name, phone: o.phone, role: o.role, unitId: unit.id, demo: true })
      .onConflictDoUpdate({ target: officers.phone, set: { demo: true, active: true, updatedAt: sql`now()` } });
  }
  lines.push(`Cán bộ mẫu: ${DEMO_OFFICERS.map((o) => o.name).join(", ")} (tỉnh Lai Châu). Mở /simulator để thử.`);
  return lines.join("\n");
}

/** True when nothing has been loaded yet: the first start of a fresh install. */
export async function isEmpty(db: Db): Promise<boolean> {
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(officers);
  return n === 0;
}
