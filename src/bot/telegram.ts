import { Bot, GrammyError, HttpError, InlineKeyboard, Keyboard, webhookCallback, type Context } from "grammy";
import { autoRetry } from "@grammyjs/auto-retry";
import type { UserFromGetMe } from "grammy/types";
import type { Handler } from "hono";
import type { InboundMessage, OutboundMessage } from "../domain/messages.js";
import { splitMessage } from "../domain/text.js";
import { DeliveryError, type ChannelSender } from "../delivery/outbox.js";
import type { InboundPort } from "./inbound.js";
import type { Logger } from "../log.js";
import { describeFailure } from "../db/errors.js";

export const TELEGRAM_MAX_TEXT = 4096;
/**
 * A Bot API that does not answer a send within this is treated as down (retried later). grammY's
 * own default is 500 s, and a hung send holds its place in the delivery window all that time. Per
 * call, because long polling's getUpdates legitimately waits 30 s.
 */
const SEND_TIMEOUT_MS = 10_000;
// grammY types its signal as the abort-controller polyfill's; Node's own works (node-fetch takes either).
const sendTimeout = () => AbortSignal.timeout(SEND_TIMEOUT_MS) as unknown as Parameters<Bot["api"]["sendMessage"]>[3];

export interface TelegramDeps {
  token: string;
  apiRoot?: string;
  webhookSecret?: string;
  /** Where received messages go (only `handle`: main.ts connects the channel before the handler exists). */
  inbound: InboundPort;
  logger: Logger;
  /** Skips getMe at start (tests, or a known bot). */
  botInfo?: UserFromGetMe;
  /**
   * How long grammY lets one update take before answering 500 (Telegram redelivers it; the
   * inbound dedupe applies it once). 9 s in production, answered at commit.
   */
  webhookTimeoutMs?: number | undefined;
}

/** Telegram → InboundMessage. Returns undefined for updates baocao does not act on. */
export function toInboundMessage(ctx: Context): InboundMessage | undefined {
  const from = ctx.from;
  const chat = ctx.chat;
  if (!from || !chat || chat.type !== "private") return undefined;
  const base = {
    channel: "telegram" as const,
    externalUserId: String(from.id),
    chatId: String(chat.id),
    dedupeKey: String(ctx.update.update_id),
  };
  if (ctx.callbackQuery?.data !== undefined) return { ...base, choice: ctx.callbackQuery.data };
  // An edit arrives as a new update: answered (once, by its update id), its content never read.
  if (ctx.editedMessage) return { ...base, edited: true };
  const m = ctx.message;
  if (!m) return undefined;
  if (m.contact) {
    return { ...base, contact: { phone: m.contact.phone_number, ...(m.contact.user_id ? { userId: String(m.contact.user_id) } : {}) } };
  }
  if (m.text !== undefined) {
    const start = /^\/start(?:@\w+)?(?:\s+(\S+))?\s*$/.exec(m.text);
    if (start) return { ...base, text: "/start", startPayload: start[1] ?? "" };
    return { ...base, text: m.text };
  }
  const kind = m.photo ? "photo" : m.document ? "document" : m.sticker ? "sticker" : m.location ? "location" : m.voice ? "voice" : "other";
  // The file stays on Telegram; only its id is kept, and read back through access-checked routes.
  const fileId = m.photo?.at(-1)?.file_id ?? m.document?.file_id;
  return { ...base, attachment: { kind, ...(fileId ? { fileId } : {}) }, ...(m.caption ? { text: m.caption } : {}) };
}

/** Renders choices as inline buttons (callback_data ≤ 64 bytes: values are short ASCII ids). */
export function renderTelegram(message: OutboundMessage): { text: string; reply_markup?: unknown }[] {
  // Telegram opens only https pages as Web Apps (and refuses a button to a local address): in
  // development the address goes under the text instead.
  const webApp = message.link?.url.startsWith("https://") ? message.link : undefined;
  const text = message.link && !webApp ? `${message.text}\n\n${message.link.label}: ${message.link.url}` : message.text;
  const parts = splitMessage(text, TELEGRAM_MAX_TEXT);
  let markup: unknown;
  if ((message.choices && message.choices.length > 0) || webApp) {
    const kb = new InlineKeyboard();
    const choices = message.choices ?? [];
    const short = choices.every((c) => c.label.length <= 14);
    choices.forEach((c, i) => {
      kb.text(c.label, c.value.slice(0, 64));
      if (!short || i % 2 === 1) kb.row();
    });
    if (webApp) kb.row().webApp(webApp.label, webApp.url);
    markup = kb;
  } else if (message.requestContact) {
    markup = new Keyboard().requestContact("📱 Chia sẻ số điện thoại").oneTime().resized();
  } else if (message.removeKeyboard) {
    markup = { remove_keyboard: true };
  }
  return parts.map((text, i) => (i === parts.length - 1 && markup ? { text, reply_markup: markup } : { text }));
}

export function createTelegramChannel(deps: TelegramDeps) {
  const bot = new Bot(deps.token, {
    ...(deps.botInfo ? { botInfo: deps.botInfo } : {}),
    client: { ...(deps.apiRoot ? { apiRoot: deps.apiRoot } : {}) },
  });
  // One quick retry of a 5xx; a 429 goes back to the outbox, whose rate limiter must see it
  // (retrying here would bypass the limiter), and so do network errors.
  bot.api.config.use(autoRetry({ maxRetryAttempts: 1, maxDelaySeconds: 0, rethrowHttpErrors: true }));

  bot.on("callback_query", async (ctx, next) => {
    // Telegram shows a spinner until the press is answered, whatever happens next. Not awaited:
    // the webhook answers at commit, not after a Bot API call (slow or hanging under load).
    void ctx.api
      .answerCallbackQuery(ctx.callbackQuery.id, {}, sendTimeout())
      .catch((err) => deps.logger.warn({ err: describeFailure(err) }, "answerCallbackQuery failed"));
    await next();
  });
  bot.use(async (ctx) => {
    const msg = toInboundMessage(ctx);
    if (!msg) return;
    await deps.inbound.handle(msg);
  });

  const sender: ChannelSender = {
    async send(chatId, message) {
      let lastId: string | undefined;
      for (const part of renderTelegram(message)) {
        try {
          const sent = await bot.api.sendMessage(
            chatId,
            part.text,
            {
              ...(part.reply_markup ? { reply_markup: part.reply_markup as never } : {}),
              // A preview fetch would open (and spend) a single-use link such as a sign-in link.
              ...(message.disablePreview ? { link_preview_options: { is_disabled: true } } : {}),
            },
            sendTimeout(),
          );
          lastId = String(sent.message_id);
        } catch (err) {
          throw toDeliveryError(err);
        }
      }
      return lastId ? { platformMessageId: lastId } : {};
    },
  };

  let polling = false;
  return {
    bot,
    sender,
    async init() {
      await bot.init();
      return bot.botInfo;
    },
    username: () => (bot.isInited() ? bot.botInfo.username : undefined),
    webhook(): Handler {
      return webhookCallback(bot, "hono", { secretToken: deps.webhookSecret, timeoutMilliseconds: deps.webhookTimeoutMs ?? 9_000 }) as unknown as Handler;
    },
    startPolling() {
      polling = true;
      bot.catch((err) => deps.logger.error({ err: describeFailure(err.error) }, "telegram update failed (polling)"));
      void bot.start({ onStart: (me) => deps.logger.info({ bot: me.username }, "telegram long polling started") });
    },
    async stop() {
      if (polling) await bot.stop();
    },
  };
}

export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof GrammyError) {
    if (err.error_code === 429) return new DeliveryError("retry", err.description, (err.parameters.retry_after ?? 1) * 1000);
    if (err.error_code === 403 || (err.error_code === 400 && /chat not found|user not found/i.test(err.description))) {
      return new DeliveryError("unreachable", err.description);
    }
    if (err.error_code >= 500) return new DeliveryError("retry", err.description);
    return new DeliveryError("failed", err.description);
  }
  if (err instanceof HttpError) return new DeliveryError("retry", err.message);
  return new DeliveryError("retry", err instanceof Error ? err.message : String(err));
}

export type TelegramChannel = ReturnType<typeof createTelegramChannel>;
