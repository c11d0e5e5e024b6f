/**
 * A Bot API stand-in for benchmarks, in its own process (so its clock is not skewed by the
 * service's event loop): accepts at most LIMIT_PER_S sendMessage calls in any one-second window
 * and answers 429 with retry_after above it. GET /stats returns what it accepted per chat.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const LIMIT = Number(process.env.LIMIT_PER_S ?? 300);
const accepted: number[] = [];
const perChat = new Map<string, number>();
let rejected = 0;
let firstAt: number | undefined;
let lastAt = 0;

const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/stats") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ perChat: Object.fromEntries(perChat), rejected, firstAt, lastAt }));
    return;
  }
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const now = performance.now();
    while (accepted.length > 0 && accepted[0]! <= now - 1000) accepted.shift();
    res.setHeader("content-type", "application/json");
    if (accepted.length >= LIMIT) {
      rejected++;
      res.statusCode = 429;
      res.end(JSON.stringify({ ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } }));
      return;
    }
    accepted.push(now);
    const chat = String((JSON.parse(body) as { chat_id: string }).chat_id);
    perChat.set(chat, (perChat.get(chat) ?? 0) + 1);
    firstAt ??= now;
    lastAt = now;
    res.end(JSON.stringify({ ok: true, result: { message_id: 1, date: 0, chat: { id: Number(chat), type: "private" } } }));
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => console.log(`PORT=${(server.address() as AddressInfo).port}`));
