import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  describeExpression,
  expressionHolds,
  evaluateExpression,
  parseExpression,
  printExpression,
  referencedNames,
  type Expr,
} from "../../src/forms/expression.js";

function parsed(src: string): Expr {
  const p = parseExpression(src);
  if (!p.ok) throw new Error(`${src}: ${p.message}`);
  return p.expr;
}

/** Answers as the engine keeps them: numbers, yes/no as booleans, multiple choice as arrays; repeats as lists. */
function env(answers: Record<string, unknown>, repeats: Record<string, unknown[]> = {}, self?: unknown) {
  return { get: (n: string) => answers[n], all: (n: string) => repeats[n] ?? [], self, today: "2026-05-15" };
}
const holds = (src: string, answers: Record<string, unknown>, repeats?: Record<string, unknown[]>, self?: unknown) =>
  expressionHolds(parsed(src), env(answers, repeats, self));

describe("XLSForm expressions as real forms write them", () => {
  it("compare answers to numbers and to each other, with and / or / not() and parentheses", () => {
    expect(holds("${comm_sessions} > 0", { comm_sessions: 3 })).toBe(true);
    expect(holds("${comm_sessions} > 0", { comm_sessions: 0 })).toBe(false);
    expect(holds(". <= ${comm_people}", { comm_people: 40 }, {}, 41)).toBe(false);
    expect(holds(". <= ${comm_people}", { comm_people: 40 }, {}, 40)).toBe(true);
    expect(holds("${total} = ${boys} + ${girls}", { total: 10, boys: 4, girls: 6 })).toBe(true);
    expect(holds("${total} = ${boys} + ${girls}", { total: 10, boys: 4, girls: 5 })).toBe(false);
    expect(holds("${a} > 1 or ${b} > 1 and ${c} > 1", { a: 2, b: 0, c: 0 })).toBe(true);
    expect(holds("(${a} > 1 or ${b} > 1) and ${c} > 1", { a: 2, b: 0, c: 0 })).toBe(false);
    expect(holds("not(${a} - 1 >= 1)", { a: 1 })).toBe(true);
  });

  it("read yes/no answers as 'yes' / 'no', and multiple choice with selected() and count-selected()", () => {
    expect(holds("${friendly} = 'yes'", { friendly: true })).toBe(true);
    expect(holds("${friendly} = 'yes'", { friendly: false })).toBe(false);
    expect(holds("selected(${groups}, 'mo_coi')", { groups: ["khuyet_tat", "mo_coi"] })).toBe(true);
    expect(holds("selected(${groups}, 'khac')", { groups: ["khuyet_tat"] })).toBe(false);
    expect(evaluateExpression(parsed("count-selected(${groups})"), env({ groups: ["a", "b", "c"] }))).toBe(3);
  });

  it("treat an unanswered question as empty, as ODK does: not equal to anything, not greater than zero", () => {
    expect(holds("${x} != ''", {})).toBe(false);
    expect(holds("${x} > 0", {})).toBe(false);
    expect(holds("${x} = ''", {})).toBe(true);
  });

  it("sum() a question over every instance of its repeat, the unanswered ones adding nothing", () => {
    expect(evaluateExpression(parsed("sum(${age})"), env({}, { age: [3, 12, undefined] }))).toBe(15);
    expect(holds("sum(${age}) <= ${total}", { total: 14 }, { age: [3, 12] })).toBe(false);
  });

  it("refuse what they do not understand, naming the part", () => {
    expect(parseExpression("jr:choice-name(${q}, 'x')")).toEqual({ ok: false, message: expect.stringContaining("không hiểu `jr:choice-name") });
    expect(parseExpression("${q} > ")).toMatchObject({ ok: false });
    expect(parseExpression("(${q} > 1")).toMatchObject({ ok: false });
    expect(parseExpression("${q} > 1)")).toEqual({ ok: false, message: "thừa dấu `)`" });
    expect(parseExpression("${q")).toMatchObject({ ok: false, message: expect.stringContaining("thiếu dấu `}`") });
    expect(parseExpression("${q} * 2")).toMatchObject({ ok: false });
  });

  it("name every question they read", () => {
    expect(referencedNames(parsed("${a} + ${b} = ${a} and selected(${c}, 'x')"))).toEqual(["a", "b", "c"]);
  });

  it("are said in Vietnamese with the questions' labels for the designer", () => {
    const labels: Record<string, string> = { total: "Tổng số trẻ", boys: "Trẻ trai", girls: "Trẻ gái", groups: "Nhóm" };
    expect(describeExpression(parsed("${total} = ${boys} + ${girls}"), (n) => labels[n] ?? n)).toBe("«Tổng số trẻ» = «Trẻ trai» + «Trẻ gái»");
    expect(
      describeExpression(
        parsed("selected(${groups}, 'mo_coi') and ${total} >= 1000"),
        (n) => labels[n] ?? n,
        (_q, v) => (v === "mo_coi" ? "Trẻ mồ côi" : undefined),
      ),
    ).toBe("«Nhóm» có chọn «Trẻ mồ côi» và «Tổng số trẻ» ≥ 1.000");
  });

  it("print back to text that parses to the same tree, whatever the tree", () => {
    const leaf: fc.Arbitrary<Expr> = fc.oneof(
      fc.integer({ min: 0, max: 1000 }).map((value) => ({ kind: "number" as const, value })),
      fc.constantFrom("yes", "mo_coi", "it's").map((value) => ({ kind: "string" as const, value })),
      fc.constantFrom("a", "b_2", "tong").map((name) => ({ kind: "ref" as const, name })),
      fc.constant({ kind: "self" as const }),
    );
    const tree = fc.letrec<{ e: Expr }>((tie) => ({
      e: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.record({
          kind: fc.constant("binary" as const),
          op: fc.constantFrom("=", "!=", "<", "<=", ">", ">=", "+", "-", "and", "or" as const),
          left: tie("e"),
          right: tie("e"),
        }) as fc.Arbitrary<Expr>,
        tie("e").map((a) => ({ kind: "call" as const, fn: "not" as const, args: [a] })),
      ),
    })).e;
    fc.assert(
      fc.property(tree, (e) => {
        expect(parsed(printExpression(e))).toEqual(e);
      }),
    );
  });
});
