import { and, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../db/client.js";
import { auditLog, deadlineCalendars, formVersions, reportTemplates, units } from "../db/schema/index.js";
import { auditName, type Actor, type ServiceContext } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { periodsOfYear } from "../domain/periods.js";
import { contains } from "../domain/scope.js";
import type { FormDefinition, FormInput } from "../forms/form-schema.js";
import { compileForm, type FormRegistry } from "../forms/form-registry.js";
import { formFromSheets, problemLine, readXlsx, sheetsFromForm, writeXlsx, type XlsFormSettings } from "../forms/xlsform/xlsform.js";
import { periodicities, type Periodicity } from "../db/schema/reporting.js";
import { ensurePeriods } from "../reporting/reporting-calendar.js";
import { DDMM } from "../reporting/cutoff.js";
import { REQUEST_TEMPLATE_PREFIX } from "../requests/request-template.js";

/**
 * Report templates owned by the people who ask for reports: imported from XLSForm, previewed as a
 * draft, published as the next version, archived. INTERFACE FIXED BY THE LEAD — the bodies are
 * the template-storage helper's; signatures may only grow. Every use case keeps to the actor's
 * Scope (a province officer: templates scoped to their province; admins: all), writes its audit
 * row in its transaction, and throws AppError (invalid_input with `issues` = every XLSForm problem
 * line, in Vietnamese; not_found outside scope).
 */

export type TemplateStatus = "draft" | "published" | "archived";
export type ReportingLevelName = "commune" | "district" | "province";

export interface TemplateSchedule {
  periodicity: Periodicity;
  /** Each level's deadline per slot ("H1", "Y", "Q1", "M01"): dd/mm, every year unless `year`. */
  deadlines: { level: ReportingLevelName; slot: string; deadline: string; year?: number }[];
  /** Data cut-off per slot, dd/mm ("số liệu tính đến ngày …"). */
  cutoff: Record<string, string>;
  /** Reminder days relative to the deadline (negative = before). */
  reminderSteps: number[];
  /** Officer roles asked to report (empty = every role of a reporting unit). */
  roles: string[];
}

export interface TemplateSummary {
  formId: string;
  title: string;
  /** The version officers get now; null while only a draft exists. */
  publishedVersion: number | null;
  /** The newest draft above the published version, if any. */
  draftVersion: number | null;
  status: TemplateStatus;
  scope: { code: string; name: string } | null;
  schedule: TemplateSchedule | null;
}

export interface TemplateVersion {
  formId: string;
  version: number;
  status: TemplateStatus;
  form: FormDefinition;
  createdAt: Date;
  scope: { code: string; name: string } | null;
  versions: { version: number; status: TemplateStatus; createdAt: Date }[];
  schedule: TemplateSchedule | null;
}

export interface TemplateDeps {
  forms: FormRegistry;
}

type Unit = typeof units.$inferSelect;
type TemplateRow = typeof reportTemplates.$inferSelect;

const FORM_ID = z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "Mã mẫu báo cáo không hợp lệ.");
const VERSION = z.number().int().min(1).max(1_000_000);
/** An uploaded workbook past this is not a form (the biggest real appendices are ~100 KB). */
export const MAX_TEMPLATE_BYTES = 5 * 1024 * 1024;

const parse = <T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> => {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new AppError(
      "invalid_input",
      r.error.issues[0]?.message ?? "Dữ liệu không hợp lệ.",
      r.error.issues.map((i) => i.message),
    );
  return r.data as z.output<T>;
};

const isAdmin = (actor: Actor) => actor.kind === "system" || actor.officer.role === "admin";

/** Only admins and province officers author templates; district and commune officers fill them in. */
function mayAuthor(actor: Actor): void {
  if (actor.kind === "system" || actor.officer.role === "admin" || actor.officer.role === "province") return;
  throw new AppError("forbidden", "Chỉ cán bộ cấp tỉnh và quản trị viên được quản lý mẫu báo cáo.");
}

/** A template belongs to its scope unit: admins change every one, a province officer those inside their province (not national ones). */
const mayChange = (actor: Actor, scope: Unit | null) => isAdmin(actor) || (scope !== null && contains(actor.scope, scope));
/** Reading is wider: a province officer may also read (and export) the national templates, to start their own from them. */
const mayRead = (actor: Actor, scope: Unit | null) => isAdmin(actor) || scope === null || contains(actor.scope, scope);

const scopeView = (u: Unit | null) => (u ? { code: u.code, name: u.name } : null);

async function unitById(db: DbOrTx, id: number | null): Promise<Unit | null> {
  if (id === null) return null;
  const [u] = await db.select().from(units).where(eq(units.id, id));
  return u ?? null;
}

async function versionsOf(db: DbOrTx, formId: string) {
  return db.select().from(formVersions).where(eq(formVersions.formId, formId)).orderBy(desc(formVersions.version));
}

const notFound = (formId: string) => new AppError("not_found", `Không tìm thấy mẫu báo cáo ${formId}.`);

/** The template's versions and its unit, when the actor may read it; not_found otherwise (as for one that does not exist). */
async function loadTemplate(db: DbOrTx, actor: Actor, formId: string, need: "read" | "change") {
  const versions = await versionsOf(db, formId);
  const [template] = await db.select().from(reportTemplates).where(eq(reportTemplates.id, formId));
  if (versions.length === 0 && !template) throw notFound(formId);
  const scope = await unitById(db, template?.scopeUnitId ?? versions[0]?.scopeUnitId ?? null);
  if (!mayRead(actor, scope)) throw notFound(formId);
  if (need === "change" && !mayChange(actor, scope)) {
    throw new AppError(
      "forbidden",
      `Mẫu ${formId} là mẫu ${scope ? `của ${scope.name}` : "toàn quốc"}; chỉ ${scope ? "đơn vị đó" : "quản trị viên"} được sửa.`,
    );
  }
  return { versions, template, scope };
}

async function audit(tx: DbOrTx, ctx: ServiceContext, action: string, formId: string, detail: Record<string, unknown>) {
  await tx.insert(auditLog).values({ actor: auditName(ctx.actor), action, target: `template:${formId}`, detail });
}

/** Question name → type over a form, repeat groups included (consolidation matches versions by name). */
function questionTypes(form: FormInput): Map<string, string> {
  const types = new Map<string, string>();
  for (const s of form.sections) for (const q of s.questions) types.set(q.id, q.type);
  return types;
}

/**
 * Problems of a new version against every earlier one: a name that changes type would add up apples
 * and pears across versions, so it is refused naming the question.
 */
function typeChanges(form: FormInput, earlier: { version: number; definition: Record<string, unknown> }[]): string[] {
  const now = questionTypes(form);
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const v of earlier) {
    for (const [name, type] of questionTypes(v.definition as unknown as FormInput)) {
      const current = now.get(name);
      if (current === undefined || current === type || seen.has(name)) continue;
      seen.add(name);
      problems.push(
        `survey, cột name: câu "${name}" đã có kiểu ${type} ở phiên bản ${v.version}, nay là ${current}; đổi kiểu thì đặt tên câu mới (số liệu các phiên bản được cộng theo tên câu).`,
      );
    }
  }
  return problems;
}

const UploadInput = z.object({
  file: z.instanceof(Uint8Array, { message: "Cần tệp .xlsx." }).refine((f) => f.byteLength <= MAX_TEMPLATE_BYTES, "Tệp mẫu báo cáo quá lớn (tối đa 5 MB)."),
  scope: z
    .string()
    .trim()
    .regex(/^\d{2,5}$/, "Mã đơn vị không hợp lệ.")
    .optional(),
  scheme: z.enum(["pre2025", "post2025"]).optional(),
  publish: z.boolean().default(false),
  /** The uploaded file's name: the form's id and title when its settings sheet has none (as in XLSForm). */
  fileName: z.string().max(255).optional(),
});

/** An .xlsx upload → a draft (or published at once with `publish`), its version the next one. */
export async function uploadTemplate(
  ctx: ServiceContext,
  deps: TemplateDeps,
  input: { file: Uint8Array; fileName?: string; scope?: string; scheme?: "pre2025" | "post2025"; publish?: boolean },
): Promise<{ formId: string; version: number; status: TemplateStatus }> {
  const { file, fileName, scope, scheme, publish } = parse(UploadInput, input);
  mayAuthor(ctx.actor);
  const read = await readXlsx(file);
  if (!read.ok) throw refused(read.problems.map(problemLine));
  // The version is only known once the form_id is: parse once to learn it, again with the version it gets.
  const first = formFromSheets(read.sheets, 1, { fileName });
  if (!first.ok) throw refused(first.problems.map(problemLine));
  return importTemplateForm(ctx, deps, {
    settings: first.settings,
    build: (version) => {
      const again = formFromSheets(read.sheets, version, { fileName });
      if (!again.ok) throw refused(again.problems.map(problemLine));
      return again.form;
    },
    scope,
    scheme,
    publish,
  });
}

const refused = (issues: string[]) => new AppError("invalid_input", "Mẫu báo cáo có lỗi, chưa lưu gì.", issues);

/**
 * A parsed form → the next version of its template (the part of an upload after the spreadsheet is
 * read; the shipped templates and tests come in here too).
 */
export async function importTemplateForm(
  ctx: ServiceContext,
  deps: TemplateDeps,
  input: {
    settings: XlsFormSettings;
    /** The form with the version it is given. */
    build: (version: number) => FormInput;
    scope?: string;
    scheme?: "pre2025" | "post2025";
    publish?: boolean;
  },
): Promise<{ formId: string; version: number; status: TemplateStatus }> {
  mayAuthor(ctx.actor);
  const formId = parse(FORM_ID, input.settings.formId);
  if (formId.startsWith(REQUEST_TEMPLATE_PREFIX))
    throw refused([`settings, cột form_id: mã bắt đầu bằng «${REQUEST_TEMPLATE_PREFIX}» dành cho yêu cầu báo cáo đột xuất; đặt mã khác`]);
  const result = await ctx.db.transaction(async (tx) => {
    // Two uploads of one form at once would both take the same next version.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`template:${formId}`}))`);
    const versions = await versionsOf(tx, formId);
    const [template] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, formId));
    const existingScope = await unitById(tx, template?.scopeUnitId ?? versions[0]?.scopeUnitId ?? null);
    if ((versions.length > 0 || template) && !mayChange(ctx.actor, existingScope)) {
      if (!mayRead(ctx.actor, existingScope))
        throw new AppError("invalid_input", `Mã mẫu ${formId} đã được dùng; đặt form_id khác.`, [`settings, cột form_id: mã ${formId} đã được dùng`]);
      throw new AppError("forbidden", `Mẫu ${formId} là mẫu ${existingScope ? `của ${existingScope.name}` : "toàn quốc"}; đặt form_id khác cho mẫu của mình.`);
    }
    const scope = await scopeFor(tx, ctx.actor, input.scope, input.scheme, existingScope, versions.length > 0 || template !== undefined);
    const version = Math.max(0, ...versions.map((v) => v.version)) + 1;
    const form = input.build(version);
    const problems = typeChanges(form, versions);
    if (problems.length > 0) throw refused(problems);
    try {
      compileForm(form);
    } catch (err) {
      throw refused([`tệp: ${(err as Error).message}`]);
    }
    await tx.insert(formVersions).values({
      formId,
      version,
      status: "draft",
      definition: form as unknown as Record<string, unknown>,
      title: input.settings.title,
      scopeUnitId: scope?.id ?? null,
      sourceVersion: input.settings.version ?? null,
      createdBy: ctx.actor.kind === "officer" ? ctx.actor.officer.id : null,
      createdAt: ctx.clock(),
    });
    await audit(tx, ctx, "template.upload", formId, { version, scope: scope?.code ?? null, publish: input.publish ?? false });
    const published = input.publish ? await publishInTx(tx, ctx, formId, version) : undefined;
    return { formId, version, status: (published ? "published" : "draft") as TemplateStatus, published };
  });
  if (result.published) deps.forms.register(result.published, { published: true });
  return { formId: result.formId, version: result.version, status: result.status };
}

/** The unit a new version belongs to: the one named, else the template's, else the author's province (admins: national). */
async function scopeFor(
  db: DbOrTx,
  actor: Actor,
  code: string | undefined,
  scheme: "pre2025" | "post2025" | undefined,
  existing: Unit | null,
  exists: boolean,
): Promise<Unit | null> {
  if (code === undefined) {
    if (exists) return existing;
    return actor.kind === "officer" && !isAdmin(actor) ? actor.unit : null;
  }
  const tree = (scheme ?? (actor.kind === "officer" ? actor.unit.scheme : actor.scope.scheme)) as Unit["scheme"];
  const [unit] = await db
    .select()
    .from(units)
    .where(and(eq(units.scheme, tree), eq(units.code, code)));
  if (!unit || (!isAdmin(actor) && !contains(actor.scope, unit)))
    throw new AppError("not_found", `Không tìm thấy đơn vị ${code}${unit ? "" : ` (hệ mã ${tree})`}.`);
  if (unit.level === "commune") throw new AppError("invalid_input", "Mẫu báo cáo thuộc về một tỉnh hoặc huyện, không thuộc một xã.");
  return unit;
}

/** Makes `version` the published one (the previous published becomes archived) and the template's; the compiled form to register after commit. */
async function publishInTx(tx: DbOrTx, ctx: ServiceContext, formId: string, version: number): Promise<FormInput> {
  const [row] = await tx
    .select()
    .from(formVersions)
    .where(and(eq(formVersions.formId, formId), eq(formVersions.version, version)));
  if (!row) throw new AppError("not_found", `Mẫu ${formId} không có phiên bản ${version}.`);
  if (row.status === "published") throw new AppError("conflict", `Phiên bản ${version} của mẫu ${formId} đã được công bố.`);
  const now = ctx.clock();
  await tx
    .update(formVersions)
    .set({ status: "archived" })
    .where(and(eq(formVersions.formId, formId), eq(formVersions.status, "published")));
  await tx
    .update(formVersions)
    .set({ status: "published", publishedAt: now })
    .where(and(eq(formVersions.formId, formId), eq(formVersions.version, version)));
  const [template] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, formId));
  if (template) {
    // Publishing again brings an archived template back; its schedule stays as it was.
    await tx.update(reportTemplates).set({ formVersion: version, archivedAt: null }).where(eq(reportTemplates.id, formId));
  } else {
    await tx.insert(reportTemplates).values({
      id: formId,
      name: row.title,
      formId,
      formVersion: version,
      // A placeholder until the schedule is set: `scheduled: false` keeps it from offering any period.
      periodicity: "yearly",
      scheduled: false,
      scopeUnitId: row.scopeUnitId,
    });
  }
  const [fresh] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, formId));
  const year = now.getUTCFullYear();
  await ensurePeriods(tx, fresh!, [year - 1, year, year + 1]);
  await audit(tx, ctx, "template.publish", formId, { version });
  return row.definition as unknown as FormInput;
}

export async function getTemplateVersion(ctx: ServiceContext, _deps: TemplateDeps, input: { formId: string; version?: number }): Promise<TemplateVersion> {
  const { formId, version } = parse(z.object({ formId: FORM_ID, version: VERSION.optional() }), input);
  const { versions, template, scope } = await loadTemplate(ctx.db, ctx.actor, formId, "read");
  const row = pick(versions, version);
  if (!row) throw new AppError("not_found", version ? `Mẫu ${formId} không có phiên bản ${version}.` : `Mẫu ${formId} chưa có phiên bản nào.`);
  return {
    formId,
    version: row.version,
    status: row.status,
    form: compileForm(row.definition as unknown as FormInput),
    createdAt: row.createdAt,
    scope: scopeView(scope),
    versions: versions.map((v) => ({ version: v.version, status: v.status, createdAt: v.createdAt })),
    schedule: template ? await scheduleOf(ctx.db, template) : null,
  };
}

/** The version asked for, else the published one, else the newest. */
const pick = <T extends { version: number; status: TemplateStatus }>(versions: T[], version?: number) =>
  version !== undefined ? versions.find((v) => v.version === version) : (versions.find((v) => v.status === "published") ?? versions[0]);

export async function listTemplates(ctx: ServiceContext, _deps: TemplateDeps): Promise<TemplateSummary[]> {
  mayAuthor(ctx.actor);
  const [rows, templates] = await Promise.all([
    ctx.db
      .select({
        formId: formVersions.formId,
        version: formVersions.version,
        status: formVersions.status,
        title: formVersions.title,
        scopeUnitId: formVersions.scopeUnitId,
      })
      .from(formVersions)
      .orderBy(formVersions.formId, desc(formVersions.version)),
    ctx.db.select().from(reportTemplates),
  ]);
  // An ad-hoc request's one-off template (and the form of its quick questions) is on /requests, not here.
  const requestIds = new Set(templates.filter((t) => t.kind === "request").map((t) => t.id));
  const ids = [...new Set([...rows.map((r) => r.formId), ...templates.map((t) => t.id)])].filter((id) => !requestIds.has(id)).sort();
  const unitIds = [...new Set([...rows.map((r) => r.scopeUnitId), ...templates.map((t) => t.scopeUnitId)].filter((id): id is number => id !== null))];
  const unitRows = unitIds.length ? await ctx.db.select().from(units).where(inArray(units.id, unitIds)) : [];
  const unitOf = new Map(unitRows.map((u) => [u.id, u]));
  const out: TemplateSummary[] = [];
  for (const id of ids) {
    const versions = rows.filter((r) => r.formId === id);
    const template = templates.find((t) => t.id === id);
    const scopeId = template?.scopeUnitId ?? versions[0]?.scopeUnitId ?? null;
    const scope = scopeId === null ? null : (unitOf.get(scopeId) ?? null);
    if (!mayRead(ctx.actor, scope)) continue;
    const publishedVersion = versions.find((v) => v.status === "published")?.version ?? template?.formVersion ?? null;
    const draft = versions.find((v) => v.status === "draft" && (publishedVersion === null || v.version > publishedVersion));
    out.push({
      formId: id,
      title: template?.name ?? versions.find((v) => v.version === publishedVersion)?.title ?? versions[0]!.title,
      publishedVersion,
      draftVersion: draft?.version ?? null,
      status: template?.archivedAt ? "archived" : publishedVersion !== null ? "published" : "draft",
      scope: scopeView(scope),
      schedule: template ? await scheduleOf(ctx.db, template) : null,
    });
  }
  return out;
}

/** The schedule as set at the template's own scope; null while none is set. */
async function scheduleOf(db: DbOrTx, template: TemplateRow): Promise<TemplateSchedule | null> {
  if (!template.scheduled) return null;
  const rows = await db
    .select()
    .from(deadlineCalendars)
    .where(
      and(
        eq(deadlineCalendars.templateId, template.id),
        template.scopeUnitId === null ? isNull(deadlineCalendars.scopeUnitId) : eq(deadlineCalendars.scopeUnitId, template.scopeUnitId),
      ),
    )
    .orderBy(deadlineCalendars.slot, deadlineCalendars.level);
  return {
    periodicity: template.periodicity,
    deadlines: rows.map((r) => ({
      level: r.level,
      slot: r.slot,
      deadline: `${r.deadline.slice(8, 10)}/${r.deadline.slice(5, 7)}`,
      ...(r.year !== 0 ? { year: r.year } : {}),
    })),
    cutoff: template.cutoff ?? {},
    reminderSteps: template.reminderSteps,
    roles: template.roles,
  };
}

export async function publishTemplate(ctx: ServiceContext, deps: TemplateDeps, input: { formId: string; version: number }): Promise<{ version: number }> {
  const { formId, version } = parse(z.object({ formId: FORM_ID, version: VERSION }), input);
  mayAuthor(ctx.actor);
  const definition = await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`template:${formId}`}))`);
    await loadTemplate(tx, ctx.actor, formId, "change");
    return publishInTx(tx, ctx, formId, version);
  });
  deps.forms.register(definition, { published: true });
  return { version };
}

export async function archiveTemplate(ctx: ServiceContext, _deps: TemplateDeps, input: { formId: string }): Promise<void> {
  const { formId } = parse(z.object({ formId: FORM_ID }), input);
  mayAuthor(ctx.actor);
  await ctx.db.transaction(async (tx) => {
    const { template } = await loadTemplate(tx, ctx.actor, formId, "change");
    if (!template) throw new AppError("conflict", `Mẫu ${formId} chưa được công bố nên không cần lưu trữ.`);
    if (template.archivedAt) throw new AppError("conflict", `Mẫu ${formId} đã được lưu trữ.`);
    await tx.update(reportTemplates).set({ archivedAt: ctx.clock() }).where(eq(reportTemplates.id, formId));
    await audit(tx, ctx, "template.archive", formId, {});
  });
}

export async function exportTemplate(
  ctx: ServiceContext,
  _deps: TemplateDeps,
  input: { formId: string; version?: number },
): Promise<{ filename: string; body: Buffer }> {
  const { formId, version } = parse(z.object({ formId: FORM_ID, version: VERSION.optional() }), input);
  const row = await ctx.db.transaction(async (tx) => {
    const { versions } = await loadTemplate(tx, ctx.actor, formId, "read");
    const found = pick(versions, version);
    if (!found) throw new AppError("not_found", version ? `Mẫu ${formId} không có phiên bản ${version}.` : `Mẫu ${formId} chưa có phiên bản nào.`);
    await audit(tx, ctx, "template.export", formId, { version: found.version });
    return found;
  });
  const sheets = sheetsFromForm(row.definition as unknown as FormInput, { formId, title: row.title, version: row.sourceVersion ?? undefined });
  return { filename: `${formId}-v${row.version}.xlsx`, body: await writeXlsx(sheets) };
}

const ScheduleInput = z.object({
  formId: FORM_ID,
  schedule: z.object({
    periodicity: z
      .enum(periodicities, { message: "Chu kỳ báo cáo không hợp lệ." })
      // "once" is an ad-hoc request's, made with its single period (src/requests/), not a schedule.
      .refine((p) => p !== "once", "Chu kỳ báo cáo không hợp lệ."),
    deadlines: z
      .array(
        z.object({
          level: z.enum(["commune", "district", "province"]),
          slot: z.string().regex(/^(H1|H2|Y|Q[1-4]|M(0[1-9]|1[0-2]))$/, "Kỳ không hợp lệ."),
          deadline: z.string().regex(DDMM, "Hạn nộp cần dạng ngày/tháng, ví dụ 15/05."),
          year: z.number().int().min(2000).max(2100).optional(),
        }),
      )
      .max(200),
    cutoff: z.record(
      z.string().regex(/^(H1|H2|Y|Q[1-4]|M(0[1-9]|1[0-2]))$/, "Kỳ không hợp lệ."),
      z.string().regex(DDMM, "Ngày chốt số liệu cần dạng ngày/tháng."),
    ),
    reminderSteps: z.array(z.number().int().min(-60).max(60)).max(20),
    roles: z.array(z.enum(["commune", "district", "province"])).max(3),
  }),
});

export async function setTemplateSchedule(ctx: ServiceContext, _deps: TemplateDeps, input: { formId: string; schedule: TemplateSchedule }): Promise<void> {
  const { formId, schedule } = parse(ScheduleInput, input);
  mayAuthor(ctx.actor);
  const slots = new Set(periodsOfYear(schedule.periodicity, 2000).map((p) => p.slot));
  const wrong = [...schedule.deadlines.map((d) => d.slot), ...Object.keys(schedule.cutoff)].filter((s) => !slots.has(s));
  if (wrong.length > 0)
    throw new AppError(
      "invalid_input",
      `Kỳ ${[...new Set(wrong)].join(", ")} không có trong chu kỳ đã chọn (các kỳ: ${[...slots].join(", ")}).`,
      [...new Set(wrong)].map((s) => `kỳ ${s}`),
    );
  await ctx.db.transaction(async (tx) => {
    const { template } = await loadTemplate(tx, ctx.actor, formId, "change");
    if (!template) throw new AppError("conflict", `Công bố mẫu ${formId} trước rồi mới đặt lịch.`);
    const scopeId = template.scopeUnitId;
    await tx
      .update(reportTemplates)
      .set({ periodicity: schedule.periodicity, cutoff: schedule.cutoff, reminderSteps: schedule.reminderSteps, roles: schedule.roles, scheduled: true })
      .where(eq(reportTemplates.id, formId));
    // The template's own scope is its calendar; calendars set below it (a district's letter) stay.
    await tx
      .delete(deadlineCalendars)
      .where(
        and(eq(deadlineCalendars.templateId, formId), scopeId === null ? isNull(deadlineCalendars.scopeUnitId) : eq(deadlineCalendars.scopeUnitId, scopeId)),
      );
    if (schedule.deadlines.length > 0)
      await tx.insert(deadlineCalendars).values(
        schedule.deadlines.map((d) => ({
          templateId: formId,
          scopeUnitId: scopeId,
          year: d.year ?? 0,
          slot: d.slot,
          level: d.level,
          deadline: `${d.year ?? 2000}-${d.deadline.slice(3, 5)}-${d.deadline.slice(0, 2)}`,
          source: "Lịch của mẫu báo cáo",
        })),
      );
    await audit(tx, ctx, "template.schedule", formId, { periodicity: schedule.periodicity, deadlines: schedule.deadlines.length });
    const [fresh] = await tx.select().from(reportTemplates).where(eq(reportTemplates.id, formId));
    const year = ctx.clock().getUTCFullYear();
    await ensurePeriods(tx, fresh!, [year - 1, year, year + 1]);
  });
}
