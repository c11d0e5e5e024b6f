import { timingSafeEqual } from "node:crypto";
import type { Handler, MiddlewareHandler } from "hono";
import { z } from "zod";

function sameSecret(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The parts of a Telegram update that baocao reads (src/bot/telegram.ts, toInboundMessage), with
 * their types. Other fields and other kinds of update pass unchecked: they are not acted on.
 * Without this, a message whose `text` was a number reached the engine and failed with a 500
 * (and a stack trace in the log) instead of being refused.
 */
const chat = z.looseObject({ id: z.number().int(), type: z.string() });
const user = z.looseObject({ id: z.number().int() });
const file = z.looseObject({ file_id: z.string() });
const message = z.looseObject({
  message_id: z.number().int(),
  chat,
  from: user.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  contact: z.looseObject({ phone_number: z.string(), user_id: z.number().int().optional() }).optional(),
  photo: z.array(file).optional(),
  document: file.optional(),
});
const update = z.looseObject({
  update_id: z.number().int().nonnegative(),
  message: message.optional(),
  edited_message: message.optional(),
  callback_query: z.looseObject({ id: z.string(), from: user, data: z.string().optional(), message: z.looseObject({ chat }).optional() }).optional(),
});

/**
 * Guards grammY's webhook handler: a forged secret gets 401 before the body is read, and a body
 * that is not a Telegram update gets 400 instead of reaching the bot.
 */
export function guardTelegramWebhook(secret: string, handler: Handler): MiddlewareHandler {
  return async (c, next) => {
    if (!sameSecret(c.req.header("X-Telegram-Bot-Api-Secret-Token"), secret)) return c.json({ error: "unauthorized" }, 401);
    const body: unknown = await c.req.json();
    if (!update.safeParse(body).success) return c.json({ error: "Không phải bản cập nhật Telegram hợp lệ" }, 400);
    return handler(c, next);
  };
}
