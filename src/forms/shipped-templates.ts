import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ChoiceOption, FormInput } from "./form-schema.js";
import { formFromSheets, LABEL_VI, problemLine } from "./xlsform/xlsform.js";
import { readCsvFolderSync } from "./xlsform/files.js";

/**
 * The report templates shipped with baocao, as XLSForm data: one folder per template under
 * seed/templates/ holding survey.csv, choices.csv and settings.csv (the text form a reviewer reads
 * in a diff), with the same template as .xlsx beside it for authors to start from.
 */
export const shippedTemplatesDir = fileURLToPath(new URL("../../seed/templates/", import.meta.url));

let cached: { forms: FormInput[]; choiceLists: Record<string, ChoiceOption[]> } | undefined;

function load(dir: string) {
  const forms: FormInput[] = [];
  const choiceLists: Record<string, ChoiceOption[]> = {};
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  for (const name of folders) {
    const sheets = readCsvFolderSync(join(dir, name));
    const version = Number(sheets.settings[0]?.version ?? "1");
    const read = formFromSheets(sheets, Number.isInteger(version) && version > 0 ? version : 1);
    // A shipped template that does not import is a broken release: refuse to start, naming every problem.
    if (!read.ok) throw new Error(`mẫu báo cáo kèm theo ${name} có lỗi:\n${read.problems.map(problemLine).join("\n")}`);
    forms.push(read.form);
    for (const row of sheets.choices) {
      const list = row.list_name;
      const label = row[LABEL_VI] ?? row.label;
      if (!list || !row.name || !label) continue;
      (choiceLists[list] ??= []).push({ value: row.name, label });
    }
  }
  return { forms, choiceLists };
}

/** Every shipped template, compiled from its CSV sheets (read once, on first use). */
export function shippedForms(): FormInput[] {
  cached ??= load(shippedTemplatesDir);
  return structuredClone(cached.forms);
}

/**
 * The shipped templates' choice lists by name. Versions stored before the templates became data
 * name their lists ("sex", "abuse_forms") instead of carrying them inline; they still compile.
 */
export function shippedChoiceLists(): Record<string, ChoiceOption[]> {
  cached ??= load(shippedTemplatesDir);
  return structuredClone(cached.choiceLists);
}
