import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { and, count, eq, inArray, isNull, ne, notInArray, or, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import {
  channelLinks,
  conversationSessions,
  deadlineCalendars,
  incidentEvents,
  incidents,
  loginTokens,
  officers,
  outbox,
  reportTemplates,
  submissionEvents,
  submissions,
  units,
  webSessions,
  type OfficerRole,
} from "../db/schema/index.js";
import { DEFAULT_TEMPLATE_ID } from "../reporting/reporting-defaults.js";
import { seedDemoCampaigns } from "../campaigns/seed-campaigns.js";
import { createUnitDirectory, DEMO_SCHEME, type Unit } from "../directory/units.js";

export const bundledUnitsDir = fileURLToPath(new URL("../../seed/vn-admin-units/", import.meta.url));

/**
 * The demo world: a province and communes of their own (scheme "demo", never an official unit),
 * so that whoever plays a demo officer in the public simulator — or signs in to the web as one —
 * sees, receives and changes nothing real. Every rule that compares schemes (subtrees, national
 * views, audiences, incident chains) keeps the two worlds apart. The codes are digits like the
 * official ones (the pages and the CLI expect that) but no GSO unit uses 99, and calendar scopes
 * are matched by path, so no official calendar ever applies here, nor this one there.
 */
export const DEMO_PROVINCE = { code: "99", name: "Tỉnh Mẫu (dữ liệu thử)" } as const;
export const DEMO_COMMUNES = [
  { code: "99001", name: "Xã Mẫu Một (dữ liệu thử)" },
  { code: "99002", name: "Xã Mẫu Hai (dữ liệu thử)" },
  { code: "99003", name: "Xã Mẫu Ba (dữ liệu thử)" },
] as const;

/** What a newcomer meets in the simulator; the province officer and the admin can also sign in to the web. */
export const DEMO_OFFICERS: readonly { name: string; phone: string; role: OfficerRole; unit: string }[] = [
  { name: "Nguyễn Thị Mai", phone: "84900000001", role: "commune", unit: "99001" },
  { name: "Lò Văn Sáng", phone: "84900000002", role: "commune", unit: "99002" },
  { name: "Tẩn Thị Hoa", phone: "84900000003", role: "commune", unit: "99003" },
  { name: "Trần Văn Bình", phone: "84900000004", role: "province", unit: "99" },
  { name: "Phạm Minh Quân", phone: "84900000005", role: "admin", unit: "99" },
];

const every = (ddmm: string) => `2000-${ddmm.slice(3, 5)}-${ddmm.slice(0, 2)}`;
export const DEMO_CALENDAR_SOURCE = "Lịch mẫu (dữ liệu thử): xã nộp trước 20/5 và 15/11, tỉnh trước 25/5 và 20/11";
/**
 * The demo province's own calendar. Later than the national default on purpose: a period opens a
 * fixed number of days before the earliest commune deadline of any calendar, so an earlier demo
 * date would open the official periods earlier too.
 */
const DEMO_CALENDAR = [
  { slot: "H1", level: "commune" as const, deadline: every("20/05") },
  { slot: "H1", level: "province" as const, deadline: every("25/05") },
  { slot: "Y", level: "commune" as const, deadline: every("15/11") },
  { slot: "Y", level: "province" as const, deadline: every("20/11") },
];

/** A demo account: flagged demo, or placed in the demo tree. Such accounts never change what official units share. */
export { demoRefusal, isDemoAccount } from "../directory/demo-accounts.js";

/** The simulator's chat id for an officer. */
export const simulatorChatOf = (officerId: number) => `sim-${officerId}`;

/**
 * The demo officer the simulator may act as: flagged demo, active, and sitting in the demo tree.
 * Both are checked — a flag alone could survive an import that moved the person into a real unit.
 */
export async function findDemoOfficer(db: DbOrTx, officerId: number) {
  const [row] = await db
    .select({ officer: officers })
    .from(officers)
    .innerJoin(units, eq(units.id, officers.unitId))
    .where(and(eq(officers.id, officerId), eq(officers.demo, true), eq(officers.active, true), eq(units.scheme, DEMO_SCHEME)));
  return row?.officer;
}

/**
 * Creates the demo world (idempotent): the official post-2025 unit list if no units are loaded
 * yet, the demo tree, its officers with their simulator chats linked (so the web sign-in link can
 * be delivered there at once), its calendar and its campaigns. An install seeded by an older
 * baocao, whose demo officers sat in real units of Lai Châu, is repaired first. Returns what it
 * did, in Vietnamese.
 */
export async function seedDemo(db: Db): Promise<string> {
  const lines: string[] = [];
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(units);
  if (n === 0) {
    const dir = createUnitDirectory({ db });
    const r = await dir.importFile(await readFile(`${bundledUnitsDir}post2025_units.csv`), "post2025_units.csv", "post2025");
    lines.push(`Đã nhập ${r.imported} đơn vị hành chính (sau 01/7/2025).`);
  }
  await db.transaction(async (tx) => {
    const tree = await ensureDemoTree(tx);
    lines.push(...(await repairOldDemo(tx, tree)));
    for (const o of DEMO_OFFICERS) {
      const unit = tree.get(o.unit)!;
      // A real officer who happens to have this number is never turned into a demo one.
      const [row] = await tx
        .insert(officers)
        .values({ name: o.name, phone: o.phone, role: o.role, unitId: unit.id, demo: true })
        .onConflictDoUpdate({
          target: officers.phone,
          set: { name: o.name, role: o.role, unitId: unit.id, active: true, updatedAt: sql`now()` },
          setWhere: eq(officers.demo, true),
        })
        .returning({ id: officers.id });
      if (!row) {
        lines.push(`Số ${o.phone.replace(/^84/, "0")} đã thuộc một cán bộ thật: không tạo cán bộ mẫu ${o.name}.`);
        continue;
      }
      const linked = await tx.select({ id: channelLinks.id }).from(channelLinks).where(eq(channelLinks.officerId, row.id));
      await tx
        .insert(channelLinks)
        .values({
          officerId: row.id,
          channel: "simulator",
          externalId: simulatorChatOf(row.id),
          chatId: simulatorChatOf(row.id),
          preferred: linked.length === 0,
        })
        .onConflictDoNothing();
    }
    const [template] = await tx.select({ id: reportTemplates.id }).from(reportTemplates).where(eq(reportTemplates.id, DEFAULT_TEMPLATE_ID));
    if (template) {
      await tx
        .insert(deadlineCalendars)
        .values(
          DEMO_CALENDAR.map((r) => ({ templateId: template.id, scopeUnitId: tree.get(DEMO_PROVINCE.code)!.id, year: 0, ...r, source: DEMO_CALENDAR_SOURCE })),
        )
        .onConflictDoNothing();
    }
    await seedDemoCampaigns(tx, DEMO_PROVINCE.code);
  });
  lines.push(
    `Cán bộ mẫu: ${DEMO_OFFICERS.map((o) => o.name).join(", ")} (${DEMO_PROVINCE.name}, không phải đơn vị thật). Mở /simulator để thử; ` +
      `đăng nhập web: /login với số 0900000004 (cán bộ tỉnh) hoặc 0900000005 (quản trị), đường dẫn hiện trong khung chat mô phỏng.`,
  );
  return lines.join("\n");
}

/** The demo province and communes, created or renamed back; by code. */
async function ensureDemoTree(tx: DbOrTx): Promise<Map<string, Unit>> {
  const rows: (typeof units.$inferInsert)[] = [
    { scheme: DEMO_SCHEME, code: DEMO_PROVINCE.code, name: DEMO_PROVINCE.name, level: "province", parentCode: null, path: DEMO_PROVINCE.code },
    ...DEMO_COMMUNES.map((c) => ({
      scheme: DEMO_SCHEME,
      code: c.code,
      name: c.name,
      level: "commune" as const,
      parentCode: DEMO_PROVINCE.code,
      path: `${DEMO_PROVINCE.code}.${c.code}`,
    })),
  ];
  for (const row of rows) {
    await tx
      .insert(units)
      .values(row)
      .onConflictDoUpdate({
        target: [units.scheme, units.code],
        set: { name: row.name, level: row.level, parentCode: row.parentCode ?? null, path: row.path, updatedAt: sql`now()` },
      });
  }
  const tree = await tx.select().from(units).where(eq(units.scheme, DEMO_SCHEME));
  const province = tree.find((u) => u.code === DEMO_PROVINCE.code)!;
  await tx
    .update(units)
    .set({ parentId: province.id })
    .where(and(eq(units.scheme, DEMO_SCHEME), eq(units.parentCode, DEMO_PROVINCE.code)));
  return new Map(tree.map((u) => [u.code, u]));
}

/**
 * Older baocao put the demo officers in real units of Lai Châu, where anyone using the simulator
 * could read real cases, acknowledge real alerts and file a real commune's report. Moves what they
 * left into the demo tree: their reports and urgent cases go with them (unless a real officer
 * worked on the report too: then it stays), acknowledgements and assignments of real cases are
 * undone so that escalation to real supervisors resumes, and their simulator chats (which held
 * real alerts and sign-in links), web sessions and conversation states are cleared. A demo-flagged
 * officer with no place in the demo roster is deactivated and seated in the demo province.
 * Simulator chats are unlinked from anyone outside the demo tree.
 */
async function repairOldDemo(tx: DbOrTx, tree: Map<string, Unit>): Promise<string[]> {
  const lines: string[] = [];
  const stray = await tx
    .select({ id: officers.id, phone: officers.phone, name: officers.name })
    .from(officers)
    .innerJoin(units, eq(units.id, officers.unitId))
    .where(and(eq(officers.demo, true), ne(units.scheme, DEMO_SCHEME)));
  const demoIds = (await tx.select({ id: officers.id }).from(officers).where(eq(officers.demo, true))).map((o) => o.id);
  if (stray.length > 0) {
    const ids = stray.map((o) => o.id);
    const targetOf = (officerId: number) => {
      const seat = DEMO_OFFICERS.find((d) => d.phone === stray.find((o) => o.id === officerId)?.phone);
      return seat ? tree.get(seat.unit) : undefined;
    };
    const province = tree.get(DEMO_PROVINCE.code)!;

    let movedReports = 0;
    let keptReports = 0;
    const reports = await tx
      .select({ id: submissions.id, periodId: submissions.periodId, officerId: submissions.officerId })
      .from(submissions)
      .innerJoin(units, eq(units.id, submissions.unitId))
      .where(and(inArray(submissions.officerId, ids), ne(units.scheme, DEMO_SCHEME)));
    for (const r of reports) {
      const [touched] = await tx
        .select({ id: submissionEvents.id })
        .from(submissionEvents)
        .where(and(eq(submissionEvents.submissionId, r.id), notInArray(submissionEvents.officerId, demoIds)))
        .limit(1);
      const [continued] = await tx
        .select({ officerId: conversationSessions.officerId })
        .from(conversationSessions)
        .where(and(sql`(${conversationSessions.state} -> 'report' ->> 'submissionId') = ${String(r.id)}`, notInArray(conversationSessions.officerId, demoIds)))
        .limit(1);
      if (touched || continued) {
        keptReports++;
        continue;
      }
      const target = targetOf(r.officerId);
      const [taken] =
        target?.level === "commune"
          ? await tx
              .select({ id: submissions.id })
              .from(submissions)
              .where(and(eq(submissions.periodId, r.periodId), eq(submissions.unitId, target.id)))
          : [];
      if (target?.level === "commune" && !taken) await tx.update(submissions).set({ unitId: target.id }).where(eq(submissions.id, r.id));
      else await tx.delete(submissions).where(eq(submissions.id, r.id));
      movedReports++;
    }

    const cases = await tx
      .select({ id: incidents.id, reporterId: incidents.reporterId })
      .from(incidents)
      .innerJoin(units, eq(units.id, incidents.unitId))
      .where(and(inArray(incidents.reporterId, ids), ne(units.scheme, DEMO_SCHEME)));
    for (const i of cases)
      await tx
        .update(incidents)
        .set({ unitId: (targetOf(i.reporterId) ?? province).id })
        .where(eq(incidents.id, i.id));

    // Real cases a demo officer took in: escalation to the real supervisors starts again now.
    const taken = await tx
      .select({ id: incidents.id, acknowledgedBy: incidents.acknowledgedBy, assignedTo: incidents.assignedTo, status: incidents.status })
      .from(incidents)
      .innerJoin(units, eq(units.id, incidents.unitId))
      .where(and(ne(units.scheme, DEMO_SCHEME), or(inArray(incidents.acknowledgedBy, ids), inArray(incidents.assignedTo, ids))));
    for (const i of taken) {
      const undoAck = i.acknowledgedBy !== null && ids.includes(i.acknowledgedBy) && i.status !== "closed";
      await tx
        .update(incidents)
        .set({
          ...(i.assignedTo !== null && ids.includes(i.assignedTo) ? { assignedTo: null } : {}),
          ...(undoAck
            ? {
                acknowledgedAt: null,
                acknowledgedBy: null,
                status: i.status === "acknowledged" ? "new" : i.status,
                nextEscalationAt: sql`${incidents.createdAt}`,
              }
            : {}),
        })
        .where(eq(incidents.id, i.id));
      await tx.insert(incidentEvents).values({
        incidentId: i.id,
        kind: "note",
        detail: { text: "Hệ thống: huỷ tiếp nhận/phân công của tài khoản mẫu (dữ liệu thử); cảnh báo được gửi lại cho cấp trên." },
      });
    }

    await tx.delete(outbox).where(and(inArray(outbox.officerId, ids), eq(outbox.channel, "simulator")));
    await tx.delete(webSessions).where(inArray(webSessions.officerId, ids));
    await tx.delete(loginTokens).where(and(inArray(loginTokens.officerId, ids), isNull(loginTokens.usedAt)));
    await tx.delete(conversationSessions).where(inArray(conversationSessions.officerId, ids));
    // Deactivated, and out of the real unit too: a demo account is never seated in one, and the next start has nothing left to repair.
    const orphans = stray.filter((o) => !targetOf(o.id)).map((o) => o.id);
    if (orphans.length > 0)
      await tx
        .update(officers)
        .set({ active: false, unitId: province.id, updatedAt: sql`now()` })
        .where(inArray(officers.id, orphans));
    lines.push(
      `Đã chuyển ${stray.length - orphans.length} cán bộ mẫu khỏi đơn vị thật sang ${DEMO_PROVINCE.name}` +
        `${orphans.length ? `, ngừng ${orphans.length} cán bộ mẫu khác` : ""}; ${movedReports} báo cáo và ${cases.length} báo cáo khẩn của họ chuyển theo` +
        `${keptReports ? ` (${keptReports} báo cáo có cán bộ thật cùng làm được giữ ở đơn vị thật)` : ""}` +
        `${taken.length ? `; ${taken.length} vụ việc thật họ đã tiếp nhận được mở lại để cấp trên tiếp nhận` : ""}.`,
    );
  }
  // The simulator chat belongs to demo officers in the demo tree only (its history is public).
  const outside = await tx
    .select({ id: channelLinks.id })
    .from(channelLinks)
    .innerJoin(officers, eq(officers.id, channelLinks.officerId))
    .innerJoin(units, eq(units.id, officers.unitId))
    .where(and(eq(channelLinks.channel, "simulator"), or(eq(officers.demo, false), ne(units.scheme, DEMO_SCHEME), eq(officers.active, false))));
  if (outside.length > 0)
    await tx.delete(channelLinks).where(
      inArray(
        channelLinks.id,
        outside.map((l) => l.id),
      ),
    );
  return lines;
}

/** True when nothing has been loaded yet: the first start of a fresh install. */
export async function isEmpty(db: Db): Promise<boolean> {
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(officers);
  return n === 0;
}

/**
 * Whether `DEMO_SEED=auto` has work at start-up: a fresh install, or one seeded by an older
 * baocao whose demo officers (or simulator chats) still sit outside the demo tree.
 */
export async function demoSeedNeeded(db: Db): Promise<boolean> {
  if (await isEmpty(db)) return true;
  const [stray] = await db
    .select({ id: officers.id })
    .from(officers)
    .innerJoin(units, eq(units.id, officers.unitId))
    .leftJoin(channelLinks, and(eq(channelLinks.officerId, officers.id), eq(channelLinks.channel, "simulator")))
    .where(
      or(
        and(eq(officers.demo, true), ne(units.scheme, DEMO_SCHEME)),
        and(sql`${channelLinks.id} is not null`, or(eq(officers.demo, false), ne(units.scheme, DEMO_SCHEME))),
      ),
    )
    .limit(1);
  return stray !== undefined;
}
