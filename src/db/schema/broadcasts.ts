import { boolean, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp } from "drizzle-orm/pg-core";
import { officers, type OfficerRole } from "./officers.js";
import type { units } from "./units.js";
import { documents } from "./settings.js";

/** Who a campaign or broadcast goes to: a subtree of the unit tree, optionally only some roles. */
export interface Audience {
  scheme: (typeof units.$inferSelect)["scheme"];
  /** Root unit code; every officer in its subtree is included. No root = the whole country. */
  rootCode?: string;
  roles?: OfficerRole[];
}

/** A directive (chỉ đạo) sent to part of the tree, optionally asking for "đã nhận". */
export const broadcasts = pgTable("broadcasts", {
  id: serial("id").primaryKey(),
  text: text("text").notNull(),
  documentUrl: text("document_url"),
  /** A document uploaded in the web composer, served at /documents/<key>. */
  documentId: integer("document_id").references(() => documents.id),
  /** Who sent it from the web (null = API/CLI); the list shows a unit's own directives. */
  createdBy: integer("created_by").references(() => officers.id),
  audience: jsonb("audience").$type<Audience>().notNull(),
  sendAt: timestamp("send_at", { withTimezone: true }).notNull(),
  requireAck: boolean("require_ack").notNull().default(false),
  /** Set when the recipients were expanded into the outbox. */
  plannedAt: timestamp("planned_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const broadcastRecipients = pgTable(
  "broadcast_recipients",
  {
    broadcastId: integer("broadcast_id")
      .notNull()
      .references(() => broadcasts.id, { onDelete: "cascade" }),
    officerId: integer("officer_id")
      .notNull()
      .references(() => officers.id),
    ackAt: timestamp("ack_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.broadcastId, t.officerId] }), index("broadcast_recipients_officer_idx").on(t.officerId)],
);
