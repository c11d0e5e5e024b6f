import { and, asc, desc, eq, inArray, isNull, lte, ne, sql } from "drizzle-orm";
import { z } from "zod";
import type { Db, DbOrTx } from "../db/client.js";
import { auditLog, incidentEvents, incidents, officers, units } from "../db/schema/index.js";
import type { ActingOfficer } from "../directory/officers.js";
import { ancestorsOf, type Unit } from "../directory/units.js";
import { auditName, officerActor, type Actor, type ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { contains, inScopeSql, strictlyBelow } from "../domain/scope.js";
import { addDays, formatDateTime, localDate } from "../domain/dates.js";
import { incidentTypeLabel, type IncidentEffect } from "./incident-flow.js";
import { clocksOf, legalClocks, type ClockView } from "./incident-clocks.js";
import type { OutboundMessage } from "../domain/messages.js";
import type { NewOutboxRow } from "../delivery/outbox.js";
import { recipientsOfUnits, type Recipient } from "../delivery/audience.js";
import { clip } from "../domain/text.js";

export type Incident = typeof incidents.$inferSelect;

export const INCIDENT_ACK_PREFIX = "inc-ack:";

export interface IncidentDeps {
  enqueue: (tx: DbOrTx, rows: NewOutboxRow[]) => Promise<number[]>;
  clock: () => Date;
  timeZone: string;
  /** This site's address for the case links in alerts: PUBLIC_URL, else the service's own (never a request's). */
  publicOrigin?: () => string;
  /** Minutes without acknowledgement before the alert is repeated and escalated. */
  ackMinutes: number;
}

const typeLabel = incidentTypeLabel;
export { legalClocks } from "./incident-clocks.js";

/** A case is looked up by the ref people type ("KC-2026-0042") or, from a chat button, by its id. */
const CaseKey = z.union([z.object({ ref: z.string().trim().min(1).max(200) }), z.object({ id: z.number().int() })]);
/** `via`: the way in, recorded with a refused look-up ("web", "note", "api"); without it a refusal is not audited. */
const Via = z.string().max(20).optional();
export const AcknowledgeInput = z.intersection(CaseKey, z.object({ via: Via }));
export const AssignInput = z.object({ ref: z.string().trim().min(1).max(200), officerId: z.number().int(), via: Via });
export const NoteInput = z.object({ ref: z.string().trim().min(1).max(200), text: z.string().max(20_000), via: Via });
export const CloseInput = z.object({ ref: z.string().trim().min(1).max(200), outcome: z.string().max(20_000), via: Via });
export const ReadInput = z.object({ ref: z.string().max(200), via: z.string().max(20).default("read") });
export const ListInput = z.object({ closed: z.boolean() });

/** Checks a use case's input at its entry: a bad one is `invalid_input`, never a crash. */
function parse<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new AppError(
      "invalid_input",
      "Dữ liệu gửi lên không hợp lệ.",
      r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
    );
  return r.data;
}

const NOT_FOUND = () => new AppError("not_found", "Không tìm thấy báo cáo khẩn này.");

/** The actor supervises the case's unit: an officer above it (never a commune officer), or an admin of its tree. */
export const supervises = (actor: Actor, unit: Pick<Unit, "scheme" | "path">): boolean =>
  actor.kind === "officer" && actor.officer.role !== "commune" && strictlyBelow(actor.scope, unit);
/** The actor may write on the case (a note, closing it): its own unit's officers and its supervisors. */
const mayWrite = (actor: Actor, i: Incident, unit: Unit) => actor.kind === "officer" && (actor.officer.unitId === i.unitId || supervises(actor, unit));
/** Every case is visible to the API token and the CLI; an officer sees those of their scope. */
const visibleTo = (actor: Actor, unit: Unit) => actor.kind === "system" || contains(actor.scope, unit);

export interface IncidentCase {
  incident: Incident;
  unit: Unit;
  timeline: (typeof incidentEvents.$inferSelect)[];
  clocks: ReturnType<typeof legalClocks>;
  /** Names of the officers the case and its timeline mention (reporter, assignee, each step's author). */
  names: Record<number, string>;
  mayAcknowledge: boolean;
  /** Officers the case may be handed to (its unit and each level above), when the reader may assign. */
  assignable: { id: number; name: string; unit: string }[] | undefined;
}

export interface IncidentListRow {
  incident: Incident;
  unit: string;
  reporter: string;
  clocks: ClockView[];
  /** The nearest clock still running (the last one when all ran out). */
  next: ClockView;
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
    const { reachable } = await recipientsOfUnits(
      tx,
      chain.map((u) => u.id),
      withAdmins ? ["district", "province", "admin"] : ["district", "province"],
    );
    return reachable;
  }

  function alertMessage(i: Incident, unitName: string, repeat: boolean): OutboundMessage {
    const link = deps.publicOrigin ? `\nChi tiết (sau khi đăng nhập): ${deps.publicOrigin()}/incidents/${i.ref}` : "";
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
    await tx
      .insert(incidentEvents)
      // Nobody reachable is said as such: the timeline must not read "Đã báo cấp trên" then.
      .values({
        incidentId: i.id,
        kind: to.length === 0 ? "unalerted" : level === 0 ? "alerted" : "escalated",
        detail: { level, officers: to.map((r) => r.officerId) },
      });
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
            (names.length > 0
              ? `Đã báo ngay cho: ${names.join(", ")}.`
              : "⚠️ Chưa có cán bộ cấp trên nào liên kết kênh chat: anh/chị gọi điện báo cấp trên và Tổng đài 111.") +
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
      await tx
        .update(incidents)
        .set({ status: sql`case when ${incidents.status} = 'closed' then 'closed' else 'in_progress' end` })
        .where(eq(incidents.id, incidentId));
      await tx.insert(incidentEvents).values({ incidentId, kind: "note", officerId: officer.id, detail: { text: effect.text } });
    } else if (effect.kind === "attach") {
      await tx
        .update(incidents)
        .set({ attachments: sql`${incidents.attachments} || ${JSON.stringify([{ channel: "chat", fileId: effect.fileId, kind: effect.fileKind }])}::jsonb` })
        .where(eq(incidents.id, incidentId));
      await tx.insert(incidentEvents).values({ incidentId, kind: "attachment", officerId: officer.id, detail: { kind: effect.fileKind } });
    }
  }

  /** Tells the reporter on chat what happened to their case (never the case details themselves). */
  async function notifyReporter(tx: DbOrTx, i: Incident, step: string, text: string): Promise<void> {
    const reporter = (await recipientsOfUnits(tx, [i.unitId])).reachable.find((r) => r.officerId === i.reporterId);
    if (!reporter) return;
    const link = deps.publicOrigin ? `\nChi tiết: ${deps.publicOrigin()}/incidents/${i.ref}` : "";
    await deps.enqueue(tx, [
      {
        officerId: reporter.officerId,
        channel: reporter.channel,
        chatId: reporter.chatId,
        kind: "alert",
        urgent: true,
        dedupeKey: `incident:${i.id}:${step}`,
        payload: { text: `${text}${link}` },
      },
    ]);
  }

  /** Cases an officer may update by chat: those of their own unit. A refused look-up is audited. */
  async function findForUpdate(tx: DbOrTx, officer: ActingOfficer, ref: string): Promise<Incident | undefined> {
    const [i] = await tx
      .select()
      .from(incidents)
      .where(and(eq(incidents.ref, ref.toUpperCase()), eq(incidents.unitId, officer.unitId)));
    if (!i) await refused(tx, `officer:${officer.id}`, ref, "chat");
    return i;
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
      .where(
        and(
          eq(incidents.status, "closed"),
          lte(incidents.closedAt, cutoff),
          sql`(${incidents.description} is not null or ${incidents.place} is not null or ${incidents.outcome} is not null or ${incidents.attachments} <> '[]'::jsonb)`,
        ),
      )
      .returning({ id: incidents.id });
    for (const r of rows) {
      // Notes are free text and may hold the same details: erased with the rest.
      await db
        .update(incidentEvents)
        .set({ detail: {} })
        .where(and(eq(incidentEvents.incidentId, r.id), eq(incidentEvents.kind, "note")));
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
        await tx
          .update(incidents)
          .set({ escalationLevel: level, nextEscalationAt: new Date(now.getTime() + deps.ackMinutes * 60_000) })
          .where(eq(incidents.id, i.id));
        return true;
      });
      if (!done) return n;
      n++;
    }
  }

  /** Reminders to the reporter before each legal clock runs out (once per clock, by dedupe key). */
  async function remindClocks(db: Db): Promise<number> {
    const now = clock();
    const open = await db
      .select()
      .from(incidents)
      .where(inArray(incidents.status, ["new", "acknowledged", "in_progress"]));
    const rows: NewOutboxRow[] = [];
    const today = localDate(now, timeZone);
    for (const i of open) {
      const clocks = legalClocks(i, timeZone);
      const due: [string, string][] = [];
      const hoursLeft = (clocks.emergency.getTime() - now.getTime()) / 3_600_000;
      if (hoursLeft > 0 && hoursLeft <= 2)
        due.push(["emergency", `còn dưới 2 giờ để thực hiện biện pháp khẩn cấp (hạn ${formatDateTime(clocks.emergency, timeZone)})`]);
      if (today === addDays(clocks.supportPlan, -1))
        due.push(["plan", `ngày mai (${clocks.supportPlan}) là hạn lập kế hoạch hỗ trợ, can thiệp (5 ngày làm việc)`]);
      if (today === addDays(clocks.approval, -1)) due.push(["approval", `ngày mai (${clocks.approval}) là hạn phê duyệt kế hoạch (2 ngày làm việc)`]);
      if (clocks.separationEnds && today === localDate(new Date(clocks.separationEnds.getTime() - 86_400_000), timeZone))
        due.push(["separation", "ngày mai hết 15 ngày tạm thời cách ly trẻ"]);
      if (due.length === 0) continue;
      const reporter = (await recipientsOfUnits(db, [i.unitId])).reachable.find((r) => r.officerId === i.reporterId);
      if (!reporter) continue;
      for (const [clockName, text] of due) {
        rows.push({
          officerId: reporter.officerId,
          channel: reporter.channel,
          chatId: reporter.chatId,
          kind: "alert",
          urgent: clockName === "emergency",
          dedupeKey: `incident:${i.id}:clock:${clockName}`,
          payload: { text: `⏰ ${i.ref}: ${text}. Gõ "cập nhật ${i.ref}" để ghi lại việc đã làm.` },
        });
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

  // ——— The use cases: typed input and result, the audit row in the change's own transaction. ———

  /**
   * Runs `change` on the case, locked, if the actor may see it; otherwise `not_found` — the same
   * for a case that does not exist — after recording the refused look-up (with `via`) outside the
   * rolled-back work, so the refusal stays in the audit log.
   */
  async function onCase<T>(
    ctx: ServiceContext,
    key: z.infer<typeof CaseKey>,
    via: string | undefined,
    change: (tx: DbOrTx, i: Incident, unit: Unit) => Promise<T>,
  ): Promise<T> {
    const out = await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ incident: incidents, unit: units })
        .from(incidents)
        .innerJoin(units, eq(units.id, incidents.unitId))
        .where("id" in key ? eq(incidents.id, key.id) : eq(incidents.ref, key.ref.toUpperCase()))
        .for("update", { of: incidents });
      if (!row || !visibleTo(ctx.actor, row.unit)) return { found: false as const };
      return { found: true as const, value: await change(tx, row.incident, row.unit) };
    });
    if (!out.found) {
      if (via) await refused(ctx.db, auditName(ctx.actor), "ref" in key ? key.ref : String(key.id), via);
      throw NOT_FOUND();
    }
    return out.value;
  }

  const actingOfficer = (actor: Actor): ActingOfficer => {
    if (actor.kind !== "officer") throw new AppError("forbidden", "Chỉ cán bộ đăng nhập mới xử lý được báo cáo khẩn.");
    return actor.officer;
  };
  const audit = (tx: DbOrTx, ctx: ServiceContext, action: string, i: Incident, detail: Record<string, unknown> = {}) =>
    tx.insert(auditLog).values({ actor: auditName(ctx.actor), action, target: i.ref, detail });

  /**
   * A supervisor takes the case in (tiếp nhận): the escalation stops and the reporter is told.
   * Already taken in: nothing changes, and the result says by whom and when.
   */
  async function acknowledgeIncident(
    ctx: ServiceContext,
    raw: z.input<typeof AcknowledgeInput>,
  ): Promise<{ incident: Incident; already?: { by: string | undefined; at: Date } }> {
    const input = parse(AcknowledgeInput, raw);
    return onCase(ctx, input, input.via, async (tx, i, unit) => {
      const officer = actingOfficer(ctx.actor);
      if (!supervises(ctx.actor, unit)) throw new AppError("forbidden", "Chỉ cấp trên của đơn vị báo cáo mới tiếp nhận được.");
      if (i.acknowledgedAt) {
        const [by] = i.acknowledgedBy === null ? [] : await tx.select({ name: officers.name }).from(officers).where(eq(officers.id, i.acknowledgedBy));
        return { incident: i, already: { by: by?.name, at: i.acknowledgedAt } };
      }
      const [updated] = await tx
        .update(incidents)
        .set({ status: "acknowledged", acknowledgedAt: ctx.clock(), acknowledgedBy: officer.id, nextEscalationAt: null })
        .where(eq(incidents.id, i.id))
        .returning();
      await tx.insert(incidentEvents).values({ incidentId: i.id, kind: "acknowledged", officerId: officer.id });
      const reporter = (await recipientsOfUnits(tx, [i.unitId])).reachable.find((r) => r.officerId === i.reporterId);
      if (reporter) {
        await deps.enqueue(tx, [
          {
            officerId: reporter.officerId,
            channel: reporter.channel,
            chatId: reporter.chatId,
            kind: "alert",
            urgent: true,
            dedupeKey: `incident:${i.id}:ack`,
            payload: { text: `${i.ref} đã được ${officer.name} tiếp nhận.` },
          },
        ]);
      }
      await audit(tx, ctx, "incident.acknowledge", i);
      return { incident: updated! };
    });
  }

  /**
   * A supervisor hands the case to an officer (phân công) of the case's unit or a level above;
   * assigning also takes the case in. The assignee and the reporter are told on chat.
   */
  async function assignIncident(
    ctx: ServiceContext,
    raw: z.input<typeof AssignInput>,
  ): Promise<{ incident: Incident; assignee: { id: number; name: string } }> {
    const input = parse(AssignInput, raw);
    return onCase(ctx, input, input.via, async (tx, i, unit) => {
      const officer = actingOfficer(ctx.actor);
      if (!supervises(ctx.actor, unit)) throw new AppError("forbidden", "Chỉ cấp trên của đơn vị báo cáo mới phân công được.");
      if (i.status === "closed") throw new AppError("conflict", `${i.ref} đã đóng.`);
      const chain = await ancestorsOf(tx, unit);
      const [assignee] = await tx
        .select()
        .from(officers)
        .where(
          and(
            eq(officers.id, input.officerId),
            eq(officers.active, true),
            inArray(
              officers.unitId,
              chain.map((u) => u.id),
            ),
          ),
        );
      if (!assignee) throw new AppError("invalid_input", "Cán bộ được phân công phải thuộc đơn vị của vụ việc hoặc cấp trên.");
      const now = ctx.clock();
      const [updated] = await tx
        .update(incidents)
        .set({
          assignedTo: assignee.id,
          status: i.status === "new" ? "acknowledged" : i.status,
          // Assigning is also taking the case in: the escalation stops.
          ...(i.acknowledgedAt ? {} : { acknowledgedAt: now, acknowledgedBy: officer.id, nextEscalationAt: null }),
        })
        .where(eq(incidents.id, i.id))
        .returning();
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
            payload: {
              text: `📌 ${officer.name} phân công anh/chị theo dõi báo cáo khẩn ${i.ref} (${typeLabel(i.type)}).${deps.publicOrigin ? `\nChi tiết: ${deps.publicOrigin()}/incidents/${i.ref}` : ""}`,
            },
          },
        ]);
      }
      await notifyReporter(tx, i, `assigned:${now.getTime()}`, `${i.ref}: ${officer.name} đã phân công ${assignee.name} theo dõi vụ việc.`);
      await audit(tx, ctx, "incident.assign", i, { assignee: assignee.name, officerId: assignee.id });
      return { incident: updated!, assignee: { id: assignee.id, name: assignee.name } };
    });
  }

  /** A note on the case timeline; the reporter is told a note was added (never its text). */
  async function noteIncident(ctx: ServiceContext, raw: z.input<typeof NoteInput>): Promise<{ incident: Incident }> {
    const input = parse(NoteInput, raw);
    return onCase(ctx, input, input.via, async (tx, i, unit) => {
      const officer = actingOfficer(ctx.actor);
      if (!mayWrite(ctx.actor, i, unit)) throw NOT_FOUND();
      const note = clip(input.text.trim(), 2000);
      if (!note) throw new AppError("invalid_input", "Ghi chú đang trống.");
      await apply(tx, officer, i.id, { kind: "note", text: note });
      if (officer.id !== i.reporterId)
        await notifyReporter(tx, i, `note:${ctx.clock().getTime()}`, `${i.ref}: ${officer.name} đã ghi thêm diễn biến vào hồ sơ.`);
      await audit(tx, ctx, "incident.note", i);
      return { incident: i };
    });
  }

  /** Closes the case with its outcome: its own unit's officers or a supervisor may. Closing twice changes nothing. */
  async function closeIncident(ctx: ServiceContext, raw: z.input<typeof CloseInput>): Promise<{ incident: Incident; alreadyClosed: boolean }> {
    const input = parse(CloseInput, raw);
    return onCase(ctx, input, input.via, async (tx, i, unit) => {
      const officer = actingOfficer(ctx.actor);
      if (!mayWrite(ctx.actor, i, unit)) throw NOT_FOUND();
      if (i.status === "closed") return { incident: i, alreadyClosed: true };
      const outcome = input.outcome.trim();
      if (!outcome) throw new AppError("invalid_input", "Cần ghi kết quả xử lý trước khi đóng hồ sơ.");
      const [updated] = await tx
        .update(incidents)
        .set({ status: "closed", outcome: clip(outcome, 1000), closedAt: ctx.clock(), nextEscalationAt: null })
        .where(eq(incidents.id, i.id))
        .returning();
      await tx.insert(incidentEvents).values({ incidentId: i.id, kind: "closed", officerId: officer.id });
      if (officer.id !== i.reporterId) await notifyReporter(tx, i, "closed", `${i.ref} đã được ${officer.name} đóng hồ sơ (kết quả ghi trong hồ sơ).`);
      await audit(tx, ctx, "incident.close", i);
      return { incident: updated!, alreadyClosed: false };
    });
  }

  /**
   * A case with its timeline, for a reader allowed to see it; the read, or the refused look-up
   * (the same row whether the case does not exist or lies outside the reader's scope), is audited
   * in the same transaction as the read itself.
   */
  async function readIncident(ctx: ServiceContext, raw: z.input<typeof ReadInput>): Promise<IncidentCase> {
    const input = parse(ReadInput, raw);
    const found = await ctx.db.transaction(async (tx) => {
      const [row] = await tx
        .select({ incident: incidents, unit: units })
        .from(incidents)
        .innerJoin(units, eq(units.id, incidents.unitId))
        .where(eq(incidents.ref, input.ref.trim().toUpperCase()));
      if (!row || !visibleTo(ctx.actor, row.unit)) {
        await refused(tx, auditName(ctx.actor), input.ref, input.via);
        return undefined;
      }
      const i = row.incident;
      await tx.insert(auditLog).values({ actor: auditName(ctx.actor), action: "incident.read", target: i.ref });
      const timeline = await tx
        .select()
        .from(incidentEvents)
        .where(eq(incidentEvents.incidentId, i.id))
        .orderBy(asc(incidentEvents.at), asc(incidentEvents.id));
      const ids = [...new Set([...timeline.map((e) => e.officerId), i.assignedTo, i.reporterId].filter((v): v is number => v !== null))];
      const people = await tx.select({ id: officers.id, name: officers.name }).from(officers).where(inArray(officers.id, ids));
      const mayAssign = supervises(ctx.actor, row.unit) && i.status !== "closed";
      const assignable = mayAssign
        ? await tx
            .select({ id: officers.id, name: officers.name, unit: units.name })
            .from(officers)
            .innerJoin(units, eq(units.id, officers.unitId))
            .where(
              and(
                eq(officers.active, true),
                inArray(
                  officers.unitId,
                  (await ancestorsOf(tx, row.unit)).map((u) => u.id),
                ),
              ),
            )
            .orderBy(units.path, officers.name)
        : undefined;
      return {
        incident: i,
        unit: row.unit,
        timeline,
        clocks: legalClocks(i, timeZone),
        names: Object.fromEntries(people.map((p) => [p.id, p.name])),
        mayAcknowledge: supervises(ctx.actor, row.unit) && !i.acknowledgedAt,
        assignable,
      };
    });
    if (!found) throw NOT_FOUND();
    return found;
  }

  /**
   * The open (or closed) cases of the actor's scope, most urgent first: not yet taken in, then the
   * nearest clock still running, newest on ties. The list and the refs it showed are audited.
   */
  async function listIncidents(ctx: ServiceContext, raw: z.input<typeof ListInput>): Promise<IncidentListRow[]> {
    const input = parse(ListInput, raw);
    const rows = await ctx.db
      .select({ incident: incidents, unit: units.name, reporter: officers.name })
      .from(incidents)
      .innerJoin(units, eq(units.id, incidents.unitId))
      .innerJoin(officers, eq(officers.id, incidents.reporterId))
      .where(and(inScopeSql(ctx.actor.scope, units), input.closed ? eq(incidents.status, "closed") : ne(incidents.status, "closed")))
      .orderBy(desc(incidents.createdAt))
      .limit(500);
    const now = ctx.clock();
    const ranked = rows
      .map((r) => ({ ...r, clocks: clocksOf(r.incident, now, timeZone) }))
      .map((r) => ({ ...r, next: r.clocks.find((k) => !k.left.overdue) ?? r.clocks.at(-1)! }))
      .sort(
        (a, b) =>
          Number(!!a.incident.acknowledgedAt) - Number(!!b.incident.acknowledgedAt) ||
          (input.closed ? 0 : a.next.at.getTime() - b.next.at.getTime()) ||
          b.incident.createdAt.getTime() - a.incident.createdAt.getTime(),
      );
    const where = ctx.actor.kind === "officer" ? `unit:${ctx.actor.unit.scheme}:${ctx.actor.unit.code}` : `unit:${ctx.actor.scope.scheme}:`;
    await ctx.db.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "incident.list",
      target: where,
      detail: { closed: input.closed, refs: ranked.map((r) => r.incident.ref) },
    });
    return ranked;
  }

  // ——— Chat adapters: the bot's calls, in the words chat has always used. ———

  async function chatContext(tx: DbOrTx, officer: ActingOfficer): Promise<ServiceContext | undefined> {
    const [unit] = await tx.select().from(units).where(eq(units.id, officer.unitId));
    return unit ? { actor: officerActor(officer, unit), db: tx, clock } : undefined;
  }
  const refusal = (err: unknown, code: AppError["code"][]) => err instanceof AppError && code.includes(err.code);

  /** The one-tap acknowledgement from an alert's button. */
  async function acknowledge(tx: DbOrTx, officer: ActingOfficer, incidentId: number): Promise<OutboundMessage> {
    const ctx = await chatContext(tx, officer);
    if (!ctx || !Number.isSafeInteger(incidentId)) return { text: "Không tìm thấy báo cáo khẩn này." };
    try {
      const r = await acknowledgeIncident(ctx, { id: incidentId });
      if (r.already) return { text: `${r.incident.ref} đã được ${r.already.by ?? "cán bộ khác"} tiếp nhận lúc ${formatDateTime(r.already.at, timeZone)}.` };
      return { text: `Đã tiếp nhận ${r.incident.ref}. Người báo cáo đã được thông báo.` };
    } catch (err) {
      if (refusal(err, ["not_found", "forbidden"])) return { text: "Không tìm thấy báo cáo khẩn này." };
      throw err;
    }
  }

  /** "đóng KC-…: kết quả" typed on chat. */
  async function close(tx: DbOrTx, officer: ActingOfficer, ref: string, outcome: string): Promise<OutboundMessage> {
    const ctx = await chatContext(tx, officer);
    if (!ctx) return { text: `Không tìm thấy ${ref}.` };
    try {
      const r = await closeIncident(ctx, { ref, outcome });
      return { text: r.alreadyClosed ? `${r.incident.ref} đã đóng trước đó.` : `Đã đóng ${r.incident.ref}. Kết quả đã được ghi lại.` };
    } catch (err) {
      if (refusal(err, ["not_found", "forbidden"])) return { text: `Không tìm thấy ${ref}.` };
      if (refusal(err, ["invalid_input"])) return { text: `Anh/chị gõ kèm kết quả, ví dụ: "đóng ${ref.toUpperCase()}: trẻ đã an toàn, gia đình được hỗ trợ".` };
      throw err;
    }
  }

  return {
    create,
    apply,
    acknowledge,
    close,
    findForUpdate,
    escalateDue,
    remindClocks,
    applyRetention,
    acknowledgeIncident,
    assignIncident,
    noteIncident,
    closeIncident,
    readIncident,
    listIncidents,
  };
}

export type IncidentService = ReturnType<typeof createIncidentService>;
