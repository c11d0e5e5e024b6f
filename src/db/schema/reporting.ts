import { boolean, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, unique, uniqueIndex } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";
import { units } from "./units.js";

export const periodicities = ["monthly", "quarterly", "half-yearly", "yearly", "six-month-and-yearly", "once"] as const;
export type Periodicity = (typeof periodicities)[number];

/** A report template = a form + how often it is due. Deadlines live in `deadline_calendars`. */
export const reportTemplates = pgTable("report_templates", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  formId: text("form_id").notNull(),
  formVersion: integer("form_version").notNull(),
  periodicity: text("periodicity", { enum: periodicities }).notNull(),
  /** How many days before the commune deadline a period opens for answers. */
  opensDaysBefore: integer("opens_days_before").notNull().default(30),
  /** Reminder days relative to the deadline (negative = before): 7, 3, 1 before, the day, 1 and 3 late. */
  reminderSteps: jsonb("reminder_steps").$type<number[]>().notNull().default([-7, -3, -1, 0, 1, 3]),
  /** The unit the template belongs to (a province's own appendices); null = national. */
  scopeUnitId: integer("scope_unit_id").references(() => units.id),
  /** Data cut-off per slot, dd/mm ("số liệu tính đến ngày …"); null = none stated. */
  cutoff: jsonb("cutoff").$type<Record<string, string>>(),
  /** Officer roles asked to report; empty = every role of a reporting unit. */
  roles: jsonb("roles").$type<string[]>().notNull().default([]),
  /**
   * false for an imported template whose schedule is not set yet: it is stored and published but
   * offers no period (a periodicity and deadlines nobody chose would send reminders nobody expects).
   */
  scheduled: boolean("scheduled").notNull().default(true),
  /** No new reports from then on; reports already started can still be finished. */
  archivedAt: timestamp("archived_at", { withTimezone: true }),
  /** "request": the one-off template of an ad-hoc request (src/requests/), asked only of the units it names. */
  kind: text("kind", { enum: ["periodic", "request"] })
    .notNull()
    .default("periodic"),
});

/**
 * Deadlines per level, as data: a row with no scope is the national default; a row scoped to a
 * province or district (the seed letters: Lạng Sơn, Tam Đường, Quảng Bình, Lai Châu city)
 * overrides it for every unit below. The nearest scope wins.
 */
export const deadlineCalendars = pgTable(
  "deadline_calendars",
  {
    id: serial("id").primaryKey(),
    templateId: text("template_id")
      .notNull()
      .references(() => reportTemplates.id),
    scopeUnitId: integer("scope_unit_id").references(() => units.id),
    /** 0 = every year; then only day and month of `deadline` count. */
    year: integer("year").notNull(),
    /** Which period of the year: H1, Y, Q1..Q4, M01..M12. */
    slot: text("slot").notNull(),
    /** The level that must submit by this date (commune → its supervisor, …). */
    level: text("level", { enum: ["commune", "district", "province"] }).notNull(),
    deadline: date("deadline").notNull(),
    source: text("source"),
  },
  (t) => [unique("deadline_calendars_uq").on(t.templateId, t.scopeUnitId, t.year, t.slot, t.level).nullsNotDistinct()],
);

/** A reporting period (kỳ báo cáo), e.g. 2026-H1 (six months) or 2026-Y (whole year). */
export const periods = pgTable(
  "periods",
  {
    id: serial("id").primaryKey(),
    templateId: text("template_id")
      .notNull()
      .references(() => reportTemplates.id),
    key: text("key").notNull(),
    startsOn: date("starts_on").notNull(),
    endsOn: date("ends_on").notNull(),
    opensOn: date("opens_on").notNull(),
    closedAt: timestamp("closed_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("periods_template_key_uq").on(t.templateId, t.key)],
);

export const submissionStatuses = ["in_progress", "submitted", "returned", "approved"] as const;

/** One report of one unit for one period; its answers are rows of `answers`. */
export const submissions = pgTable(
  "submissions",
  {
    id: serial("id").primaryKey(),
    periodId: integer("period_id")
      .notNull()
      .references(() => periods.id),
    unitId: integer("unit_id")
      .notNull()
      .references(() => units.id),
    officerId: integer("officer_id")
      .notNull()
      .references(() => officers.id),
    formId: text("form_id").notNull(),
    /** The form version the officer started on: later form changes never break it. */
    formVersion: integer("form_version").notNull(),
    status: text("status", { enum: submissionStatuses }).notNull().default("in_progress"),
    late: boolean("late"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    submittedAt: timestamp("submitted_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("submissions_period_unit_uq").on(t.periodId, t.unitId), index("submissions_unit_idx").on(t.unitId)],
);

export const answers = pgTable(
  "answers",
  {
    submissionId: integer("submission_id")
      .notNull()
      .references(() => submissions.id, { onDelete: "cascade" }),
    /** Question id, with the repeat instance for repeat groups: "abuse_cases[2].age". */
    key: text("key").notNull(),
    questionId: text("question_id").notNull(),
    /** Numbers go here so consolidation is a plain SUM; null for skipped or non-numeric. */
    valueNum: doublePrecision("value_num"),
    /**
     * Wrapped as {v: …}: a bare JSON string such as "0912…" or "true" would be parsed twice by
     * some drivers and come back as a number or boolean.
     */
    value: jsonb("value").$type<{ v: unknown }>().notNull(),
    answeredAt: timestamp("answered_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.submissionId, t.key] }), index("answers_question_idx").on(t.questionId)],
);

/** The officer's place in the conversation; updated in the same transaction as the answer. */
export const conversationSessions = pgTable("conversation_sessions", {
  officerId: integer("officer_id")
    .primaryKey()
    .references(() => officers.id),
  state: jsonb("state").$type<unknown>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A submission's history: submitted, returned for correction (with comment and questions), approved. */
export const submissionEvents = pgTable(
  "submission_events",
  {
    id: serial("id").primaryKey(),
    submissionId: integer("submission_id")
      .notNull()
      .references(() => submissions.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    kind: text("kind", { enum: ["submitted", "returned", "approved", "reopened"] }).notNull(),
    officerId: integer("officer_id").references(() => officers.id),
    comment: text("comment"),
    /** Question numbers named when returning ("3", "12.2"). */
    questions: jsonb("questions").$type<string[]>(),
  },
  (t) => [index("submission_events_submission_idx").on(t.submissionId)],
);
