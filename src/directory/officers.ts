import { createHash, randomBytes } from "node:crypto";
import { and, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import type { InboundMessage, OutboundMessage } from "../domain/messages.js";
import { channelLinks, inviteCodes, officers, pendingLinks, units, type Channel, type OfficerRole, type PendingLinkDecision } from "../db/schema/index.js";
import { normalizePhone } from "../domain/phone.js";
import { fold } from "../domain/text.js";
import { mapHeader, readTable } from "./csv.js";
import type { ImportReport, RejectedRow } from "./import-report.js";
import { ImportFileError, type Scheme, type Unit, type UnitLevel } from "./units.js";
import { contains, inScopeSql, type Placed } from "../domain/scope.js";
import { LEVEL_NAMES, ROLE_NAMES } from "./labels.js";

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

export function newInviteCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join("");
}

interface GoodRow {
  line: number;
  /** The phone as written in the file, for the reasons shown to the importer. */
  phoneRaw: string;
  name: string;
  phone: string;
  role: OfficerRole;
  unitId: number;
  unitCode: string;
}

// Says nothing of who the person is or where: the importer only learns the number is taken.
const outOfReach = (phone: string) => `số điện thoại "${phone}" đã được đăng ký cho một cán bộ ngoài phạm vi quản lý của anh/chị: người này không bị thay đổi`;
const adminOnly = (phone: string) => `số điện thoại "${phone}" là của một tài khoản quản trị: chỉ quản trị viên mới thay đổi được`;

/** SQL on an existing officers row: the importer may change it (the same rule as refuseOutOfReach). */
function reachableSql(within: Placed | undefined, allowAdmin: boolean): SQL {
  const conds: SQL[] = [];
  if (within) conds.push(sql`${officers.unitId} in (select ${units.id} from ${units} where ${inScopeSql(within, units)})`);
  if (!allowAdmin) conds.push(sql`${officers.role} <> 'admin'`);
  return and(...conds)!;
}

export function createOfficerDirectory(deps: { db: DbOrTx; clock: () => Date; inviteTtlHours: number }) {
  const { db, clock } = deps;

  /**
   * Reads an officer list and writes the good rows in one transaction. `dryRun` only checks (the
   * web shows bad rows before anything is written). `within` keeps an import inside a
   * supervisor's subtree: a row's unit must be in it, and so must the officer who already has the
   * row's phone (the import upserts on phone: without this one CSV row would move anyone in the
   * country). `allowAdminRole: false` refuses rows that would create an admin or touch one.
   */
  async function importFile(
    content: Buffer,
    fileName: string,
    opts: { dryRun?: boolean; within?: Placed; allowAdminRole?: boolean } = {},
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
    const inReach = (u: Placed) => !opts.within || contains(opts.within, u);

    const rejected: RejectedRow[] = [];
    const byPhone = new Map<string, number>();
    let good: GoodRow[] = [];
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
      if (!role)
        reasons.push(
          `vai trò "${roleRaw}" không hợp lệ (${Object.values(ROLE_NAMES)
            .join(", ")
            .replace(/, (?=[^,]*$)/, " hoặc ")})`,
        );
      const scheme = parseScheme(schemeRaw);
      if (!scheme) reasons.push(`hệ mã "${schemeRaw}" không hợp lệ (pre2025 hoặc post2025)`);
      // Spreadsheets drop leading zeros: "4" in a commune column is "00004".
      const unit = scheme ? findUnitByLooseCode(unitIndex, scheme, unitCode) : undefined;
      if (scheme && !unit) reasons.push(`không có đơn vị mã "${unitCode}" trong hệ mã ${scheme}`);
      if (unit && role && !ROLE_LEVELS[role].includes(unit.level)) {
        reasons.push(`vai trò ${ROLE_NAMES[role]} không thuộc đơn vị cấp ${LEVEL_NAMES[unit.level as UnitLevel]}`);
      }
      if (unit && !inReach(unit)) reasons.push(`đơn vị "${unitCode}" ngoài phạm vi quản lý của anh/chị`);
      if (role === "admin" && opts.allowAdminRole === false) reasons.push("chỉ quản trị viên mới thêm được vai trò quản trị viên");
      if (phone && byPhone.has(phone)) reasons.push(`trùng số điện thoại với dòng ${byPhone.get(phone)}`);
      if (reasons.length > 0) {
        rejected.push({ line, reason: reasons.join("; ") });
        continue;
      }
      byPhone.set(phone!, line);
      good.push({ line, phoneRaw, name, phone: phone!, role: role!, unitId: unit!.id, unitCode: unit!.code });
    }
    const restricted = opts.within !== undefined || opts.allowAdminRole === false;

    /** Rows whose phone already belongs to someone the importer may not change: refused, that person untouched. */
    const refuseOutOfReach = async (q: DbOrTx, lock: boolean) => {
      if (!restricted || good.length === 0) return;
      const holders = new Map<string, { role: OfficerRole } & Pick<Unit, "scheme" | "path">>();
      for (let i = 0; i < good.length; i += 1000) {
        const query = q
          .select({ phone: officers.phone, role: officers.role, scheme: units.scheme, path: units.path })
          .from(officers)
          .innerJoin(units, eq(units.id, officers.unitId))
          .where(
            inArray(
              officers.phone,
              good.slice(i, i + 1000).map((g) => g.phone),
            ),
          );
        // Locked until the rows are written: nobody moves them between this check and the upsert.
        for (const h of await (lock ? query.for("update", { of: officers }) : query)) holders.set(h.phone, h);
      }
      good = good.filter((g) => {
        const holder = holders.get(g.phone);
        const reason = !holder
          ? undefined
          : !inReach(holder)
            ? outOfReach(g.phoneRaw)
            : holder.role === "admin" && opts.allowAdminRole === false
              ? adminOnly(g.phoneRaw)
              : undefined;
        if (reason) rejected.push({ line: g.line, reason });
        return !reason;
      });
    };
    const report = () => {
      rejected.sort((a, b) => a.line - b.line);
      return { imported: good.length, rejected, good: good.map(({ line, name, phone, role, unitCode }) => ({ line, name, phone, role, unitCode })) };
    };

    if (opts.dryRun) {
      await refuseOutOfReach(db, false);
      return report();
    }
    await db.transaction(async (tx) => {
      await refuseOutOfReach(tx, true);
      const written = new Set<string>();
      for (let i = 0; i < good.length; i += 1000) {
        const rows = await tx
          .insert(officers)
          .values(good.slice(i, i + 1000).map(({ name, phone, role, unitId }) => ({ name, phone, role, unitId })))
          .onConflictDoUpdate({
            target: officers.phone,
            set: { name: sql`excluded.name`, role: sql`excluded.role`, unitId: sql`excluded.unit_id`, active: true, updatedAt: sql`now()` },
            // Someone inserted by another import since the check above is never changed from here.
            ...(restricted ? { setWhere: reachableSql(opts.within, opts.allowAdminRole !== false) } : {}),
          })
          .returning({ phone: officers.phone });
        for (const r of rows) written.add(r.phone);
      }
      good = good.filter((g) => {
        if (!written.has(g.phone)) rejected.push({ line: g.line, reason: outOfReach(g.phoneRaw) });
        return written.has(g.phone);
      });
    });
    return report();
  }

  /** Creates a one-time code; only its hash is stored. */
  async function createInvite(phoneInput: string, channel: Channel): Promise<{ code: string; officer: Officer; expiresAt: Date }> {
    const phone = normalizePhone(phoneInput);
    if (!phone) throw new OfficerNotFoundError(`Số điện thoại "${phoneInput}" không hợp lệ.`);
    const [officer] = await db
      .select()
      .from(officers)
      .where(and(eq(officers.phone, phone), eq(officers.active, true)));
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
  const [officer] = await tx
    .select()
    .from(officers)
    .where(and(eq(officers.id, invite.officerId), eq(officers.active, true)));
  return officer;
}

/** Links (or moves) a platform account to an officer; the first linked channel becomes preferred. */
export async function linkChannel(tx: DbOrTx, officerId: number, link: { channel: Channel; externalId: string; chatId: string }): Promise<void> {
  // The platform account may have belonged to someone else (a shared phone handed over).
  await tx.delete(channelLinks).where(and(eq(channelLinks.channel, link.channel), eq(channelLinks.externalId, link.externalId)));
  // A request of this account still waiting for a supervisor has nothing left to decide.
  await tx
    .update(pendingLinks)
    .set({ decidedAt: sql`now()`, decision: "linked" })
    .where(openRequestOf(link.channel, link.externalId));
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
  const [o] = await tx
    .select()
    .from(officers)
    .where(and(eq(officers.phone, phone), eq(officers.active, true)));
  return o;
}

export type PendingLink = typeof pendingLinks.$inferSelect;

const openRequestOf = (channel: Channel, externalId: string) =>
  and(eq(pendingLinks.channel, channel), eq(pendingLinks.externalId, externalId), isNull(pendingLinks.decidedAt));

/**
 * A stranger's phone shared through a form they fill in themselves (Zalo OA): recorded as a
 * request that a supervisor approves on /officers, never linked on its own; and the answer to
 * any later message of an account whose request is still open. Undefined for anything else.
 * The answer is the same whether or not the number is an officer's: the form must not tell a
 * stranger who is registered.
 */
export async function pendingLinkReply(tx: DbOrTx, msg: InboundMessage, now: Date, supportContact: string): Promise<OutboundMessage | undefined> {
  if (msg.contact?.unconfirmed) {
    const phone = normalizePhone(msg.contact.phone);
    if (!phone)
      return {
        text: "Số điện thoại trong biểu mẫu không hợp lệ. Anh/chị vui lòng gửi lại số đã đăng ký với baocao, hoặc gửi mã mời (10 ký tự) anh/chị đã nhận.",
        requestContact: true,
      };
    const officer = await findOfficerByPhone(tx, phone);
    await tx.update(pendingLinks).set({ decidedAt: now, decision: "replaced" }).where(openRequestOf(msg.channel, msg.externalUserId));
    const request = { officerId: officer?.id ?? null, phone, chatId: msg.chatId, displayName: msg.contact.name ?? null, requestedAt: now };
    await tx
      .insert(pendingLinks)
      .values({ channel: msg.channel, externalId: msg.externalUserId, ...request })
      // The same account's form submitted twice at once: the later one stands.
      .onConflictDoUpdate({ target: [pendingLinks.channel, pendingLinks.externalId], targetWhere: sql`${pendingLinks.decidedAt} is null`, set: request });
    return {
      text: `Đã nhận yêu cầu liên kết tài khoản Zalo này với baocao.\nSố điện thoại trong biểu mẫu có thể nhập tay, nên baocao chỉ liên kết khi được xác nhận: cán bộ cấp trên của anh/chị sẽ xác nhận yêu cầu trên trang quản trị baocao, hoặc anh/chị gửi mã mời (10 ký tự) đã nhận để liên kết ngay.\nChưa có mã mời hoặc chờ lâu chưa được xác nhận, anh/chị liên hệ ${supportContact}.`,
      removeKeyboard: true,
    };
  }
  const [open] = await tx.select({ id: pendingLinks.id }).from(pendingLinks).where(openRequestOf(msg.channel, msg.externalUserId)).limit(1);
  if (!open) return undefined;
  return {
    text: `Yêu cầu liên kết tài khoản Zalo này đang chờ cán bộ cấp trên của anh/chị xác nhận. Anh/chị có thể gửi mã mời (10 ký tự) để liên kết ngay; cần hỗ trợ, anh/chị liên hệ ${supportContact}.`,
  };
}

/** An open request with its officer and the officer's unit, locked until the caller's transaction ends. */
export async function lockOpenPendingLink(tx: DbOrTx, id: number) {
  const [row] = await tx
    .select({ link: pendingLinks, officer: officers, unit: units })
    .from(pendingLinks)
    .innerJoin(officers, eq(officers.id, pendingLinks.officerId))
    .innerJoin(units, eq(units.id, officers.unitId))
    .where(and(eq(pendingLinks.id, id), isNull(pendingLinks.decidedAt)))
    .for("update", { of: pendingLinks });
  return row;
}

/**
 * A supervisor's decision on an open request (the caller has locked it and checked that the
 * officer is theirs to decide for). Approval links the account to the officer.
 */
export async function decidePendingLink(
  tx: DbOrTx,
  link: PendingLink,
  decision: Extract<PendingLinkDecision, "approved" | "rejected">,
  decidedBy: number,
  now: Date,
): Promise<void> {
  await tx.update(pendingLinks).set({ decidedAt: now, decidedBy, decision }).where(eq(pendingLinks.id, link.id));
  if (decision === "approved" && link.officerId !== null) {
    await linkChannel(tx, link.officerId, { channel: link.channel, externalId: link.externalId, chatId: link.chatId });
  }
}
