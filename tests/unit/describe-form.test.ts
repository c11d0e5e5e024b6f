import { describe, expect, it } from "vitest";
import { describeForm } from "../../src/forms/describe-form.js";
import { loadForm, type FormInput } from "../../src/forms/form-schema.js";
import { questionNumbers } from "../../src/forms/form-runtime.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";

const SEX = [
  { value: "nam", label: "Nam" },
  { value: "nu", label: "Nữ" },
];

/** A small commune report: a number that opens two more, a yes/no, a choice, a date, a repeat group, checks and a total. */
const input: FormInput = {
  id: "thu-nghiem",
  version: 3,
  title: "Báo cáo thử",
  sections: [
    {
      id: "comm",
      title: "Truyền thông",
      questions: [
        { id: "sessions", type: "integer", label: "Số buổi", unit: "buổi", max: 10000, help: "Tính cả loa truyền thanh." },
        { id: "people", type: "integer", label: "Số lượt người", max: 1000000, relevant: { q: "sessions", op: "gt", value: 0 } },
        {
          id: "children",
          type: "integer",
          label: "Số lượt trẻ em",
          relevant: {
            all: [
              { q: "sessions", op: "gt", value: 0 },
              { q: "people", op: "answered" },
            ],
          },
        },
        { id: "friendly", type: "yesno", label: "Xã phù hợp với trẻ em?" },
        { id: "sex", type: "single", label: "Giới tính người báo cáo", choices: SEX, required: false, relevant: { q: "friendly", op: "eq", value: true } },
        { id: "day", type: "date", label: "Ngày báo cáo", range: { min: "2020-01-01", max: { from: "today" } }, notFuture: true },
        { id: "money", type: "integer", label: "Kinh phí", money: true, min: 1000 },
        { id: "intro", type: "note", label: "Phần sau hỏi từng trẻ." },
      ],
    },
    {
      id: "cases",
      title: "Từng trẻ bị xâm hại",
      relevant: {
        any: [
          { q: "sessions", op: "gte", value: 1 },
          { q: "sex", op: "eq", value: "nu" },
        ],
      },
      repeat: { itemLabel: "Trẻ thứ", addAnotherPrompt: "Khai thêm một trẻ khác?", max: 30 },
      questions: [
        { id: "case_sex", type: "single", label: "Giới tính", choices: SEX },
        { id: "case_kinds", type: "multiple", label: "Hình thức", choices: SEX, relevant: { q: "case_sex", op: "includes", value: "nu" } },
      ],
    },
  ],
  computed: [{ id: "reach", label: "Tổng lượt", sum: ["people", "children"] }],
  checks: [
    { kind: "lte", left: "children", right: "people" },
    { kind: "sum", total: "people", parts: ["sessions", "children"] },
  ],
};

describe("describeForm: the preview of a form as the officer meets it", () => {
  const form = loadForm(input, {});
  const d = describeForm(form);
  const q = (id: string) => d.sections.flatMap((s) => s.questions).find((x) => x.id === id)!;

  it("numbers every question exactly as the engine does, and a note (read, never answered) not at all", () => {
    const engine = questionNumbers(form);
    for (const x of d.sections.flatMap((s) => s.questions)) expect(x.number).toBe(engine.has(x.id) ? String(engine.get(x.id)) : undefined);
    expect(d.sections.map((s) => s.questions.map((x) => x.number))).toEqual([
      ["1", "2", "3", "4", "5", "6", "7", undefined],
      ["8", "9"],
    ]);
  });

  it("says each type, requirement, help and bounds in words", () => {
    expect(q("sessions")).toMatchObject({ type: "Số nguyên (buổi)", required: true, help: "Tính cả loa truyền thanh.", bounds: "từ 0 đến 10.000" });
    expect(q("children").bounds).toBe("từ 0 trở lên");
    expect(q("friendly").type).toBe("Có / Không");
    expect(q("sex")).toMatchObject({ type: "Chọn một: Nam / Nữ", required: false });
    expect(q("case_kinds").type).toBe("Chọn một hoặc nhiều: Nam / Nữ");
    expect(q("day")).toMatchObject({ type: "Ngày", bounds: "từ 01/01/2020 đến hôm nay, không sau hôm nay" });
    expect(q("money")).toMatchObject({ type: "Số tiền (đồng)", bounds: "từ 1.000 trở lên" });
    expect(q("intro")).toMatchObject({ type: "Lời nhắn (không cần trả lời)", note: true, required: false });
  });

  it("says skip logic with the questions' labels and the options' labels", () => {
    expect(q("sessions").relevant).toBeUndefined();
    expect(q("people").relevant).toBe("Hỏi khi: «Số buổi» > 0");
    expect(q("children").relevant).toBe("Hỏi khi: «Số buổi» > 0 và «Số lượt người» đã trả lời");
    expect(q("sex").relevant).toBe("Hỏi khi: «Xã phù hợp với trẻ em?» = Có");
    expect(q("case_kinds").relevant).toBe("Hỏi khi: «Giới tính» có chọn «Nữ»");
    expect(d.sections[1]!.relevant).toBe("Hỏi khi: «Số buổi» ≥ 1 hoặc «Giới tính người báo cáo» = «Nữ»");
  });

  it("says repeat groups, checks and computed values", () => {
    expect(d.sections[1]!.repeat).toBe("Lặp lại cho mỗi trẻ, tối đa 30 (hỏi: «Khai thêm một trẻ khác?»)");
    expect(d.sections[0]!.repeat).toBeUndefined();
    expect(d.checks).toEqual(["«Số lượt trẻ em» ≤ «Số lượt người»", "Tổng «Số lượt người» = «Số buổi» + «Số lượt trẻ em»"]);
    expect(d.computed).toEqual(["«Tổng lượt» = «Số lượt người» + «Số lượt trẻ em»"]);
    expect(d.problems).toEqual([]);
  });

  it("says which repeat questions are counted crossed (the shipped report: abuse cases by form × sex)", () => {
    const shipped = describeForm(createFormRegistry().latest("child-affairs"));
    const caseForm = shipped.sections.flatMap((x) => x.questions).find((q) => q.id === "case_form");
    expect(caseForm?.cross).toBe("Tổng hợp chéo với «Giới tính»");
  });

  it("names a question whose skip logic depends on one asked later, and one that does not exist", () => {
    const bad = loadForm(
      {
        id: "sai",
        version: 1,
        title: "Sai",
        sections: [
          {
            id: "a",
            title: "A",
            questions: [
              { id: "first", type: "integer", label: "Đầu", relevant: { q: "second", op: "gt", value: 0 } },
              { id: "second", type: "integer", label: "Sau", relevant: { q: "ghost", op: "answered" } },
            ],
          },
        ],
      },
      {},
    );
    expect(describeForm(bad).problems).toEqual([
      "Câu 1: phụ thuộc câu 2 «Sau», câu này được hỏi sau — điều kiện chưa thể đúng khi cần xét.",
      "Câu 2: dùng «ghost», không có câu hỏi nào tên này.",
    ]);
  });

  it("describes the shipped child-affairs report without a problem, its case group included", () => {
    const registry = createFormRegistry();
    const shipped = describeForm(registry.latest("child-affairs"));
    expect(shipped.problems).toEqual([]);
    expect(shipped.sections.some((s) => s.repeat?.startsWith("Lặp lại cho mỗi trẻ, tối đa 30"))).toBe(true);
    expect(shipped.sections[0]!.questions[1]!.relevant).toBe("Hỏi khi: «Số buổi truyền thông về bảo vệ, chăm sóc trẻ em đã tổ chức» > 0");
  });
});

describe("describeForm: XLSForm expressions in words (describeExpression)", () => {
  const form = loadForm(
    {
      id: "bieu-thuc",
      version: 1,
      title: "Biểu thức",
      sections: [
        {
          id: "a",
          title: "A",
          questions: [
            { id: "comm_sessions", type: "integer", label: "Số buổi" },
            { id: "comm_people", type: "integer", label: "Số người", relevant: { expr: "${comm_sessions} > 0" } },
            { id: "comm_children", type: "integer", label: "Số trẻ", constraint: { expr: ". <= 500", message: "Quá nhiều" } },
          ],
        },
      ],
      checks: [{ kind: "expr", on: "comm_children", expr: ". <= ${comm_people}", message: "Số trẻ không quá số người" }],
    },
    {},
  );
  const d = describeForm(form);
  const q = (id: string) => d.sections[0]!.questions.find((x) => x.id === id)!;

  it("uses the questions' labels for ${name} and for `.`", () => {
    expect(q("comm_people").relevant).toMatch(/^Hỏi khi: .*Số buổi.*> 0$/);
    expect(q("comm_children").constraint).toMatch(/Số trẻ.*500.* — «Quá nhiều»$/);
    expect(d.checks[0]).toMatch(/Số trẻ.*Số người.* — «Số trẻ không quá số người»$/);
    expect(JSON.stringify(d)).not.toContain("${");
    expect(d.problems).toEqual([]);
  });
});
