import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const ZALO_BOT_TOKEN = "4242:zalo-test-token";

async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => handler(req, body, res));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, root: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

/** Zalo Bot Platform on loopback: documented envelopes {ok,result} / {ok:false,error_code}. */
export async function startFakeZaloBot() {
  const sent: { chatId: string; text: string }[] = [];
  const failures: { code: number; description: string }[] = [];
  const updates: unknown[] = [];
  let n = 0;
  const { server, root } = await listen((req, body, res) => {
    const [, bot, method] = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? "") ?? [];
    if (bot !== ZALO_BOT_TOKEN) return json(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    const payload = body ? (JSON.parse(body) as { chat_id?: string; text?: string }) : {};
    if (method === "sendMessage") {
      const f = failures.shift();
      if (f) return json(res, f.code, { ok: false, error_code: f.code, description: f.description });
      if (!payload.text || payload.text.length > 2000) return json(res, 400, { ok: false, error_code: 400, description: "text must be 1-2000 characters" });
      sent.push({ chatId: String(payload.chat_id), text: payload.text });
      return json(res, 200, { ok: true, result: { message_id: `m${++n}`, date: Date.now() } });
    }
    if (method === "getMe") return json(res, 200, { ok: true, result: { id: "1", account_name: "bot.test" } });
    if (method === "getUpdates") {
      // One update per call, or 408 when none came within the (here shortened) timeout.
      const next = updates.shift();
      setTimeout(() => (next ? json(res, 200, { ok: true, result: next }) : json(res, 408, { ok: false, error_code: 408, description: "Request timeout" })), next ? 0 : 100);
      return;
    }
    return json(res, 404, { ok: false, error_code: 404, description: "Not found" });
  });
  return {
    apiRoot: root,
    sent,
    texts: (chatId: string) => sent.filter((s) => s.chatId === chatId).map((s) => s.text),
    failNext: (code: number, description: string) => failures.push({ code, description }),
    queueUpdate: (u: unknown) => updates.push(u),
    reset: () => {
      sent.length = 0;
      failures.length = 0;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * Zalo OA Open API + OAuth on loopback. Errors come with HTTP 200 and a non-zero `error`, as the
 * real API does. The refresh token is single-use and rotates.
 */
export async function startFakeZaloOa(initial: { accessToken: string; refreshToken: string; appSecret: string }) {
  const sent: { userId: string; text?: string; buttons?: { title: string; payload: string }[]; template?: string }[] = [];
  const outsideWindow = new Set<string>();
  const oaFailures: number[] = [];
  let accessToken = initial.accessToken;
  let refreshToken = initial.refreshToken;
  let refreshes = 0;
  let n = 0;
  const { server, root } = await listen((req, body, res) => {
    if (req.url === "/v4/oa/access_token") {
      const form = new URLSearchParams(body);
      if (req.headers.secret_key !== initial.appSecret || form.get("refresh_token") !== refreshToken || form.get("grant_type") !== "refresh_token") {
        return json(res, 200, { error: -14014, error_name: "Invalid refresh token" });
      }
      refreshes++;
      accessToken = `at-${refreshes}`;
      refreshToken = `rt-${refreshes}`;
      return json(res, 200, { access_token: accessToken, refresh_token: refreshToken, expires_in: "90000" });
    }
    if (req.url === "/v3.0/oa/message/cs") {
      if (req.headers.access_token !== accessToken) return json(res, 200, { error: -216, message: "Access token is invalid" });
      const p = JSON.parse(body) as { recipient: { user_id: string }; message: { text?: string; attachment?: { payload?: { buttons?: { title: string; payload: string }[]; template_type?: string } } } };
      const userId = p.recipient.user_id;
      if (outsideWindow.has(userId)) return json(res, 200, { error: -230, message: "User has not interacted with the OA in the past 7 days" });
      const failure = oaFailures.shift();
      if (failure !== undefined) return json(res, 200, { error: failure, message: "Your application/OA reached limit call api" });
      sent.push({ userId, text: p.message.text, buttons: p.message.attachment?.payload?.buttons, template: p.message.attachment?.payload?.template_type });
      return json(res, 200, { error: 0, message: "Success", data: { message_id: `oa${++n}`, user_id: userId } });
    }
    return json(res, 404, { error: -404, message: "not found" });
  });
  return {
    apiRoot: root,
    sent,
    texts: (userId: string) => sent.filter((s) => s.userId === userId && s.text).map((s) => s.text!),
    outsideWindow,
    failNext: (code: number) => oaFailures.push(code),
    expireAccessToken: () => {
      accessToken = `rotated-elsewhere-${Date.now()}`;
    },
    tokens: () => ({ accessToken, refreshToken, refreshes }),
    /** Zalo accepts whatever the current pair is: after an expiry only a refresh recovers. */
    setAccessToken: (t: string) => {
      accessToken = t;
    },
    reset: () => {
      sent.length = 0;
      outsideWindow.clear();
      oaFailures.length = 0;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
