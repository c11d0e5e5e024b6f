import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedCall {
  method: string;
  payload: Record<string, unknown>;
  /** false when the fake answered with an injected error (or did not answer). */
  ok: boolean;
  /** The HTTP status answered; 0 for a request left hanging. */
  status: number;
  /** Date.now() when the request arrived. */
  at: number;
  /** The request path ("/bot<token>/sendMessage", or under the prefix of TELEGRAM_API_ROOT). */
  path: string;
}

/** What a fault hook makes the fake do with one call: an error answer, or no answer at all. */
export type Fault = { status: number; description: string; parameters?: Record<string, unknown> } | "hang";

export const TEST_TOKEN = "123456:TEST-token";

export const BOT_INFO = {
  id: 123456,
  is_bot: true,
  first_name: "baocao",
  username: "baocao_test_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
};

/**
 * A Bot API server on loopback that records every call and answers like Telegram. A test can
 * queue failures (429 with retry_after, 403 blocked, 5xx) for the next calls of a method, or set
 * a fault hook that decides, call by call, to answer an error or not to answer at all.
 */
export async function startFakeTelegram() {
  const calls: RecordedCall[] = [];
  const failures: { method: string; status: number; body: Record<string, unknown> }[] = [];
  let fault: ((call: { method: string; payload: Record<string, unknown>; path: string }) => Fault | undefined) | undefined;
  let messageId = 1000;
  const pendingUpdates: unknown[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const path = req.url ?? "";
      const method = path.split("/").pop() ?? "";
      const payload = body ? (JSON.parse(body) as Record<string, unknown>) : {};
      const injected = fault?.({ method, payload, path });
      if (injected === "hang") {
        // Like a dropped connection: no answer, ever (the socket is only closed by close()).
        calls.push({ method, payload, ok: false, status: 0, at: Date.now(), path });
        return;
      }
      if (injected) {
        calls.push({ method, payload, ok: false, status: injected.status, at: Date.now(), path });
        res.writeHead(injected.status, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            ok: false,
            error_code: injected.status,
            description: injected.description,
            ...(injected.parameters ? { parameters: injected.parameters } : {}),
          }),
        );
        return;
      }
      const failIdx = failures.findIndex((f) => f.method === method);
      calls.push({ method, payload, ok: failIdx < 0, status: failIdx < 0 ? 200 : failures[failIdx]!.status, at: Date.now(), path });
      if (failIdx >= 0) {
        const [f] = failures.splice(failIdx, 1);
        res.writeHead(f!.status, { "content-type": "application/json" });
        res.end(JSON.stringify(f!.body));
        return;
      }
      let result: unknown = true;
      if (method === "getMe") result = BOT_INFO;
      if (method === "getUpdates") {
        // Long polling: hand out what is queued, or answer empty after a short wait.
        const batch = pendingUpdates.splice(0);
        setTimeout(
          () => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ ok: true, result: batch }));
          },
          batch.length > 0 ? 0 : 100,
        );
        return;
      }
      if (method === "sendMessage") {
        result = { message_id: ++messageId, date: Math.floor(Date.now() / 1000), chat: { id: Number(payload.chat_id), type: "private" }, text: payload.text };
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, result }));
    });
  });
  // Longer than any pause in the tests, so a kept-alive socket is never closed under a request.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,
    sent(chatId?: number | string) {
      return calls.filter((c) => c.ok && c.method === "sendMessage" && (chatId === undefined || String(c.payload.chat_id) === String(chatId)));
    },
    texts(chatId?: number | string) {
      return this.sent(chatId).map((c) => String(c.payload.text));
    },
    queueUpdate(update: unknown) {
      pendingUpdates.push(update);
    },
    failNext(method: string, status: number, description: string, parameters?: Record<string, unknown>) {
      failures.push({ method, status, body: { ok: false, error_code: status, description, ...(parameters ? { parameters } : {}) } });
    },
    /** Decides each call's fate until replaced; undefined = answer normally. */
    setFault(hook: typeof fault) {
      fault = hook;
    },
    reset() {
      calls.length = 0;
      failures.length = 0;
      fault = undefined;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        // Requests left hanging by a fault would otherwise keep the server open.
        server.closeAllConnections();
      }),
  };
}

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>;

let updateId = 5000;
export const nextUpdateId = () => ++updateId;

export function textUpdate(userId: number, text: string, updateIdOverride?: number) {
  const entities = text.startsWith("/") ? [{ type: "bot_command", offset: 0, length: text.split(" ")[0]!.length }] : undefined;
  return {
    update_id: updateIdOverride ?? nextUpdateId(),
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: "private", first_name: "Cán bộ" },
      from: { id: userId, is_bot: false, first_name: "Cán bộ" },
      text,
      ...(entities ? { entities } : {}),
    },
  };
}

export function contactUpdate(userId: number, phone: string, contactUserId = userId) {
  return {
    update_id: nextUpdateId(),
    message: {
      message_id: updateId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: "private", first_name: "Cán bộ" },
      from: { id: userId, is_bot: false, first_name: "Cán bộ" },
      contact: { phone_number: phone, first_name: "Cán bộ", user_id: contactUserId },
    },
  };
}

export function callbackUpdate(userId: number, data: string) {
  return {
    update_id: nextUpdateId(),
    callback_query: {
      id: `cb${updateId}`,
      chat_instance: "x",
      from: { id: userId, is_bot: false, first_name: "Cán bộ" },
      message: { message_id: 1, date: 0, chat: { id: userId, type: "private", first_name: "Cán bộ" }, text: "?" },
      data,
    },
  };
}

/**
 * The update Telegram sends when the officer edits an earlier text message (`messageId`): a new
 * update_id, the same message_id, the new text and an edit_date.
 */
export function editedTextUpdate(userId: number, messageId: number, text: string) {
  const now = Math.floor(Date.now() / 1000);
  return {
    update_id: nextUpdateId(),
    edited_message: {
      message_id: messageId,
      date: now - 30,
      edit_date: now,
      chat: { id: userId, type: "private", first_name: "Cán bộ" },
      from: { id: userId, is_bot: false, first_name: "Cán bộ" },
      text,
    },
  };
}

/** A reply without the web form's link, which is written under the text where PUBLIC_URL is not https (as in tests); the outbox row holds it apart. */
export const withoutWebLink = (text: string) => text.replace(/\n\n📝 Điền trên web: \S+$/u, "");
