import { eq } from "drizzle-orm";
import type { Tx } from "../db/client.js";
import { periods, submissionEvents, submissions, units } from "../db/schema/index.js";
import { formatDate, formatDateTime } from "../domain/dates.js";
import type { OutboundMessage } from "../domain/messages.js";
import { isLate } from "../domain/periods.js";
import { deadlinesForUnit, loadCalendar } from "../reporting/reporting-calendar.js";

export interface SubmitDeps {
  timeZone: string;
  /** Runs in the submitting transaction (the scheduler cancels the unit's queued reminders). */
  onSubmitted?: (tx: Tx, periodId: number, unitId: number) => Promise<void>;
}

/**
 * Records a report as submitted, on time or late against its unit's level's deadline, whether it
 * was finished in chat or on the web form: the caller has checked it is complete and consistent.
 */
export function createSubmitReport(deps: SubmitDeps) {
  return async function submitReport(tx: Tx, submissionId: number, officerId: number, now: Date, today: string, label: string): Promise<OutboundMessage> {
    const [row] = await tx
      .select({ path: units.path, level: units.level, periodId: submissions.periodId })
      .from(submissions)
      .innerJoin(units, eq(units.id, submissions.unitId))
      .where(eq(submissions.id, submissionId));
    const [period] = await tx.select().from(periods).where(eq(periods.id, row!.periodId));
    const calendar = await loadCalendar(tx, period!.templateId);
    const deadline = deadlinesForUnit(calendar, period!, row!.path)[row!.level];
    const late = isLate(today, deadline);
    const [done] = await tx
      .update(submissions)
      .set({ status: "submitted", submittedAt: now, late, updatedAt: now })
      .where(eq(submissions.id, submissionId))
      .returning({ periodId: submissions.periodId, unitId: submissions.unitId });
    await tx.insert(submissionEvents).values({ submissionId, kind: "submitted", officerId });
    await deps.onSubmitted?.(tx, done!.periodId, done!.unitId);
    return {
      text: `✅ Đã nộp ${label} lúc ${formatDateTime(now, deps.timeZone)}${late ? ` (trễ hạn, hạn là ${formatDate(deadline)})` : " (đúng hạn)"}. Cảm ơn anh/chị!`,
    };
  };
}

export type SubmitReport = ReturnType<typeof createSubmitReport>;
