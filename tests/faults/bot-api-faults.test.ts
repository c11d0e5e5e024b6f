import { expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { TEST_TOKEN, withoutWebLink, type RecordedCall } from "../support/fake-telegram.js";
import { loadUnits, onlyWhatTheTestPlans, outboxSettled, rows, telegramOfficers, todayInVietnam, useServersOnPostgres } from "../support/fault-fixtures.js";
import { describePostgres } from "../support/db.js";
import { spawnServer, type ServerProcess } from "../support/server-process.js";
import { createWebhookClient, textMessage } from "../support/webhook-client.js";
import { reportScript } from "../support/report-script.js";

const RECIPIENTS = 400;
/** Every tenth recipient has blocked the bot: Telegram answers 403 to every message for them. */
const isBlocked = (i: number) => i % 10 === 0;
const SECRET = "bot-api-faults-secret";
const ADMIN_TOKEN = "bot-api-faults-admin-token";
const RETRY_AFTER_S = 1;
/**
 * How long each misbehaviour lasts, counted in the calls it answers rather than in seconds: on a
 * slow machine a window of seconds could pass with no call in it, and a fast hot loop would fill
 * a count at once — which the checks below then see as too many calls in too short a time.
 */
const PHASE_CALLS = { "429": 12, "5xx": 10, hang: 2 };
/** The longest any one phase may take to meet its count (each is met in a few seconds when all is well). */
const PHASE_CEILING_MS = 90_000;
/**
 * A reasonable timeout for a Bot API call is a few seconds to half a minute; after the hang
 * window the service has this long to notice, retry and finish.
 */
const SETTLE_MS = 60_000;

type Phase = "ok" | keyof typeof PHASE_CALLS;

describePostgres("the Bot API answering 429, then 5xx, then nothing, and 403 for blocked chats (real server process, PostgreSQL)", () => {
  const fx = useServersOnPostgres();
  const t = fx.t;

  it("a directive and officers' replies all arrive exactly once, blocked officers end unreachable, and the service waits out retry_after", async () => {
    await loadUnits(t.database);
    const recipients = await telegramOfficers(t.database, RECIPIENTS, { firstChat: 73_000, ownCommune: false, phonePrefix: "8491" });
    const talkers = await telegramOfficers(t.database, 3, { firstChat: 74_000, ownCommune: true, phonePrefix: "8492" });
    await onlyWhatTheTestPlans(t.database);
    const blocked = new Set(recipients.filter((_, i) => isBlocked(i)).map((r) => String(r.chatId)));

    let phase: Phase = "ok";
    const windows: Partial<Record<Phase, { from: number; to: number }>> = {};
    const met = { "429": 0, "5xx": 0, hang: 0 };
    fx.tg.setFault(({ method, payload }) => {
      if (method !== "sendMessage") return undefined;
      if (phase !== "ok") met[phase]++;
      if (phase === "429") return { status: 429, description: `Too Many Requests: retry after ${RETRY_AFTER_S}`, parameters: { retry_after: RETRY_AFTER_S } };
      if (phase === "5xx") return { status: 502, description: "Bad Gateway" };
      if (phase === "hang") return "hang";
      if (blocked.has(String(payload.chat_id))) return { status: 403, description: "Forbidden: bot was blocked by the user" };
      return undefined;
    });

    let server: ServerProcess | undefined = await spawnServer({
      DATABASE_URL: t.url!,
      ADMIN_API_TOKEN: ADMIN_TOKEN,
      TELEGRAM_BOT_TOKEN: TEST_TOKEN,
      TELEGRAM_API_ROOT: fx.tg.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      // Slow enough that the directive is still going out through every window below.
      TELEGRAM_RATE_PER_SEC: "50",
      QUIET_HOURS_START: "00:00",
      QUIET_HOURS_END: "00:00",
    });
    const client = createWebhookClient({ url: () => server?.url, secret: SECRET, timeoutMs: 15_000, retryDelayMs: 200 });
    try {
      const res = await fetch(`${server.url}/api/broadcasts`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ text: "Chỉ đạo: rà soát điểm nguy cơ đuối nước", audience: { scheme: "post2025", rootCode: "12" }, requireAck: false }),
      });
      expect(res.status).toBe(201);
      const { id: broadcastId } = (await res.json()) as { id: number };
      const isDirective = (c: RecordedCall) => String(c.payload.text).startsWith("📢");
      await expect.poll(() => fx.tg.sent().filter(isDirective).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(50);

      // Three officers go on with their reports while the platform misbehaves: four answers each
      // at the start of every phase, so that replies are written in each of them.
      const { texts } = reportScript(todayInVietnam());
      let updateId = 3_000_000;
      const typeNext = (k: number) =>
        Promise.all(
          talkers.map(async (o) => {
            for (const text of texts.slice(4 * k, 4 * k + 4)) await client.deliver(textMessage(++updateId, o.chatId, text));
          }),
        );
      for (const [k, p] of (["429", "5xx", "hang"] as const).entries()) {
        phase = p;
        const from = Date.now();
        await typeNext(k);
        await expect
          .poll(() => met[p], { timeout: PHASE_CEILING_MS, interval: 20, message: `calls met by the ${p} phase` })
          .toBeGreaterThanOrEqual(PHASE_CALLS[p]);
        windows[p] = { from, to: Date.now() };
      }
      phase = "ok";
      const settled = await outboxSettled(t.database, SETTLE_MS);
      const stuck = await rows<{ id: number; kind: string; status: string; claimed_ago_s: number }>(
        t.database,
        sql`select id, kind, status, extract(epoch from now() - claimed_at)::int as claimed_ago_s from outbox where status in ('queued', 'sending') order by id limit 5`,
      );

      const calls = fx.tg.calls.filter((c) => c.method === "sendMessage");
      const inWindow = (p: keyof typeof PHASE_CALLS) => calls.filter((c) => c.at >= windows[p]!.from && c.at <= windows[p]!.to);
      const windowMs = (p: keyof typeof PHASE_CALLS) => windows[p]!.to - windows[p]!.from;
      const perChat = (cs: RecordedCall[]) => {
        const m = new Map<string, number>();
        for (const c of cs) m.set(String(c.payload.chat_id), (m.get(String(c.payload.chat_id)) ?? 0) + 1);
        return m;
      };
      const during429 = inWindow("429");
      const busiest5xxChat = Math.max(0, ...perChat(inWindow("5xx")).values());
      console.info(
        `Bot API faults: recipients=${RECIPIENTS} blocked=${blocked.size} requests_in_429_window=${during429.length} (window ${windowMs("429")} ms, retry_after ${RETRY_AFTER_S} s) ` +
          `requests_in_5xx_window=${inWindow("5xx").length} busiest_chat_in_5xx_window=${busiest5xxChat} requests_left_hanging=${inWindow("hang").length} ` +
          `settled=${settled.settled} left=${settled.count} first_left=${JSON.stringify(stuck)}`,
      );
      // Each misbehaviour was actually met, or this test would prove nothing.
      expect(during429.length).toBeGreaterThan(0);
      expect(inWindow("5xx").length).toBeGreaterThan(0);
      expect(inWindow("hang").length).toBeGreaterThan(0);

      // No hot loop on 429: after "retry after 1 s" the service sends nothing for a second. Over
      // the window that is one round per second, each of at most a few sends already under way
      // (the worker's two passes and the officers' replies). The window lasted until PHASE_CALLS
      // calls had met it: a service that retried at once would have filled it in one round.
      const rounds = Math.ceil(windowMs("429") / (RETRY_AFTER_S * 1000)) + 1;
      expect.soft(during429.length, "requests while Telegram said «retry after»").toBeLessThanOrEqual(rounds * 5);
      // No hot loop on 5xx: at most a quick retry, then the message waits its back-off (2 s and more).
      expect.soft(busiest5xxChat, "requests to one chat during the 5xx window").toBeLessThanOrEqual(4);
      // A Bot API that never answers must not stall delivery: calls time out and are retried.
      expect
        .soft(
          settled.settled,
          `messages still waiting ${SETTLE_MS / 1000} s after the faults ended (rows stuck «sending» point at a Bot API call without a timeout): ${settled.count} left, first ${JSON.stringify(stuck)}`,
        )
        .toBe(true);

      // Every reachable recipient has the directive exactly once; blocked ones got one attempt.
      const delivered = perChat(fx.tg.sent().filter(isDirective));
      const everyone = [...recipients, ...talkers];
      const reachable = everyone.filter((o) => !blocked.has(String(o.chatId)));
      expect.soft(reachable.filter((o) => delivered.get(String(o.chatId)) !== 1).map((o) => [o.chatId, delivered.get(String(o.chatId)) ?? 0])).toEqual([]);
      const toBlocked = [...blocked].map((chat) => {
        const toChat = calls.filter((c) => String(c.payload.chat_id) === chat);
        const first403 = toChat.findIndex((c) => c.status === 403);
        return { chat, told: first403 >= 0, after403: first403 >= 0 ? toChat.length - first403 - 1 : 0 };
      });
      expect
        .soft(
          toBlocked.filter((b) => !b.told).map((b) => b.chat),
          "blocked chats never tried outside the fault windows",
        )
        .toEqual([]);
      expect
        .soft(
          toBlocked.filter((b) => b.after403 > 0),
          "blocked chats tried again after their 403",
        )
        .toEqual([]);
      const statuses = await rows<{ chat_id: string; status: string }>(t.database, sql`select chat_id, status from outbox where kind = 'broadcast'`);
      expect.soft(statuses.filter((r) => r.status !== (blocked.has(r.chat_id) ? "unreachable" : "sent"))).toEqual([]);
      const view = (await (await fetch(`${server.url}/api/broadcasts/${broadcastId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as {
        counts: Record<string, number>;
      };
      expect.soft(view.counts).toEqual({ sent: reachable.length, unreachable: blocked.size });

      // The officers' replies: each one the service wrote arrived exactly once.
      for (const o of talkers) {
        const written = await rows<{ text: string; status: string }>(
          t.database,
          sql`select payload->>'text' as text, status from outbox where kind = 'reply' and chat_id = ${String(o.chatId)} order by id`,
        );
        expect(written.length).toBeGreaterThanOrEqual(12);
        expect.soft(written.filter((r) => r.status !== "sent")).toEqual([]);
        const got = fx.tg
          .sent(o.chatId)
          .map((c) => withoutWebLink(String(c.payload.text)))
          .filter((x) => !x.startsWith("📢"));
        expect.soft(got.sort(), `replies to officer ${o.chatId}`).toEqual(written.map((r) => r.text).sort());
      }
      const answered = await rows<{ n: number }>(t.database, sql`select count(*)::int as n from answers`);
      expect.soft(answered[0]!.n).toBe(talkers.length * 11);
    } finally {
      client.stop();
      await server?.kill9();
      server = undefined;
    }
  }, 150_000);
});
