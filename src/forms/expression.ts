import { formatVietnameseNumber } from "../domain/numbers.js";

/**
 * The XLSForm expression subset real forms use (xlsform.org "Formulas"): `${q}`, `.`, numbers,
 * 'strings', = != < <= > >=, + -, and, or, not(), selected(), count-selected(), sum() over a
 * repeat, today(), string-length(), regex(), parentheses. Parsed once per form load into a tree; evaluated against answers.
 *
 * Not openrosa-xpath-evaluator (Enketo): it evaluates XPath against an XML DOM instance in a browser, while baocao holds
 * answers as a Map of typed values (yes/no as booleans, multiple choice as arrays) and needs Vietnamese errors naming the part not understood.
 *
 * INTERFACE FIXED BY THE LEAD — the bodies are the expression helper's; signatures may only grow.
 */

export type BinaryOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "and" | "or";
export type FunctionName = "not" | "selected" | "count-selected" | "sum" | "today" | "string-length" | "regex";

export type Expr =
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  /** `${name}` */
  | { kind: "ref"; name: string }
  /** `.`: the answer being checked */
  | { kind: "self" }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr }
  | { kind: "call"; fn: FunctionName; args: Expr[] };

/** Where a parse failed, in words for the template's author ("không hiểu `jr:choice-name`"). */
export type ExpressionParse = { ok: true; expr: Expr } | { ok: false; message: string };

const ARITY: Record<FunctionName, number> = { not: 1, selected: 2, "count-selected": 1, sum: 1, today: 0, "string-length": 1, regex: 2 };

type Token =
  | { t: "ref"; name: string; text: string }
  | { t: "self"; text: string }
  | { t: "number"; value: number; text: string }
  | { t: "string"; value: string; text: string }
  | { t: "op"; op: BinaryOp; text: string }
  | { t: "name"; name: string; text: string }
  | { t: "("; text: string }
  | { t: ")"; text: string }
  | { t: ","; text: string };

class ParseError extends Error {}

const CLOSING_QUOTE: Record<string, string> = { "'": "'", '"': '"', "‘": "’", "“": "”" };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "$" && src[i + 1] === "{") {
      const end = src.indexOf("}", i);
      if (end < 0) throw new ParseError(`thiếu dấu \`}\` sau \`${src.slice(i, i + 20)}\``);
      const name = src.slice(i + 2, end).trim();
      if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) throw new ParseError(`không hiểu \`${src.slice(i, end + 1)}\``);
      out.push({ t: "ref", name, text: src.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    const num = /^(\d+(\.\d+)?|\.\d+)/.exec(src.slice(i));
    if (num) {
      out.push({ t: "number", value: Number(num[0]), text: num[0] });
      i += num[0].length;
      continue;
    }
    if (c === ".") {
      out.push({ t: "self", text: "." });
      i++;
      continue;
    }
    // Excel's autocorrect turns 'yes' into ‘yes’ as the author types: read the curly pairs as quotes.
    const closing = CLOSING_QUOTE[c];
    if (closing) {
      const end = src.indexOf(closing, i + 1);
      if (end < 0) throw new ParseError(`thiếu dấu \`${closing}\` đóng chuỗi \`${src.slice(i, i + 20)}\``);
      out.push({ t: "string", value: src.slice(i + 1, end), text: src.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === "!=" || two === "<=" || two === ">=") {
      out.push({ t: "op", op: two, text: two });
      i += 2;
      continue;
    }
    if (c === "=" || c === "<" || c === ">" || c === "+" || c === "-") {
      out.push({ t: "op", op: c, text: c });
      i++;
      continue;
    }
    if (c === "(" || c === ")" || c === ",") {
      out.push({ t: c, text: c });
      i++;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_:-]*/.exec(src.slice(i));
    if (word) {
      // "count-selected" is one name, but "${a}-1" is not a name at all: a trailing "-" belongs to the next token.
      const w = word[0].replace(/-+$/, "");
      if (w === "and" || w === "or") out.push({ t: "op", op: w, text: w });
      else out.push({ t: "name", name: w, text: w });
      i += w.length;
      continue;
    }
    throw new ParseError(`không hiểu \`${src.slice(i, i + 20).trim()}\``);
  }
  return out;
}

const LEVELS: BinaryOp[][] = [["or"], ["and"], ["=", "!="], ["<", "<=", ">", ">="], ["+", "-"]];

function precedence(op: BinaryOp): number {
  return LEVELS.findIndex((l) => l.includes(op));
}

function parseTokens(tokens: Token[]): Expr {
  let pos = 0;
  const peek = () => tokens[pos];
  const missingAfter = () => {
    const prev = tokens[pos - 1];
    return new ParseError(prev ? `thiếu phần sau \`${prev.text}\`` : "biểu thức trống");
  };
  const level = (n: number): Expr => {
    if (n === LEVELS.length) return primary();
    let left = level(n + 1);
    for (;;) {
      const tok = peek();
      if (!tok || tok.t !== "op" || !LEVELS[n]!.includes(tok.op)) return left;
      pos++;
      const right = level(n + 1);
      left = { kind: "binary", op: tok.op, left, right };
    }
  };
  const primary = (): Expr => {
    const tok = tokens[pos++];
    if (!tok) {
      pos--;
      throw missingAfter();
    }
    switch (tok.t) {
      case "number":
        return { kind: "number", value: tok.value };
      case "string":
        return { kind: "string", value: tok.value };
      case "ref":
        return { kind: "ref", name: tok.name };
      case "self":
        return { kind: "self" };
      case "op": {
        const next = peek();
        if (tok.op === "-" && next?.t === "number") {
          pos++;
          return { kind: "number", value: -next.value };
        }
        throw new ParseError(`không hiểu \`${tok.text}\` ở chỗ này`);
      }
      case "(": {
        const inner = level(0);
        if (peek()?.t !== ")") throw new ParseError("thiếu dấu `)`");
        pos++;
        return inner;
      }
      case "name": {
        if (peek()?.t !== "(" || tok.name.includes(":")) throw new ParseError(`không hiểu \`${tok.name}\``);
        if (!(tok.name in ARITY)) throw new ParseError(`hàm \`${tok.name}\` chưa được hỗ trợ`);
        const fn = tok.name as FunctionName;
        pos++;
        const args: Expr[] = [];
        if (peek()?.t !== ")") {
          for (;;) {
            args.push(level(0));
            if (peek()?.t === ",") {
              pos++;
              continue;
            }
            break;
          }
        }
        if (peek()?.t !== ")") throw new ParseError("thiếu dấu `)`");
        pos++;
        const want = ARITY[fn];
        if (args.length !== want) throw new ParseError(want === 0 ? `${fn}() không nhận đối số` : `cần ${want} đối số cho ${fn}()`);
        if (fn === "sum" && args[0]!.kind !== "ref") throw new ParseError("sum() cần một câu hỏi trong nhóm lặp, ví dụ sum(${so_em})");
        const pattern = args[1];
        if (fn === "regex" && pattern?.kind === "string") {
          try {
            new RegExp(pattern.value, "u");
          } catch {
            throw new ParseError(`mẫu regex \`${pattern.value}\` không hợp lệ`);
          }
        }
        return { kind: "call", fn, args };
      }
      default:
        throw new ParseError(`không hiểu \`${tok.text}\` ở chỗ này`);
    }
  };
  if (tokens.length === 0) throw new ParseError("biểu thức trống");
  const expr = level(0);
  if (pos < tokens.length) {
    const rest = tokens
      .slice(pos)
      .map((t) => t.text)
      .join(" ");
    throw new ParseError(tokens[pos]!.t === ")" ? "thừa dấu `)`" : `không hiểu \`${rest.length > 30 ? `${rest.slice(0, 30)}…` : rest}\``);
  }
  return expr;
}

export function parseExpression(source: string): ExpressionParse {
  try {
    return { ok: true, expr: parseTokens(tokenize(source)) };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, message: e.message };
    throw e;
  }
}

/** Parsed trees by source text: forms repeat the same few expressions on every answer. */
const compiled = new Map<string, ExpressionParse>();

/** parseExpression, remembered: the runtime calls this on the hot path of every answer. */
export function compileExpression(source: string): ExpressionParse {
  let hit = compiled.get(source);
  if (!hit) {
    hit = parseExpression(source);
    if (compiled.size > 5000) compiled.clear();
    compiled.set(source, hit);
  }
  return hit;
}

function printString(s: string): string {
  return s.includes("'") ? `"${s}"` : `'${s}'`;
}

/** The canonical source text of a tree (round-trips: parseExpression(printExpression(e)) equals e). */
export function printExpression(expr: Expr): string {
  switch (expr.kind) {
    case "number":
      return String(expr.value);
    case "string":
      return printString(expr.value);
    case "ref":
      return `\${${expr.name}}`;
    case "self":
      return ".";
    case "call":
      return `${expr.fn}(${expr.args.map(printExpression).join(", ")})`;
    case "binary": {
      const p = precedence(expr.op);
      const side = (e: Expr, right: boolean) => {
        const text = printExpression(e);
        if (e.kind !== "binary") return text;
        const q = precedence(e.op);
        return q < p || (right && q === p) ? `(${text})` : text;
      };
      return `${side(expr.left, false)} ${expr.op} ${side(expr.right, true)}`;
    }
  }
}

/** Every `${name}` the expression reads. */
export function referencedNames(expr: Expr): string[] {
  const names: string[] = [];
  const walk = (e: Expr) => {
    if (e.kind === "ref" && !names.includes(e.name)) names.push(e.name);
    else if (e.kind === "binary") {
      walk(e.left);
      walk(e.right);
    } else if (e.kind === "call") e.args.forEach(walk);
  };
  walk(expr);
  return names;
}

/** Whether the expression reads `.` (a constraint on the answer itself). */
export function readsSelf(expr: Expr): boolean {
  if (expr.kind === "self") return true;
  if (expr.kind === "binary") return readsSelf(expr.left) || readsSelf(expr.right);
  if (expr.kind === "call") return expr.args.some(readsSelf);
  return false;
}

export interface EvaluationContext {
  /** The value of `${name}` where the expression is evaluated (inside a repeat: that instance's first). */
  get(name: string): unknown;
  /** Every instance's value of a question inside a repeat, for sum() and count over it. */
  all(name: string): unknown[];
  /** The answer being checked, for `.` */
  self?: unknown;
  /** yyyy-mm-dd, for today() */
  today: string;
}

type Value = number | string | boolean | string[];

/** An answer as the evaluator sees it: unanswered or skipped is "" (ODK), yes/no stays a boolean, multiple choice an array. */
function fromAnswer(v: unknown): Value {
  if (v === undefined || v === null) return "";
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.map(String);
  return String(v);
}

const NUMERIC = /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/;

function asNumber(v: Value): number {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (Array.isArray(v)) return v.length === 1 && NUMERIC.test(v[0]!) ? Number(v[0]) : NaN;
  return NUMERIC.test(v) ? Number(v) : NaN;
}

function asString(v: Value): string {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.join(" ");
  return String(v);
}

function asBoolean(v: Value): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  return v.length > 0;
}

const isNumeric = (v: Value) => typeof v === "number" || (typeof v === "string" && NUMERIC.test(v));

function compare(op: BinaryOp, l: Value, r: Value): boolean {
  const eq = op === "=" || op === "!=";
  let c: number;
  if (typeof l === "boolean" || typeof r === "boolean") {
    if (typeof l === "boolean" && typeof r === "boolean") c = Number(l) - Number(r);
    else if (typeof l === "string" || typeof r === "string" || Array.isArray(l) || Array.isArray(r)) {
      // baocao keeps yes/no answers as booleans; XLSForm authors write `${q} = 'yes'`.
      const a = asString(l);
      const b = asString(r);
      c = a < b ? -1 : a > b ? 1 : 0;
    } else c = asNumber(l) - asNumber(r);
  } else if (isNumeric(l) && isNumeric(r)) c = asNumber(l) - asNumber(r);
  else if (typeof l === "number" || typeof r === "number") c = NaN;
  else {
    const a = asString(l);
    const b = asString(r);
    c = a < b ? -1 : a > b ? 1 : 0;
  }
  if (Number.isNaN(c)) return op === "!=";
  if (eq) return op === "=" ? c === 0 : c !== 0;
  if (op === "<") return c < 0;
  if (op === "<=") return c <= 0;
  if (op === ">") return c > 0;
  return c >= 0;
}

function evalValue(e: Expr, ctx: EvaluationContext): Value {
  switch (e.kind) {
    case "number":
    case "string":
      return e.value;
    case "ref":
      return fromAnswer(ctx.get(e.name));
    case "self":
      return fromAnswer(ctx.self);
    case "binary": {
      if (e.op === "and") return asBoolean(evalValue(e.left, ctx)) && asBoolean(evalValue(e.right, ctx));
      if (e.op === "or") return asBoolean(evalValue(e.left, ctx)) || asBoolean(evalValue(e.right, ctx));
      const l = evalValue(e.left, ctx);
      const r = evalValue(e.right, ctx);
      if (e.op === "+") return asNumber(l) + asNumber(r);
      if (e.op === "-") return asNumber(l) - asNumber(r);
      return compare(e.op, l, r);
    }
    case "call": {
      const arg = (i: number) => evalValue(e.args[i]!, ctx);
      switch (e.fn) {
        case "not":
          return !asBoolean(arg(0));
        case "today":
          return ctx.today;
        case "selected": {
          const v = arg(0);
          const want = asString(arg(1)).trim();
          if (Array.isArray(v)) return v.includes(want);
          if (typeof v === "boolean") return want === (v ? "yes" : "no");
          return asString(v).split(/\s+/).includes(want);
        }
        case "count-selected": {
          const v = arg(0);
          if (Array.isArray(v)) return v.length;
          if (v === "") return 0;
          return asString(v).trim().split(/\s+/).length;
        }
        case "sum": {
          const a = e.args[0]!;
          const values = a.kind === "ref" ? ctx.all(a.name) : [];
          // Instances left unanswered add nothing (ODK would give NaN for the whole sum).
          return values.map(fromAnswer).reduce<number>((acc, v) => (v === "" ? acc : acc + asNumber(v)), 0);
        }
        case "string-length":
          return [...asString(arg(0))].length;
        case "regex": {
          try {
            return new RegExp(asString(arg(1)), "u").test(asString(arg(0)));
          } catch {
            return false;
          }
        }
      }
    }
  }
}

/** XPath-like value: numbers, strings, booleans; an unanswered question is "" (as in ODK). */
export function evaluateExpression(expr: Expr, ctx: EvaluationContext): number | string | boolean {
  const v = evalValue(expr, ctx);
  return Array.isArray(v) ? v.join(" ") : v;
}

/** Truthiness of a value as relevant / constraint / check use it. */
export function expressionHolds(expr: Expr, ctx: EvaluationContext): boolean {
  return asBoolean(evalValue(expr, ctx));
}

const SAID: Partial<Record<BinaryOp, string>> = { "!=": "≠", "<=": "≤", ">=": "≥", and: "và", or: "hoặc" };

/**
 * The expression said in Vietnamese for the designer ("số buổi > 0", "Tổng = trai + gái"), with question labels.
 * `choiceLabel` names a choice of a question ("«Nhóm» có chọn «Khuyết tật»"); without it the value is shown.
 */
export function describeExpression(expr: Expr, label: (name: string) => string, choiceLabel?: (name: string, value: string) => string | undefined): string {
  const choice = (target: Expr, value: string) => {
    const named = target.kind === "ref" ? choiceLabel?.(target.name, value) : undefined;
    return named !== undefined ? `«${named}»` : `“${value}”`;
  };
  const say = (e: Expr): string => {
    switch (e.kind) {
      case "number":
        return formatVietnameseNumber(e.value);
      case "string":
        return `“${e.value}”`;
      case "ref":
        return `«${label(e.name)}»`;
      case "self":
        return "câu này";
      case "binary": {
        const p = precedence(e.op);
        const side = (x: Expr, right: boolean) => {
          const text = x.kind === "string" && (e.op === "=" || e.op === "!=") ? choice(right ? e.left : e.right, x.value) : say(x);
          if (x.kind !== "binary") return text;
          const q = precedence(x.op);
          return q < p || (right && q === p) ? `(${text})` : text;
        };
        return `${side(e.left, false)} ${SAID[e.op] ?? e.op} ${side(e.right, true)}`;
      }
      case "call": {
        const [a, b] = e.args;
        switch (e.fn) {
          case "not":
            return `không (${say(a!)})`;
          case "selected":
            return `${say(a!)} có chọn ${b!.kind === "string" ? choice(a!, b!.value) : say(b!)}`;
          case "count-selected":
            return `số lựa chọn của ${say(a!)}`;
          case "sum":
            return `tổng ${say(a!)} của mọi lần lặp`;
          case "today":
            return "hôm nay";
          case "string-length":
            return `độ dài của ${say(a!)}`;
          case "regex":
            return `${say(a!)} đúng mẫu ${b!.kind === "string" ? `“${b!.value}”` : say(b!)}`;
        }
      }
    }
  };
  return say(expr);
}
