import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { auditLog, units } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { strictlyBelow, withinOrNotFound } from "../domain/scope.js";
import type { Scheme } from "../directory/units.js";
import { reminderTopic, reportLabel, startChoice, webChoice, WEB_CHOICE_LABEL } from "./reminder-topic.js";
import type { NewOutboxRow } from "../delivery/outbox.js";
import { recipientsOfUnits } from "../delivery/audience.js";
import { openedPeriods } from "./report-root.js";

export const RemindUnitInput = z.object({
  unitCode: z.string().trim().min(1).max(40),
  /** The reporting day (local date, YYYY-MM-DD): the reminder is for the period open on it. */
  today: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
});

export type RemindUnitResult =
  | { kind: "sent"; unit: { id: number; code: string; name: string; parentCode: string | null }; periodKey: string; reminded: number }
  | { kind: "no_period"; unit: { id: number; code: string; name: string; parentCode: string | null } };

/**
 * «Nhắc ngay»: a supervisor reminds a commune below them, now, of the current period. Its
 * commune officers reachable on chat get the message at once (daytime); one manual reminder per
 * unit per minute, whatever the number of clicks. A commune officer, or a unit outside the scope,
 * gets `not_found` (the action does not exist for them).
 */
export async function remindUnit(
  ctx: ServiceContext,
  deps: { send: (rows: NewOutboxRow[]) => Promise<void> },
  input: z.input<typeof RemindUnitInput>,
): Promise<RemindUnitResult> {
  const parsed = RemindUnitInput.safeParse(input);
  if (!parsed.success) throw new AppError("not_found", "Không tìm thấy đơn vị.");
  const { unitCode, today } = parsed.data;
  const { actor } = ctx;
  if (actor.kind === "officer" && actor.officer.role === "commune") throw new AppError("not_found", "Không tìm thấy đơn vị.");
  const [found] = await ctx.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, actor.scope.scheme as Scheme), eq(units.code, unitCode)));
  const unit = withinOrNotFound(actor.scope, found);
  if (unit.level !== "commune" || !strictlyBelow(actor.scope, unit)) throw new AppError("not_found", "Không tìm thấy đơn vị.");
  const summary = { id: unit.id, code: unit.code, name: unit.name, parentCode: unit.parentCode };
  const periods = await openedPeriods(ctx, today);
  if (!periods) return { kind: "no_period", unit: summary };
  const period = periods.current;
  const { reachable } = await recipientsOfUnits(ctx.db, [unit.id], ["commune"]);
  const label = reportLabel(periods.template, period.key);
  const by = actor.kind === "officer" ? actor.officer.name : "Quản trị hệ thống";
  const minute = ctx.clock().toISOString().slice(0, 16);
  await deps.send(
    reachable.map((r) => ({
      officerId: r.officerId,
      channel: r.channel,
      chatId: r.chatId,
      kind: "reminder",
      topic: reminderTopic(period.id, unit.id),
      dedupeKey: `reminder:${period.id}:${unit.id}:manual:${minute}:${r.officerId}`,
      payload: {
        text: `${by} nhắc: anh/chị ${r.name} vui lòng hoàn thành ${label}.`,
        choices: [
          { value: startChoice(periods.template.id), label: "📝 Làm báo cáo" },
          { value: webChoice(periods.template.id), label: WEB_CHOICE_LABEL },
        ],
      },
    })),
  );
  // The outbox rows are queued and sent by `send` in its own transaction (it delivers at once);
  // the audit row follows them.
  await ctx.db
    .insert(auditLog)
    .values({ actor: auditName(actor), action: "reminder.manual", target: `${period.key}:${unit.code}`, detail: { reminded: reachable.length } });
  return { kind: "sent", unit: summary, periodKey: period.key, reminded: reachable.length };
}
