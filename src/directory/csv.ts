import { parse } from "csv-parse/sync";
import { fold } from "../domain/text.js";

export interface TableRow {
  line: number;
  cells: Record<string, string>;
}

/**
 * Reads a CSV (UTF-8, with or without BOM, comma or semicolon) or an XLSX workbook's first sheet
 * into rows keyed by the header as written. Line numbers count the header as line 1.
 */
export async function readTable(content: Buffer, fileName: string): Promise<{ header: string[]; rows: TableRow[] }> {
  const matrix = /\.xlsx$/i.test(fileName) ? await readXlsx(content) : readCsv(content.toString("utf8"));
  const [header = [], ...body] = matrix;
  const names = header.map((h) => h.trim());
  const rows: TableRow[] = [];
  body.forEach((cells, i) => {
    if (cells.every((c) => c.trim() === "")) return;
    const record: Record<string, string> = {};
    names.forEach((name, j) => (record[name] = (cells[j] ?? "").trim().normalize("NFC")));
    rows.push({ line: i + 2, cells: record });
  });
  return { header: names, rows };
}

function readCsv(text: string): string[][] {
  const firstLine = text.slice(0, text.indexOf("\n") >>> 0);
  const delimiter = firstLine.split(";").length > firstLine.split(",").length ? ";" : ",";
  return parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: true }) as string[][];
}

async function readXlsx(content: Buffer): Promise<string[][]> {
  // Loaded on first use: exceljs costs ~20 MB resident and most processes never import XLSX.
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(content as unknown as ArrayBuffer);
  const sheet = wb.worksheets[0];
  if (!sheet) return [];
  const out: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    const values = row.values as unknown[];
    // ExcelJS rows are 1-based; index 0 is always empty.
    out.push(values.slice(1).map(cellText));
  });
  return out;
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") {
    const o = v as { text?: unknown; result?: unknown; richText?: { text: string }[] };
    if (o.richText) return o.richText.map((r) => r.text).join("");
    if (o.text !== undefined) return String(o.text);
    if (o.result !== undefined) return String(o.result);
  }
  return String(v);
}

/** Finds the column for each wanted field among header aliases, comparing folded text. */
export function mapHeader<K extends string>(header: string[], aliases: Record<K, string[]>): { columns: Record<K, string | undefined>; missing: K[] } {
  const folded = new Map(header.map((h) => [fold(h).replace(/\s+/g, "_"), h]));
  const columns = {} as Record<K, string | undefined>;
  const missing: K[] = [];
  for (const key of Object.keys(aliases) as K[]) {
    const hit = aliases[key].map((a) => folded.get(fold(a).replace(/\s+/g, "_"))).find((h) => h !== undefined);
    columns[key] = hit;
    if (hit === undefined) missing.push(key);
  }
  return { columns, missing };
}
