import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { zaloOaTokens } from "../db/schema/index.js";
import type { Logger } from "../log.js";

/**
 * A small typed client for the Zalo Official Account Open API v3, over fetch. Errors come back
 * with HTTP 200 and a non-zero `error`. Tokens are never logged.
 */
export class ZaloOaApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
  ) {
    super(`Zalo OA: ${code} ${description}`);
    this.name = "ZaloOaApiError";
  }
}

/** -216 invalid, -220 expired or removed: refresh once and retry once. */
const TOKEN_ERRORS = new Set([-216, -220]);

export interface ZaloOaClientDeps {
  db: Db;
  logger: Logger;
  appId?: string;
  appSecret?: string;
  apiRoot?: string;
  oauthRoot?: string;
  /** The first pair, used only while the database holds none. */
  initialAccessToken?: string;
  initialRefreshToken?: string;
  clock: () => Date;
}

export interface ZaloOaButton {
  title: string;
  type: "oa.query.show" | "oa.query.hide";
  payload: string;
}

export function createZaloOaClient(deps: ZaloOaClientDeps) {
  const apiRoot = deps.apiRoot ?? "https://openapi.zalo.me";
  const oauthRoot = deps.oauthRoot ?? "https://oauth.zaloapp.com";

  async function currentToken(): Promise<string> {
    const [row] = await deps.db.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1));
    if (row) return row.accessToken;
    if (!deps.initialAccessToken || !deps.initialRefreshToken) throw new ZaloOaApiError(-216, "no access token configured");
    await deps.db
      .insert(zaloOaTokens)
      .values({ id: 1, accessToken: deps.initialAccessToken, refreshToken: deps.initialRefreshToken, expiresAt: new Date(deps.clock().getTime() + 20 * 3_600_000) })
      .onConflictDoNothing();
    return currentToken();
  }

  /**
   * Refreshes the pair. The refresh token is single-use, so the row is locked (another instance
   * refreshing at the same moment waits, then sees the new token and uses it), and the new pair
   * is committed before anyone uses it.
   */
  async function refresh(staleToken: string): Promise<string> {
    return deps.db.transaction(async (tx) => {
      const [row] = await tx.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1)).for("update");
      if (!row) throw new ZaloOaApiError(-216, "no token pair to refresh");
      if (row.accessToken !== staleToken) return row.accessToken;
      const res = await fetch(`${oauthRoot}/v4/oa/access_token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", secret_key: deps.appSecret ?? "" },
        body: new URLSearchParams({ refresh_token: row.refreshToken, app_id: deps.appId ?? "", grant_type: "refresh_token" }),
        signal: AbortSignal.timeout(15_000),
      });
      const data = (await res.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; expires_in?: string | number; error?: number; error_name?: string };
      if (!data.access_token || !data.refresh_token) {
        // No refresh error code is documented: a failed refresh needs a person (re-consent).
        deps.logger.error({ status: res.status, error: data.error, errorName: data.error_name }, "zalo OA token refresh failed: an OA admin must issue a new token pair");
        throw new ZaloOaApiError(-216, "token refresh failed");
      }
      const expiresIn = Number(data.expires_in ?? 90_000);
      await tx
        .update(zaloOaTokens)
        .set({ accessToken: data.access_token, refreshToken: data.refresh_token, expiresAt: new Date(deps.clock().getTime() + expiresIn * 1000), updatedAt: deps.clock() })
        .where(eq(zaloOaTokens.id, 1));
      deps.logger.info("zalo OA token pair refreshed and stored");
      return data.access_token;
    });
  }

  async function post<T>(path: string, body: unknown, token: string): Promise<T> {
    const res = await fetch(`${apiRoot}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", access_token: token },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const data = (await res.json().catch(() => ({ error: -res.status, message: res.statusText }))) as { error?: number; message?: string; data?: T };
    if (data.error !== 0) throw new ZaloOaApiError(data.error ?? -res.status, data.message ?? "");
    return data.data as T;
  }

  /** Calls the API; on an expired or invalid token, refreshes once and retries once. */
  async function call<T>(path: string, body: unknown): Promise<T> {
    const token = await currentToken();
    try {
      return await post<T>(path, body, token);
    } catch (err) {
      if (!(err instanceof ZaloOaApiError) || !TOKEN_ERRORS.has(err.code)) throw err;
      return post<T>(path, body, await refresh(token));
    }
  }

  return {
    call,
    refresh,
    /** A consultation message (tin Tư vấn): only to users who interacted in the last 7 days. */
    sendText: (userId: string, text: string, buttons?: ZaloOaButton[]) =>
      call<{ message_id: string }>("/v3.0/oa/message/cs", {
        recipient: { user_id: userId },
        message: buttons && buttons.length > 0 ? { text, attachment: { type: "template", payload: { buttons } } } : { text },
      }),
    /** Zalo's own form that asks the user to share name and phone (answer: user_submit_info). */
    requestUserInfo: (userId: string, title: string, subtitle: string) =>
      call<{ message_id: string }>("/v3.0/oa/message/cs", {
        recipient: { user_id: userId },
        message: { attachment: { type: "template", payload: { template_type: "request_user_info", elements: [{ title, subtitle, image_url: "" }] } } },
      }),
  };
}

export type ZaloOaClient = ReturnType<typeof createZaloOaClient>;
