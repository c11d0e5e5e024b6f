import { and, eq, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { answers, periods } from "../db/schema/index.js";
import type { ReportRoot } from "../directory/units.js";
import { deadlineFor } from "../domain/periods.js";
import { loadCalendar, specOf, type Period } from "./reporting-calendar.js";
import type { FormDefinition } from "../forms/form-schema.js";
import { answerCounts, type AnswerCounts } from "./answer-counts.js";
import { anyOf, childCodeOfPath, isCounted, subtreeReports } from "./subtree-reports.js";

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
  /** Sum of every numeric question over submitted reports of the subtree (repeat rows included). */
  sums: Record<string, number>;
  /** Choice questions: option → how many of those reports (inside a repeat: rows) chose it. */
  choiceCounts: AnswerCounts["choiceCounts"];
  /** Repeat groups: how many rows those reports gave. */
  repeatRows: AnswerCounts["repeatRows"];
  /** Repeat rows by two choice questions the form crosses. */
  crossCounts: AnswerCounts["crossCounts"];
}

const emptyCounts = (): StatusCounts => ({ units: 0, submitted: 0, onTime: 0, late: 0, inProgress: 0, notStarted: 0, overdue: 0 });

/**
 * Who reported, who is late, and the totals, for the children of `root` in the tree. Reporting
 * units are the communes of the subtree. Every unit of the subtree with its report is read (the
 * calendar beside it), then the sums over exactly the reports just listed, so that counts and
 * totals always describe the same reports.
 */
export async function periodStatus(db: DbOrTx, period: Period, root: ReportRoot, today: string, form?: FormDefinition): Promise<PeriodStatus> {
  const [rows, calendar] = await Promise.all([subtreeReports(db, period, root), loadCalendar(db, period.templateId)]);
  const communes = rows.filter((r) => r.level === "commune");
  const childCode = childCodeOfPath(root);
  const spec = specOf(period);
  // Only commune deadlines matter here; narrowing the calendar once keeps the per-commune lookup short.
  const communeCalendar = calendar.filter((e) => e.level === "commune" && e.slot === spec.slot);
  const communeDeadline = (path: string) => deadlineFor(communeCalendar, spec, path, "commune");

  const total = emptyCounts();
  // The root's children are among the subtree's units; those with a commune under them are listed.
  const withCommunes = new Set(communes.map((r) => childCode(r.path)));
  const byChild = new Map<string, ChildStatus>(
    rows
      .filter((r) => childCode(r.path) === r.code && withCommunes.has(r.code))
      .map((r) => [r.code, { code: r.code, name: r.name, level: r.level, counts: emptyCounts() }]),
  );
  for (const r of communes) {
    const deadline = communeDeadline(r.path);
    const status = reportStatus(r.status);
    const code = childCode(r.path);
    const child = code === undefined ? undefined : byChild.get(code);
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
      Object.assign(child, {
        status,
        submissionId: r.submissionId,
        reviewStatus: r.status,
        late: r.late,
        submittedAt: r.submittedAt?.toISOString() ?? null,
        deadline,
      });
    }
  }

  // A commune asked about itself has no children: it is its own row.
  if (root.level === "commune" && communes[0]) {
    const r = communes[0];
    byChild.set(root.code, {
      code: root.code,
      name: root.name,
      level: root.level,
      status: reportStatus(r.status),
      submissionId: r.submissionId,
      reviewStatus: r.status,
      late: r.late,
      submittedAt: r.submittedAt?.toISOString() ?? null,
      deadline: communeDeadline(r.path),
      counts: { ...total },
    });
  }

  // Every unit of the subtree counts towards the sums (a district's own report too), as before.
  const counted = rows.filter((r) => isCounted(r.status)).map((r) => r.submissionId!);
  const [sumRows, counts] = await Promise.all([
    counted.length
      ? db
          .select({ questionId: answers.questionId, total: sql<number>`sum(${answers.valueNum})`.mapWith(Number) })
          .from(answers)
          .where(and(anyOf(answers.submissionId, counted), sql`${answers.valueNum} is not null`))
          .groupBy(answers.questionId)
      : [],
    answerCounts(db, counted, form),
  ]);

  return {
    period: { id: period.id, key: period.key, templateId: period.templateId },
    unit: { code: root.code, name: root.name, level: root.level, scheme: root.scheme },
    counts: total,
    children: [...byChild.values()].sort((a, b) => a.code.localeCompare(b.code)),
    sums: Object.fromEntries(sumRows.map((r) => [r.questionId, r.total])),
    ...counts,
  };
}

const reportStatus = (status: string | null): UnitReportStatus => (isCounted(status) ? "submitted" : status ? "in_progress" : "not_started");

export async function findPeriod(db: DbOrTx, idOrKey: string, templateId?: string): Promise<Period | undefined> {
  const where = /^\d+$/.test(idOrKey)
    ? eq(periods.id, Number(idOrKey))
    : and(eq(periods.key, idOrKey), templateId ? eq(periods.templateId, templateId) : undefined);
  const [p] = await db.select().from(periods).where(where).limit(1);
  return p;
}
