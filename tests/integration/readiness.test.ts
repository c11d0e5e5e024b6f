import { describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createHttpApp } from "../../src/http/app.js";
import { createLogger } from "../../src/log.js";
import { createMetrics } from "../../src/http/metrics.js";
import { loadConfig } from "../../src/config.js";
import { channelStates } from "../../src/main.js";
import type { Database } from "../../src/db/client.js";
import { dbKinds, useTestDb } from "../support/db.js";

const appOn = (database: Database, env: Record<string, string> = {}, stopping = false) =>
  createHttpApp({
    database,
    logger: createLogger("silent"),
    metrics: createMetrics(),
    webhooks: {},
    mount: [],
    channels: channelStates(loadConfig(env)),
    stopping: () => stopping,
  });

const readyz = async (app: ReturnType<typeof appOn>) => {
  const res = await app.request("/readyz");
  return {
    status: res.status,
    body: (await res.json()) as { status: string; pendingMigrations: number | null; channels: Record<string, string>; problems: string[] },
  };
};

describe.each(dbKinds)("/readyz on %s", (kind) => {
  const t = useTestDb(kind);

  it("is ready on a migrated database with a channel that can receive, and /healthz says alive", async () => {
    const { status, body } = await readyz(appOn(t.database, { TELEGRAM_BOT_TOKEN: "1:abc", TELEGRAM_WEBHOOK_SECRET: "s3cret", SIMULATOR: "off" }));
    expect({ status, body }).toEqual({
      status: 200,
      body: {
        status: "ready",
        database: kind,
        pendingMigrations: 0,
        channels: { telegram: "webhook", zalo_bot: "off", zalo_oa: "off", simulator: "off" },
        problems: [],
      },
    });
    expect((await appOn(t.database).request("/healthz")).status).toBe(200);
  });

  it("is not ready while a migration of this version is missing, though /healthz still answers 200", async () => {
    const result = await t.database.db.execute(sql`select id, hash, created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`);
    const [newest] = (result as unknown as { rows: { id: number; hash: string; created_at: string }[] }).rows;
    await t.database.db.execute(sql`delete from drizzle.__drizzle_migrations where id = ${newest!.id}`);
    try {
      const { status, body } = await readyz(appOn(t.database));
      expect(status).toBe(503);
      expect(body).toMatchObject({ status: "not ready", pendingMigrations: 1, problems: ["1 migration(s) of this version are not applied"] });
      expect((await appOn(t.database).request("/healthz")).status).toBe(200);
    } finally {
      await t.database.db.execute(
        sql`insert into drizzle.__drizzle_migrations (id, hash, created_at) values (${newest!.id}, ${newest!.hash}, ${newest!.created_at})`,
      );
    }
    expect((await readyz(appOn(t.database))).status).toBe(200);
  });

  it("is not ready when a configured channel cannot receive, with no channel at all, or while stopping", async () => {
    const noSecret = await readyz(appOn(t.database, { TELEGRAM_BOT_TOKEN: "1:abc" }));
    expect(noSecret.status).toBe(503);
    expect(noSecret.body.problems).toEqual(["telegram: TELEGRAM_WEBHOOK_SECRET is not set, the webhook is disabled"]);
    const polling = await readyz(appOn(t.database, { TELEGRAM_BOT_TOKEN: "1:abc", TELEGRAM_MODE: "polling", SIMULATOR: "off" }));
    expect(polling).toMatchObject({ status: 200, body: { channels: { telegram: "polling" } } });
    const none = await readyz(appOn(t.database, { SIMULATOR: "off" }));
    expect(none.status).toBe(503);
    expect(none.body.problems).toEqual([expect.stringMatching(/^no channel is configured/)]);
    const stopping = await readyz(appOn(t.database, {}, true));
    expect(stopping).toMatchObject({ status: 503, body: { problems: ["stopping"] } });
  });
});

describe("/readyz without a database", () => {
  it("answers 503 database unreachable", async () => {
    const gone = { kind: "postgres", ping: async () => false, pendingMigrations: () => Promise.reject(new Error("ECONNREFUSED")) } as unknown as Database;
    const { status, body } = await readyz(appOn(gone));
    expect(status).toBe(503);
    expect(body).toMatchObject({ status: "not ready", pendingMigrations: null, problems: ["database unreachable"] });
  });
});
