import { pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";

/**
 * Every platform event we have processed, keyed by the platform's own id (Telegram update_id,
 * Zalo event+message id). Inserted in the same transaction as the event's effects, so a
 * redelivered event finds its row and changes nothing.
 */
export const inboundEvents = pgTable(
  "inbound_events",
  {
    channel: text("channel").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.dedupeKey] })],
);
