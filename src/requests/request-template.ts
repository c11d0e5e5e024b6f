import { z } from "zod";
import type { OfficerRole } from "../db/schema/index.js";
import type { FormInput, questionSchema } from "../forms/form-schema.js";

/**
 * The one-off template an ad-hoc request (yêu cầu báo cáo đột xuất) becomes: the quick questions
 * typed on /requests turned into a form, and who is asked. Pure rules, no I/O.
 */

/** Report template ids (and quick forms' ids) of requests: "yeu-cau-12". Refused as an uploaded XLSForm's form_id. */
export const REQUEST_TEMPLATE_PREFIX = "yeu-cau-";
export const requestTemplateId = (requestId: number) => `${REQUEST_TEMPLATE_PREFIX}${requestId}`;

export const MAX_QUICK_QUESTIONS = 10;
export const MAX_QUICK_CHOICES = 10;

export const quickQuestionTypes = ["integer", "text", "yesno", "single"] as const;
export type QuickQuestionType = (typeof quickQuestionTypes)[number];

export const QUICK_TYPE_LABELS: Record<QuickQuestionType, string> = {
  integer: "Số",
  text: "Chữ",
  yesno: "Có / Không",
  single: "Chọn một",
};

export const QuickQuestion = z
  .object({
    label: z.string().trim().min(1, "Câu hỏi chưa có nội dung.").max(300, "Câu hỏi dài quá 300 ký tự."),
    type: z.enum(quickQuestionTypes, { message: "Loại câu hỏi phải là số, chữ, có/không hoặc chọn một." }),
    choices: z
      .array(z.string().trim().min(1).max(100, "Lựa chọn dài quá 100 ký tự."))
      .max(MAX_QUICK_CHOICES, `Tối đa ${MAX_QUICK_CHOICES} lựa chọn.`)
      .optional(),
  })
  .superRefine((q, ctx) => {
    const n = q.choices?.length ?? 0;
    if (q.type === "single" && n < 2) ctx.addIssue({ code: "custom", message: `Câu «${q.label}» chọn một cần ít nhất hai lựa chọn.` });
    if (q.type !== "single" && n > 0) ctx.addIssue({ code: "custom", message: `Câu «${q.label}» không phải câu chọn: bỏ các lựa chọn.` });
    if (q.choices && new Set(q.choices.map((c) => c.toLocaleLowerCase("vi"))).size !== n)
      ctx.addIssue({ code: "custom", message: `Câu «${q.label}» có hai lựa chọn trùng nhau.` });
  });
export type QuickQuestion = z.infer<typeof QuickQuestion>;

/**
 * The quick questions as a form of one section: q1…q10 in the order typed. Numbers are counts
 * (never negative); text is bounded like a chat message; choice values are c1…cn (what a chat
 * button carries), the labels as typed.
 */
export function quickForm(requestId: number, title: string, questions: readonly QuickQuestion[]): FormInput {
  const asked: z.input<typeof questionSchema>[] = questions.map((q, i) => {
    const base = { id: `q${i + 1}`, label: q.label, required: true };
    switch (q.type) {
      case "integer":
        return { ...base, type: "integer", min: 0, max: 10_000_000_000 };
      case "text":
        return { ...base, type: "text", maxLength: 2000 };
      case "yesno":
        return { ...base, type: "yesno" };
      case "single":
        return { ...base, type: "single", choices: (q.choices ?? []).map((label, j) => ({ value: `c${j + 1}`, label })) };
    }
  });
  return { id: requestTemplateId(requestId), version: 1, title, sections: [{ id: "cau_hoi", title, questions: asked }] };
}

/** The officer roles a request may ask (admins answer nothing). */
export const requestRoles = ["commune", "district", "province"] as const satisfies readonly OfficerRole[];
export type RequestRole = (typeof requestRoles)[number];

/** The units a role reports for: a commune officer for a commune, and so on. */
export const levelOfRole = (role: RequestRole): "commune" | "district" | "province" => role;

/** Without roles named, a request asks the communes: the letters' "các xã, phường, thị trấn". */
export const DEFAULT_REQUEST_ROLES: readonly RequestRole[] = ["commune"];

/** Reminders of a request: three days and one before its deadline, on the day, one and three days late. */
export const REQUEST_REMINDER_STEPS = [-3, -1, 0, 1, 3];
