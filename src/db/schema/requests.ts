import { index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, date } from "drizzle-orm/pg-core";
import { officers, type OfficerRole } from "./officers.js";
import { units } from "./units.js";
import { periods, reportTemplates } from "./reporting.js";

/**
 * An ad-hoc report request (yêu cầu báo cáo đột xuất): a district or province asks the units of a
 * subtree for a one-off report by a date. It is a template of its own (`report_templates.kind =
 * 'request'`, on an existing form or on the quick questions typed in the page) with a single
 * period, so the chat, reminders, late marking and review are those of every report.
 */
export const reportRequests = pgTable(
  "report_requests",
  {
    id: serial("id").primaryKey(),
    templateId: text("template_id")
      .notNull()
      .references(() => reportTemplates.id),
    periodId: integer("period_id")
      .notNull()
      .references(() => periods.id),
    title: text("title").notNull(),
    note: text("note"),
    /** The unit whose subtree is asked (the requester's own or one below it). */
    rootUnitId: integer("root_unit_id")
      .notNull()
      .references(() => units.id),
    roles: jsonb("roles").$type<OfficerRole[]>().notNull(),
    deadline: date("deadline").notNull(),
    /** The form it was built on, when not its own quick questions. */
    baseFormId: text("base_form_id"),
    createdBy: integer("created_by").references(() => officers.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("report_requests_root_idx").on(t.rootUnitId)],
);

/** The units asked, fixed when the request is made: who has answered is counted against this list. */
export const reportRequestUnits = pgTable(
  "report_request_units",
  {
    requestId: integer("request_id")
      .notNull()
      .references(() => reportRequests.id, { onDelete: "cascade" }),
    unitId: integer("unit_id")
      .notNull()
      .references(() => units.id),
  },
  (t) => [primaryKey({ columns: [t.requestId, t.unitId] }), index("report_request_units_unit_idx").on(t.unitId)],
);
