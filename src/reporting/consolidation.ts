import { PassThrough } from "node:stream";
import { buffer } from "node:stream/consumers";
import { and, desc, eq, inArray, lt, sql } from "drizzle-orm";
import type { Worksheet } from "exceljs";
import type { DbOrTx } from "../db/client.js";
import { answers, periods, reportTemplates, submissions, units } from "../db/schema/index.js";
import type { ReportRoot } from "../directory/units.js";
import { periodLabel } from "../domain/periods.js";
import type { FormDefinition } from "../forms/form-schema.js";
import { optionsOf, questionNumbers } from "../forms/form-runtime.js";
import { chosenOptions, countedQuestions, crossCounts, crossKey, repeatOfKey, repeatRowOfKey } from "./answer-counts.js";
import type { Period } from "./reporting-calendar.js";
import { childCodeExpr, childrenOf, COUNTED, inSubtree, reportOf } from "./subtree-reports.js";
import { csvFile } from "../exports/csv.js";
import { cutoffFor } from "./cutoff.js";

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
  root: ReportRoot;
  form: FormDefinition;
  items: ConsolidatedItem[];
  /** Reporting units (communes) of the subtree, and how many of them submitted. */
  communes: number;
  included: number;
  /** Of the included: approved by the supervisor (the rest are submitted, not yet approved). */
  approved: number;
  children: { code: string; name: string; communes: number; included: number; approved: number; values: Record<string, number> }[];
  /** The repeat rows by two choice questions, where the form crosses them: first question's options down, the second's across. */
  crossed: {
    title: string;
    rows: { value: string; label: string }[];
    columns: { value: string; label: string }[];
    counts: Record<string, Record<string, number>>;
  }[];
  /** The template's data cut-off for this period, yyyy-mm-dd ("số liệu tính đến ngày …"), when it sets one. */
  cutoff?: string;
}

/** An item of the consolidation before its figures: what it adds up or counts, and where it stands in the form. */
export interface ItemSpec {
  no: string;
  /** The key of its figure: the question id (a sum), "q=option" (reports or rows choosing it), "group[]" (rows of a repeat). */
  questionId: string;
  section: string;
  label: string;
  unit: string;
}

/**
 * Every item the consolidation reports, in the form's order and numbering (the officer's: notes
 * are not numbered): each number summed, repeat rows included; each option of a choice question
 * counted, numbered under its question ("19.2"); each repeat group's number of rows.
 */
export function consolidatedItems(form: FormDefinition): ItemSpec[] {
  const numbers = questionNumbers(form);
  const out: ItemSpec[] = [];
  for (const s of form.sections) {
    if (s.repeat)
      out.push({ no: "", questionId: `${s.id}[]`, section: s.title, label: `Số ${s.repeat.itemLabel.toLowerCase()} được khai`, unit: "trường hợp" });
    for (const q of s.questions) {
      const no = String(numbers.get(q.id) ?? "");
      if (q.type === "integer" || q.type === "decimal") out.push({ no, questionId: q.id, section: s.title, label: q.label, unit: q.unit ?? "" });
      const options = q.type === "single" || q.type === "multiple" || q.type === "yesno" ? optionsOf(q) : undefined;
      options?.forEach((o, i) =>
        out.push({
          no: `${no}.${i + 1}`,
          questionId: `${q.id}=${o.value}`,
          section: s.title,
          label: `${q.label}: ${o.label}`,
          unit: s.repeat ? "trường hợp" : "đơn vị",
        }),
      );
    }
  }
  return out;
}

/**
 * Answers of the counted reports of the subtree, for a join answers → submissions → units. A plain
 * join on purpose: through the lateral report the planner cannot tell how many reports come
 * back and puts a cache in front of every answer lookup.
 */
const countedReportsInSubtree = (periodId: number, root: ReportRoot) =>
  and(eq(submissions.periodId, periodId), inArray(submissions.status, [...COUNTED]), eq(units.scheme, root.scheme), inSubtree(units.path, root));
const countedInSubtree = (periodId: number, root: ReportRoot) => and(countedReportsInSubtree(periodId, root), sql`${answers.valueNum} is not null`);

/** Per question, over the counted reports of the subtree. */
async function sumsByQuestion(db: DbOrTx, periodId: number, root: ReportRoot): Promise<Map<string, number>> {
  const rows = await db
    .select({ q: answers.questionId, total: sql<number>`sum(${answers.valueNum})`.mapWith(Number) })
    .from(answers)
    .innerJoin(submissions, eq(submissions.id, answers.submissionId))
    .innerJoin(units, eq(units.id, submissions.unitId))
    .where(countedInSubtree(periodId, root))
    .groupBy(answers.questionId);
  return new Map(rows.map((r) => [r.q, r.total]));
}

/**
 * Per child and question, and per question over the whole subtree, in one pass over the answers:
 * the database sums the answers per child, then adds the children up per question, so the total
 * row is exactly the sum of the child rows printed above it. Not GROUPING SETS: the planner
 * cannot tell how few children a path prefix gives, so it sorted every answer (to disk, past
 * work_mem) instead of hashing — 70 ms against 31 ms for the country (bench:consolidate).
 * Each child's sums come back as one JSON object (question → sum), one row per child.
 */
async function sumsByChildAndQuestion(db: DbOrTx, periodId: number, root: ReportRoot) {
  const child = childCodeExpr(root);
  const perChild = db
    .select({ child: child.as("child"), q: sql`${answers.questionId}`.as("q"), total: sql<number>`sum(${answers.valueNum})`.as("total") })
    .from(answers)
    .innerJoin(submissions, eq(submissions.id, answers.submissionId))
    .innerJoin(units, eq(units.id, submissions.unitId))
    .where(countedInSubtree(periodId, root))
    .groupBy(child, answers.questionId);
  // Drizzle wraps each side of a UNION in parentheses, which would hide the WITH from the second.
  const result = await db.execute(sql`with per_child as (${perChild})
    select child, json_object_agg(q, total) as "values" from per_child group by child
    union all
    select null, coalesce(json_object_agg(q, t), '{}') from (select q, sum(total) as t from per_child group by q) as whole`);
  // Both drivers answer { rows }; the Drizzle type leaves the shape to the driver.
  const rows = (result as unknown as { rows: { child: string | null; values: Record<string, number> }[] }).rows;
  const whole = rows.find((r) => r.child === null);
  return {
    total: new Map(Object.entries(whole?.values ?? {})),
    perChild: new Map(rows.filter((r) => r.child !== null).map((r) => [r.child, r.values])),
  };
}

/**
 * The counted figures per child and over the subtree, in one statement shaped like the sums': the
 * reports (or repeat rows) choosing each option ("q=option"), and each repeat group's rows ("group[]").
 */
async function countsByChild(db: DbOrTx, periodId: number, root: ReportRoot, form: FormDefinition) {
  const { choiceIds, repeatIds } = countedQuestions(form);
  if (choiceIds.length === 0 && repeatIds.length === 0) return { total: new Map<string, number>(), perChild: new Map<string, Record<string, number>>() };
  const child = childCodeExpr(root);
  const from = sql`from ${answers} inner join ${submissions} on ${submissions.id} = ${answers.submissionId} inner join ${units} on ${units.id} = ${submissions.unitId}`;
  const where = countedReportsInSubtree(periodId, root);
  const result = await db.execute(sql`with per_child as (
      select ${child} as child, ${answers.questionId} || '=' || o.v as k, count(*) as n
      ${from} cross join lateral ${chosenOptions()} as o(v)
      where ${where} and ${answers.questionId} = any(${sql.param(choiceIds)}::text[])
      group by 1, 2
      union all
      select ${child}, ${repeatOfKey()} || '[]', count(distinct ${answers.submissionId}::text || ${repeatRowOfKey()})
      ${from}
      where ${where} and ${answers.key} like '%[%' and ${repeatOfKey()} = any(${sql.param(repeatIds)}::text[])
      group by 1, 2)
    select child, json_object_agg(k, n) as "values" from per_child group by child
    union all
    select null, coalesce(json_object_agg(k, t), '{}') from (select k, sum(n) as t from per_child group by k) as whole`);
  const rows = (result as unknown as { rows: { child: string | null; values: Record<string, number> }[] }).rows;
  const whole = rows.find((r) => r.child === null);
  return {
    total: new Map(Object.entries(whole?.values ?? {}).map(([k, v]) => [k, Number(v)])),
    perChild: new Map(
      rows.filter((r) => r.child !== null).map((r) => [r.child!, Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, Number(v)]))]),
    ),
  };
}

export async function consolidate(db: DbOrTx, period: Period, root: ReportRoot, form: FormDefinition): Promise<Consolidation> {
  const [previous] = await db
    .select()
    .from(periods)
    .where(
      and(
        eq(periods.templateId, period.templateId),
        lt(periods.startsOn, period.startsOn),
        sql`split_part(${periods.key}, '-', 2) = split_part(${period.key}, '-', 2)`,
      ),
    )
    .orderBy(desc(periods.startsOn))
    .limit(1);

  // Per child unit: communes, how many submitted, how many approved.
  const report = reportOf(db, period.id, COUNTED);
  const child = childCodeExpr(root);
  const [sums, counts, before, coverage, children, [template], crossCounted] = await Promise.all([
    sumsByChildAndQuestion(db, period.id, root),
    countsByChild(db, period.id, root, form),
    previous ? sumsByQuestion(db, previous.id, root) : Promise.resolve(undefined),
    db
      .select({
        child,
        communes: sql<number>`count(*)`.mapWith(Number),
        included: sql<number>`count(${report.submissionId})`.mapWith(Number),
        approved: sql<number>`count(*) filter (where ${report.status} = 'approved')`.mapWith(Number),
      })
      .from(units)
      .leftJoinLateral(report, sql`true`)
      .where(and(eq(units.scheme, root.scheme), eq(units.level, "commune"), inSubtree(units.path, root)))
      .groupBy(child),
    childrenOf(db, root),
    db.select({ cutoff: reportTemplates.cutoff }).from(reportTemplates).where(eq(reportTemplates.id, period.templateId)),
    crossCounts(
      db,
      form,
      sql`select ${submissions.id} from ${submissions} inner join ${units} on ${units.id} = ${submissions.unitId} where ${countedReportsInSubtree(period.id, root)}`,
    ),
  ]);
  const question = (id: string) => form.sections.flatMap((x) => x.questions).find((q) => q.id === id)!;
  const crossed = countedQuestions(form).crossed.map(([a, b]) => ({
    title: `${question(a).label} × ${question(b).label}`,
    rows: optionsOf(question(a)) ?? [],
    columns: optionsOf(question(b)) ?? [],
    counts: crossCounted[crossKey(a, b)] ?? {},
  }));
  const cutoff = template ? cutoffFor(template, period) : undefined;

  const items = consolidatedItems(form).map((item) => ({
    ...item,
    total: sums.total.get(item.questionId) ?? counts.total.get(item.questionId) ?? 0,
    // The previous period's counts are not read: an option's count last year says little beside this year's.
    previous: before ? (before.get(item.questionId) ?? (item.questionId.includes("=") || item.questionId.endsWith("[]") ? null : 0)) : null,
  }));

  // A commune asked about itself is its own (only) child.
  const names = new Map([[root.code, root.name], ...children.map((c) => [c.code, c.name] as const)]);
  const rows = coverage
    .map((c) => {
      const code = c.child || root.code;
      return {
        code,
        name: names.get(code) ?? code,
        communes: c.communes,
        included: c.included,
        approved: c.approved,
        values: { ...(sums.perChild.get(c.child) ?? {}), ...(counts.perChild.get(c.child) ?? {}) },
      };
    })
    .sort((a, b) => a.code.localeCompare(b.code));

  return {
    period,
    previous,
    root,
    form,
    items,
    communes: rows.reduce((a, c) => a + c.communes, 0),
    included: rows.reduce((a, c) => a + c.included, 0),
    approved: rows.reduce((a, c) => a + c.approved, 0),
    children: rows,
    crossed,
    ...(cutoff ? { cutoff } : {}),
  };
}

/**
 * The official-appendix layout: title, unit and period, numbered items under their sections with
 * merged header cells and the previous period beside; one row per child unit on a second sheet.
 */
export async function toXlsx(c: Consolidation): Promise<Buffer> {
  // Loaded on first use: exceljs costs ~20 MB resident and most processes never export.
  const { default: ExcelJS } = await import("exceljs");
  // The streaming writer renders rows as they are committed and zips with Node's zlib; the
  // in-memory workbook first builds a model of every cell, then zips it in JavaScript (pako).
  const file = new PassThrough();
  const bytes = buffer(file);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: file, useStyles: true, useSharedStrings: true });
  wb.creator = "baocao";
  const title = `${c.form.title.toUpperCase()}`;
  const sub = `${c.root.name} — ${periodLabel(c.period.key)}${c.cutoff ? ` (số liệu tính đến ngày ${c.cutoff.split("-").reverse().join("/")})` : ""}`;
  // Figures include submitted reports not yet approved: say how many, so nobody mistakes them.
  const coverage = `Số xã đã nộp: ${c.included}/${c.communes}${c.communes > c.included ? ` (còn thiếu ${c.communes - c.included})` : ""}; đã duyệt ${c.approved}, chưa duyệt ${c.included - c.approved}${c.included > c.approved ? " (*)" : ""}`;

  // Printed as it is sent upward: A4, one page wide.
  const print = { paperSize: 9, orientation: "portrait" as const, fitToPage: true, fitToWidth: 1, fitToHeight: 0, horizontalCentered: true };
  const ws = wb.addWorksheet("Tổng hợp", { pageSetup: print });
  printCentred(ws);
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
  printCentred(wu);
  const qs = c.items;
  wu.getRow(1).values = ["Mã", "Đơn vị", "Số xã", "Đã nộp", ...qs.map((q) => (q.no ? `${q.no}. ${q.label}` : q.label)), "Đã duyệt"];
  wu.getRow(1).font = { bold: true };
  wu.columns = [{ width: 8 }, { width: 30 }, { width: 8 }, { width: 8 }, ...qs.map(() => ({ width: 14 }))];
  // Every cell gets a style object of its own and the writer renders each one to find its style
  // id, unless the object is one it has seen: the unstyled body cells share a single one.
  const unstyled = {};
  c.children.forEach((ch, i) => {
    const r = wu.getRow(i + 2);
    r.values = [ch.code, ch.name, ch.communes, ch.included, ...qs.map((q) => ch.values[q.questionId] ?? 0), ch.approved];
    r.eachCell((cell) => (cell.style = unstyled));
  });
  const totalRow = c.children.length + 2;
  wu.getRow(totalRow).values = ["", "Tổng cộng", c.communes, c.included, ...qs.map((q) => q.total), c.approved];
  wu.getRow(totalRow).font = { bold: true };
  ws.commit();
  wu.commit();
  if (c.crossed.length > 0) {
    // Each crossed pair as a table: the first question's options down, the second's across, totals on both sides.
    const wx = wb.addWorksheet("Bảng chéo", { pageSetup: { ...print, orientation: "landscape" } });
    printCentred(wx);
    wx.getColumn(1).width = 40;
    let r = 1;
    for (const x of c.crossed) {
      wx.getRow(r).values = [x.title];
      wx.getRow(r).font = { bold: true };
      r++;
      wx.getRow(r).values = ["", ...x.columns.map((o) => o.label), "Tổng"];
      wx.getRow(r).font = { bold: true };
      r++;
      for (const row of x.rows) {
        const cells = x.columns.map((col) => x.counts[row.value]?.[col.value] ?? 0);
        wx.getRow(r++).values = [row.label, ...cells, cells.reduce((a, b) => a + b, 0)];
      }
      const sums = x.columns.map((col) => x.rows.reduce((a, row) => a + (x.counts[row.value]?.[col.value] ?? 0), 0));
      wx.getRow(r).values = ["Tổng", ...sums, sums.reduce((a, b) => a + b, 0)];
      wx.getRow(r).font = { bold: true };
      r += 2;
    }
    wx.commit();
  }
  const [, xlsx] = await Promise.all([wb.commit(), bytes]);
  return xlsx;
}

/**
 * exceljs's streaming writer leaves out <printOptions>, so `horizontalCentered` would be lost and
 * the sheet printed flush left: write the element where OOXML wants it, just before the margins.
 * This reaches into the writer (exceljs 4.4); the consolidation test reads the option back.
 */
function printCentred(sheet: Worksheet): void {
  const writer = sheet as unknown as { _writePageMargins(): void; stream: { write(xml: string): void } };
  const margins = writer._writePageMargins.bind(writer);
  writer._writePageMargins = () => {
    writer.stream.write('<printOptions horizontalCentered="1"/>');
    margins();
  };
}

/** The per-unit table as CSV (see csvFile: BOM, CRLF, formula-looking names neutralised). */
export function toCsv(c: Consolidation): string {
  return csvFile([
    ["ma_don_vi", "don_vi", "so_xa", "da_nop", ...c.items.map((q) => q.questionId)],
    ...c.children.map((ch) => [ch.code, ch.name, ch.communes, ch.included, ...c.items.map((q) => ch.values[q.questionId] ?? 0)]),
    ["", "Tổng cộng", c.communes, c.included, ...c.items.map((q) => q.total)],
  ]);
}
