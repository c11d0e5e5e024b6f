import { boolean, index, integer, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { units } from "./units.js";

export const officerRoles = ["commune", "district", "province", "admin"] as const;
export type OfficerRole = (typeof officerRoles)[number];

export const officers = pgTable(
  "officers",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    /** E.164 digits without "+", e.g. 84912345678: the one key for "the same person". */
    phone: text("phone").notNull(),
    role: text("role", { enum: officerRoles }).notNull(),
    unitId: integer("unit_id")
      .notNull()
      .references(() => units.id),
    active: boolean("active").notNull().default(true),
    /** argon2id hash; only admins may sign in with a password (everyone else by a chat link). */
    passwordHash: text("password_hash"),
    /** Demo officers (created by `demo seed`) are the only ones the web simulator may act as. */
    demo: boolean("demo").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("officers_phone_uq").on(t.phone), index("officers_unit_idx").on(t.unitId)],
);

import { channels, type Channel } from "../../domain/messages.js";

export { channels, type Channel };

/** An officer's account on one messaging platform; an officer may link several. */
export const channelLinks = pgTable(
  "channel_links",
  {
    id: serial("id").primaryKey(),
    officerId: integer("officer_id")
      .notNull()
      .references(() => officers.id),
    channel: text("channel", { enum: channels }).notNull(),
    /** The platform's user id (Telegram user id, Zalo user id…). */
    externalId: text("external_id").notNull(),
    /** Where to send replies: for Telegram the private chat id equals the user id. */
    chatId: text("chat_id").notNull(),
    preferred: boolean("preferred").notNull().default(false),
    linkedAt: timestamp("linked_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("channel_links_channel_external_uq").on(t.channel, t.externalId),
    uniqueIndex("channel_links_officer_channel_uq").on(t.officerId, t.channel),
  ],
);

/** One-time invite codes; only a hash is stored so a database leak does not leak live codes. */
export const inviteCodes = pgTable(
  "invite_codes",
  {
    id: serial("id").primaryKey(),
    codeHash: text("code_hash").notNull(),
    officerId: integer("officer_id")
      .notNull()
      .references(() => officers.id),
    channel: text("channel", { enum: channels }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("invite_codes_hash_uq").on(t.codeHash)],
);
