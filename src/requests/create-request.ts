import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { auditLog, deadlineCalendars, formVersions, periods, reportRequests, reportRequestUnits, reportTemplates, units } from "../db/schema/index.js";
import { auditName, type ServiceContext } from "../directory/actor.js";
import type { Scheme } from "../directory/units.js";
import { AppError } from "../domain/app-error.js";
import { addDays, formatDate, isValidDate, localDate } from "../domain/dates.js";
import { requestPeriodKey } from "../domain/periods.js";
import { belowScopeSql, contains, withinOrNotFound } from "../domain/scope.js";
import { parseInput } from "../broadcasts/parse-input.js";
import { recipientsOfUnits } from "../delivery/audience.js";
import type { NewOutboxRow, Outbox } from "../delivery/outbox.js";
import { compileForm, type FormRegistry } from "../forms/form-registry.js";
import type { FormInput } from "../forms/form-schema.js";
import { reminderTopic, startChoice, webChoice, WEB_CHOICE_LABEL } from "../reporting/reminder-topic.js";
import { LEVEL_NAMES } from "../reporting/deadline-rules.js";
import {
  DEFAULT_REQUEST_ROLES,
  levelOfRole,
  MAX_QUICK_QUESTIONS,
  QuickQuestion,
  quickForm,
  REQUEST_REMINDER_STEPS,
  requestRoles,
  requestTemplateId,
} from "./request-template.js";

export const MAX_REQUEST_NOTE = 2000;
/** A request further ahead than this is a periodic report, and belongs on the calendar. */
export const MAX_REQUEST_DAYS = 366;

export const RequestInput = z
  .object({
    title: z.string().trim().min(1, "Chưa có tên yêu cầu báo cáo.").max(200, "Tên yêu cầu dài quá 200 ký tự."),
    note: z.string().trim().max(MAX_REQUEST_NOTE, `Ghi chú dài quá ${MAX_REQUEST_NOTE} ký tự.`).optional(),
    /** An existing template's id (its published version is asked)… */
    template: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,63}$/, "Mã mẫu báo cáo không hợp lệ.")
      .optional(),
    /** …or up to ten quick questions, which become a one-off template. */
    questions: z.array(QuickQuestion).max(MAX_QUICK_QUESTIONS, `Tối đa ${MAX_QUICK_QUESTIONS} câu hỏi.`).optional(),
    audience: z.object({
      unit: z.string().trim().min(1, "Chưa chọn đơn vị được hỏi.").max(40),
      /** The actor's own tree when omitted. */
      scheme: z.enum(["pre2025", "post2025", "demo"]).optional(),
      roles: z.array(z.enum(requestRoles, { message: "Vai trò được hỏi phải là cán bộ xã, huyện hoặc tỉnh." })).optional(),
    }),
    deadline: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "Hạn trả lời cần dạng ngày/tháng/năm."),
  })
  .superRefine((r, ctx) => {
    const quick = (r.questions?.length ?? 0) > 0;
    if (quick === (r.template !== undefined))
      ctx.addIssue({ code: "custom", message: "Chọn một mẫu báo cáo có sẵn hoặc nhập câu hỏi (tối đa 10 câu), một trong hai." });
    const [y, m, d] = r.deadline.split("-").map(Number);
    if (!isValidDate(y!, m!, d!)) ctx.addIssue({ code: "custom", message: `Hạn trả lời ${r.deadline} không phải một ngày.` });
  });
export type RequestInput = z.input<typeof RequestInput>;

export interface CreatedRequest {
  id: number;
  templateId: string;
  periodId: number;
  /** Units asked, and their officers told now (on chat) or not reachable yet. */
  units: number;
  notified: number;
  unreachable: number;
}

export interface RequestDeps {
  outbox: Pick<Outbox, "enqueue">;
  forms: FormRegistry;
  timeZone: string;
}

/** District and province officers and admins ask; a commune officer answers. */
export function mayRequest(ctx: ServiceContext): void {
  if (ctx.actor.kind === "officer" && ctx.actor.officer.role === "commune")
    throw new AppError("forbidden", "Cán bộ xã trả lời yêu cầu báo cáo, không tạo yêu cầu.");
}

/**
 * A district or province asks a subtree for a one-off report by a date: the units of the named
 * levels below the audience unit are fixed as the ones asked, the request becomes a template of
 * its own with one period due on the deadline, and every reachable officer of those units is told
 * now (quiet hours respected by the outbox) with a button that opens it. One transaction, audited.
 */
export async function createRequest(ctx: ServiceContext, deps: RequestDeps, input: RequestInput): Promise<CreatedRequest> {
  const d = parseInput(RequestInput, input);
  mayRequest(ctx);
  const now = ctx.clock();
  const today = localDate(now, deps.timeZone);
  if (d.deadline < today) throw new AppError("invalid_input", `Hạn trả lời ${formatDate(d.deadline)} đã qua; chọn từ hôm nay (${formatDate(today)}).`);
  if (d.deadline > addDays(today, MAX_REQUEST_DAYS))
    throw new AppError("invalid_input", `Hạn trả lời ${formatDate(d.deadline)} xa quá một năm; báo cáo định kỳ đặt ở «Mẫu báo cáo».`);
  const roles = [...new Set(d.audience.roles?.length ? d.audience.roles : DEFAULT_REQUEST_ROLES)];
  const levels = roles.map(levelOfRole);

  const made = await ctx.db.transaction(async (tx) => {
    const scheme = (d.audience.scheme ?? ctx.actor.scope.scheme) as Scheme;
    const [found] = await tx
      .select()
      .from(units)
      .where(and(eq(units.scheme, scheme), eq(units.code, d.audience.unit)));
    const root = withinOrNotFound(ctx.actor.scope, found, "đơn vị được hỏi");
    const asked = await tx
      .select({ id: units.id })
      .from(units)
      .where(and(belowScopeSql(root, { scheme: units.scheme, path: units.path }), inArray(units.level, levels)));
    if (asked.length === 0)
      throw new AppError("invalid_input", `${root.name} không có đơn vị cấp ${levels.map((l) => LEVEL_NAMES[l]).join(", ")} nào bên dưới để hỏi.`);

    let base: { formId: string; formVersion: number } | undefined;
    if (d.template !== undefined) {
      const [t] = await tx
        .select({ id: reportTemplates.id, formId: reportTemplates.formId, formVersion: reportTemplates.formVersion, scopeUnitId: reportTemplates.scopeUnitId })
        .from(reportTemplates)
        .where(and(eq(reportTemplates.id, d.template), eq(reportTemplates.kind, "periodic")));
      const [scope] = t?.scopeUnitId ? await tx.select().from(units).where(eq(units.id, t.scopeUnitId)) : [undefined];
      // A national template, or one whose unit holds the asked subtree (a province's own appendix asked of one of its districts).
      if (!t || (scope && !contains(scope, root) && !contains(ctx.actor.scope, scope)))
        throw new AppError("not_found", `Không tìm thấy mẫu báo cáo ${d.template}.`);
      base = { formId: t.formId, formVersion: t.formVersion };
    }

    const [{ id } = { id: 0 }] = (
      (await tx.execute(sql`select nextval(pg_get_serial_sequence('report_requests', 'id'))::int as id`)) as unknown as { rows: { id: number }[] }
    ).rows;
    const templateId = requestTemplateId(id);
    let form: FormInput | undefined;
    if (!base) {
      form = quickForm(id, d.title, d.questions ?? []);
      compileForm(form);
      await tx.insert(formVersions).values({
        formId: form.id,
        version: 1,
        status: "published",
        definition: form as unknown as Record<string, unknown>,
        title: d.title,
        scopeUnitId: root.id,
        createdBy: ctx.actor.kind === "officer" ? ctx.actor.officer.id : null,
        createdAt: now,
        publishedAt: now,
      });
      base = { formId: form.id, formVersion: 1 };
    }
    await tx.insert(reportTemplates).values({
      id: templateId,
      name: d.title,
      ...base,
      periodicity: "once",
      opensDaysBefore: 0,
      reminderSteps: REQUEST_REMINDER_STEPS,
      scopeUnitId: root.id,
      roles,
      scheduled: true,
      kind: "request",
    });
    const year = Number(today.slice(0, 4));
    const [period] = await tx
      .insert(periods)
      .values({ templateId, key: requestPeriodKey(year, id), startsOn: today, endsOn: d.deadline, opensOn: today })
      .returning();
    // Every level asked is due the same day: the calendar row of each, for the request's one period.
    await tx.insert(deadlineCalendars).values(
      (["commune", "district", "province"] as const).map((level) => ({
        templateId,
        scopeUnitId: null,
        year,
        slot: `YC${id}`,
        level,
        deadline: d.deadline,
        source: `Yêu cầu báo cáo đột xuất số ${id}`,
      })),
    );
    await tx.insert(reportRequests).values({
      id,
      templateId,
      periodId: period!.id,
      title: d.title,
      note: d.note || null,
      rootUnitId: root.id,
      roles,
      deadline: d.deadline,
      baseFormId: d.template ?? null,
      createdBy: ctx.actor.kind === "officer" ? ctx.actor.officer.id : null,
      createdAt: now,
    });
    const unitIds = asked.map((u) => u.id);
    for (let i = 0; i < unitIds.length; i += 1000)
      await tx.insert(reportRequestUnits).values(unitIds.slice(i, i + 1000).map((unitId) => ({ requestId: id, unitId })));

    const { reachable, unlinked } = await recipientsOfUnits(tx, unitIds, roles);
    const from = ctx.actor.kind === "officer" ? ctx.actor.unit.name : undefined;
    const questions = d.questions?.length;
    const rows: NewOutboxRow[] = reachable.map((r) => ({
      officerId: r.officerId,
      channel: r.channel,
      chatId: r.chatId,
      kind: "request",
      topic: reminderTopic(period!.id, r.unitId),
      dedupeKey: `request:${id}:${r.officerId}`,
      payload: {
        text: [
          `📋 Yêu cầu báo cáo đột xuất${from ? ` của ${from}` : ""}: ${d.title}`,
          ...(d.note ? [d.note] : []),
          `Hạn trả lời: ${formatDate(d.deadline)}${questions ? ` (${questions} câu hỏi)` : ""}.`,
          `Anh/chị ${r.name} bấm «Trả lời ngay» hoặc gõ "báo cáo".`,
        ].join("\n"),
        choices: [
          { value: startChoice(templateId), label: "📝 Trả lời ngay" },
          { value: webChoice(templateId), label: WEB_CHOICE_LABEL },
        ],
      },
    }));
    await deps.outbox.enqueue(tx, rows);
    await tx.insert(auditLog).values({
      actor: auditName(ctx.actor),
      action: "request.create",
      target: `request:${id}`,
      detail: { root: root.code, roles, units: unitIds.length, deadline: d.deadline, template: d.template ?? null, questions: questions ?? 0 },
    });
    return { id, templateId, periodId: period!.id, units: unitIds.length, notified: reachable.length, unreachable: unlinked.length, form };
  });
  // The quick form is this instance's at once; another instance loads it from form_versions when first asked.
  if (made.form) deps.forms.register(made.form, { published: true });
  const { form: _form, ...created } = made;
  return created;
}
