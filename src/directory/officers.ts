import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { channelLinks, inviteCodes, officers, units, type Channel, type OfficerRole } from "../db/schema/index.js";
import { normalizePhone } from "../domain/phone.js";
import { fold } from "../domain/text.js";
import { mapHeader, readTable } from "./csv.js";
import type { ImportReport, RejectedRow } from "./import-report.js";
import { ImportFileError, type Scheme, type Unit } from "./units.js";

export type Officer = typeof officers.$inferSelect;
/** The officer a chat message acts as: everything but the password hash, which chat never needs. */
export type ActingOfficer = Omit<Officer, "passwordHash">;

const HEADER_ALIASES = {
  name: ["name", "Họ và tên", "ho ten", "họ tên"],
  phone: ["phone", "Số điện thoại", "so dien thoai", "sđt", "điện thoại"],
  role: ["role", "Vai trò", "vai tro"],
  unitCode: ["unit_code", "Mã đơn vị", "ma don vi", "unit code"],
  scheme: ["scheme", "Hệ mã", "he ma"],
};

/** Roles as written in English or in Vietnamese on a roster ("Cán bộ xã", "huyện", "Quản trị"…). */
export function parseRole(input: string): OfficerRole | undefined {
  const f = fold(input);
  if (["commune", "xa", "can bo xa", "cap xa", "phuong", "xa/phuong"].includes(f)) return "commune";
  if (["district", "huyen", "can bo huyen", "cap huyen"].includes(f)) return "district";
  if (["province", "tinh", "can bo tinh", "cap tinh", "so"].includes(f)) return "province";
  if (["admin", "quan tri", "quan tri vien"].includes(f)) return "admin";
  return undefined;
}

export function parseScheme(input: string | undefined): Scheme | undefined {
  const f = fold(input ?? "");
  if (f === "" || f === "post2025" || f === "moi" || f === "sau 2025") return "post2025";
  if (f === "pre2025" || f === "cu" || f === "truoc 2025") return "pre2025";
  return undefined;
}

/** Which unit levels each role may belong to. */
const ROLE_LEVELS: Record<OfficerRole, string[]> = {
  commune: ["commune"],
  district: ["district"],
  province: ["province"],
  admin: ["province", "district", "commune"],
};

export function hashInviteCode(code: string): string {
  return createHash("sha256").update(code.trim().toUpperCase()).digest("hex");
}

// Crockford-style alphabet: no 0/O or 1/I/L to misread when typed from a paper slip.
const CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

function newInviteCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
}

export function createOfficerDirectory(deps: { db: Db; clock: () => Date; inviteTtlHours: number }) {
  const { db, clock } = deps;

  /**
   * Reads an officer list and writes the good rows in one transaction. `dryRun` only checks (the
   * web shows bad rows before anything is written); `within` refuses rows outside an admin's
   * subtree, and `allowAdminRole: false` rows that would create admins.
   */
  async function importFile(
    content: Buffer,
    fileName: string,
    opts: { dryRun?: boolean; within?: Pick<Unit, "scheme" | "path">; allowAdminRole?: boolean } = {},
  ): Promise<ImportReport & { good: { line: number; name: string; phone: string; role: OfficerRole; unitCode: string }[] }> {
    const { header, rows } = await readTable(content, fileName);
    const { columns, missing } = mapHeader(header, HEADER_ALIASES);
    const required = missing.filter((k) => k !== "scheme");
    if (required.length > 0) {
      throw new ImportFileError(
        `Thiếu cột: ${required.map((k) => HEADER_ALIASES[k][0]).join(", ")}. Dòng tiêu đề cần: name,phone,role,unit_code,scheme (hoặc Họ và tên,Số điện thoại,Vai trò,Mã đơn vị,Hệ mã).`,
      );
    }
    const cell = (cells: Record<string, string>, k: keyof typeof HEADER_ALIASES) => {
      const col = columns[k];
      return col ? (cells[col] ?? "") : "";
    };

    const allUnits = await db.select({ id: units.id, scheme: units.scheme, code: units.code, level: units.level, path: units.path }).from(units);
    const unitIndex = new Map(allUnits.map((u) => [`${u.scheme}:${u.code}`, u]));

    const rejected: RejectedRow[] = [];
    const byPhone = new Map<string, number>();
    const good: { line: number; name: string; phone: string; role: OfficerRole; unitId: number; unitCode: string }[] = [];
    for (const { line, cells } of rows) {
      const name = cell(cells, "name").replace(/\s+/g, " ");
      const phoneRaw = cell(cells, "phone");
      const roleRaw = cell(cells, "role");
      const unitCode = cell(cells, "unitCode");
      const schemeRaw = cell(cells, "scheme");
      const reasons: string[] = [];
      if (!name) reasons.push("thiếu họ và tên");
      const phone = normalizePhone(phoneRaw);
      if (!phone) reasons.push(`số điện thoại "${phoneRaw}" không hợp lệ`);
      const role = parseRole(roleRaw);
      if (!role) reasons.push(`vai trò "${roleRaw}" không hợp lệ (commune, district, province hoặc admin)`);
      const scheme = parseScheme(schemeRaw);
      if (!scheme) reasons.push(`hệ mã "${schemeRaw}" không hợp lệ (pre2025 hoặc post2025)`);
      // Spreadsheets drop leading zeros: "4" in a commune column is "00004".
      const unit = scheme ? findUnitByLooseCode(unitIndex, scheme, unitCode) : undefined;
      if (scheme && !unit) reasons.push(`không có đơn vị mã "${unitCode}" trong hệ mã ${scheme}`);
      if (unit && role && !ROLE_LEVELS[role].includes(unit.level)) {
        reasons.push(`vai trò ${role} không thuộc đơn vị cấp ${unit.level}`);
      }
      if (unit && opts.within && !(unit.scheme === opts.within.scheme && (unit.path === opts.within.path || unit.path.startsWith(`${opts.within.path}.`)))) {
        reasons.push(`đơn vị "${unitCode}" ngoài phạm vi quản lý của anh/chị`);
      }
      if (role === "admin" && opts.allowAdminRole === false) reasons.push("chỉ quản trị viên mới thêm được vai trò admin");
      if (phone && byPhone.has(phone)) reasons.push(`trùng số điện thoại với dòng ${byPhone.get(phone)}`);
      if (reasons.length > 0) {
        rejected.push({ line, reason: reasons.join("; ") });
        continue;
      }
      byPhone.set(phone!, line);
      good.push({ line, name, phone: phone!, role: role!, unitId: unit!.id, unitCode: unit!.code });
    }
    const report = { imported: good.length, rejected, good: good.map(({ line, name, phone, role, unitCode }) => ({ line, name, phone, role, unitCode })) };
    if (opts.dryRun) return report;

    await db.transaction(async (tx) => {
      for (let i = 0; i < good.length; i += 1000) {
        await tx
          .insert(officers)
          .values(good.slice(i, i + 1000).map(({ name, phone, role, unitId }) => ({ name, phone, role, unitId })))
          .onConflictDoUpdate({
            target: officers.phone,
            set: { name: sql`excluded.name`, role: sql`excluded.role`, unitId: sql`excluded.unit_id`, active: true, updatedAt: sql`now()` },
          });
      }
    });
    return report;
  }

  /** Creates a one-time code; only its hash is stored. */
  async function createInvite(phoneInput: string, channel: Channel): Promise<{ code: string; officer: Officer; expiresAt: Date }> {
    const phone = normalizePhone(phoneInput);
    if (!phone) throw new OfficerNotFoundError(`Số điện thoại "${phoneInput}" không hợp lệ.`);
    const [officer] = await db.select().from(officers).where(and(eq(officers.phone, phone), eq(officers.active, true)));
    if (!officer) throw new OfficerNotFoundError(`Không có cán bộ nào đăng ký số ${phoneInput}.`);
    const code = newInviteCode();
    const expiresAt = new Date(clock().getTime() + deps.inviteTtlHours * 3_600_000);
    await db.insert(inviteCodes).values({ codeHash: hashInviteCode(code), officerId: officer.id, channel, expiresAt });
    return { code, officer, expiresAt };
  }

  return { importFile, createInvite };
}

function findUnitByLooseCode<T>(index: Map<string, T>, scheme: Scheme, code: string): T | undefined {
  const digits = code.replace(/\D/g, "");
  if (!digits) return undefined;
  for (const width of [digits.length, 2, 3, 5]) {
    if (width < digits.length) continue;
    const hit = index.get(`${scheme}:${digits.padStart(width, "0")}`);
    if (hit) return hit;
  }
  return undefined;
}

export class OfficerNotFoundError extends Error {
  override name = "OfficerNotFoundError";
}

/** Uses a one-time code inside the caller's transaction; the officer it belongs to, or undefined. */
// A code made for Zalo may be typed into Telegram and vice versa: the code proves the person.
export async function redeemInvite(tx: DbOrTx, code: string, now: Date): Promise<Officer | undefined> {
  const [invite] = await tx
    .update(inviteCodes)
    .set({ usedAt: now })
    .where(and(eq(inviteCodes.codeHash, hashInviteCode(code)), isNull(inviteCodes.usedAt), gt(inviteCodes.expiresAt, now)))
    .returning({ officerId: inviteCodes.officerId });
  if (!invite) return undefined;
  const [officer] = await tx.select().from(officers).where(and(eq(officers.id, invite.officerId), eq(officers.active, true)));
  return officer;
}

/** Links (or moves) a platform account to an officer; the first linked channel becomes preferred. */
export async function linkChannel(
  tx: DbOrTx,
  officerId: number,
  link: { channel: Channel; externalId: string; chatId: string },
): Promise<void> {
  // The platform account may have belonged to someone else (a shared phone handed over).
  await tx
    .delete(channelLinks)
    .where(and(eq(channelLinks.channel, link.channel), eq(channelLinks.externalId, link.externalId)));
  const existing = await tx.select({ id: channelLinks.id }).from(channelLinks).where(eq(channelLinks.officerId, officerId));
  await tx
    .insert(channelLinks)
    .values({ officerId, ...link, preferred: existing.length === 0 })
    .onConflictDoUpdate({
      target: [channelLinks.officerId, channelLinks.channel],
      set: { externalId: link.externalId, chatId: link.chatId, linkedAt: sql`now()` },
    });
}

export async function findOfficerByPhone(tx: DbOrTx, phone: string): Promise<Officer | undefined> {
  const [o] = await tx.select().from(officers).where(and(eq(officers.phone, phone), eq(officers.active, true)));
  return o;
}
