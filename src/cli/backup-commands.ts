import { existsSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type { Config } from "../config.js";
import { createDatabase, makePrivate } from "../db/client.js";
import {
  BackupError,
  backupTo,
  compareDigests,
  findOnPath,
  PG_DUMP_COMMAND,
  PG_RESTORE_COMMAND,
  readManifest,
  restorePglite,
  restorePostgres,
  writeBackupFiles,
  type BackupManifest,
} from "../backup/backups.js";
import type { CliResult } from "./commands.js";
import { runningService } from "./service-file.js";

/**
 * `backup <file>` and `restore <file>`. Unlike the other commands these are not sent to the
 * running service as a whole: the file is written or read here, by the person running the CLI.
 * A PGlite backup is still taken inside the running service (its one connection), which sends the
 * tarball back.
 */
export async function runBackupCommand(args: string[], config: Config): Promise<CliResult> {
  const [action, file] = args;
  if (!file) return { output: `Cần tên tệp: npm run cli -- ${action} <tệp>`, exitCode: 2 };
  try {
    return action === "backup" ? await backup(file, config) : await restore(file, config);
  } catch (err) {
    if (err instanceof BackupError) return { output: err.message, exitCode: 1 };
    throw err;
  }
}

async function backup(file: string, config: Config): Promise<CliResult> {
  if (existsSync(file)) return { output: `Tệp ${file} đã có: chọn một tên mới (bản sao lưu không ghi đè lên tệp khác).`, exitCode: 1 };
  let manifest: BackupManifest;
  if (config.DATABASE_URL) {
    if (!(await findOnPath("pg_dump"))) {
      return {
        output: `Không tìm thấy pg_dump trên PATH. Cài gói postgresql-client (cùng phiên bản chính với máy chủ PostgreSQL), hoặc chạy lệnh sau trên một máy có pg_dump:\n  ${PG_DUMP_COMMAND}`,
        exitCode: 1,
      };
    }
    manifest = await backupTo(file, { url: config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL });
  } else {
    const service = runningService(config.DATA_DIR);
    if (service) {
      const res = await fetch(`http://127.0.0.1:${service.port}/internal/backup`, { method: "POST", headers: { "x-baocao-cli-token": service.token } });
      if (!res.ok) throw new BackupError(`Dịch vụ đang chạy trả lời ${res.status}: ${await res.text()}`);
      manifest = JSON.parse(Buffer.from(res.headers.get("x-baocao-backup-manifest") ?? "", "base64url").toString("utf8")) as BackupManifest;
      writeBackupFiles(file, new Uint8Array(await res.arrayBuffer()), manifest);
    } else {
      const dataDir = join(resolve(config.DATA_DIR), "pglite");
      if (!existsSync(dataDir)) return { output: `Chưa có cơ sở dữ liệu trong ${dataDir}: không có gì để sao lưu.`, exitCode: 1 };
      // PGlite removes it on a clean close: here it means another process has the folder open (a
      // baocao still starting, before it writes service.json), and a second opener would corrupt it.
      if (existsSync(join(dataDir, "postmaster.pid"))) {
        return {
          output: `Cơ sở dữ liệu trong ${dataDir} đang được mở (có thể baocao đang khởi động): chờ dịch vụ chạy hẳn rồi sao lưu lại (bản sao lưu đi qua dịch vụ). Nếu không có baocao nào chạy (lần trước bị tắt đột ngột), khởi động baocao rồi sao lưu.`,
          exitCode: 1,
        };
      }
      const database = createDatabase({ dataDir });
      try {
        await database.open();
        manifest = await backupTo(file, { pglite: (database.db as unknown as { $client: PGlite }).$client });
      } finally {
        await database.close();
      }
    }
  }
  const tables = Object.values(manifest.tables);
  const rows = tables.reduce((s, t) => s + t.rows, 0);
  return {
    output: `Đã sao lưu vào ${file} (${(statSync(file).size / 1_048_576).toFixed(1)} MB; ${tables.length} bảng, ${rows} dòng, lúc ${manifest.takenAt}).\nTệp kiểm tra: ${file}.json — giữ cùng với bản sao lưu; "restore" dùng nó để đối chiếu.`,
    exitCode: 0,
  };
}

async function restore(file: string, config: Config): Promise<CliResult> {
  if (!existsSync(file)) return { output: `Không mở được tệp sao lưu: ${file}`, exitCode: 1 };
  const manifest = await readManifest(file);
  let restored: BackupManifest["tables"];
  let where: string;
  if (config.DATABASE_URL) {
    const pgRestore = await findOnPath("pg_restore");
    if (!pgRestore) {
      return {
        output: `Không tìm thấy pg_restore trên PATH. Cài gói postgresql-client, hoặc chạy lệnh sau vào một cơ sở dữ liệu mới, trống:\n  ${PG_RESTORE_COMMAND}`,
        exitCode: 1,
      };
    }
    if (manifest && manifest.database !== "postgres")
      return { output: `${file} là bản sao lưu PGlite: khôi phục nó với DATABASE_URL bỏ trống (vào DATA_DIR).`, exitCode: 1 };
    // The owner creates the tables: they then belong to it, as after a migration.
    restored = await restorePostgres(file, config.DATABASE_MIGRATION_URL ?? config.DATABASE_URL, pgRestore);
    where = "cơ sở dữ liệu PostgreSQL";
  } else {
    const service = runningService(config.DATA_DIR);
    if (service)
      return {
        output: `baocao đang chạy trên ${resolve(config.DATA_DIR)} (pid ${service.pid}): dừng dịch vụ và chọn một DATA_DIR mới, trống, để khôi phục vào.`,
        exitCode: 1,
      };
    if (manifest && manifest.database !== "pglite")
      return { output: `${file} là bản sao lưu PostgreSQL: khôi phục nó với DATABASE_URL trỏ tới một cơ sở dữ liệu mới, trống.`, exitCode: 1 };
    const dataDir = join(resolve(config.DATA_DIR), "pglite");
    restored = await restorePglite(file, dataDir);
    makePrivate(resolve(config.DATA_DIR));
    where = dataDir;
  }
  const tables = Object.values(restored);
  const summary = `Đã khôi phục ${file} vào ${where}: ${tables.length} bảng, ${tables.reduce((s, t) => s + t.rows, 0)} dòng.`;
  if (!manifest) return { output: `${summary}\nKhông có tệp kiểm tra ${file}.json nên không đối chiếu được số dòng.`, exitCode: 0 };
  const differences = compareDigests(manifest.tables, restored);
  if (differences.length > 0)
    return { output: `${summary}\nKHÔNG KHỚP với bản sao lưu (${manifest.takenAt}):\n${differences.map((d) => `  - ${d}`).join("\n")}`, exitCode: 1 };
  return { output: `${summary}\nĐã đối chiếu: mọi bảng khớp số dòng và nội dung với lúc sao lưu (${manifest.takenAt}).`, exitCode: 0 };
}
