import { z } from "zod";

/**
 * A form is data (like an XLSForm): sections of typed questions with constraints, skip logic,
 * repeat groups, computed totals and cross-question checks. Definitions are validated here at
 * load time, so a broken form fails the start-up, not an officer's conversation.
 */

const id = z.string().regex(/^[a-z][a-z0-9_]*$/, "id: chữ thường, số và _");

export type Condition =
  | { q: string; op: "gt" | "gte" | "lt" | "lte" | "eq" | "neq"; value: number | string | boolean }
  | { q: string; op: "answered" | "includes"; value?: string }
  | { all: Condition[] }
  | { any: Condition[] }
  /** An XLSForm expression (src/forms/expression.ts), kept as its source text: `\${comm_sessions} > 0 and selected(\${groups}, 'khuyet_tat')`. */
  | { expr: string };

export const conditionSchema: z.ZodType<Condition, Condition> = z.lazy(() =>
  z.union([
    z.object({ q: id, op: z.enum(["gt", "gte", "lt", "lte", "eq", "neq"]), value: z.union([z.number(), z.string(), z.boolean()]) }),
    z.object({ q: id, op: z.enum(["answered", "includes"]), value: z.string().optional() }),
    z.object({ all: z.array(conditionSchema).min(1) }),
    z.object({ any: z.array(conditionSchema).min(1) }),
    z.object({ expr: z.string().min(1) }),
  ]),
);

export const choiceOptionSchema = z.object({
  value: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, "giá trị lựa chọn: chữ không dấu, số, _ - ., ≤ 40 ký tự (vừa callback_data của Telegram)"),
  label: z.string().min(1),
});

/**
 * One end of a date question's accepted range: a fixed day ("2020-01-01"), or a day counted from
 * today or from the report's period ("period_end" + 183 days; "today" − 16 years).
 */
export const dateBoundSchema = z.union([
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "ngày dạng yyyy-mm-dd"),
  z.object({
    from: z.enum(["today", "period_start", "period_end"]),
    days: z.number().int().optional(),
    years: z.number().int().optional(),
  }),
]);
export type DateBound = z.output<typeof dateBoundSchema>;

export const questionSchema = z
  .object({
    id,
    /** "note": shown to the officer, never answered (XLSForm `note`). */
    type: z.enum(["integer", "decimal", "text", "single", "multiple", "yesno", "date", "datetime", "phone", "note"]),
    label: z.string().min(1),
    help: z.string().optional(),
    required: z.boolean().default(true),
    /** Said when the officer tries to skip a required question (XLSForm `required_message`). */
    requiredMessage: z.string().optional(),
    /**
     * A check of the answer on its own (`.` is the answer; XLSForm `constraint` that names no other
     * question and is not a plain min/max). Cross-question constraints become form `checks`.
     */
    constraint: z.object({ expr: z.string().min(1), message: z.string().optional() }).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    pattern: z.string().optional(),
    patternHint: z.string().optional(),
    maxLength: z.number().int().positive().optional(),
    /** Dates: reject a date after today. */
    notFuture: z.boolean().optional(),
    /**
     * Dates and date-times: the plausible days, both ends required, so that "1/1/1900" is never
     * stored. `why` is said to the officer with the range ("trong kỳ báo cáo hoặc ít lâu sau").
     */
    range: z.object({ min: dateBoundSchema, max: dateBoundSchema, why: z.string().min(1).optional() }).optional(),
    /**
     * Numbers: an amount of money in đồng. Whole đồng only, currency words ("đ", "đồng", "VND")
     * understood, count words ("em", "người") refused.
     */
    money: z.boolean().optional(),
    /** A reusable choice list's id, or the options inline. */
    choices: z.union([z.string(), z.array(choiceOptionSchema).min(2)]).optional(),
    relevant: conditionSchema.optional(),
    /** A word shown after numbers in the review ("em", "cuộc", "đồng"). */
    unit: z.string().optional(),
    /**
     * A choice question of the same repeat group to count this one against in the consolidation
     * (abuse cases by form × sex): rows by this question's option and that one's.
     */
    crossWith: id.optional(),
    /**
     * The unit's answer of its previous period is a good default (the number of children in
     * special circumstances): offered as "Kỳ trước: 14 — gõ "như cũ" để giữ". Questions outside repeats.
     */
    carryOver: z.boolean().optional(),
  })
  .superRefine((q, ctx) => {
    const needsChoices = q.type === "single" || q.type === "multiple";
    if (needsChoices && !q.choices) ctx.addIssue({ code: "custom", message: `${q.id}: câu chọn cần danh sách lựa chọn` });
    if (q.min !== undefined && q.max !== undefined && q.min > q.max) ctx.addIssue({ code: "custom", message: `${q.id}: min > max` });
    const dated = q.type === "date" || q.type === "datetime";
    if (dated && !q.range) ctx.addIssue({ code: "custom", message: `${q.id}: câu ngày cần khoảng ngày hợp lệ (range.min, range.max)` });
    if (!dated && q.range) ctx.addIssue({ code: "custom", message: `${q.id}: range chỉ dùng cho câu ngày` });
    if (q.money && q.type !== "integer" && q.type !== "decimal") ctx.addIssue({ code: "custom", message: `${q.id}: money chỉ dùng cho câu số` });
  });

export const sectionSchema = z.object({
  id,
  title: z.string().min(1),
  relevant: conditionSchema.optional(),
  /** A repeat group ("for each case…"): its questions are asked again while the officer adds more. */
  repeat: z
    .object({
      itemLabel: z.string().min(1),
      addAnotherPrompt: z.string().min(1),
      max: z.number().int().positive().default(20),
    })
    .optional(),
  questions: z.array(questionSchema).min(1),
});

export const checkSchema = z.union([
  z.object({ kind: z.literal("sum"), total: id, parts: z.array(id).min(2) }),
  z.object({ kind: z.literal("lte"), left: id, right: id }),
  /**
   * Any other cross-question constraint, as an XLSForm expression on question `on` (`.` is its
   * answer): checked once every question it names is answered, like the two above.
   */
  z.object({ kind: z.literal("expr"), on: id, expr: z.string().min(1), message: z.string().optional() }),
]);

/** A figure computed from answers (XLSForm `calculate`): a plain sum of questions, or an expression. */
export const computedSchema = z
  .object({ id, label: z.string(), sum: z.array(id).min(1).optional(), expr: z.string().min(1).optional() })
  .refine((c) => (c.sum === undefined) !== (c.expr === undefined), { message: "giá trị tính cần đúng một trong sum hoặc expr" });

export const formSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/),
    version: z.number().int().positive(),
    title: z.string().min(1),
    sections: z.array(sectionSchema).min(1),
    computed: z.array(computedSchema).default([]),
    checks: z.array(checkSchema).default([]),
  })
  .superRefine((form, ctx) => {
    const seen = new Set<string>();
    const topLevel = new Set<string>();
    for (const s of form.sections) {
      for (const q of s.questions) {
        if (seen.has(q.id)) ctx.addIssue({ code: "custom", message: `câu hỏi trùng id: ${q.id}` });
        seen.add(q.id);
        if (!s.repeat) topLevel.add(q.id);
      }
    }
    for (const s of form.sections)
      for (const q of s.questions) {
        if (q.crossWith === undefined) continue;
        const other = s.questions.find((o) => o.id === q.crossWith);
        const choice = (x: { type: string }) => x.type === "single" || x.type === "multiple" || x.type === "yesno";
        if (!s.repeat || !other || other === q || !choice(q) || !choice(other))
          ctx.addIssue({ code: "custom", message: `bảng chéo «${q.id}» × «${q.crossWith}»: cần hai câu chọn khác nhau trong cùng một nhóm lặp` });
      }
    const numeric = new Set(form.sections.flatMap((s) => s.questions.filter((q) => q.type === "integer" || q.type === "decimal").map((q) => q.id)));
    for (const c of form.checks) {
      if (c.kind === "expr") continue;
      const ids = c.kind === "sum" ? [c.total, ...c.parts] : [c.left, c.right];
      for (const i of ids) {
        if (!numeric.has(i)) ctx.addIssue({ code: "custom", message: `phép so sánh dùng «${i}»: «${i}» cần là câu integer hoặc decimal` });
        else if (!topLevel.has(i))
          ctx.addIssue({
            code: "custom",
            message: `phép so sánh dùng «${i}»: câu trong nhóm lặp chỉ so được trong cùng lần lặp (dùng sum(\${${i}}) để so tổng)`,
          });
      }
    }
    for (const c of form.computed)
      for (const i of c.sum ?? []) if (!numeric.has(i)) ctx.addIssue({ code: "custom", message: `giá trị tính ${c.id} dùng ${i} không phải câu số` });
  });

export type Question = z.output<typeof questionSchema>;
export type Section = z.output<typeof sectionSchema>;
export type Check = z.output<typeof checkSchema>;
export type FormDefinition = z.output<typeof formSchema>;
export type FormInput = z.input<typeof formSchema>;
export type ChoiceOption = z.output<typeof choiceOptionSchema>;

/** Validates a definition and resolves named choice lists; throws with every problem listed. */
export function loadForm(input: FormInput, choiceLists: Record<string, ChoiceOption[]>): FormDefinition {
  const form = formSchema.parse(input);
  for (const s of form.sections) {
    for (const q of s.questions) {
      if (typeof q.choices === "string") {
        const list = choiceLists[q.choices];
        if (!list) throw new Error(`${form.id}@${form.version}: không có danh sách lựa chọn "${q.choices}" (câu ${q.id})`);
        q.choices = list;
      }
    }
  }
  return form;
}
