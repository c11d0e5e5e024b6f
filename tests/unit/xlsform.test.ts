import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { formFromSheets, normalizeForm, problemLine, readXlsx, sheetsFromForm, writeXlsx, type XlsFormSheets } from "../../src/forms/xlsform/xlsform.js";
import { readCsvFolderSync } from "../../src/forms/xlsform/files.js";
import { shippedChoiceLists, shippedForms, shippedTemplatesDir } from "../../src/forms/shipped-templates.js";
import { loadForm, type FormInput } from "../../src/forms/form-schema.js";
import { parseAnswer, visibleSlots, failingChecks, type Answers } from "../../src/forms/form-runtime.js";

/** A sheet written as a spreadsheet would show it: the header row, then the rows below. */
function sheet(header: string[], ...rows: string[][]): Record<string, string>[] {
  return rows.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""])));
}

const SURVEY_HEADER = [
  "type",
  "name",
  "label::Vietnamese (vi)",
  "hint",
  "required",
  "required_message",
  "relevant",
  "constraint",
  "constraint_message",
  "calculation",
];

/** A province's own appendix, as an author would write it in Excel: every supported type once. */
function appendix(): XlsFormSheets {
  return {
    survey: sheet(
      SURVEY_HEADER,
      ["begin_group", "tuyen_truyen", "Tuyên truyền"],
      ["integer", "comm_sessions", "Số buổi truyền thông", "Tính cả loa truyền thanh", "yes", "Cần nhập số buổi", "", ". >= 0 and . <= 500"],
      ["integer", "comm_people", "Số lượt người tham dự", "", "yes", "", "${comm_sessions} > 0", ". <= 100000"],
      [
        "integer",
        "comm_children",
        "Trong đó, số lượt trẻ em",
        "",
        "yes",
        "",
        "${comm_sessions} > 0",
        ". <= ${comm_people}",
        "Không được lớn hơn số lượt người",
      ],
      ["decimal", "budget", "Kinh phí (triệu đồng)", "", "no"],
      ["end_group"],
      ["begin group", "tre_em", "Trẻ em"],
      ["integer", "total", "Tổng số trẻ", "", "yes"],
      ["integer", "boys", "Số trẻ trai", "", "yes"],
      ["integer", "girls", "Số trẻ gái", "", "yes", "", "", "${total} = ${boys} + ${girls}", "Tổng phải bằng trai cộng gái"],
      ["select_one yes_no", "friendly", "Xã đạt chuẩn phù hợp với trẻ em?", "", "yes"],
      ["select_multiple nhom", "groups", "Nhóm trẻ được hỗ trợ", "", "yes", "", "${friendly} = 'yes'", "count-selected(.) <= 2"],
      ["note", "ghi_chu_note", "Phần sau chỉ điền khi có trẻ bị xâm hại"],
      ["date", "visit_day", "Ngày kiểm tra gần nhất", "", "no", "", "not(selected(${groups}, 'khac'))"],
      ["text", "notes", "Ghi chú khác", "", "no"],
      ["end group"],
      ["begin_repeat", "vu_viec", "Vụ việc"],
      ["integer", "age", "Tuổi của trẻ", "", "yes", "", "", ". >= 0 and . <= 15"],
      ["select_one gioi_tinh", "sex", "Giới tính", "", "yes"],
      ["end_repeat"],
      ["calculate", "all_children", "Tổng trẻ", "", "", "", "", "", "", "${boys} + ${girls}"],
      ["calculate", "cases_age", "Tổng tuổi", "", "", "", "", "", "", "sum(${age})"],
    ).map((r) => (r.name === "visit_day" ? { ...r, "baocao::date_min": "period_start", "baocao::date_max": "today" } : r)),
    choices: sheet(
      ["list_name", "name", "label::Vietnamese (vi)"],
      ["yes_no", "yes", "Có"],
      ["yes_no", "no", "Không"],
      ["nhom", "khuyet_tat", "Trẻ khuyết tật"],
      ["nhom", "mo_coi", "Trẻ mồ côi"],
      ["nhom", "khac", "Khác"],
      ["gioi_tinh", "nam", "Nam"],
      ["gioi_tinh", "nu", "Nữ"],
    ),
    settings: sheet(["form_id", "form_title", "version"], ["phu_luc_01", "Phụ lục 01 — Kết quả công tác trẻ em", "2026061201"]),
  };
}

function imported(sheets: XlsFormSheets): FormInput {
  const read = formFromSheets(sheets, 1);
  if (!read.ok) throw new Error(read.problems.map(problemLine).join("\n"));
  return read.form;
}

const questions = (f: FormInput) => f.sections.flatMap((s) => s.questions);
const question = (f: FormInput, id: string) => questions(f).find((q) => q.id === id)!;

describe("importing a province's XLSForm", () => {
  it("reads every supported type, its label, hint, required message and constraints", () => {
    const read = formFromSheets(appendix(), 1);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.settings).toEqual({ formId: "phu-luc-01", title: "Phụ lục 01 — Kết quả công tác trẻ em", version: "2026061201" });
    const f = read.form;
    expect(f.id).toBe("phu-luc-01");
    expect(f.sections.map((s) => [s.id, s.title, Boolean(s.repeat)])).toEqual([
      ["tuyen_truyen", "Tuyên truyền", false],
      ["tre_em", "Trẻ em", false],
      ["vu_viec", "Vụ việc", true],
    ]);
    expect(questions(f).map((q) => [q.id, q.type])).toEqual([
      ["comm_sessions", "integer"],
      ["comm_people", "integer"],
      ["comm_children", "integer"],
      ["budget", "decimal"],
      ["total", "integer"],
      ["boys", "integer"],
      ["girls", "integer"],
      ["friendly", "yesno"],
      ["groups", "multiple"],
      ["ghi_chu_note", "note"],
      ["visit_day", "date"],
      ["notes", "text"],
      ["age", "integer"],
      ["sex", "single"],
    ]);
    const sessions = question(f, "comm_sessions");
    expect(sessions).toMatchObject({ help: "Tính cả loa truyền thanh", required: true, requiredMessage: "Cần nhập số buổi", min: 0, max: 500 });
    expect(question(f, "budget").required).toBe(false);
    expect(question(f, "comm_people").relevant).toEqual({ expr: "${comm_sessions} > 0" });
    expect(question(f, "sex").choices).toEqual([
      { value: "nam", label: "Nam" },
      { value: "nu", label: "Nữ" },
    ]);
    expect(question(f, "visit_day").range).toEqual({ min: { from: "period_start" }, max: { from: "today" } });
    expect(question(f, "groups").constraint).toEqual({ expr: "count-selected(.) <= 2" });
  });

  it("turns cross-question constraints into the engine's checks, and calculations into computed figures", () => {
    const f = imported(appendix());
    expect(f.checks).toEqual([
      { kind: "lte", left: "comm_children", right: "comm_people" },
      { kind: "sum", total: "total", parts: ["boys", "girls"] },
    ]);
    expect(f.computed).toEqual([
      { id: "all_children", label: "Tổng trẻ", sum: ["boys", "girls"] },
      { id: "cases_age", label: "Tổng tuổi", expr: "sum(${age})" },
    ]);
  });

  it("gives a form the engine runs: skip logic, constraints and the sum check naming both numbers", () => {
    const form = loadForm(imported(appendix()), {});
    const ctx = { today: "2026-05-15" };
    const keys = visibleSlots(form, new Map<string, unknown>([["comm_sessions", 0]])).map((s) => s.key);
    expect(keys).not.toContain("comm_people");
    expect(keys).toContain("budget");
    const q = (id: string) => form.sections.flatMap((s) => s.questions).find((x) => x.id === id)!;
    expect(parseAnswer(q("comm_sessions"), { text: "600" }, ctx)).toMatchObject({ ok: false });
    expect(parseAnswer(q("comm_sessions"), { text: "12" }, ctx)).toEqual({ ok: true, value: 12 });
    expect(parseAnswer(q("groups"), { text: "1, 2, 3" }, ctx)).toMatchObject({ ok: false, message: expect.stringContaining("số lựa chọn") });
    const answers: Answers = new Map<string, unknown>([
      ["total", 10],
      ["boys", 4],
      ["girls", 5],
    ]);
    expect(failingChecks(form, answers).map((c) => c.message)).toEqual([expect.stringMatching(/là 10 nhưng .* được 4 \+ 5 = 9/)]);
  });

  it("refuses a form with every problem listed by sheet, row and column, in Vietnamese", () => {
    const bad = appendix();
    bad.survey[2] = { ...bad.survey[2]!, relevant: "jr:choice-name(${comm_sessions}, 'x')" };
    bad.survey[4] = { ...bad.survey[4]!, type: "geopoint" };
    bad.survey[5] = { ...bad.survey[5]!, repeat_count: "${total}" };
    bad.survey[8] = { ...bad.survey[8]!, constraint: ". <= ${nobody}" };
    bad.survey[9] = { ...bad.survey[9]!, type: "select_one khong_co" };
    bad.survey.splice(bad.survey.length - 3, 1); // the end_repeat
    bad.settings = sheet(["form_id", "form_title"], ["phu luc 01", ""]);
    const read = formFromSheets(bad, 1);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    const lines = read.problems.map(problemLine);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^survey, dòng 4, cột relevant: không hiểu `jr:choice-name/),
        'survey, dòng 6, cột type: kiểu câu hỏi "geopoint" chưa được baocao hỗ trợ',
        "survey, dòng 7, cột repeat_count: cột repeat_count chưa được baocao hỗ trợ",
        "survey, dòng 10, cột constraint: `${nobody}` không phải tên câu hỏi nào trong biểu mẫu",
        'survey, dòng 11, cột type: không có danh sách lựa chọn "khong_co" trong trang choices',
        'survey, dòng 18, cột type: begin_repeat "vu_viec" thiếu end_repeat',
        expect.stringMatching(/^settings, dòng 2, cột form_id: form_id "phu luc 01" cần bắt đầu bằng chữ/),
        "settings, dòng 2, cột form_title: thiếu form_title (tên báo cáo)",
      ]),
    );
    expect(lines).toHaveLength(8);
  });

  it("refuses a choice value too long for a Telegram button and a duplicate name, naming the rows", () => {
    const bad = appendix();
    bad.choices.push({ list_name: "nhom", name: "x".repeat(41), "label::Vietnamese (vi)": "Quá dài" });
    bad.survey.push({ type: "text", name: "notes", "label::Vietnamese (vi)": "Ghi chú lần nữa" });
    const read = formFromSheets(bad, 1);
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problems.map(problemLine)).toEqual([
      expect.stringMatching(/^choices, dòng 9, cột name: giá trị "x{41}" cần là chữ không dấu, số, "_", "-" hoặc "\.", không có dấu cách/),
      'survey, dòng 24, cột name: tên "notes" trùng với dòng 16',
    ]);
  });

  it("reads plain `label` when there is no Vietnamese column, and ignores ODK's metadata rows", () => {
    const f = imported({
      survey: [
        { type: "start", name: "start", label: "" },
        { type: "integer", name: "n", label: "Số hộ", required: "yes" },
      ],
      choices: [],
      settings: [{ form_id: "ho-gia-dinh", form_title: "Số hộ" }],
    });
    expect(questions(f)).toEqual([{ id: "n", type: "integer", label: "Số hộ", required: true }]);
    expect(f.sections[0]!.title).toBe("Số hộ");
  });
});

describe("forms written for other XLSForm tools (as found in pyxform's own examples)", () => {
  it("import without a settings sheet, named after their file, with the older spellings of types and label columns", () => {
    const read = formFromSheets(
      {
        survey: [
          { type: "select one from yes_or_no", name: "good_day", "label:english": "Have you had a good day today?" },
          { type: "phone number", name: "father_phone", "label:english": "Father's phone number" },
          { type: "date", name: "visit", "label:english": "Day of the visit", relevant: "${good_day} = ‘yes’" },
        ],
        choices: [
          { list_name: "yes_or_no", name: "yes", "label:english": "yes" },
          { list_name: "yes_or_no", name: "no", "label:english": "no" },
        ],
        settings: [],
      },
      1,
      { fileName: "Phiếu khảo sát hộ_2026.xlsx" },
    );
    if (!read.ok) throw new Error(read.problems.map(problemLine).join("\n"));
    expect(read.settings).toEqual({ formId: "phieu-khao-sat-ho-2026", title: "Phieu-khao-sat-ho_2026" });
    expect(questions(read.form).map((q) => [q.id, q.type])).toEqual([
      ["good_day", "yesno"],
      ["father_phone", "phone"],
      ["visit", "date"],
    ]);
    // Excel's curly quotes are quotes; a date without bounds still refuses a mistyped year.
    expect(question(read.form, "visit").relevant).toEqual({ expr: "${good_day} = 'yes'" });
    expect(question(read.form, "visit").range).toEqual({ min: { from: "today", years: -100 }, max: { from: "today", years: 5 } });
    expect(imported(sheetsFromForm(read.form))).toEqual(normalizeForm(read.form));
  });

  it("keep choice values with capitals, hyphens and dots, and refuse one with a space", () => {
    const sheets = (name: string): XlsFormSheets => ({
      survey: [{ type: "select_one l", name: "q", label: "Q" }],
      choices: [
        { list_name: "l", name, label: "A" },
        { list_name: "l", name: "b", label: "B" },
      ],
      settings: [{ form_id: "f", form_title: "F" }],
    });
    expect(questions(imported(sheets("N1-c.2")))[0]!.choices).toEqual([
      { value: "N1-c.2", label: "A" },
      { value: "b", label: "B" },
    ]);
    expect(formFromSheets(sheets("n 1"), 1)).toMatchObject({ ok: false, problems: [{ sheet: "choices", row: 2, column: "name" }] });
  });
});

describe("exporting a template gives back the same form", () => {
  it("round-trips the test appendix through sheets and through an .xlsx file", async () => {
    const f = imported(appendix());
    expect(imported(sheetsFromForm(f))).toEqual(normalizeForm(f));
    const file = await writeXlsx(sheetsFromForm(f));
    const read = await readXlsx(file);
    expect(read.ok).toBe(true);
    if (read.ok) expect(imported(read.sheets)).toEqual(normalizeForm(f));
  });

  it("refuses a file that is no workbook, and one without a survey sheet", async () => {
    const notXlsx = await readXlsx(new TextEncoder().encode("type,name\ninteger,n\n"));
    expect(notXlsx).toMatchObject({ ok: false, problems: [{ sheet: "tệp", message: expect.stringContaining("không phải bảng tính .xlsx") }] });
    const noSurvey = await readXlsx(await writeXlsx({ survey: [], choices: [], settings: [] }).then(async (b) => b));
    expect(noSurvey.ok).toBe(true); // an empty survey sheet is a sheet; the form then has no question:
    if (noSurvey.ok) expect(formFromSheets(noSurvey.sheets, 1)).toMatchObject({ ok: false });
  });
});

describe("the shipped templates", () => {
  const folders = readdirSync(shippedTemplatesDir, { withFileTypes: true }).filter((d) => d.isDirectory());

  it("are all there, and each one's CSV folder imports", () => {
    expect(folders.map((d) => d.name)).toContain("child-affairs");
    expect(shippedForms().map((f) => f.id)).toEqual(folders.map((d) => d.name).sort());
    for (const f of shippedForms()) expect(() => loadForm(f, {})).not.toThrow();
  });

  it.each(folders.map((d) => d.name))("%s: its .xlsx holds the same form as its CSV folder, and export → import gives it back", async (name) => {
    const fromCsv = imported(readCsvFolderSync(join(shippedTemplatesDir, name)));
    const xlsx = await readXlsx(readFileSync(join(shippedTemplatesDir, `${name}.xlsx`)));
    expect(xlsx.ok).toBe(true);
    if (xlsx.ok) expect(imported(xlsx.sheets)).toEqual(fromCsv);
    const again = await readXlsx(await writeXlsx(sheetsFromForm(fromCsv)));
    if (!again.ok) throw new Error("export did not read back");
    expect(imported(again.sheets)).toEqual(normalizeForm(fromCsv, shippedChoiceLists()));
  });
});
