import { boolean, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import type { Audience } from "./broadcasts.js";
import type { StepRule } from "../../domain/campaign-dates.js";

/**
 * A campaign (chiến dịch): a named series of messages to an audience, on solar, lunar, relative
 * or weekly dates — the June Action Month for Children, Tết Trung thu, summer drowning warnings.
 */
export const campaigns = pgTable(
  "campaigns",
  {
    id: serial("id").primaryKey(),
    key: text("key").notNull(),
    name: text("name").notNull(),
    audience: jsonb("audience").$type<Audience>().notNull(),
    /** The yearly theme (chủ đề), e.g. {"2025": "Ưu tiên nguồn lực…"}; {theme} in step texts. */
    themes: jsonb("themes").$type<Record<string, string>>().notNull().default({}),
    active: boolean("active").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("campaigns_key_uq").on(t.key)],
);

export const campaignSteps = pgTable(
  "campaign_steps",
  {
    id: serial("id").primaryKey(),
    campaignId: integer("campaign_id")
      .notNull()
      .references(() => campaigns.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    rule: jsonb("rule").$type<StepRule>().notNull(),
    /** Local time of day to send, "HH:MM" (quiet hours still apply). */
    sendAt: text("send_at").notNull().default("08:00"),
    text: text("text").notNull(),
  },
  (t) => [uniqueIndex("campaign_steps_key_uq").on(t.campaignId, t.key)],
);
