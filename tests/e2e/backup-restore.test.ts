import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { createDatabase, type Database } from "../../src/db/client.js";
import { tableDigest, type BackupManifest } from "../../src/backup/backups.js";
import { dbKinds, postgresSkipReason, type DbKind } from "../support/db.js";
import { startFakeTelegram, TEST_TOKEN, type FakeTelegram } from "../support/fake-telegram.js";
import { loadUnits, onlyWhatTheTestPlans, rows, telegramOfficers, todayInVietnam } from "../support/fault-fixtures.js";
import { killServers, spawnServer } from "../support/server-process.js";
import { createWebhookClient, officersTyping } from "../support/webhook-client.js";
import { reportScript } from "../support/report-script.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "..", "..");
const SECRET = "backup-restore-secret";
const OFFICERS = 8;

/** The CLI as an operator runs it (`npm run cli -- …`), with `env` as its environment. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli/index.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: "warn", ...env },
    });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

/** A new empty PostgreSQL database on the test server; dropped by the returned function. */
async function newPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const admin = process.env.TEST_DATABASE_URL!;
  const name = `baocao_bk_${randomBytes(5).toString("hex")}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: admin });
      await d.connect();
      await d.query(`drop database if exists ${name} with (force)`);
      await d.end();
    },
  };
}

/** Every table's rows and checksum, read the way `backup` reads them (one snapshot). */
async function digestOf(kind: DbKind, database: Database): Promise<BackupManifest["tables"]> {
  if (kind === "pglite") {
    const pglite = (database.db as unknown as { $client: PGlite }).$client;
    return pglite.transaction((tx) => tableDigest((text) => tx.query(text)));
  }
  const pool = (database.db as unknown as { $client: pg.Pool }).$client;
  const client = await pool.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    const tables = await tableDigest((text) => client.query(text));
    await client.query("commit");
    return tables;
  } finally {
    client.release();
  }
}

type Answer = { submission_id: number; key: string; value: unknown };
const answersOf = (database: Database) => rows<Answer>(database, sql`select submission_id, key, value from answers order by submission_id, key`);

describe.each(dbKinds)("backup while officers report, restore into an empty target (%s, real server and CLI processes)", (kind) => {
  const skip = kind === "postgres" ? postgresSkipReason() : undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  let tg: FakeTelegram;
  beforeAll(async () => {
    if (!skip) tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await killServers();
    await tg?.close();
    for (const c of cleanups.reverse()) await c();
  });

  it.skipIf(skip)(
    `the backup holds exactly what the database held at its instant, restores to the same rows, and a non-empty target is refused${skip ? ` — skipped: ${skip}` : ""}`,
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "baocao-backup-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const backupDir = join(dir, "auto");

      // The source database, prepared before the service starts (PGlite: one process per folder).
      let sourceEnv: Record<string, string>;
      let openSource: () => Database;
      if (kind === "pglite") {
        sourceEnv = { DATA_DIR: join(dir, "source") };
        openSource = () => createDatabase({ dataDir: join(dir, "source", "pglite") });
      } else {
        const source = await newPostgresDatabase();
        cleanups.push(source.drop);
        sourceEnv = { DATABASE_URL: source.url };
        openSource = () => createDatabase({ databaseUrl: source.url, poolSize: 2 });
      }
      let source = openSource();
      await source.migrate();
      await loadUnits(source);
      const officers = await telegramOfficers(source, OFFICERS, { firstChat: 81_000, ownCommune: true });
      await onlyWhatTheTestPlans(source);
      await source.close();

      const { texts, expected } = reportScript(todayInVietnam());
      const server = await spawnServer({
        ...sourceEnv,
        TELEGRAM_BOT_TOKEN: TEST_TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        TELEGRAM_RATE_PER_SEC: "200",
        QUIET_HOURS_START: "00:00",
        QUIET_HOURS_END: "00:00",
        BACKUP_DIR: backupDir,
      });

      // BACKUP_DIR with no backup yet: the service takes one soon after it starts, and /healthz shows its age.
      await expect
        .poll(async () => ((await (await fetch(`${server.url}/healthz`)).json()) as { backup?: { status: string } }).backup?.status, {
          timeout: 60_000,
          interval: 250,
        })
        .toBe("ok");
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
        status: string;
        backup: { ageHours: number; lastBackupAt: string; file: string };
      };
      expect(health.status).toBe("ok");
      expect(health.backup.ageHours).toBeLessThan(0.1);
      expect(existsSync(health.backup.file)).toBe(true);

      const client = createWebhookClient({ url: () => server.url, secret: SECRET, timeoutMs: 30_000, retryDelayMs: 200 });
      const { say } = officersTyping(client, 3_000_000);
      let accepted = 0;
      const total = officers.length * texts.length;
      // The last third of each report waits for the backup to be written: so the source surely
      // changes after it, while the first two thirds keep coming in as the backup is taken.
      let backupWritten!: () => void;
      const gate = new Promise<void>((ok) => (backupWritten = ok));
      const gateAt = Math.floor((texts.length * 2) / 3);
      const officersDone = Promise.all(
        officers.map(async (o) => {
          for (const [i, text] of texts.entries()) {
            if (i === gateAt) await gate;
            await say(o, text);
            accepted++;
            // A human-like pace, so that the load is still going on when the backup is taken.
            await new Promise((ok) => setTimeout(ok, 60));
          }
        }),
      );
      officersDone.catch(() => {});

      try {
        await expect.poll(() => accepted, { timeout: 120_000, interval: 20 }).toBeGreaterThanOrEqual(total / 4);
        const file = join(dir, kind === "pglite" ? "mid-load.tar.gz" : "mid-load.dump");
        const acceptedBefore = accepted;
        const backup = await cli(["backup", file], sourceEnv);
        const acceptedAfter = accepted;
        backupWritten();
        expect(backup.output).toContain("Đã sao lưu vào");
        expect(backup.code, backup.output).toBe(0);
        // Officers' updates were committed while the backup command ran.
        expect(acceptedAfter).toBeGreaterThan(acceptedBefore);
        // A second backup to the same name is refused rather than overwriting it.
        expect((await cli(["backup", file], sourceEnv)).code).toBe(1);

        // Every update accepted is committed; what is compared below is the database, not the deliveries.
        await officersDone;
        expect(await server.stop()).toBe(0);

        // What the source held at the backup's instant: read in the same snapshot as the dump
        // (PGlite: in the same turn of its one connection; PostgreSQL: pg_dump --snapshot).
        const manifest = JSON.parse(readFileSync(`${file}.json`, "utf8")) as BackupManifest;
        source = openSource();
        await source.open();
        const finalAnswers = await answersOf(source);
        const finalDigest = await digestOf(kind, source);
        await source.close();
        // Mid-load: the service was being written to before, during and after the backup.
        const atBackup = manifest.tables["public.answers"]!.rows;
        expect(atBackup).toBeGreaterThan(0);
        expect(atBackup).toBeLessThan(finalAnswers.length);
        expect(finalAnswers).toHaveLength(officers.length * Object.keys(expected).length);

        // Restore into an empty target through the CLI, which checks the manifest itself.
        let targetEnv: Record<string, string>;
        let openTarget: () => Database;
        if (kind === "pglite") {
          targetEnv = { DATA_DIR: join(dir, "restored") };
          openTarget = () => createDatabase({ dataDir: join(dir, "restored", "pglite") });
        } else {
          const target = await newPostgresDatabase();
          cleanups.push(target.drop);
          targetEnv = { DATABASE_URL: target.url };
          openTarget = () => createDatabase({ databaseUrl: target.url, poolSize: 2 });
        }
        const restore = await cli(["restore", file], targetEnv);
        expect(restore.output).toContain("Đã đối chiếu");
        expect(restore.code, restore.output).toBe(0);

        // Independently of the CLI: every table's row count and checksum equals the manifest's.
        const restored = openTarget();
        await restored.open();
        const restoredDigest = await digestOf(kind, restored);
        const restoredAnswers = await answersOf(restored);
        const submissions = await rows<{ id: number; status: string }>(restored, sql`select id, status from submissions order by id`);
        await restored.close();
        expect(restoredDigest).toEqual(manifest.tables);
        expect(Object.keys(restoredDigest).length).toBeGreaterThan(20);
        expect(restoredAnswers).toHaveLength(atBackup);
        // Every answer restored is the answer the source holds (answers here are never changed once given).
        const finalByKey = new Map(finalAnswers.map((a) => [`${a.submission_id}/${a.key}`, a.value]));
        for (const a of restoredAnswers) expect(a.value, `${a.submission_id}/${a.key}`).toEqual(finalByKey.get(`${a.submission_id}/${a.key}`));
        // A report submitted in the backup has all its answers in it (one transaction, one snapshot).
        for (const s of submissions.filter((x) => x.status === "submitted")) {
          const mine = restoredAnswers.filter((a) => a.submission_id === s.id);
          expect(Object.fromEntries(mine.map((a) => [a.key, (a.value as { v: unknown }).v]))).toEqual(expected);
        }
        // The source kept changing after the backup: the final state differs from it.
        expect(finalDigest["public.answers"]).not.toEqual(manifest.tables["public.answers"]);

        // A target that is no longer empty is refused, in Vietnamese, and left as it is.
        const again = await cli(["restore", file], targetEnv);
        expect(again.code).toBe(1);
        expect(again.output).toMatch(kind === "pglite" ? /không trống/ : /đã có \d+ bảng/);

        console.info(
          `backup ${kind}: ${Object.keys(manifest.tables).length} tables, answers at backup ${atBackup} of ${finalAnswers.length}; updates accepted before/after the backup command ${acceptedBefore}/${acceptedAfter} of ${total}`,
        );
      } finally {
        backupWritten();
        client.stop();
        await server.kill9();
      }
    },
    420_000,
  );
});
