/**
 * bench:consolidate — the national consolidated view and export (root "VN": the whole country, its
 * children the provinces) against one plain SQL aggregate over the same rows, every commune of the
 * country having submitted.
 *
 *   npm run bench:consolidate                     # PGlite in memory, post-2025 (3,321 communes)
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test SCHEME=pre2025 npm run bench:consolidate
 *
 * Baselines, measured in the same run (the machine may be shared: only ratios within a run mean much):
 * - raw_sql: one plain SQL aggregate, the national sum of every question over the submitted
 *   reports. Before timing, the script checks that the view and the export report exactly these
 *   totals (and the export's per-province columns the per-province sums), so both sides count the
 *   same submissions.
 * - raw_view_sql: raw_sql plus one plain query listing every commune's report status, i.e. all
 *   that the view returns. The view also lists each commune; raw_sql alone does not.
 * - bare_xlsx: the export's cells written by exceljs's streaming writer with nothing else (no
 *   styles, merges, widths or print setup). An XLSX file costs more than an aggregate whatever
 *   writes it: export_ratio (against raw_sql, as the issue asks) is read beside export_over_view
 *   (what the export costs on top of the view) and xlsx_ratio (our files against bare exceljs).
 */
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { buffer } from "node:stream/consumers";
import ExcelJS from "exceljs";
import { scratchDatabase } from "./scratch-db.js";
import { sql } from "drizzle-orm";
import { createDatabase } from "../src/db/client.js";
import { answers, officers, periods, submissions, units } from "../src/db/schema/index.js";
import { createUnitDirectory, nationalRoot } from "../src/directory/units.js";
import { createFormRegistry } from "../src/forms/form-registry.js";
import { ensureReportingDefaults } from "../src/reporting/reporting-defaults.js";
import { consolidate, toXlsx, type Consolidation } from "../src/reporting/consolidation.js";
import { periodStatus } from "../src/reporting/period-status.js";
import { periodLabel } from "../src/domain/periods.js";

const SCHEME = (process.env.SCHEME ?? "post2025") as "pre2025" | "post2025";
const RUNS = Number(process.env.RUNS ?? 5);
const baseUrl = process.env.BENCH_DATABASE_URL;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** The same cells as `toXlsx`, and only them: the cheapest way exceljs writes them. */
async function bareXlsx(c: Consolidation): Promise<Buffer> {
  const file = new PassThrough();
  const bytes = buffer(file);
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: file, useSharedStrings: true });
  const ws = wb.addWorksheet("Tổng hợp");
  const label = periodLabel(c.period.key);
  for (const text of [c.form.title.toUpperCase(), `${c.root.name} — ${label}`, `Số xã đã nộp: ${c.included}/${c.communes}; đã duyệt ${c.approved}`, ""])
    ws.addRow([text]).commit();
  ws.addRow(["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", ""]).commit();
  ws.addRow(["", "", "", label, c.previous ? periodLabel(c.previous.key) : "Kỳ trước"]).commit();
  let section = "";
  for (const item of c.items) {
    if (item.section !== section) ws.addRow([(section = item.section)]).commit();
    ws.addRow([item.no, item.label, item.unit, item.total, item.previous ?? "—"]).commit();
  }
  ws.commit();
  const wu = wb.addWorksheet("Theo đơn vị");
  wu.addRow(["Mã", "Đơn vị", "Số xã", "Đã nộp", ...c.items.map((q) => `${q.no}. ${q.label}`), "Đã duyệt"]).commit();
  for (const ch of c.children)
    wu.addRow([ch.code, ch.name, ch.communes, ch.included, ...c.items.map((q) => ch.values[q.questionId] ?? 0), ch.approved]).commit();
  wu.addRow(["", "Tổng cộng", c.communes, c.included, ...c.items.map((q) => q.total), c.approved]).commit();
  wu.commit();
  const [, out] = await Promise.all([wb.commit(), bytes]);
  return out;
}

async function main() {
  const { url, drop } = await scratchDatabase(baseUrl);
  const database = createDatabase({ databaseUrl: url });
  await database.migrate();
  const { db } = database;
  const forms = createFormRegistry();
  const form = forms.latest("child-affairs");
  await createUnitDirectory({ db }).importFile(readFileSync(`seed/vn-admin-units/${SCHEME}_units.csv`), "u.csv", SCHEME);
  const year = SCHEME === "pre2025" ? 2024 : 2026;
  await ensureReportingDefaults(db, forms, new Date(`${year}-06-01T00:00:00Z`));
  const [period] = await db
    .select()
    .from(periods)
    .where(sql`${periods.key} = ${`${year}-Y`}`);
  const communes = await db
    .select({ id: units.id })
    .from(units)
    .where(sql`${units.scheme} = ${SCHEME} and ${units.level} = 'commune'`);
  const [province] = await db
    .select({ id: units.id })
    .from(units)
    .where(sql`${units.scheme} = ${SCHEME} and ${units.level} = 'province'`)
    .limit(1);
  const [officer] = await db.insert(officers).values({ name: "Bench", phone: "84900009999", role: "province", unitId: province!.id }).returning();
  // The numbers outside repeat groups: one answer each per report.
  const numeric = form.sections
    .filter((sec) => !sec.repeat)
    .flatMap((sec) => sec.questions.filter((q) => q.type === "integer" || q.type === "decimal").map((question) => ({ question })));
  for (let i = 0; i < communes.length; i += 500) {
    const subs = await db
      .insert(submissions)
      .values(
        communes.slice(i, i + 500).map((u) => ({
          periodId: period!.id,
          unitId: u.id,
          officerId: officer!.id,
          formId: form.id,
          formVersion: form.version,
          status: "submitted" as const,
          submittedAt: new Date(),
          late: false,
        })),
      )
      .returning({ id: submissions.id });
    const rows = subs.flatMap((s) =>
      numeric.map(({ question }, k) => ({
        submissionId: s.id,
        key: question.id,
        questionId: question.id,
        valueNum: (s.id * 7 + k) % 50,
        value: { v: (s.id * 7 + k) % 50 },
      })),
    );
    for (let j = 0; j < rows.length; j += 5000) await db.insert(answers).values(rows.slice(j, j + 5000));
  }
  await db.execute(sql`analyze`);

  const country = nationalRoot(SCHEME);
  const today = `${year}-12-01`;
  const rawSums = () =>
    db.execute(sql`select a.question_id, sum(a.value_num) as total
      from answers a join submissions s on s.id = a.submission_id join units u on u.id = s.unit_id
      where s.period_id = ${period!.id} and s.status in ('submitted','approved') and u.scheme = ${SCHEME}
      group by 1`);
  const rawProvinceSums = () =>
    db.execute(sql`select split_part(u.path, '.', 1) as province, a.question_id, sum(a.value_num) as total
      from answers a join submissions s on s.id = a.submission_id join units u on u.id = s.unit_id
      where s.period_id = ${period!.id} and s.status in ('submitted','approved') and u.scheme = ${SCHEME}
      group by 1, 2`);
  // Everything the export's figures hold, as plain SQL over the country: per child and question,
  // per question, and each child's communes and reports.
  const rawFigures = async () => {
    // Per province and question; the national row is their sum (as the export adds its children up).
    await db.execute(sql`select split_part(u.path, '.', 1) as province, a.question_id, sum(a.value_num)
      from answers a join submissions s on s.id = a.submission_id join units u on u.id = s.unit_id
      where s.period_id = ${period!.id} and s.status in ('submitted','approved') and u.scheme = ${SCHEME} and a.value_num is not null
      group by 1, 2`);
    await db.execute(sql`select split_part(u.path, '.', 1), count(*), count(s.id), count(*) filter (where s.status = 'approved')
      from units u left join submissions s on s.unit_id = u.id and s.period_id = ${period!.id} and s.status in ('submitted','approved')
      where u.scheme = ${SCHEME} and u.level = 'commune'
      group by 1`);
  };
  const rawStatuses = () =>
    db.execute(sql`select u.path, s.id, s.status, s.late, s.submitted_at
      from units u left join submissions s on s.unit_id = u.id and s.period_id = ${period!.id}
      where u.scheme = ${SCHEME} and u.level = 'commune'`);

  // Same totals over the same submissions, or the comparison means nothing.
  // Both drivers answer { rows }; the Drizzle type leaves the shape to the driver.
  type SumRow = { province?: string; question_id: string; total: number | string };
  const national = new Map(((await rawSums()) as unknown as { rows: SumRow[] }).rows.map((r) => [r.question_id, Number(r.total)]));
  const perProvince = new Map(
    ((await rawProvinceSums()) as unknown as { rows: SumRow[] }).rows.map((r) => [`${r.province}:${r.question_id}`, Number(r.total)]),
  );
  const [view0, figures0] = await Promise.all([periodStatus(db, period!, country, today), consolidate(db, period!, country, form)]);
  let checked = 0;
  for (const { question } of numeric) {
    const want = national.get(question.id) ?? 0;
    const item = figures0.items.find((i) => i.questionId === question.id)!;
    if ((view0.sums[question.id] ?? 0) !== want || item.total !== want)
      throw new Error(`${question.id}: raw SQL ${want}, view ${view0.sums[question.id]}, export ${item.total}`);
    checked++;
    for (const child of figures0.children) {
      const wantChild = perProvince.get(`${child.code}:${question.id}`) ?? 0;
      if ((child.values[question.id] ?? 0) !== wantChild)
        throw new Error(`${child.code} ${question.id}: raw SQL ${wantChild}, export ${child.values[question.id]}`);
      checked++;
    }
  }
  if (view0.counts.submitted !== figures0.included || view0.counts.units !== communes.length || view0.children.length !== figures0.children.length) {
    throw new Error("the view and the export count different communes or provinces");
  }

  const view: number[] = [];
  const exp: number[] = [];
  const figuresMs: number[] = [];
  const xlsxMs: number[] = [];
  const bare: number[] = [];
  const raw: number[] = [];
  const rawView: number[] = [];
  const rawFig: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    raw.push(await time(rawSums));
    rawView.push(
      await time(async () => {
        await rawSums();
        await rawStatuses();
      }),
    );
    rawFig.push(await time(rawFigures));
    view.push(await time(() => periodStatus(db, period!, country, today)));
    let f = 0;
    let x = 0;
    let all: Consolidation | undefined;
    exp.push(
      await time(async () => {
        const t = performance.now();
        all = await consolidate(db, period!, country, form);
        const t2 = performance.now();
        await toXlsx(all);
        f = t2 - t;
        x = performance.now() - t2;
      }),
    );
    figuresMs.push(f);
    xlsxMs.push(x);
    bare.push(await time(() => bareXlsx(all!)));
  }
  const v = median(view),
    e = median(exp),
    q = median(raw),
    qv = median(rawView),
    f = median(figuresMs),
    qf = median(rawFig),
    x = median(xlsxMs),
    b = median(bare);
  console.log(
    `database=${database.kind} scheme=${SCHEME} answers=${communes.length * numeric.length} runs=${RUNS} totals_checked=${checked} provinces=${view0.children.length} (view, export and raw SQL agree)`,
  );
  console.log(`export_ms = figures_ms + xlsx_ms; *_same_work_ratio: against plain SQL returning what the view or the export's figures hold`);
  console.log(
    `view_ms=${v.toFixed(0)} export_ms=${e.toFixed(0)} raw_sql_ms=${q.toFixed(0)} view_ratio=${(v / q).toFixed(2)} export_ratio=${(e / q).toFixed(2)} ` +
      `raw_view_sql_ms=${qv.toFixed(0)} view_same_work_ratio=${(v / qv).toFixed(2)} export_over_view_ms=${(e - v).toFixed(0)} ` +
      `figures_ms=${f.toFixed(0)} raw_figures_sql_ms=${qf.toFixed(0)} figures_same_work_ratio=${(f / qf).toFixed(2)} ` +
      `xlsx_ms=${x.toFixed(0)} bare_xlsx_ms=${b.toFixed(0)} xlsx_ratio=${(x / b).toFixed(2)} units=${communes.length}`,
  );
  await database.close();
  await drop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
