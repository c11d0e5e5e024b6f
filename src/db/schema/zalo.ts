import { integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The Zalo OA access/refresh token pair. The refresh token is single-use: a refresh stores the
 * new pair here, in the same transaction that locked the row, before the new token is used.
 */
export const zaloOaTokens = pgTable("zalo_oa_tokens", {
  id: integer("id").primaryKey().default(1),
  accessToken: text("access_token").notNull(),
  refreshToken: text("refresh_token").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});
