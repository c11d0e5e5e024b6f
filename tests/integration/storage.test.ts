import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createDatabase } from "../../src/db/client.js";
import { auditLog } from "../../src/db/schema/index.js";
import { createLogger } from "../../src/log.js";
import { createService, type Service } from "../../src/main.js";
import { dbKinds, describePostgres, useTestDb } from "../support/db.js";
import { BOT_INFO, startFakeTelegram, TEST_TOKEN, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { MIGRATED_DUMP } from "../support/global-setup.js";

const ROOT = join(import.meta.dirname, "..", "..");
const TOKEN = "storage-test-token-0123456789";

/** Every folder and file under `dir` whose permissions are not the ones asked, as "mode path". */
function walk(dir: string): { entries: number; wrong: string[] } {
  const wrong: string[] = [];
  let entries = 0;
  const visit = (path: string) => {
    const st = lstatSync(path);
    const mode = (st.mode & 0o777).toString(8);
    entries++;
    if (st.isDirectory()) {
      if (mode !== "700") wrong.push(`${mode} ${relative(dir, path) || "."}/`);
      for (const name of readdirSync(path)) visit(join(path, name));
    } else if (st.isFile() && mode !== "600") {
      wrong.push(`${mode} ${relative(dir, path)}`);
    }
  };
  visit(dir);
  return { entries, wrong };
}

/** The service as `npm start` builds it, on this DATA_DIR and its own PGlite folder. */
async function startOn(dataDir: string): Promise<{ service: Service; url: string }> {
  const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", DEMO_SEED: "off", DATA_DIR: dataDir, ADMIN_API_TOKEN: TOKEN });
  const service = createService(config, { logger: createLogger("silent"), workerIntervalMs: 0 });
  const { port } = await service.start();
  return { service, url: `http://127.0.0.1:${port}` };
}

/** Something written through the running service: a look-up of a case that does not exist is audited. */
async function writeThroughTheService(url: string) {
  const res = await fetch(`${url}/api/incidents/KC-2099-0001`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(404);
}

describe("the embedded database's folder is readable and writable by its owner only", () => {
  let dataDir: string;
  let running: Service | undefined;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), "baocao-storage-"));
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a first start on an empty DATA_DIR makes every folder 0700 and every file 0600, while running and after stopping", { timeout: 120_000 }, async () => {
    const { service, url } = await startOn(dataDir);
    running = service;
    await writeThroughTheService(url);

    const whileRunning = walk(dataDir);
    // The whole cluster is there (PostgreSQL has about a thousand files), and service.json with it.
    expect(whileRunning.entries).toBeGreaterThan(500);
    expect(lstatSync(join(dataDir, "service.json")).isFile()).toBe(true);
    expect(whileRunning.wrong).toEqual([]);

    await service.stop();
    running = undefined;
    expect(walk(dataDir).wrong).toEqual([]);
  });

  it(
    "an install left world-writable by an earlier version (folders 0755, files 0666, a stale service.json 0644) is made private at start",
    { timeout: 120_000 },
    async () => {
      const pglite = join(dataDir, "pglite");
      const old = await PGlite.create({ dataDir: pglite, loadDataDir: new Blob([readFileSync(MIGRATED_DUMP)]) });
      await old.close();
      // A process killed without cleaning up left its service.json behind (its pid is gone).
      const dead = spawnSync(process.execPath, ["-e", ""]).pid;
      writeFileSync(join(dataDir, "service.json"), JSON.stringify({ pid: dead, port: 1, token: "old" }), { mode: 0o644 });
      const loosen = (path: string) => {
        const st = lstatSync(path);
        if (st.isDirectory()) {
          chmodSync(path, 0o755);
          for (const name of readdirSync(path)) loosen(join(path, name));
        } else if (st.isFile()) chmodSync(path, path.endsWith("service.json") ? 0o644 : 0o666);
      };
      loosen(dataDir);
      expect(walk(dataDir).wrong.length).toBeGreaterThan(500);

      const { service, url } = await startOn(dataDir);
      running = service;
      await writeThroughTheService(url);
      expect(walk(dataDir).wrong).toEqual([]);
      expect((lstatSync(join(dataDir, "service.json")).mode & 0o777).toString(8)).toBe("600");
    },
  );
});

describe.each(dbKinds)("the audit log cannot be emptied or rewritten, not even by the database's superuser (%s)", (kind) => {
  const t = useTestDb(kind);
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => "succeeded",
      (err: { message?: string; cause?: { message?: string } }) => `${err.cause?.message ?? ""} ${err.message ?? ""}`,
    );

  it("TRUNCATE audit_log is refused with the append-only error, as UPDATE and DELETE are, and every row stays", async () => {
    await t.database.db.insert(auditLog).values([
      { actor: "officer:1", action: "incident.read", target: "KC-2026-0001" },
      { actor: "officer:2", action: "export", target: "2026-H1:pre2025:106" },
    ]);
    expect(await refusal(t.database.db.execute(sql`truncate audit_log`))).toMatch(/audit_log is append-only \(TRUNCATE refused\)/);
    expect(await refusal(t.database.db.execute(sql`truncate audit_log restart identity cascade`))).toMatch(/audit_log is append-only \(TRUNCATE refused\)/);
    expect(await refusal(t.database.db.execute(sql`update audit_log set action = 'signin'`))).toMatch(/audit_log is append-only \(UPDATE refused\)/);
    expect(await refusal(t.database.db.execute(sql`delete from audit_log`))).toMatch(/audit_log is append-only \(DELETE refused\)/);
    const rows = await t.database.db.select().from(auditLog);
    expect(rows.map((r) => `${r.actor} ${r.action} ${r.target}`).sort()).toEqual([
      "officer:1 incident.read KC-2026-0001",
      "officer:2 export 2026-H1:pre2025:106",
    ]);
  });
});

/**
 * Production on PostgreSQL, as the README describes it: the tables belong to an owner role that
 * migrates; the service connects as the role of docs/app-role.sql, which owns nothing. Roles are
 * global to a PostgreSQL cluster, so this test's have a suffix of their own.
 */
describePostgres("the application role of docs/app-role.sql does the service's work and cannot empty or unguard the audit log (postgres)", () => {
  const suffix = randomBytes(4).toString("hex");
  const owner = `baocao_owner_${suffix}`;
  const app = `baocao_app_${suffix}`;
  const dbName = `baocao_role_${suffix}`;
  const admin = process.env.TEST_DATABASE_URL ?? "";
  const urlAs = (user: string | undefined, database: string) => {
    const u = new URL(admin);
    if (user) u.username = user;
    u.password = "";
    u.pathname = `/${database}`;
    return u.toString();
  };
  // The README's SQL, word for word, with this test's role names.
  const appRoleSql = () =>
    readFileSync(join(ROOT, "docs", "app-role.sql"), "utf8")
      .replaceAll("baocao_owner", owner)
      .replaceAll("baocao_app", app);
  /** Each text is sent as it is (a file of statements runs whole; CREATE DATABASE must run alone). */
  const asSuperuser = async (database: string, ...texts: string[]) => {
    const c = new pg.Client({ connectionString: urlAs(undefined, database) });
    await c.connect();
    try {
      for (const text of texts) await c.query(text);
    } finally {
      await c.end();
    }
  };
  let tg: FakeTelegram;

  beforeAll(async () => {
    tg = await startFakeTelegram();
    await asSuperuser(new URL(admin).pathname.slice(1) || "postgres", `create role ${owner} login`, `create database ${dbName} owner ${owner}`);
  });
  afterAll(async () => {
    await tg?.close();
    await asSuperuser(
      new URL(admin).pathname.slice(1) || "postgres",
      `drop database if exists ${dbName} with (force)`,
      `drop role if exists ${app}`,
      `drop role if exists ${owner}`,
    );
  });

  it(
    "the owner migrates at start-up, an officer reports on Telegram as the application role, and TRUNCATE, DISABLE TRIGGER, DELETE, UPDATE and replica mode are refused to it",
    { timeout: 120_000 },
    async () => {
      // Before the first start: the role and the privileges of the tables to come.
      await asSuperuser(dbName, appRoleSql());
      // The application role alone cannot migrate an empty database, and says what to set.
      const unmigrated = createDatabase({ databaseUrl: urlAs(app, dbName), poolSize: 1 });
      await expect(unmigrated.migrate()).rejects.toThrow(/DATABASE_MIGRATION_URL/);
      await unmigrated.close();
      const config = loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        DEMO_SEED: "off",
        ADMIN_API_TOKEN: TOKEN,
        DATABASE_URL: urlAs(app, dbName),
        DATABASE_MIGRATION_URL: urlAs(owner, dbName),
        TELEGRAM_BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        TELEGRAM_WEBHOOK_SECRET: "storage-webhook-secret",
      });
      const service = createService(config, {
        logger: createLogger("silent"),
        telegramBotInfo: BOT_INFO as never,
        workerIntervalMs: 0,
        clock: () => new Date("2026-06-14T03:00:00Z"),
      });
      await service.start();
      // After it: audit_log exists, and is taken down to read and append.
      await asSuperuser(dbName, appRoleSql());
      try {
        const url = `http://127.0.0.1:${service.port()}`;
        await loadProvince(service.database, "pre2025", "12");
        await addOfficers(service.database, "name,phone,role,unit_code,scheme\nCán bộ Thèn Sin,0912000701,commune,03394,pre2025\n");
        await linkOfficer(service.database, "84912000701", "telegram", "9701");
        const say = (text: string) =>
          fetch(`${url}/webhooks/telegram`, {
            method: "POST",
            headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "storage-webhook-secret" },
            body: JSON.stringify(textUpdate(9701, text)),
          });
        expect((await say("báo cáo")).status).toBe(200);
        await expect.poll(() => tg.texts(9701).join("\n"), { timeout: 20_000 }).toMatch(/Câu 1/);
        expect((await say("3")).status).toBe(200);
        await expect.poll(() => tg.texts(9701).at(-1), { timeout: 20_000 }).toMatch(/^Câu 2\//);
        // An audited read as the application role: a case that does not exist.
        expect((await fetch(`${url}/api/incidents/KC-2099-0001`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
        expect((await fetch(`${url}/healthz`)).status).toBe(200);
      } finally {
        await service.stop();
      }

      // A process without the owner's URL (the CLI) finds the database up to date instead of failing to migrate.
      const plain = createDatabase({ databaseUrl: urlAs(app, dbName), poolSize: 1 });
      await expect(plain.migrate()).resolves.toBeUndefined();
      await plain.close();

      const c = new pg.Client({ connectionString: urlAs(app, dbName) });
      await c.connect();
      const refusal = (text: string) =>
        c.query(text).then(
          () => "succeeded",
          (err: Error) => err.message,
        );
      try {
        // It owns no table: every one is the owner's.
        const owners = await c.query<{ tableowner: string }>("select distinct tableowner from pg_tables where schemaname = 'public'");
        expect(owners.rows).toEqual([{ tableowner: owner }]);
        expect((await c.query<{ n: string }>("select count(*) as n from answers")).rows[0]!.n).toBe("1");
        expect((await c.query<{ n: string }>("select count(*) as n from audit_log where action = 'incident.read_refused'")).rows[0]!.n).toBe("1");
        await c.query("insert into audit_log (actor, action, target) values ('officer:1', 'signin', 'web')");
        expect(await refusal("truncate audit_log")).toMatch(/permission denied for table audit_log/);
        expect(await refusal("alter table audit_log disable trigger user")).toMatch(/must be owner of table audit_log/);
        expect(await refusal("alter table audit_log disable trigger audit_log_no_truncate")).toMatch(/must be owner of table audit_log/);
        expect(await refusal("delete from audit_log")).toMatch(/permission denied for table audit_log/);
        expect(await refusal("update audit_log set action = 'x'")).toMatch(/permission denied for table audit_log/);
        expect(await refusal("drop table audit_log")).toMatch(/must be owner of table audit_log/);
        expect(await refusal("set session_replication_role = replica")).toMatch(/permission denied to set parameter "session_replication_role"/);
        expect(await refusal("create table scratch (id int)")).toMatch(/permission denied for schema public/);
        // Zalo OA's pending links (migration 0004): rows, like any other table's.
        await c.query("insert into pending_links (channel, external_id, chat_id, phone) values ('zalo_oa', 'u-1', 'u-1', '84912000701')");
        expect((await c.query("update pending_links set decision = 'rejected', decided_at = now() where external_id = 'u-1'")).rowCount).toBe(1);
        // A table a later migration creates, after docs/app-role.sql last ran: its rows and sequence are granted by default.
        await asSuperuser(dbName, `set role ${owner}`, "create table later_table (id serial primary key, note text)");
        expect((await c.query<{ id: number }>("insert into later_table (note) values ('x') returning id")).rows).toEqual([{ id: 1 }]);
        expect(await refusal("truncate later_table")).toMatch(/permission denied for table later_table/);
        // Other tables: rows yes, the table itself no.
        expect(await refusal("truncate outbox")).toMatch(/permission denied for table outbox/);
        expect(await refusal("alter table outbox disable trigger all")).toMatch(/must be owner of table outbox/);
        expect((await c.query<{ n: string }>("select count(*) as n from audit_log")).rows[0]!.n).toBe("2");
      } finally {
        await c.end();
      }
    },
  );
});
