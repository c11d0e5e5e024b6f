import { and, asc, eq, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { auditLog, incidentEvents, incidents, officers, units } from "../db/schema/index.js";
import type { ActingOfficer } from "../directory/officers.js";
import { ancestorsOf, type Unit } from "../directory/units.js";
import { addDays, formatDateTime, localDate } from "../domain/dates.js";
import { addWorkingDays } from "../domain/working-days.js";
import { INCIDENT_TYPES, type IncidentEffect } from "./incident-flow.js";
import type { OutboundMessage } from "../domain/messages.js";
import type { NewOutboxRow } from "../delivery/outbox.js";
import { recipientsOfUnits, type Recipient } from "../delivery/audience.js";
import { clip } from "../domain/text.js";

export type Incident = typeof incidents.$inferSelect;

/**
 * Who looks a case up: `actor` as the audit log names them (`officer:12`, `admin-api-token`);
 * `within` their own unit (they see cases of it and below), `null` when they have none, absent for
 * the API token, which sees every case; `via` the way in, recorded with a refused look-up.
 */
export interface IncidentReader {
  actor: string;
  within?: Pick<Unit, "scheme" | "path"> | null;
  via?: string;
}
export const INCIDENT_ACK_PREFIX = "inc-ack:";

export interface IncidentDeps {
  enqueue: (tx: DbOrTx, rows: NewOutboxRow[]) => Promise<number[]>;
  clock: () => Date;
  timeZone: string;
  publicUrl?: string;
  /** Minutes without acknowledgement before the alert is repeated and escalated. */
  ackMinutes: number;
}

const typeLabel = (t: string) => INCIDENT_TYPES.find((x) => x.value === t)?.label ?? t;

/** The legal clocks of Nghị định 56/2017: 12 h emergency, 5 + 2 working days, 15 days separation. */
export function legalClocks(i: Pick<Incident, "createdAt" | "separated">, timeZone: string) {
  const received = localDate(i.createdAt, timeZone);
  const plan = addWorkingDays(received, 5);
  return {
    emergency: new Date(i.createdAt.getTime() + 12 * 3_600_000),
    supportPlan: plan,
    approval: addWorkingDays(plan, 2),
    separationEnds: i.separated ? new Date(i.createdAt.getTime() + 15 * 86_400_000) : undefined,
  };
}

export function createIncidentService(deps: IncidentDeps) {
  const { clock, timeZone } = deps;

  /**
   * Supervising levels of a unit: district and province before the reform, the province after.
   * Admins are those seated in the same chain, which lies in the unit's own tree: a demo admin is
   * never alerted about a real case, nor a real admin about a demo one.
   */
  async function supervisors(tx: DbOrTx, unit: Unit, withAdmins: boolean): Promise<Recipient[]> {
    const chain = (await ancestorsOf(tx, unit)).filter((u) => u.id !== unit.id);
    const { reachable } = await recipientsOfUnits(tx, chain.map((u) => u.id), withAdmins ? ["district", "province", "admin"] : ["district", "province"]);
    return reachable;
  }

  function alertMessage(i: Incident, unitName: string, repeat: boolean): OutboundMessage {
    const link = deps.publicUrl ? `\nChi tiết (sau khi đăng nhập): ${deps.publicUrl}/incidents/${i.ref}` : "";
    // Reference, type, place and time only: the description never goes out in a chat message.
    return {
      text: `🚨 ${repeat ? "NHẮC LẠI — chưa ai tiếp nhận: " : ""}Báo cáo khẩn ${i.ref}\n${typeLabel(i.type)}\nNơi xảy ra: ${[i.place, unitName].filter(Boolean).join(", ")}\nThời gian: ${formatDateTime(i.occurredAt, timeZone)}${link}`,
      choices: [{ value: `${INCIDENT_ACK_PREFIX}${i.id}`, label: "✅ Tiếp nhận" }],
    };
  }

  async function alert(tx: DbOrTx, i: Incident, level: number): Promise<Recipient[]> {
    const [unit] = await tx.select().from(units).where(eq(units.id, i.unitId));
    const to = await supervisors(tx, unit!, level > 0);
    await deps.enqueue(
      tx,
      to.map((r) => ({
        officerId: r.officerId,
        channel: r.channel,
        chatId: r.chatId,
        kind: "alert",
        urgent: true,
        dedupeKey: `incident:${i.id}:alert:${level}:${r.officerId}`,
        payload: alertMessage(i, unit!.name, level > 0),
      })),
    );
    await tx.insert(incidentEvents).values({ incidentId: i.id, kind: level === 0 ? "alerted" : "escalated", detail: { level, officers: to.map((r) => r.officerId) } });
    return to;
  }

  /** Files the case from the three essentials and alerts the supervisors at once. */
  async function create(tx: DbOrTx, officer: ActingOfficer, answers: Record<string, unknown>): Promise<{ incident: Incident; messages: OutboundMessage[] }> {
    const now = clock();
    const [row] = await tx
      .insert(incidents)
      .values({
        ref: `tmp-${now.getTime()}-${officer.id}`,
        unitId: officer.unitId,
        reporterId: officer.id,
        type: String(answers.type),
        occurredAt: typeof answers.occurred_at === "string" ? new Date(answers.occurred_at) : now,
        place: typeof answers.place === "string" ? answers.place : null,
        createdAt: now,
        nextEscalationAt: new Date(now.getTime() + deps.ackMinutes * 60_000),
      })
      .returning();
    const ref = `KC-${localDate(now, timeZone).slice(0, 4)}-${String(row!.id).padStart(4, "0")}`;
    const [incident] = await tx.update(incidents).set({ ref }).where(eq(incidents.id, row!.id)).returning();
    await tx.insert(incidentEvents).values({ incidentId: incident!.id, kind: "reported", officerId: officer.id });
    const alerted = await alert(tx, incident!, 0);
    const names = alerted.map((r) => r.name);
    return {
      incident: incident!,
      messages: [
        {
          text:
            `✅ Đã gửi báo cáo khẩn ${ref}.\n` +
            (names.length > 0 ? `Đã báo ngay cho: ${names.join(", ")}.` : "⚠️ Chưa có cán bộ cấp trên nào liên kết kênh chat: anh/chị gọi điện báo cấp trên và Tổng đài 111.") +
            `\nNếu trẻ đang gặp nguy hiểm: báo công an, gọi Tổng đài 111. Biện pháp khẩn cấp phải thực hiện trong 12 giờ.`,
        },
      ],
    };
  }

  async function apply(tx: DbOrTx, officer: ActingOfficer, incidentId: number, effect: IncidentEffect): Promise<void> {
    if (effect.kind === "update") {
      const field = { subtype: "subtype", child_age: "childAge", child_sex: "childSex", description: "description", actions: "actions" }[effect.field];
      if (!field) return;
      const set: Record<string, unknown> = { [field]: effect.value };
      if (effect.field === "actions" && Array.isArray(effect.value) && effect.value.includes("tach_tam_thoi")) set.separated = true;
      await tx.update(incidents).set(set).where(eq(incidents.id, incidentId));
      await tx.insert(incidentEvents).values({ incidentId, kind: "updated", officerId: officer.id, detail: { field: effect.field } });
    } else if (effect.kind === "note") {
      await tx.update(incidents).set({ status: sql`case when ${incidents.status} = 'closed' then 'closed' else 'in_progress' end` }).where(eq(incidents.id, incidentId));
      await tx.insert(incidentEvents).values({ incidentId, kind: "note", officerId: officer.id, detail: { text: effect.text } });
    } else if (effect.kind === "attach") {
      await tx
        .update(incidents)
        .set({ attachments: sql`${incidents.attachments} || ${JSON.stringify([{ channel: "chat", fileId: effect.fileId, kind: effect.fileKind }])}::jsonb` })
        .where(eq(incidents.id, incidentId));
      await tx.insert(incidentEvents).values({ incidentId, kind: "attachment", officerId: officer.id, detail: { kind: effect.fileKind } });
    }
  }

  /** A supervisor's one-tap acknowledgement. Only officers above the unit (or admins) may. */
  async function acknowledge(tx: DbOrTx, officer: ActingOfficer, incidentId: number): Promise<OutboundMessage> {
    const [i] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for("update");
    if (!i || !(await maySupervise(tx, officer, i))) return { text: "Không tìm thấy báo cáo khẩn này." };
    if (i.acknowledgedAt) {
      const [by] = await tx.select({ name: officers.name }).from(officers).where(eq(officers.id, i.acknowledgedBy!));
      return { text: `${i.ref} đã được ${by?.name ?? "cán bộ khác"} tiếp nhận lúc ${formatDateTime(i.acknowledgedAt, timeZone)}.` };
    }
    const now = clock();
    await tx.update(incidents).set({ status: "acknowledged", acknowledgedAt: now, acknowledgedBy: officer.id, nextEscalationAt: null }).where(eq(incidents.id, i.id));
    await tx.insert(incidentEvents).values({ incidentId: i.id, kind: "acknowledged", officerId: officer.id });
    const reporter = (await recipientsOfUnits(tx, [i.unitId])).reachable.find((r) => r.officerId === i.reporterId);
    if (reporter) {
      await deps.enqueue(tx, [
        { officerId: reporter.officerId, channel: reporter.channel, chatId: reporter.chatId, kind: "alert", urgent: true, dedupeKey: `incident:${i.id}:ack`, payload: { text: `${i.ref} đã được ${officer.name} tiếp nhận.` } },
      ]);
    }
    return { text: `Đã tiếp nhận ${i.ref}. Người báo cáo đã được thông báo.` };
  }

  async function maySupervise(tx: DbOrTx, officer: ActingOfficer, i: Incident): Promise<boolean> {
    if (officer.role === "commune") return false;
    const [own] = await tx.select().from(units).where(eq(units.id, officer.unitId));
    const [unit] = await tx.select().from(units).where(eq(units.id, i.unitId));
    return !!own && !!unit && own.scheme === unit.scheme && unit.path.startsWith(`${own.path}.`);
  }

  /** Tells the reporter on chat what happened to their case (never the case details themselves). */
  async function notifyReporter(tx: DbOrTx, i: Incident, step: string, text: string): Promise<void> {
    const reporter = (await recipientsOfUnits(tx, [i.unitId])).reachable.find((r) => r.officerId === i.reporterId);
    if (!reporter) return;
    const link = deps.publicUrl ? `\nChi tiết: ${deps.publicUrl}/incidents/${i.ref}` : "";
    await deps.enqueue(tx, [
      { officerId: reporter.officerId, channel: reporter.channel, chatId: reporter.chatId, kind: "alert", urgent: true, dedupeKey: `incident:${i.id}:${step}`, payload: { text: `${text}${link}` } },
    ]);
  }

  /**
   * A supervisor hands the case to an officer (phân công) of the case's unit or a level above;
   * the assignee and the reporter are told on chat.
   */
  async function assign(tx: DbOrTx, officer: ActingOfficer, incidentId: number, assigneeId: number): Promise<string | undefined> {
    const [i] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for("update");
    if (!i || !(await maySupervise(tx, officer, i))) return "Không tìm thấy báo cáo khẩn này.";
    if (i.status === "closed") return `${i.ref} đã đóng.`;
    const [unit] = await tx.select().from(units).where(eq(units.id, i.unitId));
    const chain = await ancestorsOf(tx, unit!);
    const [assignee] = await tx
      .select()
      .from(officers)
      .where(and(eq(officers.id, assigneeId), eq(officers.active, true), inArray(officers.unitId, chain.map((u) => u.id))));
    if (!assignee) return "Cán bộ được phân công phải thuộc đơn vị của vụ việc hoặc cấp trên.";
    const now = clock();
    await tx
      .update(incidents)
      .set({
        assignedTo: assignee.id,
        status: i.status === "new" ? "acknowledged" : i.status,
        // Assigning is also taking the case in: the escalation stops.
        ...(i.acknowledgedAt ? {} : { acknowledgedAt: now, acknowledgedBy: officer.id, nextEscalationAt: null }),
      })
      .where(eq(incidents.id, i.id));
    await tx.insert(incidentEvents).values({ incidentId: i.id, kind: "assigned", officerId: officer.id, detail: { to: assignee.id, name: assignee.name } });
    const [link] = (await recipientsOfUnits(tx, [assignee.unitId])).reachable.filter((r) => r.officerId === assignee.id);
    if (link && assignee.id !== i.reporterId) {
      await deps.enqueue(tx, [
        {
          officerId: assignee.id,
          channel: link.channel,
          chatId: link.chatId,
          kind: "alert",
          urgent: true,
          dedupeKey: `incident:${i.id}:assigned:${assignee.id}:${now.getTime()}`,
          payload: { text: `📌 ${officer.name} phân công anh/chị theo dõi báo cáo khẩn ${i.ref} (${typeLabel(i.type)}).${deps.publicUrl ? `\nChi tiết: ${deps.publicUrl}/incidents/${i.ref}` : ""}` },
        },
      ]);
    }
    await notifyReporter(tx, i, `assigned:${now.getTime()}`, `${i.ref}: ${officer.name} đã phân công ${assignee.name} theo dõi vụ việc.`);
    return undefined;
  }

  /** A note on the case timeline from the web; the reporter is told a note was added (not its text). */
  async function addNote(tx: DbOrTx, officer: ActingOfficer, incidentId: number, text: string): Promise<string | undefined> {
    const [i] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for("update");
    if (!i || (i.unitId !== officer.unitId && !(await maySupervise(tx, officer, i)))) return "Không tìm thấy báo cáo khẩn này.";
    const note = clip(text.trim(), 2000);
    if (!note) return "Ghi chú đang trống.";
    await apply(tx, officer, i.id, { kind: "note", text: note });
    if (officer.id !== i.reporterId) await notifyReporter(tx, i, `note:${clock().getTime()}`, `${i.ref}: ${officer.name} đã ghi thêm diễn biến vào hồ sơ.`);
    return undefined;
  }

  /** Cases an officer may update by chat: those of their own unit. A refused look-up is audited. */
  async function findForUpdate(tx: DbOrTx, officer: ActingOfficer, ref: string): Promise<Incident | undefined> {
    const [i] = await tx.select().from(incidents).where(and(eq(incidents.ref, ref.toUpperCase()), eq(incidents.unitId, officer.unitId)));
    if (!i) await refused(tx, `officer:${officer.id}`, ref, "chat");
    return i;
  }

  /** Closes a case with its outcome: its own unit's officers or a supervisor may. */
  async function close(tx: DbOrTx, officer: ActingOfficer, ref: string, outcome: string): Promise<OutboundMessage> {
    const [i] = await tx.select().from(incidents).where(eq(incidents.ref, ref.toUpperCase())).for("update");
    if (!i || (i.unitId !== officer.unitId && !(await maySupervise(tx, officer, i)))) return { text: `Không tìm thấy ${ref}.` };
    if (i.status === "closed") return { text: `${i.ref} đã đóng trước đó.` };
    if (!outcome) return { text: `Anh/chị gõ kèm kết quả, ví dụ: "đóng ${i.ref}: trẻ đã an toàn, gia đình được hỗ trợ".` };
    await tx.update(incidents).set({ status: "closed", outcome: clip(outcome, 1000), closedAt: clock(), nextEscalationAt: null }).where(eq(incidents.id, i.id));
    await tx.insert(incidentEvents).values({ incidentId: i.id, kind: "closed", officerId: officer.id });
    if (officer.id !== i.reporterId) await notifyReporter(tx, i, "closed", `${i.ref} đã được ${officer.name} đóng hồ sơ (kết quả ghi trong hồ sơ).`);
    return { text: `Đã đóng ${i.ref}. Kết quả đã được ghi lại.` };
  }

  /**
   * Retention: closed cases older than `days` keep only what statistics need (type, unit, dates,
   * age, sex); description, place, outcome and attachments are erased.
   */
  async function applyRetention(db: Db, days: number): Promise<number> {
    const cutoff = new Date(clock().getTime() - days * 86_400_000);
    const rows = await db
      .update(incidents)
      .set({ description: null, place: null, outcome: null, attachments: [] })
      .where(and(eq(incidents.status, "closed"), lte(incidents.closedAt, cutoff), sql`(${incidents.description} is not null or ${incidents.place} is not null or ${incidents.outcome} is not null or ${incidents.attachments} <> '[]'::jsonb)`))
      .returning({ id: incidents.id });
    for (const r of rows) {
      // Notes are free text and may hold the same details: erased with the rest.
      await db.update(incidentEvents).set({ detail: {} }).where(and(eq(incidentEvents.incidentId, r.id), eq(incidentEvents.kind, "note")));
      await db.insert(incidentEvents).values({ incidentId: r.id, kind: "retention_erased" });
    }
    return rows.length;
  }

  /** Repeats unacknowledged alerts and widens them to the admins; run every minute. */
  async function escalateDue(db: Db): Promise<number> {
    const now = clock();
    let n = 0;
    for (;;) {
      const done = await db.transaction(async (tx) => {
        const [i] = await tx
          .select()
          .from(incidents)
          .where(and(isNull(incidents.acknowledgedAt), lte(incidents.nextEscalationAt, now)))
          .orderBy(asc(incidents.nextEscalationAt))
          .limit(1)
          .for("update", { skipLocked: true });
        if (!i) return false;
        const level = i.escalationLevel + 1;
        await alert(tx, i, level);
        await tx.update(incidents).set({ escalationLevel: level, nextEscalationAt: new Date(now.getTime() + deps.ackMinutes * 60_000) }).where(eq(incidents.id, i.id));
        return true;
      });
      if (!done) return n;
      n++;
    }
  }

  /** Reminders to the reporter before each legal clock runs out (once per clock, by dedupe key). */
  async function remindClocks(db: Db): Promise<number> {
    const now = clock();
    const open = await db.select().from(incidents).where(inArray(incidents.status, ["new", "acknowledged", "in_progress"]));
    const rows: NewOutboxRow[] = [];
    const today = localDate(now, timeZone);
    for (const i of open) {
      const clocks = legalClocks(i, timeZone);
      const due: [string, string][] = [];
      const hoursLeft = (clocks.emergency.getTime() - now.getTime()) / 3_600_000;
      if (hoursLeft > 0 && hoursLeft <= 2) due.push(["emergency", `còn dưới 2 giờ để thực hiện biện pháp khẩn cấp (hạn ${formatDateTime(clocks.emergency, timeZone)})`]);
      if (today === addDays(clocks.supportPlan, -1)) due.push(["plan", `ngày mai (${clocks.supportPlan}) là hạn lập kế hoạch hỗ trợ, can thiệp (5 ngày làm việc)`]);
      if (today === addDays(clocks.approval, -1)) due.push(["approval", `ngày mai (${clocks.approval}) là hạn phê duyệt kế hoạch (2 ngày làm việc)`]);
      if (clocks.separationEnds && today === localDate(new Date(clocks.separationEnds.getTime() - 86_400_000), timeZone)) due.push(["separation", "ngày mai hết 15 ngày tạm thời cách ly trẻ"]);
      if (due.length === 0) continue;
      const reporter = (await recipientsOfUnits(db, [i.unitId])).reachable.find((r) => r.officerId === i.reporterId);
      if (!reporter) continue;
      for (const [clockName, text] of due) {
        rows.push({ officerId: reporter.officerId, channel: reporter.channel, chatId: reporter.chatId, kind: "alert", urgent: clockName === "emergency", dedupeKey: `incident:${i.id}:clock:${clockName}`, payload: { text: `⏰ ${i.ref}: ${text}. Gõ "cập nhật ${i.ref}" để ghi lại việc đã làm.` } });
      }
    }
    return (await deps.enqueue(db, rows)).length;
  }

  /**
   * A look-up of a ref that found nothing the reader may see. The row is the same whether the case
   * does not exist or lies outside the reader's subtree — the prober may read their own audit
   * entries, so it must not tell them which — and the ref is recorded as typed (clipped).
   */
  async function refused(tx: DbOrTx, actor: string, ref: string, via: string): Promise<void> {
    await tx.insert(auditLog).values({ actor, action: "incident.read_refused", target: clip(ref.trim().toUpperCase(), 40), detail: { via } });
  }

  /**
   * The case with this ref and its unit, if the reader may see it: `within` is the reader's own
   * unit (the case's unit or one below it), absent for the API token (every case). Anything else
   * is audited as a refused look-up and answered undefined, the same for a ref that does not exist.
   */
  async function find(tx: DbOrTx, ref: string, reader: IncidentReader): Promise<{ incident: Incident; unit: Unit } | undefined> {
    const [row] = await tx.select({ incident: incidents, unit: units }).from(incidents).innerJoin(units, eq(units.id, incidents.unitId)).where(eq(incidents.ref, ref.trim().toUpperCase()));
    const within = reader.within;
    // The same subtree test as the web pages' (src/http/admin/kit.ts inSubtree): a root of path "" is the whole country.
    const inside = (w: Pick<Unit, "scheme" | "path">, u: Unit) => w.scheme === u.scheme && (w.path === "" || u.path === w.path || u.path.startsWith(`${w.path}.`));
    const visible = row && (within === undefined || (within !== null && inside(within, row.unit)));
    if (!visible) {
      await refused(tx, reader.actor, ref, reader.via ?? "read");
      return undefined;
    }
    return row;
  }

  /**
   * A case with its timeline for a reader allowed to see it; every read, and every refused
   * look-up, is audited in the same transaction as the read itself.
   */
  async function read(db: Db, ref: string, reader: IncidentReader) {
    return db.transaction(async (tx) => {
      const found = await find(tx, ref, reader);
      if (!found) return undefined;
      const i = found.incident;
      await tx.insert(auditLog).values({ actor: reader.actor, action: "incident.read", target: i.ref });
      const timeline = await tx.select().from(incidentEvents).where(eq(incidentEvents.incidentId, i.id)).orderBy(asc(incidentEvents.at), asc(incidentEvents.id));
      const clocks = legalClocks(i, timeZone);
      return { incident: i, unit: found.unit, timeline, clocks };
    });
  }

  return { create, apply, acknowledge, assign, addNote, close, maySupervise, findForUpdate, escalateDue, remindClocks, applyRetention, find, read };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
