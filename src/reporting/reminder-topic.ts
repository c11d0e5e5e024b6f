/**
 * The outbox topic of a period's reminders to one unit: the planned reminders (src/scheduler/planners.ts)
 * and «Nhắc ngay» share it, so a submission cancels both and the dashboard shows the last of either.
 */
export const reminderTopic = (periodId: number, unitId: number) => `reminder:${periodId}:${unitId}`;
