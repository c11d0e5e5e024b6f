import { integer, jsonb, pgTable, primaryKey, text, timestamp } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";
import { units } from "./units.js";

export const formVersionStatuses = ["draft", "published", "archived"] as const;

/**
 * Every version of every imported form, kept as the author imported it: a report is always
 * finished (and shown) on the version it began with, so no version is ever deleted or changed
 * once published. At most one version of a form is `published` (the one new reports get).
 */
export const formVersions = pgTable(
  "form_versions",
  {
    formId: text("form_id").notNull(),
    version: integer("version").notNull(),
    status: text("status", { enum: formVersionStatuses }).notNull().default("draft"),
    /**
     * The FormInput as imported (compiled again at load: the compiler may grow, the import stays).
     * Typed loosely here: the schema does not import src/forms (which reads this table).
     */
    definition: jsonb("definition").$type<Record<string, unknown>>().notNull(),
    title: text("title").notNull(),
    /** The province (or district) the template belongs to; null = national (admins only). */
    scopeUnitId: integer("scope_unit_id").references(() => units.id),
    /** XLSForm `settings.version` as the author wrote it ("2026061201"). */
    sourceVersion: text("source_version"),
    createdBy: integer("created_by").references(() => officers.id),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    publishedAt: timestamp("published_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.formId, t.version] })],
);
