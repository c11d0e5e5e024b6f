import { auditLog } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { formatDate } from "../domain/dates.js";
import { recipientsOfUnits } from "../delivery/audience.js";
import type { Outbox } from "../delivery/outbox.js";
import type { OfficerRole } from "../db/schema/index.js";
import { reminderTopic, startChoice, webChoice, WEB_CHOICE_LABEL } from "../reporting/reminder-topic.js";
import { mayRequest } from "./create-request.js";
import { askedUnits, requestInScope } from "./request-status.js";

/**
 * «Nhắc những đơn vị chưa trả lời»: every asked unit in the actor's part that has not answered
 * is reminded now (daytime: the outbox keeps quiet hours), once per minute whatever the clicks.
 * Units that answered hear nothing.
 */
export async function remindRequest(
  ctx: ServiceContext,
  deps: { outbox: Pick<Outbox, "enqueue" | "deliverNow"> },
  input: { id: number | string },
  today: string,
): Promise<{ units: number; reminded: number; reachable: number; unreachable: number }> {
  mayRequest(ctx);
  const { request, visible } = await requestInScope(ctx, input);
  const waiting = (await askedUnits(ctx.db, request, visible)).filter((u) => u.status === "in_progress" || u.status === "not_started");
  const { reachable, unlinked } = await recipientsOfUnits(
    ctx.db,
    waiting.map((u) => u.unitId),
    request.roles as OfficerRole[],
  );
  const by = ctx.actor.kind === "officer" ? ctx.actor.officer.name : "Quản trị hệ thống";
  const minute = ctx.clock().toISOString().slice(0, 16);
  const when = today > request.deadline ? `đã quá hạn ${formatDate(request.deadline)}` : `hạn ${formatDate(request.deadline)}`;
  // The reminders and their audit row commit together; sending starts after the commit.
  const ids = await ctx.db.transaction(async (tx) => {
    const queued = await deps.outbox.enqueue(
      tx,
      reachable.map((r) => ({
        officerId: r.officerId,
        channel: r.channel,
        chatId: r.chatId,
        kind: "reminder",
        topic: reminderTopic(request.periodId, r.unitId),
        dedupeKey: `reminder:${request.periodId}:${r.unitId}:manual:${minute}:${r.officerId}`,
        payload: {
          text: `${by} nhắc: anh/chị ${r.name} vui lòng trả lời yêu cầu báo cáo «${request.title}» (${when}).`,
          choices: [
            { value: startChoice(request.templateId), label: "📝 Trả lời ngay" },
            { value: webChoice(request.templateId), label: WEB_CHOICE_LABEL },
          ],
        },
      })),
    );
    await tx.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "request.remind",
      target: `request:${request.id}`,
      detail: { units: waiting.length, reminded: queued.length },
    });
    return queued;
  });
  await deps.outbox.deliverNow(ids);
  // `reminded` counts the reminders queued now: a second click within the minute queues none.
  return { units: waiting.length, reminded: ids.length, reachable: reachable.length, unreachable: unlinked.length };
}
