import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { reportRequests, units } from "../db/schema/index.js";
import { systemActor } from "../directory/actor.js";
import { AppError } from "../domain/app-error.js";
import { localDate } from "../domain/dates.js";
import type { Outbox } from "../delivery/outbox.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { createRequest } from "../requests/create-request.js";
import { requestStatus, type RequestStatus } from "../requests/request-status.js";
import { exportRequest } from "../requests/export-request.js";
import { remindRequest } from "../requests/remind-request.js";
import { jsonBearerAuth } from "./errors.js";

/** The JSON a status answers: like the period status API (`counts` of units, `sums`, `choiceCounts`), per asked unit its status. */
export function requestStatusJson(s: RequestStatus) {
  return {
    id: s.request.id,
    title: s.request.title,
    note: s.request.note,
    deadline: s.request.deadline,
    template: s.request.baseFormId,
    unit: { code: s.root.code, name: s.root.name, level: s.root.level, scheme: s.root.scheme },
    roles: s.request.roles,
    counts: s.counts,
    units: s.units.map((u) => ({ code: u.code, name: u.name, level: u.level, status: u.status, submittedAt: u.submittedAt, officers: u.officers })),
    questions: s.form.sections.flatMap((sec) => sec.questions.filter((q) => q.type !== "note").map((q) => ({ id: q.id, label: q.label, type: q.type }))),
    sums: s.sums,
    choiceCounts: s.choiceCounts,
    repeatRows: s.repeatRows,
  };
}

/**
 * Ad-hoc report requests for the token holder: `POST /api/requests` asks a subtree (the token acts
 * on the whole country of the tree named), `GET /api/requests/{id}` says who answered.
 */
export function mountRequestsApi(deps: {
  db: Db;
  forms: FormRegistry;
  outbox: Outbox;
  adminToken?: string;
  clock: () => Date;
  timeZone: string;
  drain: () => Promise<unknown>;
}) {
  return (app: OpenAPIHono) => {
    const guard = deps.adminToken
      ? jsonBearerAuth(deps.adminToken)
      : async (c: Context) => c.json({ error: "API quản trị chưa bật: đặt ADMIN_API_TOKEN" }, 401);
    app.use("/api/requests", guard);
    app.use("/api/requests/*", guard);
    const ctx = (scheme: string) => ({ actor: systemActor("admin-api-token", scheme), db: deps.db, clock: deps.clock });
    const today = () => localDate(deps.clock(), deps.timeZone);

    app.post("/api/requests", async (c) => {
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new AppError("invalid_input", "Cần gửi JSON: {title, questions | template, audience: {unit}, deadline}.");
      }
      const scheme = (body as { audience?: { scheme?: unknown } } | null)?.audience?.scheme;
      const made = await createRequest(ctx(typeof scheme === "string" ? scheme : "post2025"), deps, body as never);
      void deps.drain();
      return c.json({ id: made.id, units: made.units, notified: made.notified, unreachable: made.unreachable }, 201);
    });

    /** The token holder sees every tree: the request's own tree is the one to act on. */
    const treeOf = async (id: number) => {
      const [row] = await deps.db
        .select({ scheme: units.scheme })
        .from(reportRequests)
        .innerJoin(units, eq(units.id, reportRequests.rootUnitId))
        .where(eq(reportRequests.id, id));
      const scheme = row?.scheme;
      if (!scheme) throw new AppError("not_found", "Không tìm thấy yêu cầu báo cáo.");
      return scheme;
    };

    app.get("/api/requests/:id{[0-9]{1,9}}", async (c) => {
      const id = Number(c.req.param("id"));
      return c.json(requestStatusJson(await requestStatus(ctx(await treeOf(id)), deps, { id }, today())), 200);
    });

    /** «Nhắc những đơn vị chưa trả lời»: 200 {units, reminded, unreachable}; a second call within the minute reminds nobody again. */
    app.post("/api/requests/:id{[0-9]{1,9}}/remind", async (c) => {
      const id = Number(c.req.param("id"));
      const r = await remindRequest(ctx(await treeOf(id)), deps, { id }, today());
      return c.json({ units: r.units, reminded: r.reminded, unreachable: r.unreachable }, 200);
    });

    app.get("/api/requests/:id{[0-9]{1,9}}/xlsx", async (c) => {
      const id = Number(c.req.param("id"));
      const { file, fileName } = await exportRequest(ctx(await treeOf(id)), deps, { id }, today());
      return c.body(new Uint8Array(file), 200, {
        "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "content-disposition": `attachment; filename="${fileName}"`,
      });
    });
  };
}
