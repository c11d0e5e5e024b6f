import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { contextStorage } from "hono/context-storage";
import { NONCE, secureHeaders } from "hono/secure-headers";
import { timingSafeEqual } from "node:crypto";
import { HTTPException } from "hono/http-exception";
import { routePath } from "hono/route";
import type { Handler, MiddlewareHandler } from "hono";
import type { Database } from "../db/client.js";
import type { Logger } from "../log.js";
import type { Metrics } from "./metrics.js";
import { ImportFileError } from "../directory/units.js";
import { OfficerNotFoundError } from "../directory/officers.js";
import { NotFoundError } from "./errors.js";
import { isAppError } from "../domain/app-error.js";
import { appErrorJson } from "./app-error-response.js";
import { errorPage, messagePage } from "./components/error-page.js";
import { describeFailure, isDatabaseUnavailable } from "../db/errors.js";

/** Bodies are refused past this unless the route is listed in UPLOAD_LIMITS (forms, JSON). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Routes that take more than a form: each also checks its own exact limit with its own message;
 * this table only lets their bodies past the default. Checked before anything reads the body.
 */
const UPLOAD_LIMITS: [RegExp, number][] = [
  [/^\/officers\/import(\/preview)?$/, 11 * 1024 * 1024],
  [/^\/units\/import$/, 21 * 1024 * 1024],
  [/^\/broadcasts(\/preview)?$/, 11 * 1024 * 1024],
  // An XLSForm workbook (5 MB, checked by the route with its own message).
  [/^\/api\/templates$/, 6 * 1024 * 1024],
  [/^\/templates$/, 6 * 1024 * 1024],
  // The CLI sends its files base64-encoded (the official unit lists are under 1 MB).
  [/^\/internal\/cli$/, 32 * 1024 * 1024],
];

const bodyLimitFor = (path: string) => UPLOAD_LIMITS.find(([re]) => re.test(path))?.[1] ?? DEFAULT_BODY_LIMIT;

/** Platforms never send more than a few KB; anything over 1 MB is not an update. Checked on the route, so its log line names it. */
const WEBHOOK_BODY_LIMIT = 1024 * 1024;
const isWebhook = (path: string) => path.startsWith("/webhooks/");

/** JSON for machines (API, simulator, webhooks, CLI), a page for people. */
const wantsJson = (path: string) => /^\/(api|simulator\/api|webhooks|internal)\//.test(path) || path === "/metrics";

export interface HttpDeps {
  database: Database;
  logger: Logger;
  metrics: Metrics;
  /** Platform webhooks by path (/webhooks/telegram, /webhooks/zalo, /webhooks/zalo-oa); absent = not configured. */
  webhooks: Record<string, Handler | undefined>;
  /** Routes added by feature modules (admin API, simulator, internal CLI). */
  mount: ((app: OpenAPIHono) => void)[];
  /** Bearer token for /metrics; undefined = open (development). */
  metricsToken?: string;
  /** Parts that can be degraded while the service still runs (Zalo OA tokens): shown by /healthz. */
  health?: Record<string, () => Promise<{ status: "ok" | "degraded"; reason?: string }>>;
  /** For /readyz: each channel's mode ("webhook", "polling", "on", "off") and what keeps a configured one from receiving. */
  channels?: { modes: Record<string, string>; problems: string[] };
  /** true once the service has begun to stop: /readyz answers 503 so a load balancer sends no more. */
  stopping?: () => boolean;
}

const sameSecret = (given: string, want: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
};

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

  // Lets pages read their CSP nonce (html.ts cspNonce) without threading the context through.
  app.use("*", contextStorage());
  const headersFor = (frameAncestors: string[]) =>
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", NONCE],
        styleSrc: ["'self'", NONCE],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors,
      },
      referrerPolicy: "no-referrer",
      // X-Frame-Options cannot name an allowed frame: only where no frame is allowed.
      xFrameOptions: frameAncestors.includes("'none'") ? "DENY" : false,
      xContentTypeOptions: "nosniff",
      // A cross-origin-isolated page would refuse Chart.js's canvas nothing, but the QR SVG and
      // documents are same-origin anyway: the default COEP would only break downloads in old browsers.
      crossOriginEmbedderPolicy: false,
    });
  const framedNowhere = headersFor(["'none'"]);
  // The phone web form opens as a Telegram Web App, which Telegram's web and desktop apps show in a frame of theirs.
  const framedByTelegram = headersFor(["'self'", "https://web.telegram.org"]);
  app.use("*", (c, next) => (c.req.path.startsWith("/f/") ? framedByTelegram(c, next) : framedNowhere(c, next)));
  // Pages, exports and API answers show case and report data: never kept by a browser or a proxy.
  // Static assets set their own caching.
  app.use("*", async (c, next) => {
    await next();
    if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
  });
  // Every body is bounded before it is read: the length header is checked first, a chunked body as it streams.
  const limiters = new Map<number, MiddlewareHandler>();
  const limiter = (maxSize: number) => {
    let m = limiters.get(maxSize);
    if (!m) {
      m = bodyLimit({
        maxSize,
        onError: (c) =>
          wantsJson(c.req.path)
            ? c.json({ error: "Nội dung gửi lên quá lớn" }, 413)
            : messagePage(c, 413, "Nội dung gửi lên quá lớn", "Vui lòng rút gọn nội dung hoặc chọn tệp nhỏ hơn."),
      });
      limiters.set(maxSize, m);
    }
    return m;
  };
  app.use("*", (c, next) => (isWebhook(c.req.path) ? next() : limiter(bodyLimitFor(c.req.path))(c, next)));

  app.get("/healthz", async (c) => {
    const ok = await deps.database.ping();
    if (!ok) return c.json({ status: "database unreachable", database: deps.database.kind }, 503);
    // A degraded part is reported, but the instance still answers 200: restarting it would not help.
    const parts = Object.fromEntries(
      await Promise.all(
        Object.entries(deps.health ?? {}).map(
          async ([name, check]) => [name, await check().catch((err: Error) => ({ status: "degraded" as const, reason: err.message }))] as const,
        ),
      ),
    );
    const degraded = Object.values(parts).some((p) => p.status === "degraded");
    return c.json({ status: degraded ? "degraded" : "ok", database: deps.database.kind, ...parts }, 200);
  });

  // Liveness is /healthz (the process answers, its database too); readiness is this: the database
  // answers and has every migration of this version, and each configured channel can receive. A
  // load balancer or a rolling deploy waits for 200 here before sending traffic.
  app.get("/readyz", async (c) => {
    const problems: string[] = [];
    let pendingMigrations: number | null = null;
    try {
      pendingMigrations = await deps.database.pendingMigrations();
      if (pendingMigrations > 0) problems.push(`${pendingMigrations} migration(s) of this version are not applied`);
    } catch {
      problems.push("database unreachable");
    }
    problems.push(...(deps.channels?.problems ?? []));
    if (deps.stopping?.()) problems.push("stopping");
    const ready = problems.length === 0;
    return c.json(
      { status: ready ? "ready" : "not ready", database: deps.database.kind, pendingMigrations, channels: deps.channels?.modes ?? {}, problems },
      ready ? 200 : 503,
    );
  });

  app.get("/metrics", async (c) => {
    if (deps.metricsToken && !sameSecret(c.req.header("authorization") ?? "", `Bearer ${deps.metricsToken}`)) {
      c.header("WWW-Authenticate", 'Bearer realm="metrics"');
      return c.json({ error: "Cần mã truy cập (METRICS_TOKEN)" }, 401);
    }
    c.header("content-type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  for (const [path, handler] of Object.entries(deps.webhooks)) {
    if (handler) app.post(path, limiter(WEBHOOK_BODY_LIMIT), handler);
    else app.post(path, (c) => c.json({ error: "Kênh này chưa được cấu hình trên máy chủ này" }, 404));
  }

  for (const mount of deps.mount) mount(app);

  app.notFound((c) => c.json({ error: "Không tìm thấy" }, 404));

  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse();
    if (isAppError(err)) return wantsJson(c.req.path) ? appErrorJson(c, err) : errorPage(c, err);
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
