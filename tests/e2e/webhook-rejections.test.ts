import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createService, type Service } from "../../src/main.js";
import { createLogger } from "../../src/log.js";
import { inboundEvents, outbox } from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { BOT_INFO, TEST_TOKEN, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { startFakeZaloBot, startFakeZaloOa, ZALO_BOT_TOKEN } from "../support/fake-zalo.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";

/**
 * Bodies that are not platform updates — broken JSON, wrong types, missing fields, more than
 * 1 MB — on each of the three webhooks: a 4xx with a JSON reason, exactly one log line (the
 * request's, no stack), and nothing processed: no inbound event recorded, no reply queued or sent.
 */

const NOW = new Date("2026-11-07T03:00:00Z"); // 10:00 in Vietnam: replies are not held for the night
const TG_SECRET = "tg-webhook-secret";
const ZB_SECRET = "zalo-bot-secret-123";
const OA = { appId: "360846524940903967", secretKey: "oa-secret-key", appSecret: "app-secret", accessToken: "at-0", refreshToken: "rt-0" };
const TG_CHAT = 9701;
const ZB_USER = "ae800e9657c5be9be7d4";
const OA_USER = "8840913581375632040";

const MB = 1024 * 1024;
const huge = (wrap: (pad: string) => unknown) => JSON.stringify(wrap("x".repeat(MB + 10)));

/** A Telegram message with fields replaced or added (all the rest well-formed). */
const tgMessage = (update_id: number, fields: Record<string, unknown>) => ({
  update_id,
  message: {
    message_id: update_id,
    date: 1_790_000_000,
    chat: { id: TG_CHAT, type: "private" },
    from: { id: TG_CHAT, is_bot: false, first_name: "Mai" },
    text: "báo cáo",
    ...fields,
  },
});
const zbEvent = (fields: Record<string, unknown>, message: Record<string, unknown> = {}) => ({
  event_name: "message.text.received",
  message: {
    message_id: "m1",
    date: NOW.getTime(),
    chat: { id: ZB_USER, chat_type: "PRIVATE" },
    from: { id: ZB_USER, display_name: "Mai", is_bot: false },
    text: "báo cáo",
    ...message,
  },
  ...fields,
});
const oaEvent = (fields: Record<string, unknown>) => ({
  app_id: OA.appId,
  timestamp: String(NOW.getTime()),
  event_name: "user_send_text",
  sender: { id: OA_USER },
  recipient: { id: "1" },
  message: { text: "báo cáo", msg_id: "oa1" },
  ...fields,
});

interface Case {
  what: string;
  body: string;
  status: 400 | 413;
}
const json = (x: unknown) => JSON.stringify(x);

/** What each webhook must refuse. Zalo OA bodies are signed (unsigned ones are 401s, tested in zalo.test.ts). */
const CASES: Record<"/webhooks/telegram" | "/webhooks/zalo" | "/webhooks/zalo-oa", Case[]> = {
  "/webhooks/telegram": [
    { what: "malformed JSON", body: '{"update_id": 1,', status: 400 },
    { what: "an empty body", body: "", status: 400 },
    { what: "JSON that is not an object", body: "[1,2]", status: 400 },
    { what: "null", body: "null", status: 400 },
    { what: "no update_id", body: json({ message: tgMessage(1, {}).message }), status: 400 },
    { what: "update_id as a string", body: json({ ...tgMessage(2, {}), update_id: "2" }), status: 400 },
    { what: "update_id as a fraction", body: json({ ...tgMessage(3, {}), update_id: 3.5 }), status: 400 },
    { what: "message as an array", body: json({ update_id: 4, message: [] }), status: 400 },
    { what: "message as a string", body: json({ update_id: 5, message: "báo cáo" }), status: 400 },
    { what: "a message without its chat", body: json({ update_id: 6, message: { message_id: 6, from: { id: TG_CHAT }, text: "báo cáo" } }), status: 400 },
    { what: "the chat id as a string", body: json(tgMessage(7, { chat: { id: String(TG_CHAT), type: "private" } })), status: 400 },
    { what: "the sender id as a string", body: json(tgMessage(8, { from: { id: String(TG_CHAT), is_bot: false, first_name: "Mai" } })), status: 400 },
    { what: "the text as a number", body: json(tgMessage(9, { text: 12 })), status: 400 },
    { what: "the text as an array", body: json(tgMessage(10, { text: ["báo cáo"] })), status: 400 },
    { what: "a contact without its number", body: json(tgMessage(11, { text: undefined, contact: { first_name: "Mai", user_id: TG_CHAT } })), status: 400 },
    { what: "callback_query as an array", body: json({ update_id: 12, callback_query: [] }), status: 400 },
    {
      what: "a button press whose data is a number",
      body: json({
        update_id: 13,
        callback_query: { id: "c", from: { id: TG_CHAT }, data: 7, message: { message_id: 1, chat: { id: TG_CHAT, type: "private" } } },
      }),
      status: 400,
    },
    { what: "more than 1 MB", body: huge((pad) => ({ ...tgMessage(14, {}), pad })), status: 413 },
  ],
  "/webhooks/zalo": [
    { what: "malformed JSON", body: "{event_name:", status: 400 },
    { what: "an empty body", body: "", status: 400 },
    { what: "null", body: "null", status: 400 },
    { what: "JSON that is not an object", body: "[]", status: 400 },
    { what: "an empty object", body: "{}", status: 400 },
    { what: "event_name as a number", body: json(zbEvent({ event_name: 5 })), status: 400 },
    { what: "message as an array", body: json(zbEvent({ message: [] })), status: 400 },
    { what: "message_id as a number", body: json(zbEvent({}, { message_id: 1 })), status: 400 },
    { what: "no sender", body: json(zbEvent({}, { from: undefined, chat: undefined })), status: 400 },
    { what: "the text as a number", body: json(zbEvent({}, { text: 12 })), status: 400 },
    { what: "a wrapped result that is an array", body: json({ ok: true, result: [] }), status: 400 },
    { what: "more than 1 MB", body: huge((pad) => zbEvent({ pad })), status: 413 },
  ],
  "/webhooks/zalo-oa": [
    { what: "malformed JSON", body: '{"event_name": "user_send_text"', status: 400 },
    { what: "an empty body", body: "", status: 400 },
    { what: "null", body: "null", status: 400 },
    { what: "JSON that is not an object", body: "[]", status: 400 },
    { what: "no event_name", body: json(oaEvent({ event_name: undefined })), status: 400 },
    { what: "event_name as a number", body: json(oaEvent({ event_name: 7 })), status: 400 },
    { what: "no sender", body: json(oaEvent({ sender: undefined })), status: 400 },
    { what: "the sender id as a number", body: json(oaEvent({ sender: { id: 8840913581375632 } })), status: 400 },
    { what: "message as an array", body: json(oaEvent({ message: [] })), status: 400 },
    { what: "the text as a number", body: json(oaEvent({ message: { text: 12, msg_id: "oa2" } })), status: 400 },
    { what: "a shared phone that is not text", body: json(oaEvent({ event_name: "user_submit_info", info: { phone: 84912345678 } })), status: 400 },
    { what: "a follow without the follower", body: json(oaEvent({ event_name: "follow", sender: undefined, message: undefined })), status: 400 },
    { what: "more than 1 MB", body: huge((pad) => oaEvent({ pad })), status: 413 },
  ],
};

const signOa = (raw: string, body: { app_id?: unknown; timestamp?: unknown }) =>
  `mac=${createHash("sha256")
    .update(`${typeof body.app_id === "string" ? body.app_id : OA.appId}${raw}${String(body.timestamp ?? "")}${OA.secretKey}`)
    .digest("hex")}`;

describe.each(dbKinds)("webhook bodies that are not updates are refused with a 4xx, logged once, and never processed (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let zb: Awaited<ReturnType<typeof startFakeZaloBot>>;
  let oa: Awaited<ReturnType<typeof startFakeZaloOa>>;
  let service: Service;
  let url: string;
  /** Every log line the service writes, parsed. */
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    [tg, zb, oa] = await Promise.all([startFakeTelegram(), startFakeZaloBot(), startFakeZaloOa(OA)]);
  });
  afterAll(async () => {
    await Promise.all([tg.close(), zb.close(), oa.close()]);
  });
  beforeEach(async () => {
    tg.reset();
    zb.reset();
    oa.reset();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000701,commune,03388\n");
    // Linked on all three: a body that slipped through would get a reply, and the test would see it.
    await linkOfficer(t.database, "84912000701", "telegram", String(TG_CHAT));
    await linkOfficer(t.database, "84912000701", "zalo_bot", ZB_USER, false);
    await linkOfficer(t.database, "84912000701", "zalo_oa", OA_USER, false);
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      DEMO_SEED: "off",
      ...(t.url ? { DATABASE_URL: t.url } : {}),
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      ZALO_BOT_TOKEN,
      ZALO_BOT_WEBHOOK_SECRET: ZB_SECRET,
      ZALO_BOT_API_ROOT: zb.apiRoot,
      ZALO_OA_APP_ID: OA.appId,
      ZALO_OA_SECRET_KEY: OA.secretKey,
      ZALO_APP_SECRET: OA.appSecret,
      ZALO_OA_ACCESS_TOKEN: OA.accessToken,
      ZALO_OA_REFRESH_TOKEN: OA.refreshToken,
      ZALO_OA_API_ROOT: oa.apiRoot,
      ZALO_OAUTH_ROOT: oa.apiRoot,
    });
    // The service's own logger, at its production level, writing into `lines`.
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    service = createService(config, {
      ...(t.pglite ? { pglite: t.pglite } : {}),
      clock: () => NOW,
      logger,
      telegramBotInfo: BOT_INFO as never,
      workerIntervalMs: 0,
    });
    url = `http://127.0.0.1:${(await service.start()).port}`;
  });
  afterEach(() => service.stop());

  const headersFor = (path: string, body: string): Record<string, string> => {
    if (path === "/webhooks/telegram") return { "x-telegram-bot-api-secret-token": TG_SECRET };
    if (path === "/webhooks/zalo") return { "x-bot-api-secret-token": ZB_SECRET };
    let parsed: { app_id?: unknown; timestamp?: unknown } = {};
    try {
      parsed = (JSON.parse(body) as typeof parsed) ?? {};
    } catch {
      // Not JSON: signed with the fields it would have had.
    }
    return { "x-zevent-signature": signOa(body, parsed) };
  };
  /** Posts raw bytes; `chunked` sends them without a Content-Length, as a stream. */
  async function post(path: string, body: string, chunked = false) {
    lines.length = 0;
    const headers = { "content-type": "application/json", ...headersFor(path, body) };
    const res = chunked
      ? await fetch(`${url}${path}`, { method: "POST", headers, body: new Blob([body]).stream(), duplex: "half" } as RequestInit)
      : await fetch(`${url}${path}`, { method: "POST", headers, body });
    const text = await res.text();
    return { status: res.status, type: res.headers.get("content-type") ?? "", text, logs: [...lines] };
  }
  const processed = async () => ({
    events: (await t.database.db.select().from(inboundEvents)).length,
    queued: (await t.database.db.select().from(outbox)).length,
    sent: tg.sent().length + zb.sent.length + oa.sent.length,
  });

  it("a well-formed update on each webhook is processed and answered: two log lines, one inbound event (the control for what follows)", async () => {
    const good: [string, string][] = [
      ["/webhooks/telegram", json(textUpdate(TG_CHAT, "báo cáo"))],
      ["/webhooks/zalo", json(zbEvent({}))],
      ["/webhooks/zalo-oa", json(oaEvent({}))],
    ];
    for (const [i, [path, body]] of good.entries()) {
      const res = await post(path, body);
      expect(res.status, path).toBe(200);
      expect(
        res.logs.map((l) => l.msg),
        path,
      ).toEqual(["inbound update", "request"]);
      expect((await processed()).events, path).toBe(i + 1);
    }
    // The webhooks answer at commit; the replies follow from the outbox.
    await expect.poll(() => tg.texts(TG_CHAT).length, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => zb.texts(ZB_USER).length, { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => oa.texts(OA_USER).length, { timeout: 20_000 }).toBeGreaterThan(0);
  });

  for (const [path, cases] of Object.entries(CASES)) {
    it(`${path}: broken JSON, wrong types, missing fields and bodies over 1 MB (${cases.length} kinds) are each refused with a JSON reason and one log line, and nothing is processed`, async () => {
      for (const c of cases) {
        const res = await post(path, c.body);
        const label = `${path}, ${c.what}: ${res.status} ${res.text.slice(0, 120)}`;
        expect(res.status, label).toBe(c.status);
        expect(res.type, label).toMatch(/^application\/json/);
        expect(JSON.parse(res.text), label).toEqual({ error: expect.any(String) });
        // Logged once: the request line with its status, at info level, no error and no stack.
        expect(res.logs, label).toHaveLength(1);
        expect(res.logs[0], label).toMatchObject({ msg: "request", level: 30, route: path, status: c.status });
        expect(JSON.stringify(res.logs[0]), label).not.toMatch(/stack|"err"/);
      }
      // More than 1 MB without a Content-Length (streamed in chunks) is cut off the same way.
      const streamed = await post(path, cases.find((c) => c.status === 413)!.body, true);
      expect(streamed.status).toBe(413);
      expect(streamed.logs).toHaveLength(1);
      expect(await processed()).toEqual({ events: 0, queued: 0, sent: 0 });
    });
  }
});
