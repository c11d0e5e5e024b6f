import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppError, AppErrorCode } from "../domain/app-error.js";

/** The one mapping of an error code to an HTTP status, for pages and the JSON API alike. */
export const STATUS_OF: Record<AppErrorCode, ContentfulStatusCode> = {
  not_found: 404,
  invalid_input: 400,
  conflict: 409,
  forbidden: 403,
  unreachable: 409,
  too_many: 429,
};

/** The JSON API's answer: `{error, code, issues?}` — `error` is the Vietnamese message, as everywhere in the API. */
export function appErrorJson(c: Context, err: AppError) {
  return c.json({ error: err.message, code: err.code, ...(err.issues.length > 0 ? { issues: err.issues } : {}) }, STATUS_OF[err.code]);
}
