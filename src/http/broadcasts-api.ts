import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Db } from "../db/client.js";
import { broadcastStatus } from "../broadcasts/broadcasts.js";
import { sendBroadcast } from "../broadcasts/send-broadcast.js";
import { systemActor } from "../directory/actor.js";
import type { Planners } from "../scheduler/planners.js";
import { AppError } from "../domain/app-error.js";
import { jsonBearerAuth } from "./errors.js";

const ErrorSchema = z.object({ error: z.string() });

const AudienceSchema = z
  .object({
    scheme: z.enum(["pre2025", "post2025"]).default("post2025"),
    rootCode: z
      .string()
      .regex(/^\d{2,5}$/)
      .optional()
      .openapi({ description: "Unit whose subtree receives it; omit for the whole country", example: "12" }),
    roles: z.array(z.enum(["commune", "district", "province", "admin"])).optional(),
  })
  .openapi("Audience");

const CreateBroadcast = z
  .object({
    text: z.string().trim().min(1).max(4000),
    documentUrl: z.url({ protocol: /^https?$/ }).optional(),
    audience: AudienceSchema,
    sendAt: z.iso.datetime({ offset: true }).optional().openapi({ description: "When to send (ISO 8601); default now. Quiet hours still apply." }),
    requireAck: z.boolean().default(false),
  })
  .openapi("CreateBroadcast");

const RecipientSchema = z.object({
  officerId: z.number().int(),
  name: z.string(),
  unit: z.string(),
  channel: z.string().nullable(),
  status: z.enum(["pending", "queued", "sent", "failed", "unreachable", "outside_window", "acknowledged"]),
  sentAt: z.string().nullable(),
  acknowledgedAt: z.string().nullable(),
});

const StatusSchema = z
  .object({
    id: z.number().int(),
    text: z.string(),
    sendAt: z.string(),
    requireAck: z.boolean(),
    planned: z.boolean(),
    counts: z.record(z.string(), z.number().int()),
    recipients: z.array(RecipientSchema),
  })
  .openapi("BroadcastStatus");

const create = createRoute({
  method: "post",
  path: "/api/broadcasts",
  summary: "Send a directive to part of the unit tree, now or at a time",
  security: [{ bearer: [] }],
  request: { body: { content: { "application/json": { schema: CreateBroadcast } }, required: true } },
  responses: {
    201: { description: "Created; recipients are planned at send time", content: { "application/json": { schema: StatusSchema } } },
    400: { description: "Invalid request", content: { "application/json": { schema: ErrorSchema } } },
    401: { description: "Missing or wrong bearer token", content: { "application/json": { schema: ErrorSchema } } },
    404: { description: "Unknown unit", content: { "application/json": { schema: ErrorSchema } } },
  },
});

const get = createRoute({
  method: "get",
  path: "/api/broadcasts/{id}",
  summary: "Delivery and acknowledgement per recipient",
  security: [{ bearer: [] }],
  request: { params: z.object({ id: z.string().regex(/^\d+$/) }) },
  responses: {
    200: { description: "Status per recipient", content: { "application/json": { schema: StatusSchema } } },
    401: { description: "Missing or wrong bearer token", content: { "application/json": { schema: ErrorSchema } } },
    404: { description: "Unknown broadcast", content: { "application/json": { schema: ErrorSchema } } },
  },
});

export function mountBroadcastsApi(deps: { db: Db; adminToken?: string; clock: () => Date; planners: Planners; drain: () => Promise<unknown> }) {
  return (app: OpenAPIHono) => {
    const guard = deps.adminToken
      ? jsonBearerAuth(deps.adminToken)
      : async (c: import("hono").Context) => c.json({ error: "API quản trị chưa bật: đặt ADMIN_API_TOKEN" }, 401);
    app.use("/api/broadcasts", guard);
    app.use("/api/broadcasts/*", guard);

    const view = async (id: number) => {
      const s = await broadcastStatus(deps.db, id);
      if (!s) throw new AppError("not_found", `Không có văn bản ${id}`);
      return {
        id: s.broadcast.id,
        text: s.broadcast.text,
        sendAt: s.broadcast.sendAt.toISOString(),
        requireAck: s.broadcast.requireAck,
        planned: s.planned,
        counts: s.counts,
        recipients: s.recipients,
      };
    };

    app.openapi(create, async (c) => {
      const body = c.req.valid("json");
      // The token holder acts on the whole country of the tree named in the audience; an unknown unit is a 404.
      const ctx = { actor: systemActor("admin-api-token", body.audience.scheme), db: deps.db, clock: deps.clock };
      const sent = await sendBroadcast(ctx, { ...body, sendAt: body.sendAt ? new Date(body.sendAt) : undefined });
      // Due now: plan at once rather than at the next planner tick, and start sending.
      if (sent.dueNow) {
        await deps.planners.planBroadcasts();
        void deps.drain();
      }
      return c.json(await view(sent.broadcast.id), 201);
    });

    app.openapi(get, async (c) => c.json(await view(Number(c.req.valid("param").id)), 200));
  };
}
