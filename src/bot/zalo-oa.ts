import { createHash, timingSafeEqual } from "node:crypto";
import type { Handler } from "hono";
import type { InboundMessage, OutboundMessage } from "../domain/messages.js";
import { DeliveryError, type ChannelSender } from "../delivery/outbox.js";
import type { Logger } from "../log.js";
import type { InboundPort } from "./inbound.js";
import { cleanText, splitMessage } from "../domain/text.js";
import { commandWord, renderPlainText } from "./plain-text.js";
import { ZaloOaApiError, type ZaloOaButton, type ZaloOaClient } from "./zalo-oa-client.js";

export const ZALO_OA_MAX_TEXT = 2000;
/** Button limits are not documented; five short buttons are what Zalo's own samples use. */
const MAX_BUTTONS = 5;
const MAX_BUTTON_TITLE = 40;

/**
 * X-ZEvent-Signature: "mac=" + sha256(appId + rawBody + timestamp + OA secret key) — a plain hash,
 * not an HMAC. Sources disagree on whether the first term is the app id or the OA id: both are
 * accepted, and which one matched is returned for the log.
 */
export function verifyZaloOaSignature(
  rawBody: string,
  header: string | undefined,
  body: { app_id?: unknown; oa_id?: unknown; timestamp?: unknown },
  secretKey: string,
  configuredAppId?: string,
): "app_id" | "oa_id" | undefined {
  if (!header) return undefined;
  const given = Buffer.from(header.trim().replace(/^mac=/, ""), "utf8");
  const timestamp = String(body.timestamp ?? "");
  const candidates: ["app_id" | "oa_id", unknown][] = [
    ["app_id", body.app_id ?? configuredAppId],
    ["oa_id", body.oa_id],
  ];
  for (const [name, id] of candidates) {
    if (typeof id !== "string" || id === "") continue;
    const want = Buffer.from(createHash("sha256").update(`${id}${rawBody}${timestamp}${secretKey}`).digest("hex"), "utf8");
    if (want.length === given.length && timingSafeEqual(want, given)) return name;
  }
  return undefined;
}

interface OaEvent {
  event_name?: string;
  app_id?: string;
  timestamp?: string;
  sender?: { id?: string };
  follower?: { id?: string };
  message?: { text?: string; msg_id?: string; attachments?: { type?: string }[] };
  info?: { phone?: string; name?: unknown };
}

/**
 * Why a (correctly signed) body is not an OA event baocao can read: no event name, or an event it
 * acts on whose fields are missing or of the wrong type. Undefined when it is fine, including
 * events baocao does not act on (those are acknowledged and ignored).
 */
export function malformedZaloOaEvent(e: OaEvent): string | undefined {
  if (typeof e.event_name !== "string") return "event_name is not a string";
  const acted = e.event_name.startsWith("user_send_") || e.event_name === "follow" || e.event_name === "user_submit_info";
  if (!acted) return undefined;
  const isObject = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
  const user = e.event_name === "follow" ? e.follower : e.sender;
  if (!isObject(user) || typeof user!.id !== "string") return "no user id";
  if (e.message !== undefined && (!isObject(e.message) || (e.message.msg_id !== undefined && typeof e.message.msg_id !== "string")))
    return "message is not an object";
  if (e.event_name === "user_send_text" && typeof e.message?.text !== "string") return "text is not a string";
  if (e.event_name === "user_submit_info" && (!isObject(e.info) || typeof e.info!.phone !== "string")) return "info.phone is not a string";
  return undefined;
}

/** Whether a signed event's timestamp (epoch ms, or seconds) is within `maxAgeS` of now. */
export function eventFresh(timestamp: unknown, now: Date, maxAgeS: number): boolean {
  const ts = Number(timestamp);
  if (typeof timestamp !== "string" && typeof timestamp !== "number") return false;
  if (!Number.isFinite(ts)) return false;
  return Math.abs(now.getTime() - (ts < 1e12 ? ts * 1000 : ts)) <= maxAgeS * 1000;
}

/** OA webhook event → InboundMessage (undefined for events baocao does not act on). */
export function parseZaloOaEvent(e: OaEvent): InboundMessage | undefined {
  const user = e.sender?.id ?? e.follower?.id;
  if (typeof e.event_name !== "string" || typeof user !== "string") return undefined;
  const base = {
    channel: "zalo_oa" as const,
    externalUserId: user,
    chatId: user,
    dedupeKey: e.message?.msg_id ? `${e.event_name}:${e.message.msg_id}` : `${e.event_name}:${user}:${e.timestamp ?? ""}`,
  };
  switch (e.event_name) {
    case "user_send_text":
      return typeof e.message?.text === "string" ? { ...base, text: e.message.text } : undefined;
    case "follow":
      return { ...base, text: "/start", startPayload: "" };
    case "user_submit_info": {
      // Zalo's form is prefilled but editable: the number may be anyone's, so it only asks for a
      // link that a supervisor or the officer's invite code confirms (pendingLinkReply).
      if (!e.info?.phone) return undefined;
      const name = typeof e.info.name === "string" ? cleanText(e.info.name).slice(0, 100) : "";
      return { ...base, contact: { phone: e.info.phone, userId: user, unconfirmed: true, ...(name ? { name } : {}) } };
    }
    case "user_send_image":
      return { ...base, attachment: { kind: "photo" } };
    case "user_send_file":
      return { ...base, attachment: { kind: "document" } };
    case "user_send_location":
      return { ...base, attachment: { kind: "location" } };
    case "user_send_sticker":
    case "user_send_gif":
      return { ...base, attachment: { kind: "sticker" } };
    default:
      return e.event_name.startsWith("user_send_") ? { ...base, attachment: { kind: "other" } } : undefined;
  }
}

/**
 * Buttons for a message: answers send their number, commands send their word (an oa.query tap
 * makes the user send the payload as text), so the engine reads them like typed replies.
 */
export function oaButtons(message: OutboundMessage): ZaloOaButton[] | undefined {
  const choices = message.choices ?? [];
  if (choices.length === 0 || choices.length > MAX_BUTTONS || choices.some((c) => c.label.length > MAX_BUTTON_TITLE)) return undefined;
  let n = 0;
  return choices.map((c) => ({ title: c.label, type: "oa.query.show" as const, payload: commandWord(c.value) ?? String(++n) }));
}

export interface ZaloOaDeps {
  client: ZaloOaClient;
  secretKey?: string;
  appId?: string;
  maxEventAgeS: number;
  /** Public https image of the request-info form; unset = no form, the text asks for the invite code. */
  infoImageUrl?: string;
  clock: () => Date;
  /** Where received messages go (only `handle`: main.ts connects the channel before the handler exists). */
  inbound: InboundPort;
  logger: Logger;
}

/**
 * Codes with which an OA refuses a template (buttons, the request-info form) for what it is, not
 * for what it says: -224 "OA needs to upgrade tier", -221 "OA must be verified", -223 "OA has not
 * authorized this API" (Zalo's error table, docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi).
 */
export const TEMPLATE_REFUSED = new Set([-224, -221, -223]);

/** An OA upgraded meanwhile gets its buttons back after this long. */
const TEXT_ONLY_RECHECK_MS = 24 * 3_600_000;

const NO_FORM_NOTE = "Nếu không thấy biểu mẫu chia sẻ số điện thoại, anh/chị vui lòng gửi mã mời (10 ký tự) đã nhận.";

/** Zalo OA text parts of at most `max` UTF-16 units (the channels' one splitter). */
export const splitOaText = (text: string, max = ZALO_OA_MAX_TEXT): string[] => splitMessage(text, max);

export function createZaloOaChannel(deps: ZaloOaDeps) {
  const { client } = deps;
  /** Until when this OA is known to refuse templates (its tier): choices go as numbered text. */
  let textOnlyUntil = 0;
  const templatesAllowed = () => deps.clock().getTime() >= textOnlyUntil;
  const refusesTemplates = (err: unknown) => err instanceof ZaloOaApiError && TEMPLATE_REFUSED.has(err.code);
  function rememberTextOnly(err: ZaloOaApiError) {
    textOnlyUntil = deps.clock().getTime() + TEXT_ONLY_RECHECK_MS;
    deps.logger.warn(
      { code: err.code, description: err.description },
      "zalo OA refuses buttons and forms (its package or verification): choices are sent as numbered lists for 24 h; upgrade the OA (oa.zalo.me → Quản lý → Gói dịch vụ) to get buttons back",
    );
  }

  const plain = (message: OutboundMessage) => splitOaText(renderPlainText(message, Number.MAX_SAFE_INTEGER).join("\n"));

  async function sendParts(chatId: string, parts: string[]): Promise<string | undefined> {
    let last: string | undefined;
    for (const text of parts) last = (await client.sendText(chatId, text)).message_id;
    return last;
  }

  /**
   * The request-info form, then the text that explains it. The form is an extra: whatever becomes
   * of it (no image configured, a tier that refuses templates, another error), the text is sent,
   * and says to use the invite code when the form did not go.
   */
  async function sendContactRequest(chatId: string, message: OutboundMessage): Promise<string | undefined> {
    let formSent = false;
    if (deps.infoImageUrl && templatesAllowed()) {
      try {
        await client.requestUserInfo(chatId, {
          title: "baocao — xác nhận cán bộ",
          subtitle: "Anh/chị vui lòng chia sẻ số điện thoại đã đăng ký",
          imageUrl: deps.infoImageUrl,
        });
        formSent = true;
      } catch (err) {
        const e = toDeliveryError(err);
        // Outside the window or blocked: the text would fail the same way.
        if (e.kind === "outside_window" || e.kind === "unreachable") throw err;
        if (refusesTemplates(err)) rememberTextOnly(err as ZaloOaApiError);
        else deps.logger.warn({ err: e.message }, "zalo OA request_user_info form not sent; the text goes alone");
      }
    }
    return sendParts(chatId, splitOaText(formSent ? message.text : `${message.text}\n${NO_FORM_NOTE}`));
  }

  const sender: ChannelSender = {
    async send(chatId, message) {
      try {
        if (message.requestContact) {
          const id = await sendContactRequest(chatId, message);
          return id ? { platformMessageId: id } : {};
        }
        const buttons = templatesAllowed() ? oaButtons(message) : undefined;
        if (!buttons) {
          const id = await sendParts(chatId, plain(message));
          return id ? { platformMessageId: id } : {};
        }
        const parts = splitOaText(message.link ? `${message.text}\n\n${message.link.label}: ${message.link.url}` : message.text);
        await sendParts(chatId, parts.slice(0, -1));
        const lastText = parts.at(-1)!;
        try {
          return { platformMessageId: (await client.sendText(chatId, lastText, buttons)).message_id };
        } catch (err) {
          if (!refusesTemplates(err)) throw err;
          rememberTextOnly(err as ZaloOaApiError);
          // The same message as Zalo Bot shows it: a numbered list answered by number or label.
          // lastText already carries the link.
          const { link: _shown, ...rest } = message;
          const id = await sendParts(chatId, plain({ ...rest, text: lastText }));
          return id ? { platformMessageId: id } : {};
        }
      } catch (err) {
        throw toDeliveryError(err);
      }
    },
  };

  const webhook: Handler = async (c) => {
    const raw = await c.req.text();
    let body: OaEvent;
    try {
      body = JSON.parse(raw) as OaEvent;
    } catch {
      return c.json({ error: "Nội dung JSON không hợp lệ" }, 400);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return c.json({ error: "Sự kiện không hợp lệ" }, 400);
    // Saving the webhook URL in Zalo's console probes it with an unsigned empty POST: it must
    // answer 200 or the URL is not saved. An empty object carries nothing to act on, signed or
    // not, so answering it changes nothing.
    if (Object.keys(body).length === 0) {
      deps.logger.info("zalo OA webhook probe (empty body) answered");
      return c.json({ ok: true });
    }
    const matched = deps.secretKey ? verifyZaloOaSignature(raw, c.req.header("X-ZEvent-Signature"), body as never, deps.secretKey, deps.appId) : undefined;
    if (!matched) return c.json({ error: "unauthorized" }, 401);
    // A correctly signed event older than the window is refused as a replay. The window must be
    // longer than Zalo's retries (30 s, 5, 15, 30 min, 1 h: about 1 h 51 min after the first
    // attempt): a redelivery within them is accepted, and applied once by its dedupe key.
    if (!eventFresh(body.timestamp, deps.clock(), deps.maxEventAgeS)) {
      return c.json({ error: "sự kiện quá cũ" }, 401);
    }
    if (matched === "oa_id") deps.logger.info("zalo OA signature matched with oa_id as the first term");
    // Signed but unreadable (wrong types, missing fields): refused, logged once (the request line).
    const malformed = malformedZaloOaEvent(body);
    if (malformed) return c.json({ error: `Sự kiện không hợp lệ (${malformed})` }, 400);
    const message = parseZaloOaEvent(body);
    if (!message) {
      deps.logger.info({ event: body.event_name }, "zalo OA event not acted on");
      return c.json({ ok: true });
    }
    await deps.inbound.handle(message);
    return c.json({ ok: true });
  };

  return { sender, webhook };
}

/**
 * OA error codes: -230/-232 no interaction in the last 7 days (and -213 not a follower) mean
 * "outside the window": recorded as such, never retried; the outbox tries another channel.
 */
export function toDeliveryError(err: unknown): DeliveryError {
  if (err instanceof ZaloOaApiError) {
    if ([-230, -232, -213].includes(err.code)) return new DeliveryError("outside_window", `${err.code} ${err.description}`);
    if ([-217, -227, -244].includes(err.code)) return new DeliveryError("unreachable", `${err.code} ${err.description}`);
    if (err.code === -32) return new DeliveryError("retry", `${err.code} rate limited`, 60_000);
    if (err.code === -234) return new DeliveryError("retry", `${err.code} night window`, 3_600_000);
    // Out of quota: the OA's quota, not the message; it comes back (a quota, not a refusal:
    // Zalo's error table, docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi). Retried in an hour, the channel paused meanwhile.
    if (err.code === -211) return new DeliveryError("retry", `${err.code} out of quota`, 3_600_000);
    // HTTP failures come back as the negated status: -429, -5xx are worth retrying.
    if (err.code <= -429 || err.code === -216 || err.code === -220) return new DeliveryError("retry", `${err.code} ${err.description}`);
    return new DeliveryError("failed", `${err.code} ${err.description}`);
  }
  return new DeliveryError("retry", err instanceof Error ? err.message : String(err));
}

export type ZaloOaChannel = ReturnType<typeof createZaloOaChannel>;
