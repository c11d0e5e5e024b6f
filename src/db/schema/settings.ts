import { customType, integer, jsonb, pgTable, serial, text, timestamp } from "drizzle-orm/pg-core";
import { officers } from "./officers.js";

/** Settings admins change in the web (quiet hours…); read by every instance, so kept in the database. */
export const appSettings = pgTable("app_settings", {
  key: text("key").primaryKey(),
  value: jsonb("value").$type<unknown>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  updatedBy: integer("updated_by").references(() => officers.id),
});

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => "bytea",
  fromDriver: (v) => (Buffer.isBuffer(v) ? v : Buffer.from(v)),
});

/**
 * Documents attached to directives (PDF/DOCX), kept in the database so every instance serves them
 * and a backup holds them. Fetched by an unguessable key: officers open them from a chat link.
 */
export const documents = pgTable("documents", {
  id: serial("id").primaryKey(),
  /** Random URL key (base64url, 24 bytes). */
  key: text("key").notNull().unique(),
  name: text("name").notNull(),
  mime: text("mime").notNull(),
  bytes: bytea("bytes").notNull(),
  size: integer("size").notNull(),
  uploadedBy: integer("uploaded_by").references(() => officers.id),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
