import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Db } from "../db/client.js";
import type { IncidentService } from "../incidents/incident-service.js";
import { systemActor } from "../directory/actor.js";
import { jsonBearerAuth } from "./errors.js";

const ErrorSchema = z.object({ error: z.string(), code: z.string().optional() });

const IncidentSchema = z
  .object({
    ref: z.string().openapi({ example: "KC-2026-0042" }),
    type: z.string(),
    subtype: z.string().nullable(),
    status: z.enum(["new", "acknowledged", "in_progress", "closed"]),
    occurredAt: z.string(),
    place: z.string().nullable(),
    childAge: z.number().int().nullable(),
    childSex: z.string().nullable(),
    description: z.string().nullable(),
    actions: z.array(z.string()).nullable(),
    escalationLevel: z.number().int(),
    acknowledgedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Incident");

const CaseSchema = z
  .object({
    incident: IncidentSchema,
    clocks: z.object({ emergency: z.string(), supportPlan: z.string(), approval: z.string(), separationEnds: z.string().nullable() }),
    timeline: z.array(z.object({ at: z.string(), kind: z.string(), officerId: z.number().int().nullable(), detail: z.record(z.string(), z.unknown()) })),
  })
  .openapi("IncidentCase");

const getCase = createRoute({
  method: "get",
  path: "/api/incidents/{ref}",
  summary: "An urgent case with its legal clocks and timeline (every read is audited)",
  security: [{ bearer: [] }],
  request: { params: z.object({ ref: z.string().regex(/^KC-\d{4}-\d{4,}$/i) }) },
  responses: {
    200: { description: "The case", content: { "application/json": { schema: CaseSchema } } },
    401: { description: "Missing or wrong bearer token", content: { "application/json": { schema: ErrorSchema } } },
    404: { description: "No such case (or not yours to see)", content: { "application/json": { schema: ErrorSchema } } },
  },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function mountIncidentsApi(deps: { db: Db; adminToken?: string; incidents: IncidentService; clock?: () => Date }) {
  return (app: OpenAPIHono) => {
    const guard = deps.adminToken
      ? jsonBearerAuth(deps.adminToken)
      : async (c: import("hono").Context) => c.json({ error: "API quản trị chưa bật: đặt ADMIN_API_TOKEN" }, 401);
    app.use("/api/incidents", guard);
    app.use("/api/incidents/*", guard);
    app.openapi(getCase, async (c) => {
      // The token sees every case of every tree: only a ref that does not exist is refused (and
      // audited), as AppError not_found → 404 {error, code} by app.onError.
      const ctx = { actor: systemActor("admin-api-token", ""), db: deps.db, clock: deps.clock ?? (() => new Date()) };
      const found = await deps.incidents.readIncident(ctx, { ref: c.req.valid("param").ref, via: "api" });
      const i = found.incident;
      return c.json(
        {
          incident: {
            ref: i.ref,
            type: i.type,
            subtype: i.subtype,
            status: i.status,
            occurredAt: i.occurredAt.toISOString(),
            place: i.place,
            childAge: i.childAge,
            childSex: i.childSex,
            description: i.description,
            actions: i.actions,
            escalationLevel: i.escalationLevel,
            acknowledgedAt: iso(i.acknowledgedAt),
            createdAt: i.createdAt.toISOString(),
          },
          clocks: {
            emergency: found.clocks.emergency.toISOString(),
            supportPlan: found.clocks.supportPlan,
            approval: found.clocks.approval,
            separationEnds: iso(found.clocks.separationEnds ?? null),
          },
          timeline: found.timeline.map((e) => ({ at: e.at.toISOString(), kind: e.kind, officerId: e.officerId, detail: e.detail })),
        },
        200,
      );
    });
  };
}
