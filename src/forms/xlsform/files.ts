import { readFileSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import type { XlsFormProblem, XlsFormSheets } from "./sheets.js";

/**
 * The two files an XLSForm lives in: the `.xlsx` workbook authors edit (ExcelJS), and a folder of
 * three CSV files (survey.csv, choices.csv, settings.csv) that the repository keeps so a template
 * change reads as a diff.
 */

type SheetName = keyof XlsFormSheets;
const SHEETS: SheetName[] = ["survey", "choices", "settings"];

export type XlsxRead = { ok: true; sheets: XlsFormSheets } | { ok: false; problems: XlsFormProblem[] };

/** "Label::Vietnamese (vi)" → "label::Vietnamese (vi)", "List Name" → "list_name": XLSForm column names are case-blind. */
function columnName(header: string): string {
  const h = header.trim();
  const at = h.indexOf("::");
  if (at >= 0) return `${h.slice(0, at).toLowerCase()}::${h.slice(at + 2)}`;
  return h.toLowerCase().replace(/\s+/g, "_");
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === "object") {
    const o = v as { text?: unknown; result?: unknown; richText?: { text: string }[]; formula?: unknown };
    if (o.richText) return o.richText.map((r) => r.text).join("");
    if (o.text !== undefined) return String(o.text);
    if (o.result !== undefined) return cellText(o.result);
    return "";
  }
  return String(v);
}

function rowsOf(matrix: string[][]): Record<string, string>[] {
  const [header = [], ...body] = matrix;
  const names = header.map(columnName);
  // Rows keep their place (blank ones too) so that a problem's row number is the spreadsheet's.
  return body.map((cells) => {
    const record: Record<string, string> = {};
    names.forEach((name, j) => {
      if (name) record[name] = (cells[j] ?? "").normalize("NFC");
    });
    return record;
  });
}

/** An uploaded workbook → its three sheets (by name, any case); a file that is no workbook is one problem. */
export async function readXlsx(file: Uint8Array): Promise<XlsxRead> {
  // Loaded on first use: exceljs costs ~20 MB resident and most processes never read a workbook.
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(file) as unknown as ArrayBuffer);
  } catch {
    return { ok: false, problems: [{ sheet: "tệp", message: "tệp không phải bảng tính .xlsx đọc được (lưu lại bằng Excel hoặc LibreOffice dạng .xlsx)" }] };
  }
  const found = new Map(wb.worksheets.map((ws) => [ws.name.trim().toLowerCase(), ws]));
  const problems: XlsFormProblem[] = [];
  const sheets: XlsFormSheets = { survey: [], choices: [], settings: [] };
  for (const name of SHEETS) {
    const ws = found.get(name);
    if (!ws) {
      // XLSForm makes choices and settings optional (pyxform names the form after its file).
      if (name === "survey") problems.push({ sheet: "tệp", message: `bảng tính không có trang "${name}"` });
      continue;
    }
    const matrix: string[][] = [];
    ws.eachRow({ includeEmpty: true }, (row, n) => {
      // ExcelJS rows and values are 1-based; index 0 is always empty.
      matrix[n - 1] = (row.values as unknown[]).slice(1).map(cellText);
    });
    for (let i = 0; i < matrix.length; i++) matrix[i] ??= [];
    sheets[name] = rowsOf(matrix);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, sheets };
}

function columnsOf(rows: Record<string, string>[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

/** The sheets as a workbook: header row bold and frozen, columns wide enough to read. */
export async function writeXlsx(sheets: XlsFormSheets): Promise<Buffer> {
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  wb.creator = "baocao";
  for (const name of SHEETS) {
    const rows = sheets[name];
    const cols = columnsOf(rows);
    const ws = wb.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
    ws.addRow(cols).font = { bold: true };
    for (const r of rows) ws.addRow(cols.map((c) => r[c] ?? ""));
    cols.forEach((c, i) => {
      const longest = Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length));
      ws.getColumn(i + 1).width = Math.min(60, Math.max(8, longest + 2));
    });
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

function parseCsv(text: string): Record<string, string>[] {
  return rowsOf(parse(text, { bom: true, relax_column_count: true }) as string[][]);
}

/** A folder holding survey.csv, choices.csv and settings.csv (the repository's text form of a template). */
export async function readCsvFolder(dir: string): Promise<XlsFormSheets> {
  const [survey, choices, settings] = await Promise.all(SHEETS.map((s) => readFile(join(dir, `${s}.csv`), "utf8")));
  return { survey: parseCsv(survey!), choices: parseCsv(choices!), settings: parseCsv(settings!) };
}

/** readCsvFolder for start-up, where the shipped templates are read once before anything listens. */
export function readCsvFolderSync(dir: string): XlsFormSheets {
  const [survey, choices, settings] = SHEETS.map((s) => readFileSync(join(dir, `${s}.csv`), "utf8"));
  return { survey: parseCsv(survey!), choices: parseCsv(choices!), settings: parseCsv(settings!) };
}

export async function writeCsvFolder(dir: string, sheets: XlsFormSheets): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of SHEETS) {
    const rows = sheets[name];
    const cols = columnsOf(rows);
    await writeFile(join(dir, `${name}.csv`), stringify([cols, ...rows.map((r) => cols.map((c) => r[c] ?? ""))]));
  }
}
