/**
 * Writes each shipped template's .xlsx from its CSV sheets (seed/templates/<id>/ → <id>.xlsx), so
 * that the file authors start from says what the reviewed CSV says. The unit tests check they agree.
 */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readCsvFolderSync, writeXlsx } from "../src/forms/xlsform/xlsform.js";
import { shippedTemplatesDir } from "../src/forms/shipped-templates.js";

for (const d of readdirSync(shippedTemplatesDir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
  writeFileSync(join(shippedTemplatesDir, `${d.name}.xlsx`), await writeXlsx(readCsvFolderSync(join(shippedTemplatesDir, d.name))));
  console.log(`seed/templates/${d.name}.xlsx`);
}
