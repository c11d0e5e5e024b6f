import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";

/** One-time sign-in links sent to an officer's chat (only a hash is stored; 10 minutes, single use). */
export const loginTokens = pgTable("login_tokens", {
  tokenHash: text("token_hash").primaryKey(),
  officerId: integer("officer_id")
    .notNull()
    .references(() => officers.id),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
});

/** Server-side web sessions: the cookie holds a random id, the database its hash. */
export const webSessions = pgTable(
  "web_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    officerId: integer("officer_id")
      .notNull()
      .references(() => officers.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("web_sessions_officer_idx").on(t.officerId)],
);
