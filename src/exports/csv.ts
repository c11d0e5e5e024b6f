import { stringify } from "csv-stringify/sync";

export type CsvCell = string | number | null | undefined;

/**
 * Every CSV baocao writes: UTF-8 with a BOM (spreadsheet programs then read the diacritics),
 * CRLF lines (RFC 4180), and cells that a spreadsheet would run as a formula (=, +, -, @, tab,
 * and their full-width forms) prefixed with ' — unit names and officers' names are typed by people.
 */
export function csvFile(rows: readonly (readonly CsvCell[])[]): string {
  return stringify(
    rows.map((r) => [...r]),
    { bom: true, escape_formulas: true, record_delimiter: "windows" },
  );
}
