import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { answers, officers, periods, reportRequests, reportRequestUnits, reportTemplates, submissions, units } from "../db/schema/index.js";
import type { ServiceContext } from "../directory/actor.js";
import type { Unit } from "../directory/units.js";
import { AppError } from "../domain/app-error.js";
import { contains, inScopeSql, type Placed } from "../domain/scope.js";
import type { FormRegistry } from "../forms/form-registry.js";
import type { FormDefinition } from "../forms/form-schema.js";
import { answerCounts, type AnswerCounts } from "../reporting/answer-counts.js";
import { anyOf, isCounted } from "../reporting/subtree-reports.js";

export type RequestRow = typeof reportRequests.$inferSelect;

/** Where one asked unit stands: answered by the deadline, answered after it, begun, or not begun. */
export type RequestUnitStatus = "on_time" | "late" | "in_progress" | "not_started";

export const REQUEST_STATUS_LABELS: Record<RequestUnitStatus, string> = {
  on_time: "Đã trả lời đúng hạn",
  late: "Đã trả lời, trễ hạn",
  in_progress: "Đang trả lời",
  not_started: "Chưa trả lời",
};

export interface RequestCounts {
  units: number;
  answered: number;
  onTime: number;
  late: number;
  inProgress: number;
  notStarted: number;
  /** Not answered and past the deadline. */
  overdue: number;
}

export interface RequestUnit {
  unitId: number;
  code: string;
  name: string;
  level: Unit["level"];
  status: RequestUnitStatus;
  submissionId: number | null;
  submittedAt: string | null;
  /** Active officers of the asked roles: none means nobody can answer yet. */
  officers: number;
}

export interface RequestStatus {
  request: RequestRow;
  root: Unit;
  form: FormDefinition;
  counts: RequestCounts;
  units: RequestUnit[];
  /** Sum of every numeric question over the answered reports (those listed). */
  sums: Record<string, number>;
  choiceCounts: AnswerCounts["choiceCounts"];
  repeatRows: AnswerCounts["repeatRows"];
  crossCounts: AnswerCounts["crossCounts"];
}

const RequestId = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });

const notFound = () => new AppError("not_found", "Không tìm thấy yêu cầu báo cáo.");

/**
 * The request when the actor may see it: its subtree is inside theirs (they asked it, or it was
 * asked of a unit below them), or theirs is inside it (a district officer following a province's
 * request to its own communes; then only their part is shown). Anything else is not_found.
 */
export async function requestInScope(ctx: ServiceContext, input: unknown): Promise<{ request: RequestRow; root: Unit; visible: Placed }> {
  const parsed = RequestId.safeParse(input);
  if (!parsed.success) throw notFound();
  const [row] = await ctx.db
    .select({ request: reportRequests, root: units })
    .from(reportRequests)
    .innerJoin(units, eq(units.id, reportRequests.rootUnitId))
    .where(eq(reportRequests.id, parsed.data.id));
  if (!row) throw notFound();
  const { scope } = ctx.actor;
  if (contains(scope, row.root)) return { ...row, visible: row.root };
  if (ctx.actor.kind === "officer" && contains(row.root, { scheme: scope.scheme, path: scope.path })) return { ...row, visible: scope };
  throw notFound();
}

/** The asked units inside `visible`, each with its report for the request (if begun) and its officers of the asked roles. */
export async function askedUnits(db: DbOrTx, request: RequestRow, visible: Placed): Promise<(RequestUnit & { late: boolean | null })[]> {
  const rows = await db
    .select({
      unitId: units.id,
      code: units.code,
      name: units.name,
      level: units.level,
      submissionId: submissions.id,
      reportStatus: submissions.status,
      late: submissions.late,
      submittedAt: submissions.submittedAt,
      officers: sql<number>`(select count(*) from ${officers} o where o.unit_id = ${units.id} and o.active
        and ${request.roles.length ? sql`o.role = any(${sql.param(request.roles)}::text[])` : sql`true`})`.mapWith(Number),
    })
    .from(reportRequestUnits)
    .innerJoin(units, eq(units.id, reportRequestUnits.unitId))
    .leftJoin(submissions, and(eq(submissions.unitId, units.id), eq(submissions.periodId, request.periodId)))
    .where(and(eq(reportRequestUnits.requestId, request.id), inScopeSql(visible, { scheme: units.scheme, path: units.path })))
    .orderBy(units.path);
  return rows.map((r) => ({
    unitId: r.unitId,
    code: r.code,
    name: r.name,
    level: r.level,
    status: isCounted(r.reportStatus) ? (r.late ? "late" : "on_time") : r.reportStatus ? "in_progress" : "not_started",
    late: r.late,
    submissionId: r.submissionId,
    submittedAt: isCounted(r.reportStatus) ? (r.submittedAt?.toISOString() ?? null) : null,
    officers: r.officers,
  }));
}

export function requestCounts(list: readonly Pick<RequestUnit, "status">[], overdue: boolean): RequestCounts {
  const c: RequestCounts = { units: list.length, answered: 0, onTime: 0, late: 0, inProgress: 0, notStarted: 0, overdue: 0 };
  for (const u of list) {
    if (u.status === "on_time") c.onTime++;
    else if (u.status === "late") c.late++;
    else if (u.status === "in_progress") c.inProgress++;
    else c.notStarted++;
    if (u.status === "on_time" || u.status === "late") c.answered++;
    else if (overdue) c.overdue++;
  }
  return c;
}

/** The form the request asks (its template's published version, the one officers get). */
export async function requestForm(db: DbOrTx, forms: FormRegistry, request: RequestRow): Promise<FormDefinition> {
  const [t] = await db
    .select({ formId: reportTemplates.formId, formVersion: reportTemplates.formVersion })
    .from(reportTemplates)
    .where(eq(reportTemplates.id, request.templateId));
  return forms.ensure(db, t!.formId, t!.formVersion);
}

/**
 * Who answered, who has not, and the figures of the answers: per asked unit its status against
 * the deadline, then the sums and choice counts over exactly the answered reports listed.
 */
export async function requestStatus(ctx: ServiceContext, deps: { forms: FormRegistry }, input: { id: number | string }, today: string): Promise<RequestStatus> {
  const { request, root, visible } = await requestInScope(ctx, input);
  const [list, form] = await Promise.all([askedUnits(ctx.db, request, visible), requestForm(ctx.db, deps.forms, request)]);
  const counted = list.filter((u) => u.status === "on_time" || u.status === "late").map((u) => u.submissionId!);
  const [sumRows, counts] = await Promise.all([
    counted.length
      ? ctx.db
          .select({ questionId: answers.questionId, total: sql<number>`sum(${answers.valueNum})`.mapWith(Number) })
          .from(answers)
          .where(and(anyOf(answers.submissionId, counted), sql`${answers.valueNum} is not null`))
          .groupBy(answers.questionId)
      : [],
    answerCounts(ctx.db, counted, form),
  ]);
  return {
    request,
    root,
    form,
    counts: requestCounts(list, today > request.deadline),
    units: list.map(({ late: _late, ...u }) => u),
    sums: Object.fromEntries(sumRows.map((r) => [r.questionId, r.total])),
    ...counts,
  };
}

export interface RequestSummary {
  id: number;
  title: string;
  deadline: string;
  createdAt: Date;
  root: { code: string; name: string };
  units: number;
  answered: number;
}

/**
 * The requests the actor may see, newest first: those asked of their subtree or of a unit above
 * it (counted over their part). The dashboard shows the ones still open.
 */
export async function listRequests(ctx: ServiceContext, opts: { limit?: number } = {}): Promise<RequestSummary[]> {
  const { scope } = ctx.actor;
  const mine = inScopeSql(scope, { scheme: units.scheme, path: units.path });
  // A unit above the actor: its path is a prefix of the actor's own (an officer's scope is their unit).
  const above =
    ctx.actor.kind === "officer" && scope.path !== ""
      ? sql`(${units.scheme} = ${scope.scheme} and (${units.path} = '' or ${scope.path} like ${units.path} || '.%'))`
      : sql`false`;
  const part = sql`(scope_unit.scheme = ${scope.scheme} and (${scope.path} = '' or scope_unit.path = ${scope.path} or scope_unit.path like ${scope.path} || '.%'))`;
  const rows = await ctx.db
    .select({
      id: reportRequests.id,
      title: reportRequests.title,
      deadline: reportRequests.deadline,
      createdAt: reportRequests.createdAt,
      code: units.code,
      name: units.name,
      asked: sql<number>`(select count(*) from ${reportRequestUnits} ru join ${units} scope_unit on scope_unit.id = ru.unit_id
        where ru.request_id = ${reportRequests.id} and ${part})`.mapWith(Number),
      answered: sql<number>`(select count(*) from ${reportRequestUnits} ru join ${units} scope_unit on scope_unit.id = ru.unit_id
        join ${submissions} s on s.unit_id = ru.unit_id and s.period_id = ${reportRequests.periodId} and s.status in ('submitted', 'approved')
        where ru.request_id = ${reportRequests.id} and ${part})`.mapWith(Number),
    })
    .from(reportRequests)
    .innerJoin(units, eq(units.id, reportRequests.rootUnitId))
    .innerJoin(periods, eq(periods.id, reportRequests.periodId))
    .where(sql`(${mine} or ${above})`)
    .orderBy(desc(reportRequests.createdAt), desc(reportRequests.id))
    .limit(opts.limit ?? 200);
  return rows
    .filter((r) => r.asked > 0)
    .map((r) => ({
      id: r.id,
      title: r.title,
      deadline: r.deadline,
      createdAt: r.createdAt,
      root: { code: r.code, name: r.name },
      units: r.asked,
      answered: r.answered,
    }));
}
