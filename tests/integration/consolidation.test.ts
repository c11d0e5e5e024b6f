import ExcelJS from "exceljs";
import { and, eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answers, officers, periods, submissions, units } from "../../src/db/schema/index.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import { ensureReportingDefaults } from "../../src/reporting/reporting-defaults.js";
import { dbKinds, useTestDb, type TestDb } from "../support/db.js";
import { addOfficers, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const forms = createFormRegistry();
/**
 * The numbered items of the child-affairs form that the export sums, with their numbers on the
 * paper form, written out here (not taken from the consolidation code): items 9, 11, 19–23, 32
 * and 35 are free text or choices and are not summed.
 */
const NUMERIC: [number, string][] = [
  [1, "comm_sessions"],
  [2, "comm_people"],
  [3, "comm_children"],
  [4, "trainings"],
  [5, "trainees"],
  [6, "special_total"],
  [7, "special_boys"],
  [8, "special_girls"],
  [10, "special_supported"],
  [12, "abuse_cases"],
  [13, "abuse_children"],
  [14, "abuse_boys"],
  [15, "abuse_girls"],
  [16, "abuse_age_0_5"],
  [17, "abuse_age_6_10"],
  [18, "abuse_age_11_15"],
  [24, "drowning_deaths"],
  [25, "drowning_deaths_girls"],
  [26, "accident_deaths"],
  [27, "injuries"],
  [28, "action_month_events"],
  [29, "gifts"],
  [30, "gift_value"],
  [31, "fund_raised"],
  [33, "forums"],
  [34, "forum_children"],
  [36, "database_children"],
];
/** A sheet row's cells, 1-based as exceljs keeps them, as a plain list. */
const cells = (row: ExcelJS.Row) => Array.from({ length: row.cellCount }, (_, i) => row.getCell(i + 1).value);

/**
 * Every row the export must hold, worked out here from the form (data) as an official reads the
 * paper form: the numbered questions (notes unnumbered); a number is summed (inside the repeat
 * too); each option of a choice question is counted under its question's number ("32.1"); a repeat
 * group first gives how many rows were declared.
 */
type ExpectedItem = { no: string; key: string; label: string; unit: string; section: string; counted: boolean };
function expectedItems(): ExpectedItem[] {
  const out: ExpectedItem[] = [];
  let n = 0;
  for (const sec of forms.latest("child-affairs").sections) {
    if (sec.repeat)
      out.push({
        no: "",
        key: `${sec.id}[]`,
        label: `Số ${sec.repeat.itemLabel.toLowerCase()} được khai`,
        unit: "trường hợp",
        section: sec.title,
        counted: true,
      });
    for (const q of sec.questions) {
      if (q.type === "note") continue;
      n++;
      if (q.type === "integer" || q.type === "decimal")
        out.push({ no: String(n), key: q.id, label: q.label, unit: q.unit ?? "", section: sec.title, counted: false });
      const options =
        q.type === "yesno"
          ? [
              { value: "yes", label: "Có" },
              { value: "no", label: "Không" },
            ]
          : q.type === "single" || q.type === "multiple"
            ? (q.choices as { value: string; label: string }[])
            : [];
      options.forEach((o, i) =>
        out.push({
          no: `${n}.${i + 1}`,
          key: `${q.id}=${o.value}`,
          label: `${q.label}: ${o.label}`,
          unit: sec.repeat ? "trường hợp" : "đơn vị",
          section: sec.title,
          counted: true,
        }),
      );
    }
  }
  return out;
}
const header = (i: ExpectedItem) => (i.no ? `${i.no}. ${i.label}` : i.label);

/**
 * The counted figures by independent SQL over the rows the test wrote: per option, the answers
 * whose value is that option or holds it (yes/no kept as booleans), and the distinct repeat rows.
 */
async function countedBySql(db: TestDb["database"]["db"], periodKey: string, groupBy: "none" | "district") {
  const district = groupBy === "district" ? sql`d.code` : sql`''`;
  const join =
    groupBy === "district" ? sql`join units d on d.scheme = 'pre2025' and d.level = 'district' and d.parent_code = '12' and c.path like d.path || '.%'` : sql``;
  const options = (await db.execute(sql`
    select ${district} as code, a.question_id, a.value -> 'v' as v
    from answers a join submissions s on s.id = a.submission_id join periods p on p.id = s.period_id join units c on c.id = s.unit_id ${join}
    where p.key = ${periodKey} and s.status in ('submitted', 'approved') and c.scheme = 'pre2025' and c.path like '12.%'`)) as unknown as {
    rows: { code: string; question_id: string; v: unknown }[];
  };
  const out = new Map<string, number>();
  const add = (k: string) => out.set(k, (out.get(k) ?? 0) + 1);
  for (const r of options.rows) {
    const values = Array.isArray(r.v) ? r.v : typeof r.v === "boolean" ? [r.v ? "yes" : "no"] : typeof r.v === "string" ? [r.v] : [];
    for (const v of values) add(`${r.code}:${r.question_id}=${String(v)}`);
  }
  const repeats = (await db.execute(sql`
    select ${district} as code, count(distinct (s.id, substring(a.key from '^abuse_case\[[0-9]+')))::int as n
    from answers a join submissions s on s.id = a.submission_id join periods p on p.id = s.period_id join units c on c.id = s.unit_id ${join}
    where p.key = ${periodKey} and s.status in ('submitted', 'approved') and c.scheme = 'pre2025' and c.path like '12.%' and a.key like 'abuse_case[%'
    group by 1`)) as unknown as { rows: { code: string; n: number }[] };
  for (const r of repeats.rows) out.set(`${r.code}:abuse_case[]`, Number(r.n));
  return (code: string, key: string) => out.get(`${code}:${key}`) ?? 0;
}

/** Choice answers and repeat rows for a report, from a deterministic sequence. */
function countedAnswers(submissionId: number, next: () => number) {
  const form = forms.latest("child-affairs");
  const q = (id: string) => form.sections.flatMap((sec) => sec.questions).find((x) => x.id === id)!;
  const pickOf = (id: string) => (q(id).choices as { value: string }[]).map((c) => c.value);
  const rows: (typeof answers.$inferInsert)[] = [
    { submissionId, key: "child_friendly", questionId: "child_friendly", value: { v: pickOf("child_friendly")[next() % 3]! } },
    { submissionId, key: "database_updated", questionId: "database_updated", value: { v: next() % 2 === 0 } },
    {
      submissionId,
      key: "special_groups",
      questionId: "special_groups",
      value: { v: [...new Set([pickOf("special_groups")[next() % 14]!, pickOf("special_groups")[next() % 14]!])] },
    },
  ];
  const cases = next() % 3;
  for (let i = 1; i <= cases; i++) {
    rows.push({ submissionId, key: `abuse_case[${i}].case_sex`, questionId: "case_sex", value: { v: next() % 2 ? "nam" : "nu" } });
    rows.push({ submissionId, key: `abuse_case[${i}].case_form`, questionId: "case_form", value: { v: pickOf("case_form")[next() % 6]! } });
    rows.push({ submissionId, key: `abuse_case[${i}].case_supported`, questionId: "case_supported", value: { v: next() % 2 === 1 } });
    const age = next() % 16;
    rows.push({ submissionId, key: `abuse_case[${i}].case_age`, questionId: "case_age", valueNum: age, value: { v: age } });
    rows.push({ submissionId, key: `abuse_case[${i}]#more`, questionId: "abuse_case#more", value: { v: i < cases } });
  }
  return rows;
}

describe.each(dbKinds)("the consolidated export of a province, correct to the unit (%s)", (kind) => {
  const t = useTestDb(kind);
  let s: TestService;
  beforeEach(async () => {
    await loadProvince(t.database, "pre2025", "12");
    await ensureReportingDefaults(t.database.db, forms, new Date("2024-12-01T00:00:00Z"));
    s = await startTestService(t, { clock: () => new Date("2024-12-01T03:00:00Z") });
  });
  afterEach(() => s.service.stop());

  it("sums every numeric item over submitted reports only, per district, with the previous year beside", async () => {
    const db = t.database.db;
    const communes = await db
      .select()
      .from(units)
      .where(and(eq(units.scheme, "pre2025"), eq(units.level, "commune")));
    await addOfficers(t.database, `name,phone,role,unit_code,scheme\nA,0912000901,commune,${communes[0]!.code},pre2025\n`);
    const [officer] = await db.select().from(officers);
    const [y2024] = await db.select().from(periods).where(eq(periods.key, "2024-Y"));
    const [y2023] = await db.select().from(periods).where(eq(periods.key, "2023-Y"));
    // Deterministic "random" figures; every 3rd commune has not submitted, one is still in progress.
    let seed = 7;
    const rnd = () => (seed = (seed * 48271) % 2147483647) % 50;
    for (const [i, u] of communes.entries()) {
      for (const [period, status] of [
        [y2024!, i % 3 === 0 ? null : i === 1 ? "in_progress" : "submitted"],
        [y2023!, i % 2 === 0 ? "submitted" : null],
      ] as const) {
        if (!status) continue;
        const [sub] = await db
          .insert(submissions)
          .values({ periodId: period.id, unitId: u.id, officerId: officer!.id, formId: "child-affairs", formVersion: 2, status, submittedAt: new Date() })
          .returning();
        await db.insert(answers).values([
          ...NUMERIC.map(([, id]) => {
            const v = rnd();
            return { submissionId: sub!.id, key: id, questionId: id, valueNum: v, value: { v } };
          }),
          ...countedAnswers(sub!.id, rnd),
        ]);
      }
    }

    const res = await s.api(`/api/periods/2024-Y/export.xlsx?unit=12`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("baocao-2024-Y-12.xlsx");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const summary = wb.getWorksheet("Tổng hợp")!;
    // Header cells are merged like the paper form.
    expect(summary.getCell("D5").isMerged && summary.getCell("E5").isMerged).toBe(true);
    // Printed as sent upward: A4, one page wide, centred.
    expect(summary.pageSetup).toMatchObject({ paperSize: 9, fitToPage: true, fitToWidth: 1, horizontalCentered: true });

    // Independent SQL: the expected totals per question, submitted reports only.
    const expected = async (periodKey: string) => {
      const rows = await db.execute<{ question_id: string; total: string | number }>(sql`
        select a.question_id, sum(a.value_num) as total
        from answers a join submissions s on s.id = a.submission_id join periods p on p.id = s.period_id
        join units u on u.id = s.unit_id
        where p.key = ${periodKey} and s.status in ('submitted','approved') and u.scheme = 'pre2025' and u.path like '12.%'
        group by a.question_id`);
      return new Map((rows as unknown as { rows: { question_id: string; total: string | number }[] }).rows.map((r) => [r.question_id, Number(r.total)]));
    };
    const now = await expected("2024-Y");
    const before = await expected("2023-Y");
    // The summary sheet, every cell of every row (a merged cell reads as its first cell's value):
    // the title, the unit and period, the coverage, the two header rows, then each section of the
    // form (data) with its summed items, numbered as on paper, this year and last year side by side.
    const submittedCount = communes.filter((_, i) => i % 3 !== 0 && i !== 1).length;
    const five = (v: string) => [v, v, v, v, v];
    const expectedRows: unknown[][] = [
      five("BÁO CÁO CÔNG TÁC TRẺ EM"),
      five("Tỉnh Lai Châu — báo cáo năm 2024"),
      five(`Số xã đã nộp: ${submittedCount}/${communes.length} (còn thiếu ${communes.length - submittedCount}); đã duyệt 0, chưa duyệt ${submittedCount} (*)`),
      [],
      ["STT", "Chỉ tiêu", "Đơn vị tính", "Số liệu", "Số liệu"],
      ["STT", "Chỉ tiêu", "Đơn vị tính", "báo cáo năm 2024", "báo cáo năm 2023"],
    ];
    let section = "";
    const counted = await countedBySql(db, "2024-Y", "none");
    const items = expectedItems();
    // The numbered items the paper form sums keep their numbers.
    expect(NUMERIC.map(([, id]) => items.find((i) => i.key === id)?.no)).toEqual(NUMERIC.map(([no]) => String(no)));
    for (const item of items) {
      if (item.section !== section) expectedRows.push(five((section = item.section)));
      expectedRows.push(
        item.counted
          ? [item.no, item.label, item.unit, counted("", item.key), "—"]
          : [item.no, item.label, item.unit, now.get(item.key) ?? 0, before.get(item.key) ?? 0],
      );
    }
    // The counts hold something to check: every option of a single choice chosen by someone, rows declared.
    expect(counted("", "abuse_case[]")).toBeGreaterThan(10);
    expect(["dat", "chua_dat"].map((o) => counted("", `child_friendly=${o}`)).every((n) => n > 0)).toBe(true);
    expect(summary.rowCount).toBe(expectedRows.length);
    expect(Array.from({ length: summary.rowCount }, (_, i) => cells(summary.getRow(i + 1)))).toEqual(expectedRows);

    // The per-unit sheet, every cell of every row: one row per district from SQL written here
    // (its communes, its submitted reports, each item's sum over them), then the total row.
    const perUnit = wb.getWorksheet("Theo đơn vị")!;
    const submitted = submittedCount;
    const perDistrict = (await db.execute<{ code: string; name: string; communes: number; submitted: number }>(sql`
      select d.code, d.name,
        (select count(*)::int from units c where c.scheme = 'pre2025' and c.level = 'commune' and c.path like d.path || '.%') as communes,
        (select count(*)::int from submissions s join units c on c.id = s.unit_id join periods p on p.id = s.period_id
          where p.key = '2024-Y' and s.status in ('submitted', 'approved') and c.scheme = 'pre2025' and c.path like d.path || '.%') as submitted
      from units d where d.scheme = 'pre2025' and d.level = 'district' and d.parent_code = '12' order by d.code`)) as unknown as {
      rows: { code: string; name: string; communes: number; submitted: number }[];
    };
    const sums = (await db.execute(sql`
      select d.code, a.question_id, sum(a.value_num)::int as total
      from units d join units c on c.scheme = 'pre2025' and c.path like d.path || '.%'
      join submissions s on s.unit_id = c.id join periods p on p.id = s.period_id join answers a on a.submission_id = s.id
      where d.scheme = 'pre2025' and d.level = 'district' and d.parent_code = '12' and p.key = '2024-Y' and s.status in ('submitted', 'approved')
      group by d.code, a.question_id`)) as unknown as { rows: { code: string; question_id: string; total: number }[] };
    const countedPerDistrict = await countedBySql(db, "2024-Y", "district");
    const sumOf = (code: string, id: string) =>
      items.find((i) => i.key === id)?.counted ? countedPerDistrict(code, id) : (sums.rows.find((r) => r.code === code && r.question_id === id)?.total ?? 0);
    expect(perDistrict.rows.length).toBeGreaterThan(5);
    expect(perUnit.rowCount).toBe(perDistrict.rows.length + 2);
    expect(cells(perUnit.getRow(1))).toEqual(["Mã", "Đơn vị", "Số xã", "Đã nộp", ...items.map(header), "Đã duyệt"]);
    const bodyRows = Array.from({ length: perDistrict.rows.length }, (_, i) => cells(perUnit.getRow(i + 2))).sort((a, b) =>
      String(a[0]).localeCompare(String(b[0])),
    );
    expect(bodyRows).toEqual(perDistrict.rows.map((d) => [d.code, d.name, d.communes, d.submitted, ...items.map((i) => sumOf(d.code, i.key)), 0]));
    const whole = (i: ExpectedItem) => (i.counted ? counted("", i.key) : (now.get(i.key) ?? 0));
    const total = cells(perUnit.getRow(perDistrict.rows.length + 2));
    expect([total[0] ?? "", ...total.slice(1)]).toEqual(["", "Tổng cộng", communes.length, submitted, ...items.map(whole), 0]);

    // Decoded keeping the BOM (Response.text() would drop it): spreadsheet programs need it.
    const csv = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await (await s.api(`/api/periods/2024-Y/export.csv?unit=12`)).arrayBuffer());
    // The CSV, every cell: the same table as the per-unit sheet, with question ids as headers.
    expect(csv.startsWith("\uFEFF")).toBe(true);
    const csvRows = csv
      .slice(1)
      .split("\r\n")
      .filter((l) => l !== "")
      .map((l) => l.split(","));
    expect(csvRows[0]).toEqual(["ma_don_vi", "don_vi", "so_xa", "da_nop", ...items.map((i) => i.key)]);
    expect(csvRows.slice(1, -1).sort((a, b) => a[0]!.localeCompare(b[0]!))).toEqual(
      perDistrict.rows.map((d) => [d.code, d.name, String(d.communes), String(d.submitted), ...items.map((i) => String(sumOf(d.code, i.key)))]),
    );
    expect(csvRows.at(-1)).toEqual(["", "Tổng cộng", String(communes.length), String(submitted), ...items.map((i) => String(whole(i)))]);

    // The status API gives the same counts, question → option, and the repeat's rows.
    const status = (await (await s.api(`/api/periods/2024-Y/status?unit=12`)).json()) as {
      choiceCounts: Record<string, Record<string, number>>;
      repeatRows: Record<string, number>;
      crossCounts: Record<string, Record<string, Record<string, number>>>;
      sums: Record<string, number>;
    };
    const expectedCounts: Record<string, Record<string, number>> = {};
    for (const i of items.filter((x) => x.counted && x.key.includes("="))) {
      const [q, o] = i.key.split("=") as [string, string];
      const n = counted("", i.key);
      if (n > 0) (expectedCounts[q] ??= {})[o] = n;
    }
    expect(status.choiceCounts).toEqual(expectedCounts);
    expect(status.repeatRows).toEqual({ abuse_case: counted("", "abuse_case[]") });
    expect(status.sums.case_age).toBe(now.get("case_age"));

    // Abuse cases by form × sex, as the form crosses them: each row's two answers, joined here by
    // the row's own key prefix, against the API and every cell of the «Bảng chéo» sheet.
    const pairs = (await db.execute(sql`
      select f.value ->> 'v' as form, x.value ->> 'v' as sex, count(*)::int as n
      from answers f join answers x on x.submission_id = f.submission_id and x.key = replace(f.key, '.case_form', '.case_sex')
      join submissions s on s.id = f.submission_id join periods p on p.id = s.period_id join units c on c.id = s.unit_id
      where p.key = '2024-Y' and s.status in ('submitted', 'approved') and c.scheme = 'pre2025' and c.path like '12.%' and f.key like 'abuse_case[%].case_form'
      group by 1, 2`)) as unknown as { rows: { form: string; sex: string; n: number }[] };
    const expectedCross: Record<string, Record<string, number>> = {};
    for (const r of pairs.rows) (expectedCross[r.form] ??= {})[r.sex] = r.n;
    expect(pairs.rows.length).toBeGreaterThan(3);
    expect(status.crossCounts).toEqual({ "case_form×case_sex": expectedCross });
    const cross = wb.getWorksheet("Bảng chéo")!;
    const form = forms.latest("child-affairs");
    const q = (id: string) => form.sections.flatMap((sec) => sec.questions).find((x) => x.id === id)!;
    const formOptions = q("case_form").choices as { value: string; label: string }[];
    const sexes = q("case_sex").choices as { value: string; label: string }[];
    const cellOf = (f: string, x: string) => expectedCross[f]?.[x] ?? 0;
    const crossRows: unknown[][] = [
      [`${q("case_form").label} × ${q("case_sex").label}`],
      ["", ...sexes.map((o) => o.label), "Tổng"],
      ...formOptions.map((f) => [f.label, ...sexes.map((x) => cellOf(f.value, x.value)), sexes.reduce((a, x) => a + cellOf(f.value, x.value), 0)]),
      ["Tổng", ...sexes.map((x) => formOptions.reduce((a, f) => a + cellOf(f.value, x.value), 0)), pairs.rows.reduce((a, r) => a + r.n, 0)],
    ];
    expect(Array.from({ length: cross.rowCount }, (_, i) => cells(cross.getRow(i + 1)))).toEqual(crossRows);
    expect((await s.api(`/api/periods/2024-Y/export.xlsx?unit=99`)).status).toBe(404);
  });
});

describe.each(dbKinds)("the whole country (VN): the ministry's status and export over every province (%s)", (kind) => {
  const t = useTestDb(kind);
  let s: TestService;
  beforeEach(async () => {
    await loadProvince(t.database, "pre2025", "12");
    await loadProvince(t.database, "pre2025", "14");
    await ensureReportingDefaults(t.database.db, forms, new Date("2024-12-01T00:00:00Z"));
    s = await startTestService(t, { clock: () => new Date("2024-12-01T03:00:00Z") });
  });
  afterEach(() => s.service.stop());

  it("lists the provinces as children, and its totals are the provinces' totals added up; officers below admin get 404", async () => {
    const db = t.database.db;
    const communes = await db
      .select()
      .from(units)
      .where(and(eq(units.scheme, "pre2025"), eq(units.level, "commune")));
    await addOfficers(t.database, `name,phone,role,unit_code,scheme\nA,0912000901,province,12,pre2025\n`);
    const [officer] = await db.select().from(officers);
    const [y2024] = await db.select().from(periods).where(eq(periods.key, "2024-Y"));
    // Every other commune of both provinces has submitted, with the commune's own number of sessions.
    for (const [i, u] of communes.entries()) {
      if (i % 2 === 1) continue;
      const [sub] = await db
        .insert(submissions)
        .values({
          periodId: y2024!.id,
          unitId: u.id,
          officerId: officer!.id,
          formId: "child-affairs",
          formVersion: 2,
          status: "submitted",
          submittedAt: new Date(),
        })
        .returning();
      await db.insert(answers).values({ submissionId: sub!.id, key: "comm_sessions", questionId: "comm_sessions", valueNum: i, value: { v: i } });
    }
    const expected = communes.reduce((sum, _u, i) => sum + (i % 2 === 0 ? i : 0), 0);

    const res = await s.api(`/api/periods/2024-Y/status?unit=VN`);
    expect(res.status).toBe(200);
    const status = (await res.json()) as {
      unit: { name: string; level: string };
      counts: { units: number; submitted: number };
      children: { code: string; counts: { units: number } }[];
      sums: Record<string, number>;
    };
    expect(status.unit).toMatchObject({ name: "Toàn quốc", level: "country" });
    expect(status.children.map((c) => c.code)).toEqual(["12", "14"]);
    expect(status.counts).toMatchObject({ units: communes.length, submitted: Math.ceil(communes.length / 2) });
    expect(status.sums.comm_sessions).toBe(expected);
    // The same figure as the two provinces asked one by one.
    const province = async (code: string) => ((await (await s.api(`/api/periods/2024-Y/status?unit=${code}`)).json()) as typeof status).sums.comm_sessions ?? 0;
    expect((await province("12")) + (await province("14"))).toBe(expected);

    const xlsx = await s.api(`/api/periods/2024-Y/export.xlsx?unit=VN`);
    expect(xlsx.status).toBe(200);
    expect(xlsx.headers.get("content-disposition")).toContain("baocao-2024-Y-VN.xlsx");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await xlsx.arrayBuffer());
    expect(String(wb.getWorksheet("Tổng hợp")!.getCell("A2").value)).toBe("Toàn quốc — báo cáo năm 2024");
    // Every cell of the per-province sheet: each province's communes, reports and sessions, counted
    // here from the rows this test wrote; every other item is 0 as nobody answered it.
    const perUnit = wb.getWorksheet("Theo đơn vị")!;
    const provinceRow = async (code: string) => {
      const [p] = await db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "pre2025"), eq(units.code, code)));
      const mine = communes.map((u, i) => ({ u, i })).filter(({ u }) => u.path.startsWith(`${code}.`));
      const sent = mine.filter(({ i }) => i % 2 === 0);
      const sessions = sent.reduce((sum, { i }) => sum + i, 0);
      return [code, p!.name, mine.length, sent.length, ...expectedItems().map((item) => (item.key === "comm_sessions" ? sessions : 0)), 0];
    };
    expect(perUnit.rowCount).toBe(4);
    expect(cells(perUnit.getRow(1))).toEqual(["Mã", "Đơn vị", "Số xã", "Đã nộp", ...expectedItems().map(header), "Đã duyệt"]);
    expect(cells(perUnit.getRow(2))).toEqual(await provinceRow("12"));
    expect(cells(perUnit.getRow(3))).toEqual(await provinceRow("14"));
    const total = cells(perUnit.getRow(4));
    expect([total[0] ?? "", ...total.slice(1)]).toEqual([
      "",
      "Tổng cộng",
      communes.length,
      Math.ceil(communes.length / 2),
      ...expectedItems().map((item) => (item.key === "comm_sessions" ? expected : 0)),
      0,
    ]);
    expect((await s.api(`/api/periods/2024-Y/status?unit=vn`)).status).toBe(400);
  });
});
