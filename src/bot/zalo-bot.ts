import { timingSafeEqual } from "node:crypto";
import type { Handler } from "hono";
import type { InboundMessage } from "../domain/messages.js";
import { DeliveryError, type ChannelSender } from "../delivery/outbox.js";
import type { Logger } from "../log.js";
import type { InboundPort } from "./inbound.js";
import { renderPlainText } from "./plain-text.js";
import { createZaloBotClient, ZaloBotApiError } from "./zalo-bot-client.js";

export const ZALO_MAX_TEXT = 2000;

interface ZaloBotEvent {
  event_name?: string;
  message?: {
    message_id?: string;
    text?: string;
    caption?: string;
    date?: number;
    chat?: { id?: string; chat_type?: string };
    from?: { id?: string; display_name?: string; is_bot?: boolean };
  };
}

/**
 * Zalo Bot event → InboundMessage. The docs wrap events in {ok, result}; real traffic sends them
 * bare: both are accepted. There is no update id: the event name and message id are the key.
 * `malformed` marks a body that is not a Zalo event at all (wrong types, missing fields), as
 * opposed to an event baocao does not act on (a group chat).
 */
export function parseZaloBotEvent(body: unknown): { message?: InboundMessage; reason?: string; malformed?: boolean } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { reason: "not an object", malformed: true };
  const b = body as { ok?: boolean; result?: unknown };
  const event = (b.ok === true && b.result && typeof b.result === "object" ? b.result : body) as ZaloBotEvent;
  const m = event.message;
  // `message` is documented as optional: an event without one (a platform notice) is not
  // malformed, only not acted on.
  if (typeof event.event_name === "string" && m === undefined) return { reason: `event ${event.event_name.slice(0, 80)} carries no message` };
  const from = m?.from?.id;
  const chat = m?.chat?.id ?? from;
  if (
    typeof event.event_name !== "string" ||
    typeof m !== "object" ||
    m === null ||
    Array.isArray(m) ||
    typeof m.message_id !== "string" ||
    typeof from !== "string" ||
    typeof chat !== "string"
  ) {
    return { reason: "missing event_name, message.message_id or message.from.id", malformed: true };
  }
  const isText = event.event_name === "message.text.received";
  if ((isText && typeof m.text !== "string") || (m.caption !== undefined && typeof m.caption !== "string"))
    return { reason: "text is not a string", malformed: true };
  if (m.chat?.chat_type && m.chat.chat_type !== "PRIVATE") return { reason: "group chats are not served" };
  const base = {
    channel: "zalo_bot" as const,
    externalUserId: from,
    chatId: chat,
    dedupeKey: `${event.event_name}:${m.message_id}`,
  };
  if (isText) return { message: { ...base, text: m.text! } };
  const kind = event.event_name.includes("image")
    ? "photo"
    : event.event_name.includes("sticker")
      ? "sticker"
      : event.event_name.includes("voice")
        ? "voice"
        : "other";
  return { message: { ...base, attachment: { kind } } };
}

export interface ZaloBotDeps {
  token: string;
  apiRoot?: string;
  webhookSecret?: string;
  /** Where received messages go (only `handle`: main.ts connects the channel before the handler exists). */
  inbound: InboundPort;
  logger: Logger;
}

export function createZaloBotChannel(deps: ZaloBotDeps) {
  const client = createZaloBotClient({ token: deps.token, apiRoot: deps.apiRoot });

  const sender: ChannelSender = {
    async send(chatId, message) {
      let lastId: string | undefined;
      for (const text of renderPlainText(message, ZALO_MAX_TEXT)) {
        try {
          lastId = (await client.sendMessage(chatId, text)).message_id;
        } catch (err) {
          throw toDeliveryError(err);
        }
      }
      return lastId ? { platformMessageId: lastId } : {};
    },
  };

  const webhook: Handler = async (c) => {
    const secret = deps.webhookSecret ?? "";
    const given = Buffer.from(c.req.header("X-Bot-Api-Secret-Token") ?? "");
    if (given.length !== Buffer.byteLength(secret) || !timingSafeEqual(given, Buffer.from(secret))) return c.json({ error: "unauthorized" }, 401);
    const body: unknown = await c.req.json();
    const { message, reason, malformed } = parseZaloBotEvent(body);
    // Not an event at all: refused like malformed JSON, and logged once (the request line).
    if (malformed) return c.json({ error: `Không phải sự kiện Zalo Bot hợp lệ (${reason})` }, 400);
    if (!message) {
      // An event baocao does not serve is logged (names only) and acknowledged: retrying it would not help.
      deps.logger.warn({ reason, keys: Object.keys(body as object) }, "zalo bot event ignored");
      return c.json({ ok: true });
    }
    await deps.inbound.handle(message);
    return c.json({ ok: true });
  };

  let polling = false;
  let pollLoop: Promise<void> | undefined;
  async function poll() {
    while (polling) {
      try {
        const result = await client.getUpdates(30);
        for (const update of Array.isArray(result) ? result : [result]) {
          const { message } = parseZaloBotEvent(update);
          if (message) await deps.inbound.handle(message);
        }
      } catch (err) {
        if (err instanceof ZaloBotApiError && err.code === 408) continue; // no update within the timeout
        deps.logger.warn({ err: err instanceof Error ? err.message.replace(deps.token, "<token>") : String(err) }, "zalo bot polling failed");
        await new Promise((ok) => setTimeout(ok, 3000));
      }
    }
  }

  return {
    sender,
    webhook,
    client,
    startPolling() {
      polling = true;
      pollLoop = poll();
      deps.logger.info("zalo bot polling started");
    },
    async stop() {
      polling = false;
      await Promise.race([pollLoop, new Promise((ok) => setTimeout(ok, 1000))]);
    },
  };
}

/** Zalo Bot error codes (its own table): 429 quota, 401 token, 400/404 request errors. */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof ZaloBotApiError) {
    if (err.code === 429) return new DeliveryError("retry", `quota exceeded: ${err.description}`, 5_000);
    if (err.code === 400 || err.code === 401 || err.code === 404) return new DeliveryError("failed", `${err.code} ${err.description}`);
    return new DeliveryError("retry", `${err.code} ${err.description}`);
  }
  return new DeliveryError("retry", err instanceof Error ? err.message : String(err));
}

export type ZaloBotChannel = ReturnType<typeof createZaloBotChannel>;
