import { formatDate, formatDateTime, localDate } from "../domain/dates.js";
import { localTime } from "../domain/quiet-hours.js";
import { addWorkingDays } from "../domain/working-days.js";

/** The legal clocks of Nghị định 56/2017: 12 h emergency, 5 + 2 working days, 15 days separation. */
export function legalClocks(i: { createdAt: Date; separated: boolean }, timeZone: string) {
  const received = localDate(i.createdAt, timeZone);
  const plan = addWorkingDays(received, 5);
  return {
    emergency: new Date(i.createdAt.getTime() + 12 * 3_600_000),
    supportPlan: plan,
    approval: addWorkingDays(plan, 2),
    separationEnds: i.separated ? new Date(i.createdAt.getTime() + 15 * 86_400_000) : undefined,
  };
}

/** "còn 3 giờ 20 phút", "còn 2 ngày", "quá hạn 40 phút". */
export function timeLeft(deadline: Date, now: Date): { text: string; overdue: boolean; ms: number } {
  const ms = deadline.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60_000);
  const span =
    minutes >= 2 * 24 * 60
      ? `${Math.floor(minutes / (24 * 60))} ngày`
      : minutes >= 60
        ? `${Math.floor(minutes / 60)} giờ ${minutes % 60} phút`
        : `${minutes} phút`;
  return { text: ms >= 0 ? `còn ${span}` : `quá hạn ${span}`, overdue: ms < 0, ms };
}

export interface ClockView {
  name: string;
  at: Date;
  left: ReturnType<typeof timeLeft>;
  /** The deadline as shown: a time for hour clocks, a date for working-day ones. */
  label: string;
}

/** The case's clocks in words, in the order they run out; a working-day clock ends at the end of its local day. */
export function clocksOf(i: { createdAt: Date; separated: boolean }, now: Date, timeZone: string): ClockView[] {
  const c = legalClocks(i, timeZone);
  const endOfDay = (isoDate: string) => localTime(isoDate, "23:59", timeZone);
  return [
    { name: "Biện pháp khẩn cấp (12 giờ)", at: c.emergency, left: timeLeft(c.emergency, now), label: formatDateTime(c.emergency, timeZone) },
    { name: "Kế hoạch hỗ trợ (5 ngày làm việc)", at: endOfDay(c.supportPlan), left: timeLeft(endOfDay(c.supportPlan), now), label: formatDate(c.supportPlan) },
    { name: "Phê duyệt kế hoạch (+2 ngày làm việc)", at: endOfDay(c.approval), left: timeLeft(endOfDay(c.approval), now), label: formatDate(c.approval) },
    ...(c.separationEnds
      ? [{ name: "Cách ly tạm thời (15 ngày)", at: c.separationEnds, left: timeLeft(c.separationEnds, now), label: formatDateTime(c.separationEnds, timeZone) }]
      : []),
  ];
}
