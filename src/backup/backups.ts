import { execFile } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PGlite } from "@electric-sql/pglite";
import pg from "pg";

const run = promisify(execFile);

/**
 * What a backup held, read in the same snapshot the backup was taken in: every table's row count
 * and a checksum of its rows. Written beside the backup (`<file>.json`); `restore` compares the
 * restored database with it, so a backup that restores to something else is noticed at once.
 */
export interface BackupManifest {
  format: "baocao-backup-1";
  database: "pglite" | "postgres";
  takenAt: string;
  /** "schema.table" → rows and md5 of the rows' text, in a fixed order. */
  tables: Record<string, { rows: number; md5: string }>;
}

type Query = (text: string) => Promise<{ rows: unknown[] }>;

/** Thrown when a backup or restore cannot be done; the message is for the person running it. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

/**
 * Counts and checksums of every table of baocao (public) and of drizzle's migration record. Runs
 * inside the caller's transaction: the settings below are local to it, and fix how timestamps and
 * numbers are written, so the same rows give the same checksum on any server and session.
 */
export async function tableDigest(query: Query): Promise<BackupManifest["tables"]> {
  await query("set local timezone to 'UTC'");
  await query("set local datestyle to 'ISO, YMD'");
  await query("set local extra_float_digits to 1");
  const { rows } = (await query("select schemaname, tablename from pg_tables where schemaname in ('public', 'drizzle') order by schemaname, tablename")) as {
    rows: { schemaname: string; tablename: string }[];
  };
  const tables: BackupManifest["tables"] = {};
  for (const { schemaname, tablename } of rows) {
    const name = `"${schemaname.replaceAll('"', '""')}"."${tablename.replaceAll('"', '""')}"`;
    const { rows: r } = (await query(`select count(*)::int as n, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as h from ${name} t`)) as {
      rows: { n: number; h: string }[];
    };
    tables[`${schemaname}.${tablename}`] = { rows: Number(r[0]!.n), md5: r[0]!.h };
  }
  return tables;
}

/**
 * A PGlite backup: the data folder as a gzipped tarball, and what it holds. PGlite has one
 * connection; holding its transaction lock, nothing else runs (webhooks wait, they do not fail)
 * while the checkpoint writes every committed page to the folder, the digest is read and the
 * folder is copied. The tarball is therefore exactly the committed state of that one moment.
 */
export async function dumpPglite(pglite: PGlite, clock: () => Date = () => new Date()): Promise<{ data: Uint8Array; manifest: BackupManifest }> {
  return pglite.transaction(async (tx) => {
    await tx.exec("checkpoint");
    const tables = await tableDigest((text) => tx.query(text));
    // dumpDataDir takes only the query lock, which this transaction does not hold between statements.
    const blob = await pglite.dumpDataDir("gzip");
    const data = new Uint8Array(await blob.arrayBuffer());
    return { data, manifest: { format: "baocao-backup-1", database: "pglite", takenAt: clock().toISOString(), tables } };
  });
}

/**
 * `name` when it runs from PATH (asked for its version), else undefined. The child process looks
 * it up on PATH itself, so this reads no environment.
 */
export async function findOnPath(name: string): Promise<string | undefined> {
  try {
    await run(name, ["--version"], { timeout: 10_000 });
    return name;
  } catch {
    return undefined;
  }
}

/** What to run by hand where pg_dump / pg_restore are not installed (README, Backups). */
export const PG_DUMP_COMMAND = 'pg_dump --format=custom --file=<tệp> "$DATABASE_URL"';
export const PG_RESTORE_COMMAND = 'pg_restore --no-owner --no-acl --single-transaction --exit-on-error --dbname="$DATABASE_URL" <tệp>';

/**
 * A PostgreSQL backup with pg_dump (custom format) into `file`. The digest and the dump read the
 * same snapshot: a repeatable-read transaction exports it, reads the digest and stays open while
 * pg_dump imports it (--snapshot), so both see the database as of one instant, whatever is being
 * written meanwhile.
 */
export async function dumpPostgres(url: string, file: string, pgDump: string, clock: () => Date = () => new Date()): Promise<BackupManifest> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query("begin isolation level repeatable read read only");
    const { rows } = await client.query<{ snapshot: string }>("select pg_export_snapshot() as snapshot");
    const takenAt = clock().toISOString();
    const tables = await tableDigest((text) => client.query(text));
    try {
      await run(pgDump, ["--format=custom", `--snapshot=${rows[0]!.snapshot}`, `--file=${file}`, `--dbname=${url}`], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      throw new BackupError(`pg_dump không chạy được: ${toolError(err)}`);
    }
    await client.query("commit");
    return { format: "baocao-backup-1", database: "postgres", takenAt, tables };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const toolError = (err: unknown) => ((err as { stderr?: string }).stderr?.trim() || (err as Error).message).split("\n").slice(0, 5).join(" ");

/** Where the manifest of backup `file` is kept. */
export const manifestPath = (file: string) => `${file}.json`;

/**
 * Writes a backup and its manifest, readable by their owner only (they hold every report and
 * officer's phone number). Through a temporary name: a backup interrupted half-way is never
 * mistaken for a whole one.
 */
export function writeBackupFiles(file: string, data: Uint8Array | undefined, manifest: BackupManifest): void {
  const part = `${file}.part`;
  if (data) {
    writeFileSync(part, data, { mode: 0o600 });
    renameSync(part, file);
  }
  chmodSync(file, 0o600);
  writeFileSync(manifestPath(file), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}

/**
 * A whole backup into `file` (and its manifest beside it): PGlite through the open instance (the
 * running service's own), PostgreSQL with pg_dump from PATH.
 */
export async function backupTo(file: string, source: { pglite: PGlite } | { url: string }, clock: () => Date = () => new Date()): Promise<BackupManifest> {
  if ("pglite" in source) {
    const { data, manifest } = await dumpPglite(source.pglite, clock);
    writeBackupFiles(file, data, manifest);
    return manifest;
  }
  const pgDump = await findOnPath("pg_dump");
  if (!pgDump)
    throw new BackupError(
      `Không tìm thấy pg_dump trên PATH (cài gói postgresql-client cùng phiên bản với máy chủ PostgreSQL), hoặc sao lưu bằng tay: ${PG_DUMP_COMMAND}`,
    );
  const part = `${file}.part`;
  // Created first, owner-only: pg_dump keeps the mode of the file it writes into.
  writeFileSync(part, "", { mode: 0o600 });
  try {
    const manifest = await dumpPostgres(source.url, part, pgDump, clock);
    renameSync(part, file);
    writeBackupFiles(file, undefined, manifest);
    return manifest;
  } catch (err) {
    rmSync(part, { force: true });
    throw err;
  }
}

/** The manifest beside `file`, or undefined when there is none (a backup taken by hand). */
export async function readManifest(file: string): Promise<BackupManifest | undefined> {
  try {
    const m = JSON.parse(await readFile(manifestPath(file), "utf8")) as BackupManifest;
    return m.format === "baocao-backup-1" ? m : undefined;
  } catch {
    return undefined;
  }
}

/** The tables whose rows differ between a backup's manifest and the restored database, as lines for the user. */
export function compareDigests(want: BackupManifest["tables"], got: BackupManifest["tables"]): string[] {
  const out: string[] = [];
  for (const name of new Set([...Object.keys(want), ...Object.keys(got)])) {
    const w = want[name];
    const g = got[name];
    if (!w) out.push(`${name}: có trong cơ sở dữ liệu khôi phục nhưng không có trong bản sao lưu`);
    else if (!g) out.push(`${name}: thiếu sau khi khôi phục`);
    else if (w.rows !== g.rows) out.push(`${name}: ${g.rows} dòng, bản sao lưu có ${w.rows}`);
    else if (w.md5 !== g.md5) out.push(`${name}: cùng ${w.rows} dòng nhưng nội dung khác`);
  }
  return out;
}

/**
 * Restores a PGlite backup into `dataDir` (DATA_DIR/pglite), which must not exist or be empty:
 * a restore never overwrites a database. Returns the restored database's digest.
 */
export async function restorePglite(file: string, dataDir: string): Promise<BackupManifest["tables"]> {
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new BackupError(
      `Thư mục dữ liệu ${dataDir} không trống: khôi phục không ghi đè lên cơ sở dữ liệu đang có. Hãy đặt DATA_DIR là một thư mục mới (trống), hoặc chuyển thư mục cũ đi nơi khác rồi chạy lại.`,
    );
  }
  const data = await readBackup(file);
  if (data[0] !== 0x1f || data[1] !== 0x8b)
    throw new BackupError(`${file} không phải bản sao lưu PGlite của baocao (tệp .tar.gz do "npm run cli -- backup" tạo ra).`);
  const { PGlite } = await import("@electric-sql/pglite");
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pglite = await PGlite.create(dataDir, { loadDataDir: new Blob([new Uint8Array(data)]) });
  try {
    return await pglite.transaction((tx) => tableDigest((text) => tx.query(text)));
  } finally {
    await pglite.close();
  }
}

/**
 * Restores a pg_dump backup into the database at `url`, which must have no table yet (a new,
 * empty database). Objects come to belong to the role restoring them (--no-owner) and the
 * original grants are left out (--no-acl): run docs/app-role.sql's grants again for the
 * application role. One transaction: a restore that fails leaves the database empty.
 */
export async function restorePostgres(file: string, url: string, pgRestore: string): Promise<BackupManifest["tables"]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_class c join pg_namespace s on s.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'S') and s.nspname not in ('pg_catalog', 'information_schema') and s.nspname not like 'pg_toast%'",
    );
    if (rows[0]!.n > 0) {
      throw new BackupError(
        `Cơ sở dữ liệu ${client.database ?? ""} đã có ${rows[0]!.n} bảng: khôi phục chỉ ghi vào một cơ sở dữ liệu mới, trống (createdb …), không ghi đè lên dữ liệu đang có.`,
      );
    }
    await readBackup(file);
    try {
      await run(pgRestore, ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error", `--dbname=${url}`, file], { maxBuffer: 16 * 1024 * 1024 });
    } catch (err) {
      throw new BackupError(`pg_restore không khôi phục được ${file}: ${toolError(err)}`);
    }
    await client.query("begin isolation level repeatable read read only");
    const tables = await tableDigest((text) => client.query(text));
    await client.query("commit");
    return tables;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readBackup(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch {
    throw new BackupError(`Không mở được tệp sao lưu: ${file}`);
  }
}

const BACKUP_NAME = /^baocao-(\d{8}-\d{6})\.(tar\.gz|dump)$/;

/** Backups in `dir` written by the schedule, newest first. */
export function scheduledBackups(dir: string): { file: string; at: Date }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => BACKUP_NAME.test(n))
    .map((n) => ({ file: join(dir, n), at: statSync(join(dir, n)).mtime }))
    .sort((a, b) => b.file.localeCompare(a.file));
}

export interface BackupScheduleDeps {
  dir: string;
  /** How many scheduled backups to keep; older ones are removed after each new one. */
  keep: number;
  kind: "pglite" | "postgres";
  /** Writes a whole backup (and its manifest) to `file`. */
  backup: (file: string) => Promise<BackupManifest>;
  clock: () => Date;
  logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** A backup older than this is reported as degraded (a day and a bit: one missed run shows). */
  maxAgeMs?: number;
}

export type BackupHealth = { status: "ok" | "degraded"; reason?: string; lastBackupAt?: string; ageHours?: number; file?: string };

/** Backups into BACKUP_DIR, one per run, the last `keep` kept; and their health for /healthz. */
export function createBackupSchedule(deps: BackupScheduleDeps) {
  const maxAgeMs = deps.maxAgeMs ?? 26 * 3_600_000;
  let lastFailure: { at: Date; reason: string } | undefined;
  let running: Promise<void> | undefined;

  const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);

  async function runOnce(): Promise<void> {
    const file = join(deps.dir, `baocao-${stamp(deps.clock())}.${deps.kind === "pglite" ? "tar.gz" : "dump"}`);
    const started = performance.now();
    try {
      mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
      const manifest = await deps.backup(file);
      lastFailure = undefined;
      const rows = Object.values(manifest.tables).reduce((s, t) => s + t.rows, 0);
      deps.logger.info({ file, rows, bytes: statSync(file).size, ms: Math.round(performance.now() - started) }, "backup written");
      for (const old of scheduledBackups(deps.dir).slice(deps.keep)) {
        rmSync(old.file, { force: true });
        rmSync(manifestPath(old.file), { force: true });
      }
    } catch (err) {
      rmSync(`${file}.part`, { force: true });
      lastFailure = { at: deps.clock(), reason: (err as Error).message };
      deps.logger.error({ file, err: { message: (err as Error).message } }, "backup failed");
    }
  }

  return {
    /** One backup now; a run already under way is joined, not doubled. */
    run(): Promise<void> {
      running ??= runOnce().finally(() => (running = undefined));
      return running;
    },
    /** Degraded when the last run failed, or the newest backup is older than ~a day (or there is none). */
    async health(): Promise<BackupHealth> {
      const newest = scheduledBackups(deps.dir)[0];
      const info = newest
        ? {
            lastBackupAt: newest.at.toISOString(),
            ageHours: Math.round(((deps.clock().getTime() - newest.at.getTime()) / 3_600_000) * 10) / 10,
            file: newest.file,
          }
        : {};
      if (lastFailure) return { status: "degraded", reason: `lần sao lưu gần nhất thất bại (${lastFailure.at.toISOString()}): ${lastFailure.reason}`, ...info };
      if (!newest) return { status: "degraded", reason: `chưa có bản sao lưu nào trong ${deps.dir}` };
      if (deps.clock().getTime() - newest.at.getTime() > maxAgeMs)
        return { status: "degraded", reason: `bản sao lưu gần nhất đã ${info.ageHours} giờ`, ...info };
      return { status: "ok", ...info };
    },
    /** true when no backup newer than a day is there: the service takes one soon after it starts. */
    due(): boolean {
      const newest = scheduledBackups(deps.dir)[0];
      return !newest || deps.clock().getTime() - newest.at.getTime() > 24 * 3_600_000;
    },
  };
}

export type BackupSchedule = ReturnType<typeof createBackupSchedule>;
