import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { parseInput } from "./parse-input.js";
import { auditLog, broadcastRecipients } from "../db/schema/index.js";
import { AppError } from "../domain/app-error.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import { resolveRecipients } from "../delivery/audience.js";
import type { Outbox } from "../delivery/outbox.js";
import { broadcastMessage } from "./broadcasts.js";
import { broadcastInScope } from "./visible-broadcasts.js";

export const RemindBroadcastInput = z.object({ broadcastId: z.number().int().positive() });

export interface RemindResult {
  broadcastId: number;
  /** Reminders queued now: recipients who have not acknowledged and can be reached. */
  reminded: number;
  /** Recipients still without "đã nhận" (some may have no chat, or were reminded this minute). */
  waiting: number;
}

/**
 * Reminds the recipients of a directive who have not said "đã nhận" yet, on their chat, at most
 * once a minute each however often it is asked. Audited ("broadcast.remind") with the queueing.
 */
export async function remindBroadcast(
  ctx: ServiceContext,
  input: z.infer<typeof RemindBroadcastInput>,
  deps: { outbox: Pick<Outbox, "enqueue"> },
): Promise<RemindResult> {
  const { broadcastId } = parseInput(RemindBroadcastInput, input);
  const b = await broadcastInScope(ctx, broadcastId);
  if (!b.requireAck) throw new AppError("invalid_input", "Văn bản này không yêu cầu xác nhận.");
  return ctx.db.transaction(async (tx) => {
    const waiting = await tx
      .select({ officerId: broadcastRecipients.officerId })
      .from(broadcastRecipients)
      .where(and(eq(broadcastRecipients.broadcastId, b.id), isNull(broadcastRecipients.ackAt)));
    const { reachable } = await resolveRecipients(tx, b.audience);
    const ids = new Set(waiting.map((w) => w.officerId));
    const minute = ctx.clock().toISOString().slice(0, 16);
    const original = broadcastMessage(b);
    const queued = await deps.outbox.enqueue(
      tx,
      reachable
        .filter((r) => ids.has(r.officerId))
        .map((r) => ({
          officerId: r.officerId,
          channel: r.channel,
          chatId: r.chatId,
          kind: "broadcast",
          dedupeKey: `broadcast-remind:${b.id}:${minute}:${r.officerId}`,
          payload: { ...original, text: `🔔 Nhắc lại — anh/chị chưa xác nhận văn bản:\n${original.text}` },
        })),
    );
    await tx
      .insert(auditLog)
      .values({ actor: auditName(ctx.actor), action: "broadcast.remind", target: `broadcast:${b.id}`, detail: { officers: queued.length } });
    return { broadcastId: b.id, reminded: queued.length, waiting: waiting.length };
  });
}
