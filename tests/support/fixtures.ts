import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import type { Database } from "../../src/db/client.js";
import { channelLinks, officers } from "../../src/db/schema/index.js";
import { createUnitDirectory } from "../../src/directory/units.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";

export const UNITS_DIR = join(import.meta.dirname, "..", "..", "seed", "vn-admin-units");

/** One province's part of the official lists: small enough for every test, real codes and names. */
export function provinceUnits(scheme: "pre2025" | "post2025", provinceCode: string): Buffer {
  const lines = readFileSync(join(UNITS_DIR, `${scheme}_units.csv`), "utf8")
    .trim()
    .split("\n");
  const header = lines[0]!;
  const keep = new Set([provinceCode]);
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

export const laiChauUnits = (scheme: "pre2025" | "post2025") => provinceUnits(scheme, "12");

export async function loadProvince(database: Database, scheme: "pre2025" | "post2025", code: string) {
  await createUnitDirectory({ db: database.db }).importFile(provinceUnits(scheme, code), `${scheme}.csv`, scheme);
}

export async function loadLaiChau(database: Database, scheme: "pre2025" | "post2025" = "post2025") {
  await loadProvince(database, scheme, "12");
}

/** Links an officer (by phone) to a chat on a channel, as if they had used an invite. */
export async function linkOfficer(database: Database, phone: string, channel: "telegram" | "zalo_bot" | "zalo_oa", chatId: string, preferred = true) {
  const [o] = await database.db.select().from(officers).where(eq(officers.phone, phone));
  await database.db.insert(channelLinks).values({ officerId: o!.id, channel, externalId: chatId, chatId, preferred });
  return o!;
}

export async function addOfficers(database: Database, csv: string) {
  return createOfficerDirectory({ db: database.db, clock: () => new Date(), inviteTtlHours: 72 }).importFile(Buffer.from(csv), "officers.csv");
}

/** The 2025 reform's old → new commune mapping for one new province (a slice of the official file). */
export async function loadMapping(database: Database, newProvinceCode: string) {
  const lines = readFileSync(join(UNITS_DIR, "old_to_new_2025.csv"), "utf8").trim().split("\n");
  const rows = lines.slice(1).filter((l) => l.split(",")[5] === newProvinceCode);
  await createUnitDirectory({ db: database.db }).importFile(Buffer.from([lines[0], ...rows].join("\n") + "\n"), "old_to_new_2025.csv");
}
