import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";

/** Something the caller asked for does not exist (or is not theirs to see: same answer). */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}

/**
 * Hono's bearerAuth with the API's error shape: its defaults answer a missing or wrong token with
 * a plain-text "Unauthorized" (and a malformed header with "Bad Request"), while the OpenAPI
 * description — and every other error of the API — is JSON `{ error }`.
 */
export function jsonBearerAuth(token: string): MiddlewareHandler {
  return bearerAuth({
    token,
    noAuthenticationHeader: { message: { error: "Cần Bearer ADMIN_API_TOKEN" } },
    invalidAuthenticationHeader: { message: { error: "Tiêu đề Authorization không hợp lệ" } },
    invalidToken: { message: { error: "Sai ADMIN_API_TOKEN" } },
  });
}
