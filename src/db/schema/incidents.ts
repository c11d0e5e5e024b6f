import { boolean, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";
import { units } from "./units.js";

export const incidentStatuses = ["new", "acknowledged", "in_progress", "closed"] as const;

/**
 * An urgent incident report (báo cáo khẩn) about a child. Confidential (Luật Trẻ em Art. 24,
 * Nghị định 56/2017 Art. 24): no name of the child; age and sex only; the description never
 * leaves baocao in a chat message.
 */
export const incidents = pgTable(
  "incidents",
  {
    id: serial("id").primaryKey(),
    /** Short reference for people, e.g. KC-2026-0042. */
    ref: text("ref").notNull(),
    unitId: integer("unit_id")
      .notNull()
      .references(() => units.id),
    reporterId: integer("reporter_id")
      .notNull()
      .references(() => officers.id),
    type: text("type").notNull(),
    subtype: text("subtype"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }).notNull(),
    /** Village/hamlet as typed; the unit is the reporter's commune. */
    place: text("place"),
    childAge: integer("child_age"),
    childSex: text("child_sex"),
    description: text("description"),
    actions: jsonb("actions").$type<string[]>(),
    /** Platform file ids of photos/documents, fetched only through access-checked routes. */
    attachments: jsonb("attachments").$type<{ channel: string; fileId: string; kind: string }[]>().notNull().default([]),
    separated: boolean("separated").notNull().default(false),
    status: text("status", { enum: incidentStatuses }).notNull().default("new"),
    outcome: text("outcome"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true }),
    acknowledgedBy: integer("acknowledged_by").references(() => officers.id),
    /** 0 = alerted the supervising levels; each missed acknowledgement adds a level. */
    /** The officer following the case (phân công), set from the inbox. */
    assignedTo: integer("assigned_to").references(() => officers.id),
    escalationLevel: integer("escalation_level").notNull().default(0),
    nextEscalationAt: timestamp("next_escalation_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("incidents_ref_uq").on(t.ref), index("incidents_unit_idx").on(t.unitId), index("incidents_escalation_idx").on(t.nextEscalationAt)],
);

/** The case timeline: every step, who did it and when. */
export const incidentEvents = pgTable(
  "incident_events",
  {
    id: serial("id").primaryKey(),
    incidentId: integer("incident_id")
      .notNull()
      .references(() => incidents.id),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    kind: text("kind").notNull(),
    officerId: integer("officer_id").references(() => officers.id),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("incident_events_incident_idx").on(t.incidentId)],
);

/** Who read or did what (append-only: the service never updates or deletes a row). */
export const auditLog = pgTable(
  "audit_log",
  {
    id: serial("id").primaryKey(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target").notNull(),
    detail: jsonb("detail").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("audit_log_target_idx").on(t.target), index("audit_log_at_idx").on(t.at)],
);
