import { timingSafeEqual } from "node:crypto";
import type { Handler, MiddlewareHandler } from "hono";

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Guards grammY's webhook handler: a forged secret gets 401 before the body is read, and a body
 * that is not a Telegram update gets 400 instead of reaching the bot.
 */
export function guardTelegramWebhook(secret: string, handler: Handler): MiddlewareHandler {
  return async (c, next) => {
    if (!sameSecret(c.req.header("X-Telegram-Bot-Api-Secret-Token"), secret)) return c.json({ error: "unauthorized" }, 401);
    const body: unknown = await c.req.json();
    if (typeof body !== "object" || body === null || Array.isArray(body) || !Number.isInteger((body as { update_id?: unknown }).update_id)) {
      return c.json({ error: "Không phải bản cập nhật Telegram hợp lệ" }, 400);
    }
    return handler(c, next);
  };
}
