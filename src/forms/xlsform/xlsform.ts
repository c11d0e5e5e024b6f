import { formSchema, type ChoiceOption, type Condition, type DateBound, type FormInput } from "../form-schema.js";
import { parseExpression, printExpression, referencedNames, type Expr } from "../expression.js";

/**
 * XLSForm (xlsform.org) ↔ baocao's compiled form. INTERFACE FIXED BY THE LEAD — the bodies are
 * the XLSForm helper's; signatures may only grow.
 */

import type { XlsFormProblem, XlsFormSheets } from "./sheets.js";
export type { XlsFormProblem, XlsFormSheets } from "./sheets.js";

export interface XlsFormSettings {
  /** `form_id`: the template id baocao uses (lower-case, digits, "-"). */
  formId: string;
  title: string;
  /** `version` as the author wrote it (XLSForm versions are strings such as "2026061201"). */
  version?: string;
}

export type XlsFormImport = { ok: true; form: FormInput; settings: XlsFormSettings } | { ok: false; problems: XlsFormProblem[] };

export { readXlsx, writeXlsx, readCsvFolder, writeCsvFolder, readCsvFolderSync } from "./files.js";

/** The label column exports write (Vietnamese first, as XLSForm's multi-language convention spells it). */
export const LABEL_VI = "label::Vietnamese (vi)";
const DEFAULT_SECTION_TITLE = "Thông tin chung";
const NAME = /^[a-z][a-z0-9_]*$/;
/** A choice's value rides in a chat button's data (Telegram: 64 bytes with baocao's prefix): short, no spaces. */
const CHOICE_NAME = /^[A-Za-z0-9_.-]{1,40}$/;
const DEFAULT_REPEAT_MAX = 20;
/** The range of a date question whose author gave none: a century back, five years ahead. */
const DEFAULT_DATE_RANGE = { min: { from: "today", years: -100 }, max: { from: "today", years: 5 } } as const;

/** Columns that change how a form behaves and that baocao does not implement: refused rather than silently dropped. */
const UNSUPPORTED_COLUMNS = new Set([
  "repeat_count",
  "choice_filter",
  "default",
  "trigger",
  "read_only",
  "parameters",
  "body::accuracyThreshold",
  "jr:count",
  "jr:choice_filter",
  "readonly",
]);
/** Columns the survey sheet understands; any other non-baocao column is display-only for ODK tools and ignored. */
const EXTENSIONS = new Set([
  "baocao::unit",
  "baocao::money",
  "baocao::type",
  "baocao::max_length",
  "baocao::pattern",
  "baocao::pattern_hint",
  "baocao::date_min",
  "baocao::date_max",
  "baocao::date_why",
  "baocao::repeat_max",
  "baocao::item_label",
  "baocao::add_another",
  "baocao::cross_with",
  "baocao::carry_over",
]);
/** Metadata rows ODK fills by itself (start time, device): they ask nothing, so a form that has them still imports. */
const METADATA_TYPES = new Set(["start", "end", "today", "deviceid", "username", "simserial", "subscriberid", "phonenumber", "email", "audit"]);

const cell = (row: Record<string, string>, col: string): string => (row[col] ?? "").trim();
const blankRow = (row: Record<string, string>) => Object.values(row).every((v) => (v ?? "").trim() === "");

/** label::Vietnamese (vi) first, then plain `label`, then the first label::* the author wrote. */
function pick(row: Record<string, string>, base: string): string {
  // `label::English (en)` today; `label:english` in forms written for older pyxform.
  const translations = Object.keys(row).filter((k) => k.startsWith(`${base}:`));
  const vi = translations.find((k) => /\(vi\)|vietnam|tiếng việt|:vi$/i.test(k));
  for (const k of [vi, base, ...translations]) if (k && cell(row, k)) return cell(row, k);
  return "";
}

function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (["yes", "true", "true()", "có"].includes(s)) return true;
  if (["", "no", "false", "false()", "không"].includes(s)) return false;
  return undefined;
}

const BOUND = /^(today|period_start|period_end)(?:([+-]\d+)y)?(?:([+-]\d+)d)?$/;
export function parseDateBound(v: string): DateBound | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const m = BOUND.exec(v.replace(/\s+/g, ""));
  if (!m) return undefined;
  const b: { from: "today" | "period_start" | "period_end"; days?: number; years?: number } = { from: m[1] as "today" };
  if (m[2] !== undefined) b.years = Number(m[2]);
  if (m[3] !== undefined) b.days = Number(m[3]);
  return b;
}
export function printDateBound(b: DateBound): string {
  if (typeof b === "string") return b;
  const sign = (n: number) => (n < 0 ? `${n}` : `+${n}`);
  return `${b.from}${b.years !== undefined ? `${sign(b.years)}y` : ""}${b.days !== undefined ? `${sign(b.days)}d` : ""}`;
}

// ---- expression trees -------------------------------------------------------------------------

const ref = (name: string): Expr => ({ kind: "ref", name });
const and = (parts: Expr[]): Expr => parts.reduce((l, r) => ({ kind: "binary", op: "and", left: l, right: r }));
const or = (parts: Expr[]): Expr => parts.reduce((l, r) => ({ kind: "binary", op: "or", left: l, right: r }));
function conjuncts(e: Expr): Expr[] {
  return e.kind === "binary" && e.op === "and" ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}
/** `${a} + ${b} + …` → [a, b, …]; anything else → undefined. */
function plainSum(e: Expr): string[] | undefined {
  if (e.kind === "ref") return [e.name];
  if (e.kind === "binary" && e.op === "+") {
    const l = plainSum(e.left);
    const r = plainSum(e.right);
    return l && r ? [...l, ...r] : undefined;
  }
  return undefined;
}
const isSelf = (e: Expr) => e.kind === "self";
const numberOf = (e: Expr): number | undefined => (e.kind === "number" ? e.value : undefined);

/** A structured condition of a TypeScript form said as the XLSForm expression it means (yes/no answers are 'yes'/'no'). */
export function conditionExpr(c: Condition): Expr {
  if ("expr" in c) {
    const p = parseExpression(c.expr);
    if (!p.ok) throw new Error(`điều kiện không hiểu được: ${c.expr}: ${p.message}`);
    return p.expr;
  }
  if ("all" in c) return and(c.all.map(conditionExpr));
  if ("any" in c) return or(c.any.map(conditionExpr));
  const q = ref(c.q);
  if (c.op === "answered") return { kind: "binary", op: "!=", left: q, right: { kind: "string", value: "" } };
  if (c.op === "includes") return { kind: "call", fn: "selected", args: [q, { kind: "string", value: c.value ?? "" }] };
  const value: Expr =
    typeof c.value === "number"
      ? { kind: "number", value: c.value }
      : { kind: "string", value: typeof c.value === "boolean" ? (c.value ? "yes" : "no") : String(c.value) };
  const op = ({ gt: ">", gte: ">=", lt: "<", lte: "<=", eq: "=", neq: "!=" } as const)[c.op];
  return { kind: "binary", op, left: q, right: value };
}

// ---- sheets → form ---------------------------------------------------------------------------

type SectionInput = FormInput["sections"][number];
type QuestionInput = SectionInput["questions"][number];
type CheckInput = NonNullable<FormInput["checks"]>[number];

interface OpenGroup {
  kind: "group" | "repeat";
  name: string;
  title: string;
  row: number;
  relevant?: Expr;
}

/** Sheets → form, every problem listed (nothing is partially accepted). `version` is the baocao version to give the form. */
export function formFromSheets(sheets: XlsFormSheets, version: number, defaults: { fileName?: string } = {}): XlsFormImport {
  const problems: XlsFormProblem[] = [];
  const at = (sheet: XlsFormProblem["sheet"], row: number | undefined, column: string | undefined, message: string) =>
    problems.push({ sheet, ...(row !== undefined ? { row } : {}), ...(column ? { column } : {}), message });

  // settings
  const set = sheets.settings.find((r) => !blankRow(r)) ?? {};
  const setRow = sheets.settings.indexOf(set) + 2;
  // Without them in settings, XLSForm takes the form's id from its file name and its title from the id.
  const fromFile = defaults.fileName
    ?.replace(/\.xlsx$/i, "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/đ/g, "d")
    .replace(/Đ/g, "D")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "");
  const rawId = cell(set, "form_id") || fromFile || "";
  const formId = rawId.toLowerCase().replace(/_/g, "-");
  const formTitle = pick(set, "form_title") || (defaults.fileName ? rawId : "");
  const authorVersion = cell(set, "version");
  if (!rawId) at("settings", setRow, "form_id", "thiếu form_id (mã mẫu báo cáo)");
  else if (!/^[a-z][a-z0-9-]*$/.test(formId))
    at("settings", setRow, "form_id", `form_id "${rawId}" cần bắt đầu bằng chữ và chỉ gồm chữ không dấu, số, "-" hoặc "_"`);
  if (!formTitle) at("settings", setRow, "form_title", "thiếu form_title (tên báo cáo)");

  // choices
  const lists = new Map<string, ChoiceOption[]>();
  sheets.choices.forEach((r, i) => {
    if (blankRow(r)) return;
    const row = i + 2;
    const list = cell(r, "list_name") || cell(r, "list name");
    const name = cell(r, "name");
    const label = pick(r, "label");
    if (!list) return at("choices", row, "list_name", "thiếu list_name");
    if (!CHOICE_NAME.test(name))
      return at(
        "choices",
        row,
        "name",
        `giá trị "${name}" cần là chữ không dấu, số, "_", "-" hoặc ".", không có dấu cách, tối đa 40 ký tự (để vừa nút bấm Telegram)`,
      );
    if (!label) return at("choices", row, "label", `thiếu nhãn cho lựa chọn "${name}"`);
    const opts = lists.get(list) ?? [];
    if (opts.some((o) => o.value === name)) return at("choices", row, "name", `danh sách "${list}" có hai lựa chọn "${name}"`);
    opts.push({ value: name, label });
    lists.set(list, opts);
  });

  // first pass: every name, so that `${x}` may point forward
  const names = new Map<string, number>();
  sheets.survey.forEach((r, i) => {
    const type = normalizeType(cell(r, "type"));
    const name = cell(r, "name");
    if (!name || type.startsWith("begin_") || type.startsWith("end_") || METADATA_TYPES.has(type)) return;
    if (names.has(name)) at("survey", i + 2, "name", `tên "${name}" trùng với dòng ${names.get(name)}`);
    else names.set(name, i + 2);
  });

  const parse = (row: number, column: string, source: string): Expr | undefined => {
    const p = parseExpression(source);
    if (!p.ok) {
      at("survey", row, column, p.message);
      return undefined;
    }
    let good = true;
    for (const n of referencedNames(p.expr))
      if (!names.has(n)) {
        at("survey", row, column, `\`\${${n}}\` không phải tên câu hỏi nào trong biểu mẫu`);
        good = false;
      }
    return good ? p.expr : undefined;
  };

  const sections: SectionInput[] = [];
  const rowOf = new Map<QuestionInput, number>();
  const sectionRow = new Map<SectionInput, number>();
  const checks: { anchor: string; check: CheckInput }[] = [];
  const computed: NonNullable<FormInput["computed"]> = [];
  const stack: OpenGroup[] = [];
  let current: SectionInput | undefined;
  let continuation = 0;

  const openSection = (row: number) => {
    const groups = stack.filter((g) => g.kind === "group" || g.kind === "repeat");
    const repeat = stack.find((g) => g.kind === "repeat");
    const top = stack.at(-1);
    let id = top ? top.name : "thong_tin_chung";
    if (sections.some((s) => s.id === id)) id = `${id}_${++continuation}`;
    const title = top ? groups.map((g) => g.title).join(" — ") : formTitle || DEFAULT_SECTION_TITLE;
    const rel = stack.flatMap((g) => (g.relevant ? [g.relevant] : []));
    const s: SectionInput = { id, title, questions: [] };
    if (rel.length) s.relevant = { expr: printExpression(and(rel)) };
    if (repeat) {
      const r = sheets.survey[repeat.row - 2]!;
      const max = cell(r, "baocao::repeat_max");
      s.repeat = {
        itemLabel: cell(r, "baocao::item_label") || repeat.title,
        addAnotherPrompt: cell(r, "baocao::add_another") || `Thêm ${repeat.title} khác?`,
        max: max ? Number(max) : DEFAULT_REPEAT_MAX,
      };
      if (max && !(Number.isInteger(Number(max)) && Number(max) > 0)) at("survey", repeat.row, "baocao::repeat_max", "cần một số nguyên dương");
    }
    sections.push(s);
    sectionRow.set(s, row);
    current = s;
    return s;
  };
  const closeSection = () => {
    if (current && current.questions.length === 0) {
      sections.splice(sections.indexOf(current), 1);
      if (stack.length && sectionRow.get(current) === stack.at(-1)!.row) at("survey", stack.at(-1)!.row, "type", "nhóm không có câu hỏi nào");
    }
    current = undefined;
  };

  sheets.survey.forEach((r, i) => {
    const row = i + 2;
    if (blankRow(r)) return;
    const rawType = cell(r, "type");
    const type = normalizeType(rawType);
    const name = cell(r, "name");
    for (const col of Object.keys(r)) {
      if (!cell(r, col)) continue;
      if (UNSUPPORTED_COLUMNS.has(col)) at("survey", row, col, `cột ${col} chưa được baocao hỗ trợ`);
      else if (col.startsWith("baocao::") && !EXTENSIONS.has(col)) at("survey", row, col, `cột mở rộng ${col} không có trong baocao`);
      else if (col === "calculation" && type !== "calculate") at("survey", row, col, "calculation chỉ dùng cho dòng calculate");
    }
    if (!type) return at("survey", row, "type", "thiếu type");
    if (METADATA_TYPES.has(type)) return;

    if (type === "begin_group" || type === "begin_repeat") {
      if (!NAME.test(name)) return at("survey", row, "name", `tên nhóm "${name}" cần bắt đầu bằng chữ thường, chỉ gồm chữ không dấu, số và _`);
      if (type === "begin_repeat" && stack.some((g) => g.kind === "repeat")) at("survey", row, "type", "nhóm lặp lồng trong nhóm lặp chưa được hỗ trợ");
      const relSrc = cell(r, "relevant");
      const relevant = relSrc ? parse(row, "relevant", relSrc) : undefined;
      if (relevant && stack.some((g) => g.kind === "repeat"))
        at("survey", row, "relevant", "nhóm có điều kiện bên trong nhóm lặp chưa được hỗ trợ (đặt điều kiện ở từng câu)");
      closeSection();
      stack.push({ kind: type === "begin_group" ? "group" : "repeat", name, title: pick(r, "label") || name, row, ...(relevant ? { relevant } : {}) });
      if (type === "begin_repeat") {
        const max = cell(r, "baocao::repeat_max");
        if (max && !(Number.isInteger(Number(max)) && Number(max) > 0)) at("survey", row, "baocao::repeat_max", "cần một số nguyên dương");
      }
      return;
    }
    if (type === "end_group" || type === "end_repeat") {
      const want = type === "end_group" ? "group" : "repeat";
      if (stack.at(-1)?.kind !== want) return at("survey", row, "type", `${rawType} không khớp với begin_${want} nào`);
      closeSection();
      stack.pop();
      return;
    }

    if (!NAME.test(name)) return at("survey", row, "name", `tên "${name}" cần bắt đầu bằng chữ thường, chỉ gồm chữ không dấu, số và _`);
    const label = pick(r, "label");

    if (type === "calculate") {
      const src = cell(r, "calculation");
      if (!src) return at("survey", row, "calculation", "dòng calculate cần calculation");
      for (const col of ["relevant", "constraint", "required"]) if (cell(r, col)) at("survey", row, col, `cột ${col} không dùng cho dòng calculate`);
      const e = parse(row, "calculation", src);
      if (!e) return;
      const sum = plainSum(e);
      computed.push({ id: name, label: label || name, ...(sum ? { sum } : { expr: printExpression(e) }) });
      return;
    }

    const q = questionFromRow(r, row, type, rawType, name, label, lists, at);
    if (!q) return;
    const relSrc = cell(r, "relevant");
    if (relSrc) {
      const e = parse(row, "relevant", relSrc);
      if (e) q.relevant = { expr: printExpression(e) };
    }
    const conSrc = cell(r, "constraint");
    if (conSrc) {
      const e = parse(row, "constraint", conSrc);
      if (e) for (const c of constraintParts(q, e, pick(r, "constraint_message"))) checks.push(c);
    }
    if (!current) openSection(row);
    current!.questions.push(q);
    rowOf.set(q, row);
  });
  for (const g of stack.reverse()) at("survey", g.row, "type", `begin_${g.kind} "${g.name}" thiếu end_${g.kind}`);
  closeSection();
  if (!sections.length && !problems.length) at("survey", undefined, undefined, "biểu mẫu không có câu hỏi nào");
  if (problems.length) return { ok: false, problems };

  // Checks in the order export writes them back (by the question they sit on), so re-importing an export gives the same list.
  const position = new Map(sections.flatMap((s) => s.questions.map((q) => q.id)).map((id, n) => [id, n]));
  const ordered = checks.map((c, n) => ({ ...c, n })).sort((a, b) => (position.get(a.anchor) ?? 0) - (position.get(b.anchor) ?? 0) || a.n - b.n);
  const form: FormInput = { id: formId, version, title: formTitle, sections, computed, checks: ordered.map((c) => c.check) };

  const parsed = formSchema.safeParse(form);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [k0, si, k1, qi, ...rest] = issue.path;
      const s = k0 === "sections" && typeof si === "number" ? sections[si] : undefined;
      const q = s && k1 === "questions" && typeof qi === "number" ? s.questions[qi] : undefined;
      const row = q ? rowOf.get(q) : s ? sectionRow.get(s) : undefined;
      at("survey", row, rest.length ? String(rest[0]) : undefined, issue.message);
    }
    return { ok: false, problems };
  }
  return { ok: true, form, settings: { formId, title: formTitle, ...(authorVersion ? { version: authorVersion } : {}) } };
}

/** The older spellings pyxform still reads ("select one from L", "select all that apply from L", "phone number"). */
const TYPE_ALIASES: [RegExp, string][] = [
  [/^select one from (\S+)(.*)$/i, "select_one $1$2"],
  [/^select all that apply from (\S+)(.*)$/i, "select_multiple $1$2"],
  [/^select all that apply (\S+)(.*)$/i, "select_multiple $1$2"],
  [/^(int)$/i, "integer"],
  [/^(string)$/i, "text"],
];

function normalizeType(t: string): string {
  let s = t.trim().replace(/\s+/g, " ");
  for (const [re, to] of TYPE_ALIASES) if (re.test(s)) s = s.replace(re, to);
  if (/^phone[ _]number$/i.test(s)) return "phone";
  const m = /^(begin|end)[ _](group|repeat)$/i.exec(s);
  if (m) return `${m[1]!.toLowerCase()}_${m[2]!.toLowerCase()}`;
  const sel = /^select[ _](one|multiple)(?: (.+))?$/i.exec(s);
  if (sel) return `select_${sel[1]!.toLowerCase()}${sel[2] ? ` ${sel[2]}` : ""}`;
  return s.toLowerCase() === "datetime" ? "datetime" : s;
}

function questionFromRow(
  r: Record<string, string>,
  row: number,
  type: string,
  rawType: string,
  name: string,
  label: string,
  lists: Map<string, ChoiceOption[]>,
  at: (sheet: XlsFormProblem["sheet"], row: number | undefined, column: string | undefined, message: string) => void,
): QuestionInput | undefined {
  const before = { n: 0 };
  const fail = (column: string, message: string) => {
    before.n++;
    at("survey", row, column, message);
  };
  let qtype: QuestionInput["type"];
  let choices: ChoiceOption[] | undefined;
  const sel = /^select_(one|multiple) (\S+)(?: (.+))?$/.exec(type);
  if (sel) {
    if (sel[3]) return void fail("type", `"${rawType}": tùy chọn "${sel[3]}" chưa được hỗ trợ`);
    const list = lists.get(sel[2]!);
    if (!list) return void fail("type", `không có danh sách lựa chọn "${sel[2]}" trong trang choices`);
    const yesno = sel[1] === "one" && list.length === 2 && list.some((o) => o.value === "yes") && list.some((o) => o.value === "no");
    qtype = yesno ? "yesno" : sel[1] === "one" ? "single" : "multiple";
    if (!yesno) choices = list;
  } else if (["integer", "decimal", "text", "date", "datetime", "note", "phone"].includes(type)) {
    qtype = type as QuestionInput["type"];
  } else if (/^select_(one|multiple)$/.test(type)) {
    return void fail("type", `"${rawType}" cần tên danh sách lựa chọn (ví dụ "select_one gioi_tinh")`);
  } else {
    return void fail("type", `kiểu câu hỏi "${rawType}" chưa được baocao hỗ trợ`);
  }
  if (!label) fail("label", "thiếu nhãn câu hỏi");

  const q: QuestionInput = { id: name, type: qtype, label };
  const help = pick(r, "hint");
  if (help) q.help = help;
  if (qtype !== "note") {
    const req = parseBool(cell(r, "required"));
    if (req === undefined) fail("required", `không hiểu "${cell(r, "required")}" (dùng yes hoặc để trống)`);
    q.required = req ?? false;
    const msg = pick(r, "required_message");
    if (msg) q.requiredMessage = msg;
  } else q.required = false;
  if (choices) q.choices = choices;

  const numeric = qtype === "integer" || qtype === "decimal";
  const unit = cell(r, "baocao::unit");
  if (unit) q.unit = unit;
  const money = cell(r, "baocao::money");
  if (money) {
    const b = parseBool(money);
    if (b === undefined) fail("baocao::money", `không hiểu "${money}" (dùng yes)`);
    else if (b && !numeric) fail("baocao::money", "baocao::money chỉ dùng cho câu integer hoặc decimal");
    else if (b) q.money = true;
  }
  const btype = cell(r, "baocao::type");
  if (btype) {
    if (btype !== "phone") fail("baocao::type", `baocao::type "${btype}" không có (chỉ có phone)`);
    else if (qtype !== "text") fail("baocao::type", "baocao::type phone chỉ dùng cho câu text");
    else q.type = "phone";
  }
  const maxLen = cell(r, "baocao::max_length");
  if (maxLen) {
    const n = Number(maxLen);
    if (!Number.isInteger(n) || n <= 0) fail("baocao::max_length", "cần một số nguyên dương");
    else q.maxLength = n;
  }
  const pattern = cell(r, "baocao::pattern");
  if (pattern) {
    try {
      new RegExp(pattern);
      q.pattern = pattern;
    } catch {
      fail("baocao::pattern", `biểu thức chính quy "${pattern}" không hợp lệ`);
    }
  }
  const crossWith = cell(r, "baocao::cross_with");
  if (crossWith) q.crossWith = crossWith;
  const carry = cell(r, "baocao::carry_over");
  if (carry) {
    const b = parseBool(carry);
    if (b === undefined) fail("baocao::carry_over", `không hiểu "${carry}" (dùng yes)`);
    else if (b && qtype === "note") fail("baocao::carry_over", "câu note không có câu trả lời để giữ như kỳ trước");
    else if (b) q.carryOver = true;
  }
  const patternHint = cell(r, "baocao::pattern_hint");
  if (patternHint) q.patternHint = patternHint;
  const dmin = cell(r, "baocao::date_min");
  const dmax = cell(r, "baocao::date_max");
  const why = cell(r, "baocao::date_why");
  if (qtype === "date" || qtype === "datetime") {
    const min = dmin ? parseDateBound(dmin) : undefined;
    const max = dmax ? parseDateBound(dmax) : undefined;
    for (const [col, v, b] of [
      ["baocao::date_min", dmin, min],
      ["baocao::date_max", dmax, max],
    ] as const)
      if (v && !b) fail(col, `không hiểu "${v}" (ví dụ period_start, period_end+183d, today-16y hoặc 2020-01-01)`);
    // An ODK form has no bounds on its dates; a typed year such as 2062 must still be caught.
    q.range = { min: min ?? DEFAULT_DATE_RANGE.min, max: max ?? DEFAULT_DATE_RANGE.max, ...(why ? { why } : {}) };
  } else if (dmin || dmax || why) fail(dmin ? "baocao::date_min" : dmax ? "baocao::date_max" : "baocao::date_why", "chỉ dùng cho câu date hoặc datetime");
  return before.n ? undefined : q;
}

/** A constraint split at its top-level `and`s into what the engine checks natively (min/max, today, cross-question sums). */
function constraintParts(q: QuestionInput, e: Expr, message: string): { anchor: string; check: CheckInput }[] {
  const out: { anchor: string; check: CheckInput }[] = [];
  const self: Expr[] = [];
  const cross: Expr[] = [];
  const numeric = q.type === "integer" || q.type === "decimal";
  const dated = q.type === "date" || q.type === "datetime";
  for (const c of conjuncts(e)) {
    if (c.kind === "binary") {
      const n = numberOf(c.right);
      if (numeric && isSelf(c.left) && n !== undefined && c.op === ">=" && q.min === undefined) {
        q.min = n;
        continue;
      }
      if (numeric && isSelf(c.left) && n !== undefined && c.op === "<=" && q.max === undefined) {
        q.max = n;
        continue;
      }
      if (dated && isSelf(c.left) && c.op === "<=" && c.right.kind === "call" && c.right.fn === "today" && !q.notFuture) {
        q.notFuture = true;
        continue;
      }
      if (numeric && isSelf(c.left) && c.op === "<=" && c.right.kind === "ref") {
        out.push({ anchor: q.id, check: { kind: "lte", left: q.id, right: c.right.name } });
        continue;
      }
      if (numeric && c.op === "=" && (isSelf(c.left) || c.left.kind === "ref")) {
        const parts = plainSum(c.right);
        if (parts && parts.length >= 2) {
          const total = c.left.kind === "ref" ? c.left.name : q.id;
          // Export writes every sum on its total's row, so that is where it is ordered from.
          out.push({ anchor: total, check: { kind: "sum", total, parts } });
          continue;
        }
      }
    }
    const call = c as { kind: string; fn?: string; args?: Expr[] };
    if (call.kind === "call" && call.fn === ("regex" as string) && call.args?.[0]?.kind === "self" && call.args[1]?.kind === "string" && !q.pattern) {
      q.pattern = call.args[1].value;
      if (message) q.patternHint = message;
      continue;
    }
    (referencedNames(c).some((n) => n !== q.id) ? cross : self).push(c);
  }
  if (self.length) q.constraint = { expr: printExpression(and(self)), ...(message ? { message } : {}) };
  if (cross.length) out.push({ anchor: q.id, check: { kind: "expr", on: q.id, expr: printExpression(and(cross)), ...(message ? { message } : {}) } });
  return out;
}

// ---- form → sheets ---------------------------------------------------------------------------

const SURVEY_COLUMNS = [
  "type",
  "name",
  LABEL_VI,
  "hint",
  "required",
  "required_message",
  "relevant",
  "constraint",
  "constraint_message",
  "calculation",
  "baocao::unit",
  "baocao::money",
  "baocao::type",
  "baocao::max_length",
  "baocao::pattern",
  "baocao::pattern_hint",
  "baocao::date_min",
  "baocao::date_max",
  "baocao::date_why",
  "baocao::repeat_max",
  "baocao::item_label",
  "baocao::add_another",
  "baocao::cross_with",
  "baocao::carry_over",
];

export interface SheetsFromFormOptions {
  /** Named choice lists a TypeScript form refers to (`choices: "sex"`). */
  choiceLists?: Record<string, ChoiceOption[]>;
}

/** Form → sheets: formFromSheets(sheetsFromForm(f), f.version) gives f back. */
export function sheetsFromForm(form: FormInput, settings?: Partial<XlsFormSettings>, options: SheetsFromFormOptions = {}): XlsFormSheets {
  const survey: Record<string, string>[] = [];
  const choices: Record<string, string>[] = [];
  const listNames = new Map<string, string>();
  const usedNames = new Set<string>();
  const addList = (preferred: string, opts: ChoiceOption[]): string => {
    const key = JSON.stringify(opts);
    const known = listNames.get(key);
    if (known) return known;
    let name = preferred;
    for (let n = 2; usedNames.has(name); n++) name = `${preferred}_${n}`;
    usedNames.add(name);
    listNames.set(key, name);
    for (const o of opts) choices.push({ list_name: name, name: o.value, [LABEL_VI]: o.label });
    return name;
  };
  const text = (c: Condition) => printExpression(conditionExpr(c));
  const checksOn = new Map<string, CheckInput[]>();
  for (const c of form.checks ?? []) {
    const anchor = c.kind === "lte" ? c.left : c.kind === "sum" ? c.total : c.on;
    checksOn.set(anchor, [...(checksOn.get(anchor) ?? []), c]);
  }

  for (const s of form.sections) {
    const begin: Record<string, string> = { type: s.repeat ? "begin_repeat" : "begin_group", name: s.id, [LABEL_VI]: s.title };
    if (s.relevant) begin.relevant = text(s.relevant);
    if (s.repeat) {
      if (s.repeat.itemLabel !== s.title) begin["baocao::item_label"] = s.repeat.itemLabel;
      if (s.repeat.addAnotherPrompt !== `Thêm ${s.title} khác?`) begin["baocao::add_another"] = s.repeat.addAnotherPrompt;
      if ((s.repeat.max ?? DEFAULT_REPEAT_MAX) !== DEFAULT_REPEAT_MAX) begin["baocao::repeat_max"] = String(s.repeat.max);
    }
    survey.push(begin);
    for (const q of s.questions) {
      const r: Record<string, string> = { name: q.id, [LABEL_VI]: q.label };
      if (q.type === "single" || q.type === "multiple") {
        const opts = typeof q.choices === "string" ? options.choiceLists?.[q.choices] : q.choices;
        if (!opts) throw new Error(`${form.id}: không có danh sách lựa chọn "${String(q.choices)}" (câu ${q.id})`);
        const list = addList(typeof q.choices === "string" ? q.choices : q.id, opts);
        r.type = `${q.type === "single" ? "select_one" : "select_multiple"} ${list}`;
      } else if (q.type === "yesno") {
        r.type = `select_one ${addList("yes_no", [
          { value: "yes", label: "Có" },
          { value: "no", label: "Không" },
        ])}`;
      } else if (q.type === "phone") {
        r.type = "text";
        r["baocao::type"] = "phone";
      } else r.type = q.type;
      if (q.help) r.hint = q.help;
      if (q.type !== "note") r.required = q.required === false ? "no" : "yes";
      if (q.requiredMessage) r.required_message = q.requiredMessage;
      if (q.relevant) r.relevant = text(q.relevant);
      const parts: string[] = [];
      if (q.min !== undefined) parts.push(`. >= ${q.min}`);
      if (q.max !== undefined) parts.push(`. <= ${q.max}`);
      if (q.notFuture) parts.push(". <= today()");
      let message = "";
      if (q.constraint) {
        parts.push(q.constraint.expr);
        message = q.constraint.message ?? "";
      }
      for (const c of checksOn.get(q.id) ?? []) {
        if (c.kind === "lte") parts.push(`. <= \${${c.right}}`);
        else if (c.kind === "sum") parts.push(`. = ${c.parts.map((p) => `\${${p}}`).join(" + ")}`);
        else {
          parts.push(c.expr);
          message ||= c.message ?? "";
        }
      }
      if (parts.length) {
        const trees = parts.map((p) => {
          const e = parseExpression(p);
          if (!e.ok) throw new Error(`${form.id}: ${q.id}: ${p}: ${e.message}`);
          return e.expr;
        });
        r.constraint = printExpression(and(trees));
      }
      if (message) r.constraint_message = message;
      if (q.unit) r["baocao::unit"] = q.unit;
      if (q.money) r["baocao::money"] = "yes";
      if (q.maxLength !== undefined) r["baocao::max_length"] = String(q.maxLength);
      if (q.pattern) r["baocao::pattern"] = q.pattern;
      if (q.patternHint) r["baocao::pattern_hint"] = q.patternHint;
      if (q.crossWith) r["baocao::cross_with"] = q.crossWith;
      if (q.carryOver) r["baocao::carry_over"] = "yes";
      if (q.range) {
        r["baocao::date_min"] = printDateBound(q.range.min);
        r["baocao::date_max"] = printDateBound(q.range.max);
        if (q.range.why) r["baocao::date_why"] = q.range.why;
      }
      survey.push(r);
    }
    survey.push({ type: s.repeat ? "end_repeat" : "end_group" });
  }
  for (const c of form.computed ?? [])
    survey.push({
      type: "calculate",
      name: c.id,
      [LABEL_VI]: c.label,
      calculation: c.sum ? c.sum.map((p) => `\${${p}}`).join(" + ") : printExpression(conditionExpr({ expr: c.expr! })),
    });

  const used = SURVEY_COLUMNS.filter((col) => col === "type" || col === "name" || col === LABEL_VI || survey.some((r) => r[col]));
  const settingsRow: Record<string, string> = {
    form_id: settings?.formId ?? form.id,
    form_title: settings?.title ?? form.title,
    version: settings?.version ?? String(form.version),
  };
  return {
    survey: survey.map((r) => Object.fromEntries(used.map((c) => [c, r[c] ?? ""]))),
    choices: choices.map((r) => ({ list_name: r.list_name!, name: r.name!, [LABEL_VI]: r[LABEL_VI]! })),
    settings: [settingsRow],
  };
}

/**
 * What import(export(f)) gives for a form written in TypeScript: structured conditions become
 * their {expr} text, `required` is spelled out, named choice lists are inlined, the repeat's max is
 * explicit, checks are in the order of the questions they sit on. Nothing else changes.
 */
export function normalizeForm(form: FormInput, choiceLists: Record<string, ChoiceOption[]> = {}): FormInput {
  const cond = (c: Condition): Condition => ({ expr: printExpression(conditionExpr(c)) });
  const canon = (src: string) => printExpression(conditionExpr({ expr: src }));
  const sections = form.sections.map((s) => ({
    ...s,
    ...(s.relevant ? { relevant: cond(s.relevant) } : {}),
    ...(s.repeat ? { repeat: { ...s.repeat, max: s.repeat.max ?? DEFAULT_REPEAT_MAX } } : {}),
    questions: s.questions.map((q) => ({
      ...q,
      required: q.type === "note" ? false : (q.required ?? true),
      ...(q.relevant ? { relevant: cond(q.relevant) } : {}),
      ...(q.constraint ? { constraint: { ...q.constraint, expr: canon(q.constraint.expr) } } : {}),
      ...(typeof q.choices === "string" ? { choices: choiceLists[q.choices] } : {}),
    })),
  }));
  const position = new Map(sections.flatMap((s) => s.questions.map((q) => q.id)).map((id, n) => [id, n]));
  const anchor = (c: CheckInput) => position.get(c.kind === "lte" ? c.left : c.kind === "sum" ? c.total : c.on) ?? 0;
  const checks = (form.checks ?? [])
    .map((c) => (c.kind === "expr" ? { ...c, expr: canon(c.expr) } : c))
    .map((c, n) => ({ c, n }))
    .sort((a, b) => anchor(a.c) - anchor(b.c) || a.n - b.n)
    .map((x) => x.c);
  const computed = (form.computed ?? []).map((c) => (c.expr ? { ...c, expr: canon(c.expr) } : c));
  return { ...form, sections, computed, checks };
}

/** "survey, dòng 14, cột relevant: …" */
export const problemLine = (p: XlsFormProblem): string =>
  [p.sheet, p.row !== undefined ? `dòng ${p.row}` : undefined, p.column ? `cột ${p.column}` : undefined].filter(Boolean).join(", ") + `: ${p.message}`;
