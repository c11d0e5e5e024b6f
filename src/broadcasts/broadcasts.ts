import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client.js";
import { broadcastRecipients, broadcasts, channelLinks, officers, outbox, units } from "../db/schema/index.js";
import type { OutboundMessage } from "../domain/messages.js";
import { fold } from "../domain/text.js";
import type { Audience } from "../delivery/audience.js";

export type Broadcast = typeof broadcasts.$inferSelect;

export const ACK_PREFIX = "ack:";

export function broadcastMessage(b: Pick<Broadcast, "id" | "text" | "documentUrl" | "requireAck">): OutboundMessage {
  const lines = [`📢 ${b.text}`];
  if (b.documentUrl) lines.push("", `Văn bản: ${b.documentUrl}`);
  if (b.requireAck) lines.push("", 'Anh/chị vui lòng bấm «Đã nhận» hoặc trả lời "đã nhận".');
  return { text: lines.join("\n"), ...(b.requireAck ? { choices: [{ value: `${ACK_PREFIX}${b.id}`, label: "✅ Đã nhận" }] } : {}) };
}

export async function createBroadcast(
  db: Db,
  input: { text: string; documentUrl?: string; audience: Audience; sendAt?: Date; requireAck: boolean },
  now: Date,
): Promise<Broadcast> {
  const [b] = await db
    .insert(broadcasts)
    .values({ text: input.text, documentUrl: input.documentUrl ?? null, audience: input.audience, sendAt: input.sendAt ?? now, requireAck: input.requireAck })
    .returning();
  return b!;
}

export type RecipientStatus = "pending" | "queued" | "sent" | "failed" | "unreachable" | "outside_window" | "acknowledged";

/** Per recipient: where the directive stands (sent, failed, acknowledged…) and when. */
export async function broadcastStatus(db: DbOrTx, id: number) {
  const [b] = await db.select().from(broadcasts).where(eq(broadcasts.id, id));
  if (!b) return undefined;
  const rows = await db
    .select({
      officerId: officers.id,
      name: officers.name,
      unit: units.name,
      channel: outbox.channel,
      status: outbox.status,
      sentAt: outbox.sentAt,
      ackAt: broadcastRecipients.ackAt,
    })
    .from(broadcastRecipients)
    .innerJoin(officers, eq(officers.id, broadcastRecipients.officerId))
    .innerJoin(units, eq(units.id, officers.unitId))
    // The message itself and any fallback copy on another channel ("broadcast:1:5>telegram").
    .leftJoin(
      outbox,
      sql`${outbox.dedupeKey} = 'broadcast:' || ${broadcastRecipients.broadcastId} || ':' || ${broadcastRecipients.officerId}
          or ${outbox.dedupeKey} like 'broadcast:' || ${broadcastRecipients.broadcastId} || ':' || ${broadcastRecipients.officerId} || '>%'`,
    )
    .where(eq(broadcastRecipients.broadcastId, id))
    .orderBy(officers.id, outbox.id);
  // Per officer, the best news among their copies: sent beats queued beats a failure.
  const rank: Record<string, number> = { sent: 5, sending: 4, queued: 4, cancelled: 3, outside_window: 2, unreachable: 1, failed: 0 };
  const best = new Map<number, (typeof rows)[number]>();
  for (const r of rows) {
    const prev = best.get(r.officerId);
    if (!prev || (rank[r.status ?? ""] ?? -1) > (rank[prev.status ?? ""] ?? -1)) best.set(r.officerId, r);
  }
  const recipients = [...best.values()].map((r) => {
    const status: RecipientStatus = r.ackAt
      ? "acknowledged"
      : r.status === null
        ? "unreachable"
        : r.status === "sending" || r.status === "cancelled"
          ? "queued"
          : r.status;
    return {
      officerId: r.officerId,
      name: r.name,
      unit: r.unit,
      channel: r.channel,
      status,
      sentAt: r.sentAt?.toISOString() ?? null,
      acknowledgedAt: r.ackAt?.toISOString() ?? null,
    };
  });
  const counts: Record<string, number> = {};
  for (const r of recipients) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return { broadcast: b, recipients, counts, planned: b.plannedAt !== null };
}

/**
 * "Đã nhận" from an officer: the button names the directive; the typed words mean the latest
 * one still waiting for this officer's acknowledgement. Returns the reply (that nothing waits,
 * when nothing does), or undefined when the words are not an acknowledgement.
 */
export async function acknowledge(tx: DbOrTx, officerId: number, input: { text?: string; choice?: string }, now: Date): Promise<OutboundMessage | undefined> {
  let id: number | undefined;
  if (input.choice?.startsWith(ACK_PREFIX)) id = Number(input.choice.slice(ACK_PREFIX.length));
  else if (!isAcknowledgement(input.text)) return undefined;
  const pending = await tx
    .select({ broadcastId: broadcastRecipients.broadcastId, ackAt: broadcastRecipients.ackAt })
    .from(broadcastRecipients)
    .innerJoin(broadcasts, eq(broadcasts.id, broadcastRecipients.broadcastId))
    .where(
      and(
        eq(broadcastRecipients.officerId, officerId),
        eq(broadcasts.requireAck, true),
        id !== undefined ? eq(broadcasts.id, id) : isNull(broadcastRecipients.ackAt),
      ),
    )
    .orderBy(desc(broadcasts.sendAt))
    .limit(1);
  const target = pending[0];
  // "đã nhận" with nothing waiting is still not an answer to a report's question.
  if (!target) return { text: id !== undefined ? "Văn bản này không còn cần xác nhận." : "Không có văn bản nào đang chờ anh/chị xác nhận «đã nhận»." };
  if (target.ackAt) return { text: "Anh/chị đã xác nhận văn bản này rồi. Cảm ơn!" };
  await tx
    .update(broadcastRecipients)
    .set({ ackAt: now })
    .where(and(eq(broadcastRecipients.broadcastId, target.broadcastId), eq(broadcastRecipients.officerId, officerId)));
  return { text: "✅ Đã ghi nhận anh/chị đã nhận văn bản. Cảm ơn!" };
}

/** "đã nhận", "Đã nhận ạ", "ok đã nhận rồi", "da nhan duoc van ban nhe"… */
export function isAcknowledgement(text: string | undefined): boolean {
  const f = fold(text ?? "").replace(/(\s+(a|nhe|nha|roi|ah|ha|ak|ok))+$/, "");
  return /^(ok\s+|vang\s+|da\s+)?(da\s+)?nhan(\s+duoc)?(\s+van\s+ban)?$/.test(f);
}

/** The preferred channel of an officer other than `exceptChannel`, for fallback delivery. */
export async function otherChannel(db: DbOrTx, officerId: number, exceptChannel: string) {
  const rows = await db
    .select({ channel: channelLinks.channel, chatId: channelLinks.chatId })
    .from(channelLinks)
    .where(and(eq(channelLinks.officerId, officerId), sql`${channelLinks.channel} <> ${exceptChannel}`, sql`${channelLinks.channel} <> 'simulator'`))
    .orderBy(desc(channelLinks.preferred), desc(channelLinks.lastSeenAt));
  return rows[0];
}
