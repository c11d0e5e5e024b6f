import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "../../src/db/client.js";
import { createUnitDirectory } from "../../src/directory/units.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";

export const UNITS_DIR = join(import.meta.dirname, "..", "..", "seed", "vn-admin-units");

/** Lai Châu's part of the official lists: small enough for every test, real codes and names. */
export function laiChauUnits(scheme: "pre2025" | "post2025"): Buffer {
  const lines = readFileSync(join(UNITS_DIR, `${scheme}_units.csv`), "utf8").trim().split("\n");
  const header = lines[0]!;
  const keep = new Set(["12"]);
  const out = [header];
  // Rows are parent-first in the official files, so one pass collects the subtree.
  for (const line of lines.slice(1)) {
    const [code, , , parent] = line.split(",");
    if (keep.has(code!) || keep.has(parent!)) {
      keep.add(code!);
      out.push(line);
    }
  }
  return Buffer.from(out.join("\n") + "\n");
}

export async function loadLaiChau(database: Database, scheme: "pre2025" | "post2025" = "post2025") {
  await createUnitDirectory({ db: database.db }).importFile(laiChauUnits(scheme), `${scheme}.csv`, scheme);
}

export async function addOfficers(database: Database, csv: string) {
  return createOfficerDirectory({ db: database.db, clock: () => new Date(), inviteTtlHours: 72 }).importFile(Buffer.from(csv), "officers.csv");
}
