import { sql } from "drizzle-orm";
import { index, integer, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { channels, officers } from "./officers.js";

/**
 * approved / rejected: by a supervisor on /officers; linked: the account was linked another way
 * first (the officer typed an invite code); replaced: the same account asked again.
 */
export const pendingLinkDecisions = ["approved", "rejected", "linked", "replaced"] as const;
export type PendingLinkDecision = (typeof pendingLinkDecisions)[number];

/**
 * A platform account asking to be linked to the officer with a phone it could have typed (Zalo
 * OA's request-info form): nothing is linked until a supervisor approves it or the officer types
 * their invite code. Numbers nobody registered are kept too (officer_id null, never shown), so
 * that the answer to the asker is the same whether or not the number is an officer's.
 */
export const pendingLinks = pgTable(
  "pending_links",
  {
    id: serial("id").primaryKey(),
    channel: text("channel", { enum: channels }).notNull(),
    externalId: text("external_id").notNull(),
    chatId: text("chat_id").notNull(),
    officerId: integer("officer_id").references(() => officers.id),
    /** E.164 digits as normalised, what the form said. */
    phone: text("phone").notNull(),
    /** The name sent with the form (Zalo fills in the display name; the user may change it). */
    displayName: text("display_name"),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decidedBy: integer("decided_by").references(() => officers.id),
    decision: text("decision", { enum: pendingLinkDecisions }),
  },
  (t) => [
    // One open request per platform account: asking again replaces it.
    uniqueIndex("pending_links_open_uq")
      .on(t.channel, t.externalId)
      .where(sql`${t.decidedAt} is null`),
    index("pending_links_officer_idx")
      .on(t.officerId)
      .where(sql`${t.decidedAt} is null`),
  ],
);
