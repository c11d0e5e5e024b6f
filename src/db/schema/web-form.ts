import { index, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";
import { submissions } from "./reporting.js";

/**
 * Links that open one officer's report as a phone web form ("Điền trên web"), sent in their chat:
 * only a hash of the token is stored; reusable until it expires (the page is reloaded, reopened).
 */
export const reportLinks = pgTable(
  "report_links",
  {
    tokenHash: text("token_hash").primaryKey(),
    officerId: integer("officer_id")
      .notNull()
      .references(() => officers.id),
    submissionId: integer("submission_id")
      .notNull()
      .references(() => submissions.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("report_links_submission_idx").on(t.submissionId)],
);

/**
 * Answers sent by the web form, by the id the phone gave each one: a retry after a lost
 * connection finds its id here and is not applied a second time (it could undo a later change).
 */
export const webAnswerOps = pgTable(
  "web_answer_ops",
  {
    opId: text("op_id").primaryKey(),
    submissionId: integer("submission_id")
      .notNull()
      .references(() => submissions.id, { onDelete: "cascade" }),
    /** What the phone was told the first time, told again to a retry. */
    result: jsonb("result").$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("web_answer_ops_submission_idx").on(t.submissionId)],
);
