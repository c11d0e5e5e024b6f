import { and, eq, inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { answers, periods, submissions, units } from "../db/schema/index.js";
import type { Unit } from "../directory/units.js";
import { loadCalendar, deadlinesForUnit, type Period } from "./reporting-calendar.js";

export type UnitReportStatus = "submitted" | "in_progress" | "not_started";

export interface StatusCounts {
  units: number;
  submitted: number;
  onTime: number;
  late: number;
  inProgress: number;
  notStarted: number;
  /** Not submitted and past the deadline. */
  overdue: number;
}

export interface ChildStatus {
  code: string;
  name: string;
  level: string;
  /** For a commune: its own status; for a district: the counts of its communes. */
  status?: UnitReportStatus;
  /** The commune's submission, when it has one (for the review page). */
  submissionId?: number | null;
  /** submitted, approved, returned…: the review state. */
  reviewStatus?: string | null;
  late?: boolean | null;
  submittedAt?: string | null;
  deadline?: string;
  counts: StatusCounts;
}

export interface PeriodStatus {
  period: { id: number; key: string; templateId: string };
  unit: { code: string; name: string; level: string; scheme: string };
  counts: StatusCounts;
  children: ChildStatus[];
  /** Sum of every numeric question over submitted reports of the subtree. */
  sums: Record<string, number>;
}

const emptyCounts = (): StatusCounts => ({ units: 0, submitted: 0, onTime: 0, late: 0, inProgress: 0, notStarted: 0, overdue: 0 });

/**
 * Who reported, who is late, and the totals, for the children of `root` in the tree. Reporting
 * units are the communes of the subtree; one query for statuses, one for sums.
 */
export async function periodStatus(db: DbOrTx, period: Period, root: Unit, today: string): Promise<PeriodStatus> {
  const rootDepth = root.path.split(".").length;
  const subtree = sql`(${units.path} = ${root.path} or ${units.path} like ${root.path} || '.%')`;
  const rows = await db
    .select({
      code: units.code,
      path: units.path,
      submissionId: submissions.id,
      status: submissions.status,
      late: submissions.late,
      submittedAt: submissions.submittedAt,
    })
    .from(units)
    .leftJoin(submissions, and(eq(submissions.unitId, units.id), eq(submissions.periodId, period.id)))
    .where(and(eq(units.scheme, root.scheme), eq(units.level, "commune"), subtree));

  const childCodes = [...new Set(rows.map((r) => r.path.split(".")[rootDepth]).filter((c): c is string => c !== undefined))];
  const childUnits = childCodes.length
    ? await db.select().from(units).where(and(eq(units.scheme, root.scheme), inArray(units.code, childCodes)))
    : [];
  const calendar = await loadCalendar(db, period.templateId);

  const total = emptyCounts();
  const byChild = new Map<string, ChildStatus>();
  for (const u of childUnits) {
    byChild.set(u.code, { code: u.code, name: u.name, level: u.level, counts: emptyCounts() });
  }
  for (const r of rows) {
    const deadline = deadlinesForUnit(calendar, period, r.path).commune;
    const status: UnitReportStatus =
      r.status === "submitted" || r.status === "approved" ? "submitted" : r.status ? "in_progress" : "not_started";
    const childCode = r.path.split(".")[rootDepth];
    const child = childCode ? byChild.get(childCode) : undefined;
    for (const c of child ? [total, child.counts] : [total]) {
      c.units++;
      if (status === "submitted") {
        c.submitted++;
        if (r.late) c.late++;
        else c.onTime++;
      } else {
        if (status === "in_progress") c.inProgress++;
        else c.notStarted++;
        if (today > deadline) c.overdue++;
      }
    }
    if (child && child.level === "commune") {
      Object.assign(child, { status, submissionId: r.submissionId, reviewStatus: r.status, late: r.late, submittedAt: r.submittedAt?.toISOString() ?? null, deadline });
    }
  }

  // A commune asked about itself has no children: it is its own row.
  if (root.level === "commune" && rows[0]) {
    const r = rows[0];
    byChild.set(root.code, {
      code: root.code,
      name: root.name,
      level: root.level,
      status: r.status === "submitted" || r.status === "approved" ? "submitted" : r.status ? "in_progress" : "not_started",
      submissionId: r.submissionId,
      reviewStatus: r.status,
      late: r.late,
      submittedAt: r.submittedAt?.toISOString() ?? null,
      deadline: deadlinesForUnit(calendar, period, r.path).commune,
      counts: { ...total },
    });
  }

  const sumRows = await db
    .select({ questionId: answers.questionId, total: sql<number>`sum(${answers.valueNum})`.mapWith(Number) })
    .from(answers)
    .innerJoin(submissions, eq(submissions.id, answers.submissionId))
    .innerJoin(units, eq(units.id, submissions.unitId))
    .where(
      and(
        eq(submissions.periodId, period.id),
        inArray(submissions.status, ["submitted", "approved"]),
        eq(units.scheme, root.scheme),
        subtree,
        sql`${answers.valueNum} is not null`,
      ),
    )
    .groupBy(answers.questionId);

  return {
    period: { id: period.id, key: period.key, templateId: period.templateId },
    unit: { code: root.code, name: root.name, level: root.level, scheme: root.scheme },
    counts: total,
    children: [...byChild.values()].sort((a, b) => a.code.localeCompare(b.code)),
    sums: Object.fromEntries(sumRows.map((r) => [r.questionId, r.total])),
  };
}

export async function findPeriod(db: DbOrTx, idOrKey: string, templateId?: string): Promise<Period | undefined> {
  const where = /^\d+$/.test(idOrKey)
    ? eq(periods.id, Number(idOrKey))
    : and(eq(periods.key, idOrKey), templateId ? eq(periods.templateId, templateId) : undefined);
  const [p] = await db.select().from(periods).where(where).limit(1);
  return p;
}
