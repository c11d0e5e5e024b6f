import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import ExcelJS from "exceljs";
import type { DbOrTx } from "../db/client.js";
import { answers, periods, submissions, units } from "../db/schema/index.js";
import type { Unit } from "../directory/units.js";
import { periodLabel } from "../domain/periods.js";
import type { FormDefinition, Question } from "./form-schema.js";
import type { Period } from "./reporting-calendar.js";

/**
 * Consolidation (tổng hợp) of a period over a unit's subtree: the sum of every numeric item, the
 * units included and missing, the previous period beside it, and one row per child unit.
 * Every sum is one SQL aggregate; nothing is summed in JavaScript.
 */
export interface ConsolidatedItem {
  /** "12" or "12.1" for the children of a repeat group question: as numbered in the form. */
  no: string;
  questionId: string;
  section: string;
  label: string;
  unit: string;
  total: number;
  previous: number | null;
}

export interface Consolidation {
  period: Period;
  previous?: Period;
  root: Unit;
  form: FormDefinition;
  items: ConsolidatedItem[];
  /** Reporting units (communes) of the subtree, and how many of them submitted. */
  communes: number;
  included: number;
  /** Of the included: approved by the supervisor (the rest are submitted, not yet approved). */
  approved: number;
  children: { code: string; name: string; communes: number; included: number; approved: number; values: Record<string, number> }[];
}

const subtreeOf = (root: Pick<Unit, "path">) => sql`(${units.path} = ${root.path} or ${units.path} like ${root.path} || '.%')`;
const COUNTED = ["submitted", "approved"] as const;

export function numericQuestions(form: FormDefinition): { no: number; section: string; question: Question }[] {
  const out: { no: number; section: string; question: Question }[] = [];
  let n = 0;
  for (const s of form.sections) {
    for (const q of s.questions) {
      n++;
      if ((q.type === "integer" || q.type === "decimal") && !s.repeat) out.push({ no: n, section: s.title, question: q });
    }
  }
  return out;
}

async function sumsByQuestion(db: DbOrTx, periodId: number, root: Unit): Promise<Map<string, number>> {
  const rows = await db
    .select({ q: answers.questionId, total: sql<number>`sum(${answers.valueNum})`.mapWith(Number) })
    .from(answers)
    .innerJoin(submissions, eq(submissions.id, answers.submissionId))
    .innerJoin(units, eq(units.id, submissions.unitId))
    .where(and(eq(submissions.periodId, periodId), inArray(submissions.status, [...COUNTED]), eq(units.scheme, root.scheme), subtreeOf(root)))
    .groupBy(answers.questionId);
  return new Map(rows.map((r) => [r.q, r.total]));
}

export async function consolidate(db: DbOrTx, period: Period, root: Unit, form: FormDefinition): Promise<Consolidation> {
  const depth = root.path.split(".").length;
  const [previous] = await db
    .select()
    .from(periods)
    .where(and(eq(periods.templateId, period.templateId), lt(periods.startsOn, period.startsOn), sql`split_part(${periods.key}, '-', 2) = split_part(${period.key}, '-', 2)`))
    .orderBy(desc(periods.startsOn))
    .limit(1);
  const [current, before] = await Promise.all([sumsByQuestion(db, period.id, root), previous ? sumsByQuestion(db, previous.id, root) : Promise.resolve(undefined)]);

  const items = numericQuestions(form).map(({ no, section, question }) => ({
    no: String(no),
    questionId: question.id,
    section,
    label: question.label,
    unit: question.unit ?? "",
    total: current.get(question.id) ?? 0,
    previous: before ? (before.get(question.id) ?? 0) : null,
  }));

  // Per child unit: communes, how many submitted, and each numeric item's sum.
  // A literal, not a parameter: GROUP BY must see the same expression as SELECT.
  const child = sql<string>`split_part(${units.path}, '.', ${sql.raw(String(depth + 1))})`;
  const coverage = await db
    .select({
      child,
      communes: sql<number>`count(*)`.mapWith(Number),
      included: sql<number>`count(${submissions.id})`.mapWith(Number),
      approved: sql<number>`count(*) filter (where ${submissions.status} = 'approved')`.mapWith(Number),
    })
    .from(units)
    .leftJoin(submissions, and(eq(submissions.unitId, units.id), eq(submissions.periodId, period.id), inArray(submissions.status, [...COUNTED])))
    .where(and(eq(units.scheme, root.scheme), eq(units.level, "commune"), subtreeOf(root)))
    .groupBy(child);
  const perChild = await db
    .select({ child, q: answers.questionId, total: sql<number>`sum(${answers.valueNum})`.mapWith(Number) })
    .from(answers)
    .innerJoin(submissions, eq(submissions.id, answers.submissionId))
    .innerJoin(units, eq(units.id, submissions.unitId))
    .where(and(eq(submissions.periodId, period.id), inArray(submissions.status, [...COUNTED]), eq(units.scheme, root.scheme), subtreeOf(root), sql`${answers.valueNum} is not null`))
    .groupBy(child, answers.questionId);
  const codes = coverage.map((c) => c.child || root.code);
  const names = codes.length ? await db.select({ code: units.code, name: units.name }).from(units).where(and(eq(units.scheme, root.scheme), inArray(units.code, codes))) : [];
  const children = coverage
    .map((c) => {
      const code = c.child || root.code;
      const values = Object.fromEntries(perChild.filter((p) => (p.child || root.code) === code).map((p) => [p.q, p.total]));
      return { code, name: names.find((n) => n.code === code)?.name ?? code, communes: c.communes, included: c.included, approved: c.approved, values };
    })
    .sort((a, b) => a.code.localeCompare(b.code));

  return {
    period,
    previous,
    root,
    form,
    items,
    communes: children.reduce((a, c) => a + c.communes, 0),
    included: children.reduce((a, c) => a + c.included, 0),
    approved: children.reduce((a, c) => a + c.approved, 0),
    children,
  };
}

/**
 * The official-appendix layout: title, unit and period, numbered items under their sections with
 * merged header cells and the previous period beside; one row per child unit on a second sheet.
 */
export async function toXlsx(c: Consolidation): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = "baocao";
  const title = `${c.form.title.toUpperCase()}`;
  const sub = `${c.root.name} — ${periodLabel(c.period.key)}`;
  // Figures include submitted reports not yet approved: say how many, so nobody mistakes them.
  const coverage = `Số xã đã nộp: ${c.included}/${c.communes}${c.communes > c.included ? ` (còn thiếu ${c.communes - c.included})` : ""}; đã duyệt ${c.approved}, chưa duyệt ${c.included - c.approved}${c.included > c.approved ? " (*)" : ""}`;

  // Printed as it is sent upward: A4, one page wide.
  const print = { paperSize: 9, orientation: "portrait" as const, fitToPage: true, fitToWidth: 1, fitToHeight: 0, horizontalCentered: true };
  const ws = wb.addWorksheet("Tổng hợp", { pageSetup: print });
  ws.columns = [{ width: 6 }, { width: 62 }, { width: 10 }, { width: 16 }, { width: 16 }];
  ws.getColumn(2).alignment = { wrapText: true, vertical: "top" };
  for (const col of [4, 5]) ws.getColumn(col).numFmt = "#,##0.##";
  ws.mergeCells("A1:E1");
  ws.getCell("A1").value = title;
  ws.mergeCells("A2:E2");
  ws.getCell("A2").value = sub;
  ws.mergeCells("A3:E3");
  ws.getCell("A3").value = coverage;
  for (const r of [1, 2, 3]) ws.getCell(`A${r}`).alignment = { horizontal: "center" };
  ws.getCell("A1").font = { bold: true, size: 14 };
  ws.getRow(5).values = ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", ""];
  ws.getRow(6).values = ["", "", "", periodLabel(c.period.key), c.previous ? periodLabel(c.previous.key) : "Kỳ trước"];
  ws.mergeCells("A5:A6");
  ws.mergeCells("B5:B6");
  ws.mergeCells("C5:C6");
  ws.mergeCells("D5:E5");
  for (const r of [5, 6]) ws.getRow(r).font = { bold: true };
  let row = 7;
  let section = "";
  for (const item of c.items) {
    if (item.section !== section) {
      section = item.section;
      ws.mergeCells(`A${row}:E${row}`);
      ws.getCell(`A${row}`).value = section;
      ws.getCell(`A${row}`).font = { bold: true };
      row++;
    }
    ws.getRow(row).values = [item.no, item.label, item.unit, item.total, item.previous ?? "—"];
    row++;
  }

  const wu = wb.addWorksheet("Theo đơn vị", { pageSetup: { ...print, orientation: "landscape" } });
  const qs = c.items;
  wu.getRow(1).values = ["Mã", "Đơn vị", "Số xã", "Đã nộp", ...qs.map((q) => `${q.no}. ${q.label}`), "Đã duyệt"];
  wu.getRow(1).font = { bold: true };
  wu.columns = [{ width: 8 }, { width: 30 }, { width: 8 }, { width: 8 }, ...qs.map(() => ({ width: 14 }))];
  c.children.forEach((ch, i) => {
    wu.getRow(i + 2).values = [ch.code, ch.name, ch.communes, ch.included, ...qs.map((q) => ch.values[q.questionId] ?? 0), ch.approved];
  });
  const totalRow = c.children.length + 2;
  wu.getRow(totalRow).values = ["", "Tổng cộng", c.communes, c.included, ...qs.map((q) => q.total), c.approved];
  wu.getRow(totalRow).font = { bold: true };
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** The per-unit table as CSV (UTF-8 with BOM so spreadsheet programs read the diacritics). */
export function toCsv(c: Consolidation): string {
  const esc = (v: string | number) => (typeof v === "number" ? String(v) : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [["ma_don_vi", "don_vi", "so_xa", "da_nop", ...c.items.map((q) => q.questionId)].join(",")];
  for (const ch of c.children) lines.push([ch.code, ch.name, ch.communes, ch.included, ...c.items.map((q) => ch.values[q.questionId] ?? 0)].map(esc).join(","));
  lines.push(["", "Tổng cộng", c.communes, c.included, ...c.items.map((q) => q.total)].map(esc).join(","));
  return `\uFEFF${lines.join("\n")}\n`;
}
