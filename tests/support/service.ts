import { loadConfig } from "../../src/config.js";
import { createService, type Service } from "../../src/main.js";
import { createLogger } from "../../src/log.js";
import type { TestDb } from "./db.js";
import { BOT_INFO, TEST_TOKEN, type FakeTelegram } from "./fake-telegram.js";

export const WEBHOOK_SECRET = "test-webhook-secret";
export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface TestService {
  service: Service;
  url: string;
  postUpdate(update: unknown, secret?: string): Promise<Response>;
  api(path: string, init?: RequestInit): Promise<Response>;
}

/** The real service (Hono on a loopback port, grammY, the engine) on the test database. */
export async function startTestService(
  db: TestDb,
  opts: { telegram?: FakeTelegram; clock?: () => Date; env?: Record<string, string>; awaitReplies?: boolean } = {},
): Promise<TestService> {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    DEMO_SEED: "off",
    ADMIN_API_TOKEN: ADMIN_TOKEN,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    ...(opts.telegram ? { TELEGRAM_BOT_TOKEN: TEST_TOKEN, TELEGRAM_API_ROOT: opts.telegram.apiRoot, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET } : {}),
    ...opts.env,
  });
  const service = createService(config, {
    ...(db.pglite ? { pglite: db.pglite } : {}),
    clock: opts.clock,
    logger: createLogger(process.env.TEST_LOG ?? "silent"),
    telegramBotInfo: BOT_INFO as never,
    workerIntervalMs: 0,
    // A test reads the fake Bot API right after its request; production answers at commit
    // (tests/e2e/telegram-edits.test.ts and tests/faults/burst.test.ts run that way).
    awaitReplies: opts.awaitReplies ?? true,
  });
  const { port } = await service.start();
  const url = `http://127.0.0.1:${port}`;
  return {
    service,
    url,
    postUpdate: (update, secret = WEBHOOK_SECRET) =>
      fetch(`${url}/webhooks/telegram`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        body: JSON.stringify(update),
      }),
    api: (path, init = {}) => fetch(`${url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) } }),
  };
}
