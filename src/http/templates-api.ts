import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Db } from "../db/client.js";
import { systemActor } from "../directory/actor.js";
import { isAppError } from "../domain/app-error.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { exportTemplate, listTemplates, MAX_TEMPLATE_BYTES, uploadTemplate } from "../templates/template-service.js";
import { jsonBearerAuth } from "./errors.js";

/** What the route lets through before it reads the form (the file itself is held to MAX_TEMPLATE_BYTES): src/http/app.ts UPLOAD_LIMITS. */
export const TEMPLATE_UPLOAD_BODY_LIMIT = MAX_TEMPLATE_BYTES + 64 * 1024;

/**
 * The templates API for the token holder (admins' scripts): upload an XLSForm, list, download.
 * The token acts on every template, as the CLI does.
 */
export function mountTemplatesApi(deps: { db: Db; forms: FormRegistry; adminToken?: string; clock: () => Date }) {
  return (app: OpenAPIHono) => {
    const guard = deps.adminToken
      ? jsonBearerAuth(deps.adminToken)
      : async (c: Context) => c.json({ error: "API quản trị chưa bật: đặt ADMIN_API_TOKEN" }, 401);
    app.use("/api/templates", guard);
    app.use("/api/templates/*", guard);
    const ctx = (scheme: string = "post2025") => ({ actor: systemActor("admin-api-token", scheme), db: deps.db, clock: deps.clock });
    const tooLarge = (c: Context) => c.json({ error: "Tệp mẫu báo cáo quá lớn (tối đa 5 MB).", code: "too_large" }, 413);

    app.post("/api/templates", async (c) => {
      if (Number(c.req.header("content-length") ?? 0) > TEMPLATE_UPLOAD_BODY_LIMIT) return tooLarge(c);
      let body: Record<string, string | File | (string | File)[]>;
      try {
        body = await c.req.parseBody({ all: false });
      } catch {
        return c.json({ error: "Cần gửi multipart/form-data với trường file.", code: "invalid_input" }, 400);
      }
      const file = body.file;
      if (!(file instanceof File)) return c.json({ error: "Thiếu trường file (tệp .xlsx của mẫu báo cáo).", code: "invalid_input" }, 400);
      if (file.size > MAX_TEMPLATE_BYTES) return tooLarge(c);
      const field = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : undefined);
      const scheme = field("scheme");
      try {
        const made = await uploadTemplate(ctx(scheme), deps, {
          file: new Uint8Array(await file.arrayBuffer()),
          fileName: file.name,
          scope: field("scope") || undefined,
          scheme: scheme === "pre2025" || scheme === "post2025" ? scheme : undefined,
          publish: field("publish") === "true" || field("draft") === "false",
        });
        return c.json({ id: made.formId, version: made.version, status: made.status }, 201);
      } catch (err) {
        // A form with problems is well-formed HTTP carrying an unusable document: 422, every problem listed.
        if (isAppError(err) && err.code === "invalid_input")
          return c.json({ code: "invalid_input", message: err.message, error: err.message, issues: [...err.issues] }, 422);
        throw err;
      }
    });

    app.get("/api/templates", async (c) => c.json({ templates: await listTemplates(ctx(), deps) }, 200));

    app.get("/api/templates/:id/xlsx", async (c) => {
      const version = c.req.query("version");
      const out = await exportTemplate(ctx(), deps, { formId: c.req.param("id"), version: version === undefined ? undefined : Number(version) });
      return c.body(new Uint8Array(out.body), 200, {
        "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "content-disposition": `attachment; filename="${out.filename}"`,
      });
    });
  };
}
