import { eq } from "drizzle-orm";
import type { Db, Tx } from "../db/client.js";
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

/** Zalo answered a refresh without a new pair: the refresh token is dead (not a network failure). */
class RefreshRefused extends ZaloOaApiError {
  constructor() {
    super(-216, "token refresh failed");
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

/** An access token lives 25 h; refreshed once it has less than this left (so about every 19 h). */
export const TOKEN_REFRESH_MARGIN_MS = 6 * 3_600_000;

/**
 * Due when the access token has less than the margin left, or the pair has not been renewed for
 * a day (a pair of unknown lifetime, e.g. the first one from the environment).
 */
export function tokenRefreshDue(row: { expiresAt: Date; updatedAt: Date }, now: Date): boolean {
  return row.expiresAt.getTime() - now.getTime() < TOKEN_REFRESH_MARGIN_MS || now.getTime() - row.updatedAt.getTime() >= 24 * 3_600_000;
}

export type ZaloOaHealth = { status: "ok" } | { status: "degraded"; reason: string; since?: Date };

export function createZaloOaClient(deps: ZaloOaClientDeps) {
  const apiRoot = deps.apiRoot ?? "https://openapi.zalo.me";
  const oauthRoot = deps.oauthRoot ?? "https://oauth.zaloapp.com";
  /** The last refresh failure, until a refresh succeeds. */
  let failure: { at: Date; reason: string } | undefined;
  /** Configured refresh tokens Zalo refused: not tried again on every check. */
  const refusedConfigured = new Set<string>();

  async function currentToken(): Promise<string> {
    const [row] = await deps.db.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1));
    if (row) return row.accessToken;
    if (!deps.initialAccessToken || !deps.initialRefreshToken) throw new ZaloOaApiError(-216, "no access token configured");
    await deps.db
      .insert(zaloOaTokens)
      .values({
        id: 1,
        accessToken: deps.initialAccessToken,
        refreshToken: deps.initialRefreshToken,
        expiresAt: new Date(deps.clock().getTime() + 20 * 3_600_000),
        updatedAt: deps.clock(),
      })
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
      return exchange(tx, row.refreshToken);
    });
  }

  /**
   * A refused refresh token is dead; if the environment holds another one, an admin has put a
   * new pair there (README, "Zalo Official Account"): it is tried once, in the same transaction.
   */
  async function exchange(tx: Tx, refreshToken: string): Promise<string> {
    try {
      return await exchangeOnce(tx, refreshToken);
    } catch (err) {
      const configured = deps.initialRefreshToken;
      if (!(err instanceof RefreshRefused) || !configured || configured === refreshToken || refusedConfigured.has(configured)) throw err;
      deps.logger.info("zalo OA: the stored refresh token was refused; trying the pair from ZALO_OA_REFRESH_TOKEN");
      try {
        return await exchangeOnce(tx, configured);
      } catch (again) {
        if (again instanceof RefreshRefused) refusedConfigured.add(configured);
        throw again;
      }
    }
  }

  /**
   * The daily refresh: a quiet OA makes no call that would fail and refresh, and its refresh token
   * dies unused after about 3 months. Same row lock as refresh(), so an instance that finds the
   * pair already renewed by another one leaves it alone. Never throws: a failure is logged and
   * shown by health() until a refresh succeeds.
   */
  async function refreshIfDue(): Promise<"refreshed" | "fresh" | "failed" | "none"> {
    try {
      // The first pair from the environment is stored on first use; a quiet OA may not have used it yet.
      if (deps.initialAccessToken && deps.initialRefreshToken) await currentToken();
      return await deps.db.transaction(async (tx) => {
        const [row] = await tx.select().from(zaloOaTokens).where(eq(zaloOaTokens.id, 1)).for("update");
        if (!row) return "none";
        if (!tokenRefreshDue(row, deps.clock())) return "fresh";
        await exchange(tx, row.refreshToken);
        return "refreshed";
      });
    } catch (err) {
      // exchange() has logged and recorded a refusal; anything else (database, network) is logged here.
      if (!failure) noteFailure(err instanceof Error ? err.message : String(err));
      return "failed";
    }
  }

  function noteFailure(reason: string) {
    failure = { at: deps.clock(), reason };
  }

  /** Runs inside the locked transaction: the new pair is stored before the transaction commits. */
  async function exchangeOnce(tx: Tx, refreshToken: string): Promise<string> {
    type Answer = { access_token?: string; refresh_token?: string; expires_in?: string | number; error?: number; error_name?: string; message?: string };
    let status: number;
    let data: Answer;
    try {
      const res = await fetch(`${oauthRoot}/v4/oa/access_token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", secret_key: deps.appSecret ?? "" },
        body: new URLSearchParams({ refresh_token: refreshToken, app_id: deps.appId ?? "", grant_type: "refresh_token" }),
        signal: AbortSignal.timeout(15_000),
      });
      status = res.status;
      data = (await res.json().catch(() => ({}))) as Answer;
    } catch (err) {
      // Zalo unreachable: the pair is still good, the next check tries again.
      const reason = `OAuth unreachable: ${err instanceof Error ? err.message : String(err)}`;
      noteFailure(reason);
      deps.logger.warn({ reason }, "zalo OA token refresh failed (network); retried at the next check");
      throw new ZaloOaApiError(-216, "token refresh failed: OAuth unreachable");
    }
    if (!data.access_token || !data.refresh_token) {
      // No refresh error code is documented: a refused refresh needs a person (re-consent).
      noteFailure(`refresh refused (${data.error ?? status} ${data.error_name ?? data.message ?? ""})`.trim());
      deps.logger.error(
        { status, error: data.error, errorName: data.error_name },
        "zalo OA token refresh failed: an OA admin must issue a new token pair (developers.zalo.me → Tools → API Explorer → OA Access Token), put it in ZALO_OA_ACCESS_TOKEN / ZALO_OA_REFRESH_TOKEN and restart baocao",
      );
      throw new RefreshRefused();
    }
    const expiresIn = Number(data.expires_in ?? 90_000);
    await tx
      .update(zaloOaTokens)
      .set({
        accessToken: data.access_token,
        refreshToken: data.refresh_token,
        expiresAt: new Date(deps.clock().getTime() + expiresIn * 1000),
        updatedAt: deps.clock(),
      })
      .where(eq(zaloOaTokens.id, 1));
    failure = undefined;
    deps.logger.info("zalo OA token pair refreshed and stored");
    return data.access_token;
  }

  /**
   * Whether OA sending can be trusted: degraded after a failed refresh (until one succeeds), or
   * when the stored access token has expired (nothing renewed it). Read by /healthz and the
   * dashboard banner.
   */
  async function health(): Promise<ZaloOaHealth> {
    if (failure) return { status: "degraded", reason: failure.reason, since: failure.at };
    const [row] = await deps.db.select({ expiresAt: zaloOaTokens.expiresAt }).from(zaloOaTokens).where(eq(zaloOaTokens.id, 1));
    if (!row) return deps.initialAccessToken && deps.initialRefreshToken ? { status: "ok" } : { status: "degraded", reason: "no token pair configured" };
    if (row.expiresAt.getTime() < deps.clock().getTime()) return { status: "degraded", reason: "access token expired and not renewed", since: row.expiresAt };
    return { status: "ok" };
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
    refreshIfDue,
    health,
    /** A consultation message (tin Tư vấn): only to users who interacted in the last 7 days. */
    sendText: (userId: string, text: string, buttons?: ZaloOaButton[]) =>
      call<{ message_id: string }>("/v3.0/oa/message/cs", {
        recipient: { user_id: userId },
        message: buttons && buttons.length > 0 ? { text, attachment: { type: "template", payload: { buttons } } } : { text },
      }),
    /** Zalo's own form that asks the user to share name and phone (answer: user_submit_info). */
    requestUserInfo: (userId: string, element: { title: string; subtitle: string; imageUrl: string }) =>
      call<{ message_id: string }>("/v3.0/oa/message/cs", {
        recipient: { user_id: userId },
        message: {
          attachment: {
            type: "template",
            payload: { template_type: "request_user_info", elements: [{ title: element.title, subtitle: element.subtitle, image_url: element.imageUrl }] },
          },
        },
      }),
  };
}

export type ZaloOaClient = ReturnType<typeof createZaloOaClient>;
