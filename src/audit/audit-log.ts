import { and, desc, eq, gte, ilike, inArray, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { auditLog, broadcasts, campaigns, incidents, officers, periods, submissions, units } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { periodLabel } from "../domain/periods.js";
import { localTime } from "../domain/quiet-hours.js";
import { contains, inScopeSql, type Scope } from "../domain/scope.js";
import { clip } from "../domain/text.js";
import { isDemoAccount } from "../directory/demo-accounts.js";
import { SYSTEM_ACTORS } from "./audit-labels.js";

export const AUDIT_PAGE_SIZE = 100;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const AuditQuery = z.object({
  action: z.string().max(100).default(""),
  who: z.string().trim().max(100).default(""),
  target: z.string().trim().max(100).default(""),
  from: z.union([z.string().regex(DAY), z.literal("")]).default(""),
  to: z.union([z.string().regex(DAY), z.literal("")]).default(""),
  page: z.number().int().min(0).max(10_000).default(0),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** A target as a person reads it: a name, and where to open it when the reader may. */
export interface TargetView {
  text: string;
  href?: string;
}

export interface AuditRow {
  id: number;
  at: Date;
  action: string;
  /** "Lò Văn Sáng" with "Xã Thèn Sin", "Mã API quản trị", or the actor as recorded. */
  who: { name: string; unit?: string };
  target: TargetView;
  detail: Record<string, unknown>;
}

/**
 * A target as recorded ("officer:5", "unit:pre2025:106", "KC-2026-0001", "submission:7",
 * "broadcast:3", "campaign:2", "calendar:child-affairs:post2025:12:2026"), or undefined for one
 * that names nothing to look up ("web", an export's "2026-H1:pre2025:106").
 */
export type ParsedTarget =
  | { kind: "officer" | "submission" | "broadcast" | "campaign"; id: number }
  | { kind: "unit"; scheme: string; code: string }
  | { kind: "incident"; ref: string }
  | { kind: "calendar"; scheme: string; code: string; year: string };

export function parseTarget(target: string): ParsedTarget | undefined {
  const byId = /^(officer|submission|broadcast|campaign):(\d{1,9})$/.exec(target);
  if (byId) return { kind: byId[1] as "officer", id: Number(byId[2]) };
  const unit = /^unit:([\w-]+):([\w.-]+)$/.exec(target);
  if (unit) return { kind: "unit", scheme: unit[1]!, code: unit[2]! };
  if (/^KC-\d{4}-\d{4,}$/.test(target)) return { kind: "incident", ref: target };
  const calendar = /^calendar:[^:]+:([\w-]+):([\w.-]+):(\d{4})$/.exec(target);
  if (calendar) return { kind: "calendar", scheme: calendar[1]!, code: calendar[2]!, year: calendar[3]! };
  return undefined;
}

const FIXED_TARGETS: Record<string, string> = { web: "Trang quản trị", "settings:quiet_hours": "Giờ yên tĩnh" };

/**
 * The targets of one page of the log, in words: one query per kind of target for the whole page
 * (never one per row). Only what lies in the reader's scope is named and linked; anything else —
 * a refused look-up of another province's case, a row whose target is gone — is shown as recorded.
 */
export async function resolveTargets(db: DbOrTx, scope: Scope, targets: readonly string[]): Promise<Map<string, TargetView>> {
  const parsed = [...new Set(targets)].map((t) => [t, parseTarget(t)] as const);
  const ids = (kind: string) => parsed.flatMap(([, p]) => (p && p.kind === kind && "id" in p ? [p.id] : []));
  const placed = (kinds: string[]) => parsed.flatMap(([, p]) => (p && kinds.includes(p.kind) && "code" in p ? [p.code] : []));
  const refs = parsed.flatMap(([, p]) => (p?.kind === "incident" ? [p.ref] : []));
  const none = Promise.resolve([]);
  const [officerRows, unitRows, incidentRows, submissionRows, broadcastRows, campaignRows] = await Promise.all([
    ids("officer").length
      ? db
          .select({ id: officers.id, name: officers.name, unit: units.name, code: units.code, scheme: units.scheme, path: units.path })
          .from(officers)
          .innerJoin(units, eq(units.id, officers.unitId))
          .where(inArray(officers.id, ids("officer")))
      : none,
    placed(["unit", "calendar"]).length
      ? db
          .select({ name: units.name, code: units.code, scheme: units.scheme, path: units.path })
          .from(units)
          .where(inArray(units.code, placed(["unit", "calendar"])))
      : none,
    refs.length
      ? db
          .select({ ref: incidents.ref, scheme: units.scheme, path: units.path })
          .from(incidents)
          .innerJoin(units, eq(units.id, incidents.unitId))
          .where(inArray(incidents.ref, refs))
      : none,
    ids("submission").length
      ? db
          .select({ id: submissions.id, period: periods.key, unit: units.name, scheme: units.scheme, path: units.path })
          .from(submissions)
          .innerJoin(units, eq(units.id, submissions.unitId))
          .innerJoin(periods, eq(periods.id, submissions.periodId))
          .where(inArray(submissions.id, ids("submission")))
      : none,
    ids("broadcast").length
      ? db
          .select({ id: broadcasts.id, text: broadcasts.text, scheme: units.scheme, path: units.path })
          .from(broadcasts)
          .leftJoin(officers, eq(officers.id, broadcasts.createdBy))
          .leftJoin(units, eq(units.id, officers.unitId))
          .where(inArray(broadcasts.id, ids("broadcast")))
      : none,
    ids("campaign").length
      ? db
          .select({ id: campaigns.id, name: campaigns.name })
          .from(campaigns)
          .where(inArray(campaigns.id, ids("campaign")))
      : none,
  ]);
  const inScope = (u: { scheme: string | null; path: string | null }) =>
    u.scheme !== null && u.path !== null && contains(scope, { scheme: u.scheme, path: u.path });
  const out = new Map<string, TargetView>();
  for (const [target, p] of parsed) {
    let view: TargetView | undefined = FIXED_TARGETS[target] ? { text: FIXED_TARGETS[target] } : undefined;
    if (p?.kind === "officer") {
      const o = officerRows.find((r) => r.id === p.id);
      if (o && inScope(o)) view = { text: `${o.name} (${o.unit})`, href: `/officers?unit=${encodeURIComponent(o.code)}` };
    } else if (p?.kind === "unit" || p?.kind === "calendar") {
      const u = unitRows.find((r) => r.scheme === p.scheme && r.code === p.code);
      if (u && inScope(u))
        view =
          p.kind === "unit"
            ? { text: u.name, href: `/units?code=${encodeURIComponent(u.code)}` }
            : { text: `Lịch báo cáo năm ${p.year} — ${u.name}`, href: "/calendars" };
    } else if (p?.kind === "incident") {
      const i = incidentRows.find((r) => r.ref === p.ref);
      if (i && inScope(i)) view = { text: i.ref, href: `/incidents/${i.ref}` };
    } else if (p?.kind === "submission") {
      const s = submissionRows.find((r) => r.id === p.id);
      if (s && inScope(s)) view = { text: `${capitalise(periodLabel(s.period))} — ${s.unit}`, href: `/submissions/${s.id}` };
    } else if (p?.kind === "broadcast") {
      const b = broadcastRows.find((r) => r.id === p.id);
      // A directive sent by the API or the CLI has no unit: its text is shown to admins only (scope "").
      if (b && (inScope(b) || (b.scheme === null && scope.path === "")))
        view = { text: `Văn bản: ${clip(b.text.replace(/\s+/g, " "), 60)}`, href: `/broadcasts/${b.id}` };
    } else if (p?.kind === "campaign") {
      const k = campaignRows.find((r) => r.id === p.id);
      if (k) view = { text: `Chiến dịch: ${k.name}`, href: `/campaigns/${k.id}` };
    }
    out.set(target, view ?? { text: target });
  }
  return out;
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The audit log (nhật ký) for the actor: entries by people of their scope, newest first, a page at
 * a time, with the filters given; entries by the API token or the CLI only admins see (a demo
 * admin's are not: those entries name real units and cases). The read is itself audited.
 */
export async function readAuditLog(
  ctx: ServiceContext,
  raw: z.input<typeof AuditQuery>,
  timeZone: string,
): Promise<{ rows: AuditRow[]; more: boolean; query: AuditQuery }> {
  const parsed = AuditQuery.safeParse(raw);
  if (!parsed.success)
    throw new AppError(
      "invalid_input",
      "Bộ lọc nhật ký không hợp lệ.",
      parsed.error.issues.map((i) => i.message),
    );
  const q = parsed.data;
  const { actor } = ctx;
  const like = (v: string) => `%${v.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  const seesSystem = actor.kind === "system" || (actor.officer.role === "admin" && !isDemoAccount(actor.officer, actor.unit));
  const inScope = inScopeSql(actor.scope, units);
  const filters: (SQL | undefined)[] = [
    seesSystem ? or(inScope, sql`${officers.id} is null`) : inScope,
    q.action ? eq(auditLog.action, q.action) : undefined,
    q.who ? or(ilike(officers.name, like(q.who)), ilike(officers.phone, like(q.who.replace(/^0/, ""))), ilike(auditLog.actor, like(q.who))) : undefined,
    q.target ? ilike(auditLog.target, like(q.target)) : undefined,
    q.from ? gte(auditLog.at, localTime(q.from, "00:00", timeZone)) : undefined,
    q.to ? lt(auditLog.at, new Date(localTime(q.to, "00:00", timeZone).getTime() + 86_400_000)) : undefined,
  ];
  const rows = await ctx.db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      actor: auditLog.actor,
      action: auditLog.action,
      target: auditLog.target,
      detail: auditLog.detail,
      name: officers.name,
      unit: units.name,
    })
    .from(auditLog)
    .leftJoin(officers, sql`${auditLog.actor} = 'officer:' || ${officers.id}`)
    .leftJoin(units, eq(units.id, officers.unitId))
    .where(and(...filters))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(AUDIT_PAGE_SIZE + 1)
    .offset(q.page * AUDIT_PAGE_SIZE);
  const where = actor.kind === "officer" ? `unit:${actor.unit.scheme}:${actor.unit.code}` : `unit:${actor.scope.scheme}:`;
  await ctx.db.insert(auditLog).values({ actor: auditName(actor), action: "audit.read", target: where, detail: { filters: { ...q } } });
  const page = rows.slice(0, AUDIT_PAGE_SIZE);
  const targets = await resolveTargets(
    ctx.db,
    actor.scope,
    page.map((r) => r.target),
  );
  return {
    more: rows.length > AUDIT_PAGE_SIZE,
    query: q,
    rows: page.map((r) => ({
      id: r.id,
      at: r.at,
      action: r.action,
      who: r.name ? { name: r.name, ...(r.unit ? { unit: r.unit } : {}) } : { name: SYSTEM_ACTORS[r.actor] ?? r.actor },
      target: targets.get(r.target) ?? { text: r.target },
      detail: r.detail,
    })),
  };
}
