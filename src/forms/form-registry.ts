import { loadForm, type FormDefinition, type FormInput } from "./form-schema.js";
import { choiceLists } from "./choice-lists.js";
import { childAffairsV1 } from "./child-affairs.js";

/** Every version of every form stays loadable: a report is always finished on its own version. */
export function createFormRegistry(definitions: FormInput[] = [childAffairsV1]) {
  const forms = new Map<string, FormDefinition>();
  for (const def of definitions) {
    const form = loadForm(def, choiceLists);
    forms.set(`${form.id}@${form.version}`, form);
  }
  return {
    get(id: string, version: number): FormDefinition {
      const f = forms.get(`${id}@${version}`);
      if (!f) throw new Error(`Form ${id}@${version} is not registered`);
      return f;
    },
    latest(id: string): FormDefinition {
      const versions = [...forms.values()].filter((f) => f.id === id).sort((a, b) => b.version - a.version);
      if (!versions[0]) throw new Error(`Form ${id} is not registered`);
      return versions[0];
    },
    all: () => [...forms.values()],
  };
}

export type FormRegistry = ReturnType<typeof createFormRegistry>;
