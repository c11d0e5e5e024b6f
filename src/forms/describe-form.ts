import { formatVietnameseNumber } from "../domain/numbers.js";
import { formatDate } from "../domain/dates.js";
import { describeExpression, parseExpression, referencedNames, type Expr } from "./expression.js";
import { questionNumbers } from "./form-runtime.js";
import type { Check, Condition, DateBound, FormDefinition, Question, Section } from "./form-schema.js";

/**
 * A form as the officer will meet it, said in words for the template designer's preview: each
 * question with the number the engine gives it, its type, bounds, skip logic and checks. Pure; the
 * page only lays it out.
 */

export interface DescribedQuestion {
  id: string;
  /** The engine's number (questionNumbers); undefined for what the engine does not number. */
  number?: string;
  label: string;
  /** "Số nguyên", "Chọn một: Nam / Nữ", "Có / Không", "Ngày". */
  type: string;
  note: boolean;
  required: boolean;
  /** Said when a required question is skipped (XLSForm required_message). */
  requiredMessage?: string;
  help?: string;
  /** "Hỏi khi: «Số buổi» > 0". */
  relevant?: string;
  /** "từ 0 đến 10.000". */
  bounds?: string;
  /** The question's own constraint: "«Số buổi» ≤ 100 — «Quá nhiều buổi»". */
  constraint?: string;
  /** "Tổng hợp chéo với «Giới tính»" (baocao::cross_with). */
  cross?: string;
}

export interface DescribedSection {
  id: string;
  title: string;
  relevant?: string;
  /** "Lặp lại cho mỗi trẻ, tối đa 30 (hỏi: «Khai thêm một trẻ khác?»)". */
  repeat?: string;
  questions: DescribedQuestion[];
}

export interface DescribedForm {
  id: string;
  version: number;
  title: string;
  sections: DescribedSection[];
  /** "Tổng «…» = «…» + «…»", "«A» ≤ «B»". */
  checks: string[];
  /** "«Tổng số trẻ» = «a» + «b»". */
  computed: string[];
  /** What will not work as the author probably meant (a question asked before the one it depends on). */
  problems: string[];
}

const OPS: Record<string, string> = { gt: ">", gte: "≥", lt: "<", lte: "≤", eq: "=", neq: "≠" };

const quote = (s: string) => `«${s}»`;

/** The expression in words; its source as written if it cannot be read (never a throw on the preview page). */
function exprWords(source: string, label: (name: string) => string, self?: string): { text: string; names: string[] } {
  let parsed;
  try {
    parsed = parseExpression(source);
  } catch {
    return { text: source, names: [] };
  }
  if (!parsed.ok) return { text: `${source} (không hiểu: ${parsed.message})`, names: [] };
  // `.` is the answer of the question the constraint sits on: named like any other question.
  const tree = self === undefined ? parsed.expr : replaceSelf(parsed.expr, self);
  try {
    // describeExpression puts «» around labels itself; `label` here is the quoted form the rest of the page uses.
    return { text: describeExpression(tree, (n) => label(n).replace(/^«(.*)»$/su, "$1")), names: referencedNames(tree) };
  } catch {
    return { text: source, names: [] };
  }
}

function replaceSelf(e: Expr, name: string): Expr {
  if (e.kind === "self") return { kind: "ref", name };
  if (e.kind === "binary") return { ...e, left: replaceSelf(e.left, name), right: replaceSelf(e.right, name) };
  if (e.kind === "call") return { ...e, args: e.args.map((a) => replaceSelf(a, name)) };
  return e;
}

function boundText(b: DateBound): string {
  if (typeof b === "string") return formatDate(b);
  const base = b.from === "today" ? "hôm nay" : b.from === "period_start" ? "ngày đầu kỳ" : "ngày cuối kỳ";
  const shifts = [
    b.years ? `${b.years > 0 ? "+" : "−"} ${Math.abs(b.years)} năm` : "",
    b.days ? `${b.days > 0 ? "+" : "−"} ${formatVietnameseNumber(Math.abs(b.days))} ngày` : "",
  ].filter(Boolean);
  return [base, ...shifts].join(" ");
}

export function describeForm(form: FormDefinition): DescribedForm {
  const numbers = questionNumbers(form);
  const questions = new Map(form.sections.flatMap((s) => s.questions.map((q) => [q.id, q] as const)));
  const labelOf = (id: string) => questions.get(id)?.label ?? form.computed.find((c) => c.id === id)?.label ?? id;
  const label = (id: string) => quote(labelOf(id));
  const problems: string[] = [];

  const optionLabel = (qid: string, value: string) => {
    const q = questions.get(qid);
    const opt = q && Array.isArray(q.choices) ? q.choices.find((o) => o.value === value) : undefined;
    return opt ? quote(opt.label) : `'${value}'`;
  };

  const valueWords = (qid: string, v: number | string | boolean) => {
    if (typeof v === "boolean") return v ? "Có" : "Không";
    if (typeof v === "number") return formatVietnameseNumber(v);
    return optionLabel(qid, v);
  };

  /** A condition in words, and every question it reads. */
  function conditionWords(c: Condition, nested = false): { text: string; names: string[] } {
    if ("all" in c || "any" in c) {
      const parts = ("all" in c ? c.all : c.any).map((x) => conditionWords(x, true));
      const text = parts.map((p) => p.text).join("all" in c ? " và " : " hoặc ");
      return { text: nested && parts.length > 1 ? `(${text})` : text, names: parts.flatMap((p) => p.names) };
    }
    if ("expr" in c) return exprWords(c.expr, label);
    switch (c.op) {
      case "answered":
        return { text: `${label(c.q)} đã trả lời`, names: [c.q] };
      case "includes":
        return { text: `${label(c.q)} có chọn ${optionLabel(c.q, String(c.value ?? ""))}`, names: [c.q] };
      default:
        return { text: `${label(c.q)} ${OPS[c.op]} ${valueWords(c.q, c.value)}`, names: [c.q] };
    }
  }

  /** The order the engine asks in: a condition naming a question asked later is never true when it is evaluated. */
  const order = new Map(form.sections.flatMap((s) => s.questions.map((q) => q.id)).map((id, i) => [id, i] as const));
  function checkOrder(where: string, position: number, names: string[]) {
    for (const n of new Set(names)) {
      if (!order.has(n)) {
        if (!form.computed.some((c) => c.id === n)) problems.push(`${where}: dùng «${n}», không có câu hỏi nào tên này.`);
      } else if (order.get(n)! >= position) {
        problems.push(`${where}: phụ thuộc câu ${numbers.get(n) ?? n} ${label(n)}, câu này được hỏi sau — điều kiện chưa thể đúng khi cần xét.`);
      }
    }
  }

  function typeWords(q: Question): string {
    const options = Array.isArray(q.choices) ? q.choices.map((o) => o.label).join(" / ") : typeof q.choices === "string" ? `danh sách «${q.choices}»` : "";
    const unit = q.unit ? ` (${q.unit})` : "";
    switch (q.type) {
      case "integer":
        return q.money ? "Số tiền (đồng)" : `Số nguyên${unit}`;
      case "decimal":
        return q.money ? "Số tiền (đồng)" : `Số thập phân${unit}`;
      case "text":
        return q.maxLength ? `Chữ (tối đa ${formatVietnameseNumber(q.maxLength)} ký tự)` : "Chữ";
      case "single":
        return `Chọn một: ${options}`;
      case "multiple":
        return `Chọn một hoặc nhiều: ${options}`;
      case "yesno":
        return "Có / Không";
      case "date":
        return "Ngày";
      case "datetime":
        return "Ngày giờ";
      case "phone":
        return "Số điện thoại";
      case "note":
        return "Lời nhắn (không cần trả lời)";
    }
  }

  function boundsWords(q: Question): string | undefined {
    if (q.type === "integer" || q.type === "decimal") {
      // The engine refuses a number below 0 unless the form sets its own minimum.
      const min = q.min ?? 0;
      return q.max !== undefined ? `từ ${formatVietnameseNumber(min)} đến ${formatVietnameseNumber(q.max)}` : `từ ${formatVietnameseNumber(min)} trở lên`;
    }
    if ((q.type === "date" || q.type === "datetime") && q.range) {
      const span = `từ ${boundText(q.range.min)} đến ${boundText(q.range.max)}`;
      return `${span}${q.notFuture ? ", không sau hôm nay" : ""}${q.range.why ? ` (${q.range.why})` : ""}`;
    }
    if (q.type === "text" && q.pattern) return q.patternHint ? `đúng mẫu: ${q.patternHint}` : `đúng mẫu ${q.pattern}`;
    return undefined;
  }

  function describeQuestion(q: Question): DescribedQuestion {
    const n = numbers.get(q.id);
    const d: DescribedQuestion = {
      id: q.id,
      ...(n !== undefined ? { number: String(n) } : {}),
      label: q.label,
      type: typeWords(q),
      note: q.type === "note",
      required: q.type !== "note" && q.required,
    };
    if (q.requiredMessage && d.required) d.requiredMessage = q.requiredMessage;
    if (q.crossWith) d.cross = `Tổng hợp chéo với ${label(q.crossWith)}`;
    if (q.help) d.help = q.help;
    if (q.relevant) {
      const w = conditionWords(q.relevant);
      d.relevant = `Hỏi khi: ${w.text}`;
      checkOrder(`Câu ${n ?? q.id}`, order.get(q.id)!, w.names);
    }
    const bounds = boundsWords(q);
    if (bounds) d.bounds = bounds;
    if (q.constraint) {
      const w = exprWords(q.constraint.expr, label, q.id);
      d.constraint = `${w.text}${q.constraint.message ? ` — ${quote(q.constraint.message)}` : ""}`;
    }
    return d;
  }

  function describeSection(s: Section): DescribedSection {
    const d: DescribedSection = { id: s.id, title: s.title, questions: s.questions.map(describeQuestion) };
    if (s.relevant) {
      const w = conditionWords(s.relevant);
      d.relevant = `Hỏi khi: ${w.text}`;
      checkOrder(`Phần «${s.title}»`, order.get(s.questions[0]!.id)!, w.names);
    }
    if (s.repeat) {
      // "Trẻ thứ" (what each instance is called: "Trẻ thứ 2") → "mỗi trẻ".
      const item = s.repeat.itemLabel.replace(/\s+thứ$/iu, "").trim();
      const each = item.charAt(0).toLocaleLowerCase("vi") + item.slice(1);
      d.repeat = `Lặp lại cho mỗi ${each}, tối đa ${formatVietnameseNumber(s.repeat.max)} (hỏi: ${quote(s.repeat.addAnotherPrompt)})`;
    }
    return d;
  }

  function checkWords(c: Check): string {
    if (c.kind === "sum") return `Tổng ${label(c.total)} = ${c.parts.map(label).join(" + ")}`;
    if (c.kind === "lte") return `${label(c.left)} ≤ ${label(c.right)}`;
    const w = exprWords(c.expr, label, c.on);
    return `${w.text}${c.message ? ` — ${quote(c.message)}` : ""}`;
  }

  return {
    id: form.id,
    version: form.version,
    title: form.title,
    sections: form.sections.map(describeSection),
    checks: form.checks.map(checkWords),
    computed: form.computed.map((c) => `${quote(c.label)} = ${c.sum ? c.sum.map(label).join(" + ") : exprWords(c.expr!, label).text}`),
    problems,
  };
}
