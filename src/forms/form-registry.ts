import { and, eq, inArray } from "drizzle-orm";
import type { DbOrTx } from "../db/client.js";
import { formVersions } from "../db/schema/index.js";
import { loadForm, type FormDefinition, type FormInput } from "./form-schema.js";
import { shippedChoiceLists, shippedForms } from "./shipped-templates.js";

/**
 * The compiled forms, by id and version: a cache of `form_versions`. Every version of every form
 * stays loadable, since a report is always finished (and shown) on its own version; `latest` is the
 * published one, the version new reports get.
 *
 * `get` stays synchronous (the engine calls it on every message); a version published by another
 * instance since start-up is loaded with `ensure` before it is asked for.
 */
export interface FormRegistry {
  get(id: string, version: number): FormDefinition;
  /** The published version (or, for a registry built from definitions alone, the highest). */
  latest(id: string): FormDefinition;
  all(): FormDefinition[];
  /** Compiles and caches a version; `published` makes it the one `latest` answers. */
  register(form: FormInput, opts?: { published?: boolean }): FormDefinition;
  /** The version, loaded from the database on a cache miss; throws if it is in neither. */
  ensure(db: DbOrTx, id: string, version: number): Promise<FormDefinition>;
  /** Loads every published and archived version of every form (start-up); names the versions that no longer compile. */
  loadAll(db: DbOrTx): Promise<{ failed: string[] }>;
}

export { shippedForms } from "./shipped-templates.js";

/** Choice lists given by name (versions stored before templates were data) resolve from the shipped templates' lists; imported forms carry theirs inline. */
export const compileForm = (def: FormInput): FormDefinition => loadForm(structuredClone(def), shippedChoiceLists());

export function createFormRegistry(definitions: FormInput[] = shippedForms()): FormRegistry {
  const forms = new Map<string, FormDefinition>();
  const published = new Map<string, number>();
  const key = (id: string, version: number) => `${id}@${version}`;

  const registry: FormRegistry = {
    get(id, version) {
      const f = forms.get(key(id, version));
      if (!f) throw new Error(`Form ${id}@${version} is not registered`);
      return f;
    },
    latest(id) {
      const pinned = published.get(id);
      if (pinned !== undefined) return registry.get(id, pinned);
      const versions = [...forms.values()].filter((f) => f.id === id).sort((a, b) => b.version - a.version);
      if (!versions[0]) throw new Error(`Form ${id} is not registered`);
      return versions[0];
    },
    all: () => [...forms.values()],
    register(def, opts = {}) {
      const form = compileForm(def);
      forms.set(key(form.id, form.version), form);
      if (opts.published) published.set(form.id, form.version);
      return form;
    },
    async ensure(db, id, version) {
      const cached = forms.get(key(id, version));
      if (cached) return cached;
      const [row] = await db
        .select()
        .from(formVersions)
        .where(and(eq(formVersions.formId, id), eq(formVersions.version, version)));
      if (!row) return registry.get(id, version);
      return registry.register(row.definition as FormInput, { published: row.status === "published" });
    },
    async loadAll(db) {
      const rows = await db
        .select()
        .from(formVersions)
        .where(inArray(formVersions.status, ["published", "archived"]));
      const failed: string[] = [];
      for (const row of rows) {
        try {
          registry.register(row.definition as FormInput, { published: row.status === "published" });
        } catch (err) {
          // A stored version the compiler no longer accepts must not keep the service from starting; its reports say so when opened.
          failed.push(`${row.formId}@${row.version}: ${(err as Error).message}`);
        }
      }
      return { failed };
    },
  };
  for (const def of definitions) registry.register(def);
  return registry;
}
