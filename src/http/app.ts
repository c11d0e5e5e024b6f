import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { Handler } from "hono";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { Metrics } from "./metrics.js";
import { ImportFileError } from "../directory/units.js";
import { OfficerNotFoundError } from "../directory/officers.js";
import { NotFoundError } from "./errors.js";
import { describeFailure, isDatabaseUnavailable } from "../db/errors.js";

export interface HttpDeps {
  database: Database;
  logger: Logger;
  metrics: Metrics;
  /** Platform webhooks by path (/webhooks/telegram, /webhooks/zalo, /webhooks/zalo-oa); absent = not configured. */
  webhooks: Record<string, Handler | undefined>;
  /** Routes added by feature modules (admin API, simulator, internal CLI). */
  mount: ((app: OpenAPIHono) => void)[];
}

/** The one HTTP server: webhooks, simulator, admin API, health and metrics. */
export function createHttpApp(deps: HttpDeps) {
  const { logger, metrics } = deps;
  const app = new OpenAPIHono({
    // A request that fails zod validation gets a Vietnamese 400 naming the fields, not a stack.
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json({ error: "Yêu cầu không hợp lệ", issues: result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) }, 400);
      }
    },
  });

  app.use("*", async (c, next) => {
    const started = performance.now();
    await next();
    const route = routePath(c) || "unmatched";
    const seconds = (performance.now() - started) / 1000;
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, seconds);
    logger.info({ method: c.req.method, route, status: c.res.status, ms: Math.round(seconds * 1000) }, "request");
  });

  app.get("/healthz", async (c) => {
    const ok = await deps.database.ping();
    return c.json({ status: ok ? "ok" : "database unreachable", database: deps.database.kind }, ok ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    c.header("content-type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  // Platforms never send more than a few KB; anything over 1 MB is not an update.
  const webhookLimit = bodyLimit({ maxSize: 1024 * 1024, onError: (c) => c.json({ error: "Nội dung quá lớn" }, 413) });
  for (const [path, handler] of Object.entries(deps.webhooks)) {
    if (handler) app.post(path, webhookLimit, handler);
    else app.post(path, (c) => c.json({ error: "Kênh này chưa được cấu hình trên máy chủ này" }, 404));
  }

  for (const mount of deps.mount) mount(app);

  app.notFound((c) => c.json({ error: "Không tìm thấy" }, 404));

  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (err instanceof SyntaxError) return c.json({ error: "Nội dung JSON không hợp lệ" }, 400);
    if (err instanceof ImportFileError) return c.json({ error: err.message }, 400);
    if (err instanceof OfficerNotFoundError || err instanceof NotFoundError) return c.json({ error: err.message }, 404);
    if (isDatabaseUnavailable(err)) {
      // Platforms redeliver a webhook answered 5xx; the update is applied then, exactly once.
      logger.warn({ route: routePath(c), err: describeFailure(err).message }, "database unavailable");
      c.header("Retry-After", "5");
      return c.json({ error: "Hệ thống tạm thời không kết nối được cơ sở dữ liệu, vui lòng thử lại sau ít phút." }, 503);
    }
    logger.error({ err: describeFailure(err), route: routePath(c) }, "request failed");
    return c.json({ error: "Máy chủ đang gặp sự cố, vui lòng thử lại sau." }, 500);
  });

  return app;
}
