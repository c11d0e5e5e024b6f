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
      setTimeout(
        () => (next ? json(res, 200, { ok: true, result: next }) : json(res, 408, { ok: false, error_code: 408, description: "Request timeout" })),
        next ? 0 : 100,
      );
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
  const sent: { userId: string; text?: string; buttons?: { title: string; payload: string }[]; template?: string; imageUrl?: string }[] = [];
  const refused: { userId: string; error: number; template?: string }[] = [];
  const outsideWindow = new Set<string>();
  const oaFailures: number[] = [];
  let accessToken = initial.accessToken;
  let refreshToken = initial.refreshToken;
  let refreshes = 0;
  let refreshRefused = false;
  let tier: "advanced" | "basic" = "advanced";
  let sendDelayMs = 0;
  let n = 0;
  const { server, root } = await listen((req, body, res) => {
    if (req.url === "/v4/oa/access_token") {
      const form = new URLSearchParams(body);
      // A refresh token dies after 3 months unused, or when an admin revokes the app: Zalo then
      // answers without a pair (Zalo's OAuth v4 docs, developers.zalo.me/docs/official-account/bat-dau/xac-thuc-va-uy-quyen-cho-ung-dung-new).
      if (
        refreshRefused ||
        req.headers.secret_key !== initial.appSecret ||
        form.get("refresh_token") !== refreshToken ||
        form.get("grant_type") !== "refresh_token"
      ) {
        return json(res, 200, { error: -14014, error_name: "Invalid refresh token" });
      }
      refreshes++;
      accessToken = `at-${refreshes}`;
      refreshToken = `rt-${refreshes}`;
      return json(res, 200, { access_token: accessToken, refresh_token: refreshToken, expires_in: "90000" });
    }
    if (req.url === "/v3.0/oa/message/cs") {
      if (req.headers.access_token !== accessToken) return json(res, 200, { error: -216, message: "Access token is invalid" });
      const p = JSON.parse(body) as {
        recipient: { user_id: string };
        message: {
          text?: string;
          attachment?: { payload?: { buttons?: { title: string; payload: string }[]; template_type?: string; elements?: { image_url?: string }[] } };
        };
      };
      const userId = p.recipient.user_id;
      const payload = p.message.attachment?.payload;
      const answer = (status: number, b: unknown) => (sendDelayMs ? setTimeout(() => json(res, status, b), sendDelayMs) : json(res, status, b));
      if (outsideWindow.has(userId)) return answer(200, { error: -230, message: "User has not interacted with the OA in the past 7 days" });
      const refuse = (error: number, message: string) => {
        refused.push({ userId, error, template: payload?.template_type ?? (payload?.buttons ? "buttons" : undefined) });
        return answer(200, { error, message });
      };
      // A lower-tier OA (no paid package) refuses interactive messages — buttons and the
      // request-info form — with -224 "OA needs to upgrade tier" (official error table,
      // docs.zaloplatforms.com/docs/OA/phu-luc/ma-loi;
      // subiz.com docs "Xử lý lỗi trên Zalo OA": "Bạn cần mua gói trả phí Zalo").
      if (tier === "basic" && payload) return refuse(-224, "OA needs to upgrade tier");
      // The form needs a public image: "" is refused (-201 "<field> is invalid!", same table; every
      // published sample carries an https image_url, e.g. devesms/gitbook_esms_for_develop_v2).
      if (payload?.template_type === "request_user_info" && !/^https:\/\/\S+$/.test(payload.elements?.[0]?.image_url ?? ""))
        return refuse(-201, "image_url is invalid!");
      // "Giới hạn tối đa là 2.000 ký tự" (gui-tin-tu-van-dang-van-ban, platforms.md §1.1.4); a
      // half emoji is not text (JSON carries it as a lone surrogate).
      if (
        p.message.text !== undefined &&
        (p.message.text.length > 2000 || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(p.message.text))
      )
        return refuse(-201, "text is invalid!");
      const failure = oaFailures.shift();
      if (failure !== undefined) return answer(200, { error: failure, message: "Your application/OA reached limit call api" });
      sent.push({ userId, text: p.message.text, buttons: payload?.buttons, template: payload?.template_type, imageUrl: payload?.elements?.[0]?.image_url });
      return answer(200, { error: 0, message: "Success", data: { message_id: `oa${++n}`, user_id: userId } });
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
    refused,
    /** "basic": the OA has no paid package and refuses templates with -224. */
    setTier: (t: "advanced" | "basic") => {
      tier = t;
    },
    /** Every send answers this late (a slow Zalo, or one whose limit holds baocao back). */
    setSendDelay: (ms: number) => {
      sendDelayMs = ms;
    },
    /** From now on every refresh is refused (a dead refresh token). */
    refuseRefresh: (on = true) => {
      refreshRefused = on;
    },
    /** What Zalo's console does to a pair an admin issues anew (API Explorer): it becomes the current one. */
    issuePair: (at: string, rt: string) => {
      accessToken = at;
      refreshToken = rt;
      refreshRefused = false;
    },
    reset: () => {
      sent.length = 0;
      refused.length = 0;
      outsideWindow.clear();
      oaFailures.length = 0;
      tier = "advanced";
      sendDelayMs = 0;
      refreshRefused = false;
    },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

/**
 * What Zalo's developer console does when an admin saves the OA webhook URL: it probes the URL —
 * reported as a GET by some integrators and as an unsigned POST with `{}` by others (issue 19;
 * chatwoot answers any POST 200 before checking, app/controllers/webhooks/zalo_controller.rb) —
 * and saves it only when the answer is 200. Both are tried.
 */
export async function zaloConsoleSavesWebhook(url: string): Promise<{ get: number; post: number; saved: boolean }> {
  const get = (await fetch(url)).status;
  const post = (await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status;
  return { get, post, saved: get === 200 && post === 200 };
}

/**
 * Zalo's domain check: the console names a file zalo_verifier<code>.html, fetches it from the
 * domain's root and looks for the code in its zalo-platform-site-verification meta tag (the file
 * Zalo hands out, as committed in tuongduycuc/zalo-bot-206 public/zalo_verifier….html).
 */
export async function zaloConsoleVerifiesDomain(origin: string, code: string): Promise<boolean> {
  const res = await fetch(`${origin}/zalo_verifier${code}.html`);
  if (res.status !== 200) return false;
  const html = await res.text();
  return new RegExp(`<meta[^>]+(property|name)="zalo-platform-site-verification"[^>]+content="${code}"`).test(html);
}

/**
 * Zalo's redelivery of an unanswered OA event: it expects 200 within 2 s, else tries again after
 * 30 s, 5, 15, 30 min and 1 h (hoangnd25/monorepo wip/zalo-platform-integration.md, "Webhook Retry
 * Behavior"). Offsets from the first attempt, in ms.
 */
export const ZALO_OA_RETRY_OFFSETS_MS = [0, 30_000, 330_000, 1_230_000, 3_030_000, 6_630_000];
