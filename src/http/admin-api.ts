import { contains } from "../domain/scope.js";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { desc, eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { auditLog, periods, reportTemplates, units } from "../db/schema/index.js";
import type { Context, Next } from "hono";
import type { Officer } from "../directory/officers.js";
import { DEMO_SCHEME, NATIONAL_CODE, nationalRoot, type ReportRoot, type Scheme } from "../directory/units.js";
import type { Sessions } from "./sessions.js";
import { consolidate, toCsv, toXlsx } from "../reporting/consolidation.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { localDate } from "../domain/dates.js";
import { periodLabel, schemeForPeriod } from "../domain/periods.js";
import { findUnit } from "../directory/units.js";
import { findPeriod, periodStatus } from "../reporting/period-status.js";
import { deadlinesForUnit, loadCalendar } from "../reporting/reporting-calendar.js";
import { jsonBearerAuth, NotFoundError } from "./errors.js";
import { ApiDocs } from "./api-docs.js";

export interface AdminApiDeps {
  db: Db;
  forms: FormRegistry;
  sessions: Sessions;
  adminToken?: string;
  clock: () => Date;
  timeZone: string;
}

const ErrorSchema = z.object({ error: z.string() }).openapi("Error");

const DeadlinesSchema = z
  .object({ commune: z.string(), district: z.string(), province: z.string() })
  .openapi("Deadlines", { description: "National default deadline per level (yyyy-mm-dd); a province's own calendar may differ" });

const PeriodSchema = z
  .object({
    id: z.number().int(),
    templateId: z.string(),
    key: z.string().openapi({ example: "2026-H1" }),
    label: z.string().openapi({ example: "báo cáo 6 tháng đầu năm 2026" }),
    startsOn: z.string(),
    endsOn: z.string(),
    opensOn: z.string(),
    deadlines: DeadlinesSchema,
    open: z.boolean(),
  })
  .openapi("Period");

const CountsSchema = z
  .object({
    units: z.number().int(),
    submitted: z.number().int(),
    onTime: z.number().int(),
    late: z.number().int(),
    inProgress: z.number().int(),
    notStarted: z.number().int(),
    overdue: z.number().int(),
  })
  .openapi("StatusCounts");

const StatusSchema = z
  .object({
    period: z.object({ id: z.number().int(), key: z.string(), templateId: z.string() }),
    unit: z.object({ code: z.string(), name: z.string(), level: z.string(), scheme: z.string() }),
    counts: CountsSchema,
    children: z.array(
      z.object({
        code: z.string(),
        name: z.string(),
        level: z.string(),
        status: z.enum(["submitted", "in_progress", "not_started"]).optional(),
        submissionId: z.number().int().nullable().optional(),
        reviewStatus: z.string().nullable().optional(),
        late: z.boolean().nullable().optional(),
        submittedAt: z.string().nullable().optional(),
        deadline: z.string().optional(),
        counts: CountsSchema,
      }),
    ),
    sums: z
      .record(z.string(), z.number())
      .openapi({ description: "Sum of each numeric question over submitted reports of the subtree (repeat rows included)" }),
    choiceCounts: z.record(z.string(), z.record(z.string(), z.number().int())).openapi({
      description: "Choice and yes/no questions: option → how many submitted reports chose it (inside a repeat group: how many rows)",
      example: { child_friendly: { dat: 12, chua_dat: 3 }, case_sex: { nam: 4, nu: 7 } },
    }),
    crossCounts: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.number().int()))).openapi({
      description: 'Repeat rows by two choice questions the form crosses (baocao::cross_with): "q×p" → option of q → option of p → rows',
      example: { "case_form×case_sex": { the_chat: { nam: 2, nu: 3 } } },
    }),
    repeatRows: z
      .record(z.string(), z.number().int())
      .openapi({ description: "Repeat groups: how many rows the submitted reports gave", example: { abuse_case: 11 } }),
  })
  .openapi("PeriodStatus");

const listPeriods = createRoute({
  method: "get",
  path: "/api/periods",
  summary: "Reporting periods with their deadlines per level",
  security: [{ bearer: [] }],
  responses: {
    200: { description: "Periods, newest first", content: { "application/json": { schema: z.object({ periods: z.array(PeriodSchema) }) } } },
    401: { description: "Missing or wrong bearer token", content: { "application/json": { schema: ErrorSchema } } },
  },
});

const periodStatusRoute = createRoute({
  method: "get",
  path: "/api/periods/{periodId}/status",
  summary: "Who reported, who is late, and the totals, for a unit's children in the tree",
  security: [{ bearer: [] }],
  request: {
    params: z.object({
      periodId: z
        .string()
        .regex(/^\d+$|^\d{4}-[A-Z0-9]+$/)
        .openapi({ example: "2026-H1" }),
    }),
    query: z.object({
      unit: z
        .string()
        .regex(/^(\d{2,5}|VN)$/, "mã đơn vị gồm 2–5 chữ số, hoặc VN cho toàn quốc")
        .openapi({ example: "12", description: "Unit code; VN for the whole country (its children are the provinces; admins only)" }),
      scheme: z.enum(["pre2025", "post2025"]).optional().openapi({ description: "Defaults to the scheme in force for the period" }),
    }),
  },
  responses: {
    200: { description: "Status of the unit's subtree", content: { "application/json": { schema: StatusSchema } } },
    400: { description: "Invalid parameters", content: { "application/json": { schema: ErrorSchema } } },
    401: { description: "Missing or wrong bearer token", content: { "application/json": { schema: ErrorSchema } } },
    404: { description: "Unknown period or unit", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function mountAdminApi(deps: AdminApiDeps) {
  return (app: OpenAPIHono) => {
    app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
    // The bearer token sees everything; a signed-in officer's session sees their own subtree.
    const actors = new WeakMap<Request, Officer | "admin">();
    const guard = async (c: Context, next: Next) => {
      const auth = c.req.header("authorization");
      if (deps.adminToken && auth) {
        return jsonBearerAuth(deps.adminToken)(c, async () => {
          actors.set(c.req.raw, "admin");
          await next();
        });
      }
      const officer = await deps.sessions.officer(c);
      if (!officer) return c.json({ error: "Cần đăng nhập hoặc Bearer ADMIN_API_TOKEN" }, 401);
      actors.set(c.req.raw, officer);
      await next();
    };
    /** The period asked for and the unit, if the caller may see it; NotFoundError otherwise. */
    const periodAndUnit = async (c: Context, periodId: string, q: { unit: string; scheme?: Scheme }) => {
      const period = await findPeriod(deps.db, periodId);
      if (!period) throw new NotFoundError(`Không có kỳ báo cáo ${periodId}`);
      const unit = await visibleUnit(c, q.scheme ?? schemeForPeriod(period.endsOn), q.unit);
      if (!unit) throw new NotFoundError(`Không có đơn vị mã ${q.unit}`);
      return { period, unit };
    };
    app.use("/api/periods", guard);
    app.use("/api/periods/*", guard);
    /** The unit asked for, if the caller may see it (404 otherwise, as for a unit that does not exist). */
    const visibleUnit = async (c: Context, asked: Scheme, code: string): Promise<ReportRoot | undefined> => {
      const actor = actors.get(c.req.raw);
      if (actor === undefined) return undefined;
      const [own] = actor === "admin" ? [] : await deps.db.select().from(units).where(eq(units.id, actor.unitId));
      if (actor !== "admin" && !own) return undefined;
      // A demo account's world is the demo tree whatever the period (src/directory/demo.ts); nobody else's is.
      const scheme: Scheme = own?.scheme === DEMO_SCHEME ? DEMO_SCHEME : asked;
      if (scheme === DEMO_SCHEME && own?.scheme !== DEMO_SCHEME) return undefined;
      if (code === NATIONAL_CODE) return actor === "admin" || actor.role === "admin" ? nationalRoot(scheme) : undefined;
      const unit = await findUnit(deps.db, scheme, code);
      if (!unit) return undefined;
      // Admins answer for the whole country (of their world): every unit is theirs to see.
      if (actor === "admin" || actor.role === "admin") return unit;
      return own && contains(own, unit) ? unit : undefined;
    };

    app.openapi(listPeriods, async (c) => {
      const today = localDate(deps.clock(), deps.timeZone);
      const rows = await deps.db.select().from(periods).orderBy(desc(periods.opensOn));
      const calendars = new Map<string, Awaited<ReturnType<typeof loadCalendar>>>();
      const out = [];
      for (const p of rows) {
        if (!calendars.has(p.templateId)) calendars.set(p.templateId, await loadCalendar(deps.db, p.templateId));
        const nextOpen = rows.find((q) => q.templateId === p.templateId && q.opensOn > p.opensOn && q.opensOn <= today);
        out.push({
          id: p.id,
          templateId: p.templateId,
          key: p.key,
          label: periodLabel(p.key),
          startsOn: p.startsOn,
          endsOn: p.endsOn,
          opensOn: p.opensOn,
          deadlines: deadlinesForUnit(calendars.get(p.templateId)!, p, ""),
          open: p.closedAt === null && p.opensOn <= today && !nextOpen,
        });
      }
      return c.json({ periods: out }, 200);
    });

    app.openapi(periodStatusRoute, async (c) => {
      const { period, unit } = await periodAndUnit(c, c.req.valid("param").periodId, c.req.valid("query"));
      const [template] = await deps.db.select().from(reportTemplates).where(eq(reportTemplates.id, period.templateId));
      const status = await periodStatus(
        deps.db,
        period,
        unit,
        localDate(deps.clock(), deps.timeZone),
        template ? deps.forms.latest(template.formId) : undefined,
      );
      return c.json(status, 200);
    });

    for (const format of ["xlsx", "csv"] as const) {
      const route = createRoute({
        method: "get",
        path: `/api/periods/{periodId}/export.${format}`,
        summary: format === "xlsx" ? "Consolidated figures in the official appendix layout (XLSX)" : "Consolidated figures per child unit (CSV)",
        security: [{ bearer: [] }],
        request: periodStatusRoute.request,
        responses: {
          200: {
            description: "The file",
            content: {
              [format === "xlsx" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv"]: {
                schema: z.string().openapi({ format: "binary" }),
              },
            },
          },
          401: { description: "Missing or wrong bearer token", content: { "application/json": { schema: ErrorSchema } } },
          404: { description: "Unknown period or unit", content: { "application/json": { schema: ErrorSchema } } },
        },
      });
      app.openapi(route, async (c) => {
        const { period, unit } = await periodAndUnit(c, c.req.valid("param").periodId, c.req.valid("query"));
        const [template] = await deps.db.select().from(reportTemplates).where(eq(reportTemplates.id, period.templateId));
        const result = await consolidate(deps.db, period, unit, deps.forms.latest(template!.formId));
        // Every export is in the audit log, as on the web (same action and target), before the file leaves.
        const actor = actors.get(c.req.raw);
        await deps.db.insert(auditLog).values({
          actor: actor === "admin" || actor === undefined ? "admin-api-token" : `officer:${actor.id}`,
          action: "export",
          target: `${period.key}:${unit.scheme}:${unit.code}`,
          detail: { format, via: "api" },
        });
        const name = `baocao-${period.key}-${unit.code}.${format}`;
        c.header("content-disposition", `attachment; filename="${name}"`);
        if (format === "csv") {
          c.header("content-type", "text/csv; charset=utf-8");
          return c.body(toCsv(result)) as never;
        }
        c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        return c.body(new Uint8Array(await toXlsx(result))) as never;
      });
    }

    app.doc31("/api/openapi.json", {
      openapi: "3.1.0",
      info: { title: "baocao admin API", version: "1", description: "Báo cáo công tác trẻ em — API quản trị. Xác thực bằng Bearer ADMIN_API_TOKEN." },
    });
    app.get("/api/docs", (c) => c.html(ApiDocs()));
  };
}
