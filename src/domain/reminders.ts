import { addDays } from "./dates.js";

/** Reminder steps in days relative to the deadline: 7, 3, 1 before, the morning of, and overdue +1, +3. */
export const DEFAULT_REMINDER_STEPS = [-7, -3, -1, 0, 1, 3];

/** The step (if any) that falls on `today` for a deadline. */
export function reminderStepOn(today: string, deadline: string, steps: number[] = DEFAULT_REMINDER_STEPS): number | undefined {
  return steps.find((s) => addDays(deadline, s) === today);
}

export function reminderText(step: number, who: string, label: string, deadlineVn: string): string {
  if (step < 0) return `Anh/chị ${who} ơi, còn ${-step} ngày nữa là hạn nộp ${label} (${deadlineVn}). Bấm «Làm báo cáo» hoặc gõ "báo cáo" để bắt đầu/làm tiếp.`;
  if (step === 0) return `Anh/chị ${who} ơi, hôm nay (${deadlineVn}) là hạn nộp ${label}. Anh/chị vui lòng hoàn thành trong ngày.`;
  return `Anh/chị ${who} ơi, ${label} đã quá hạn ${step} ngày (hạn ${deadlineVn}). Anh/chị vui lòng nộp sớm nhất có thể.`;
}
