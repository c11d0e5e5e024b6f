import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, bigserial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";
import type { OutboundMessage } from "../../domain/messages.js";

export const outboxStatuses = ["queued", "sending", "sent", "failed", "unreachable", "outside_window", "cancelled"] as const;

/**
 * Every message baocao sends. Replies are written here in the same transaction as the answer
 * that caused them and sent right after commit; whatever could not be sent stays queued for
 * the delivery worker, so a crash between commit and send loses nothing.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    officerId: integer("officer_id").references(() => officers.id),
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    kind: text("kind").notNull().default("reply"),
    payload: jsonb("payload").$type<OutboundMessage>().notNull(),
    dedupeKey: text("dedupe_key"),
    /** What the message is about, e.g. "reminder:12:345" (period 12, unit 345): a submission cancels its queued reminders. */
    topic: text("topic"),
    notBefore: timestamp("not_before", { withTimezone: true }).notNull().defaultNow(),
    status: text("status", { enum: outboxStatuses }).notNull().default("queued"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    platformMessageId: text("platform_message_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("outbox_dedupe_uq").on(t.dedupeKey),
    index("outbox_due_idx")
      .on(t.notBefore)
      .where(sql`${t.status} = 'queued'`),
    index("outbox_topic_idx")
      .on(t.topic)
      .where(sql`${t.status} = 'queued'`),
  ],
);
