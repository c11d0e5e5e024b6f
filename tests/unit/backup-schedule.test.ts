import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createBackupSchedule, type BackupManifest } from "../../src/backup/backups.js";

const quiet = { info: () => {}, error: () => {} };
const manifest: BackupManifest = { format: "baocao-backup-1", database: "pglite", takenAt: "", tables: { "public.units": { rows: 1, md5: "x" } } };

describe("automatic backups (BACKUP_DIR)", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const folder = () => {
    const d = mkdtempSync(join(tmpdir(), "baocao-sched-"));
    dirs.push(d);
    return d;
  };

  it("keeps the last BACKUP_KEEP backups (with their manifests) and reports the newest one's age", async () => {
    const dir = folder();
    let now = new Date("2026-12-01T19:30:00Z");
    const schedule = createBackupSchedule({
      dir,
      keep: 2,
      kind: "pglite",
      clock: () => now,
      logger: quiet,
      backup: async (file) => {
        writeFileSync(file, "data");
        writeFileSync(`${file}.json`, "{}");
        utimesSync(file, now, now);
        return manifest;
      },
    });
    expect((await schedule.health()).status).toBe("degraded");
    expect(schedule.due()).toBe(true);
    for (let day = 0; day < 3; day++) {
      await schedule.run();
      now = new Date(now.getTime() + 24 * 3_600_000);
    }
    expect(readdirSync(dir).sort()).toEqual([
      "baocao-20261202-193000.tar.gz",
      "baocao-20261202-193000.tar.gz.json",
      "baocao-20261203-193000.tar.gz",
      "baocao-20261203-193000.tar.gz.json",
    ]);
    // A day after the last one: still fine; two hours later (26 h), degraded with its age.
    expect(await schedule.health()).toMatchObject({ status: "ok", ageHours: 24, file: join(dir, "baocao-20261203-193000.tar.gz") });
    now = new Date(now.getTime() + 2.5 * 3_600_000);
    expect(await schedule.health()).toMatchObject({ status: "degraded", ageHours: 26.5, reason: "bản sao lưu gần nhất đã 26.5 giờ" });
  });

  it("a failed run is degraded with its reason until the next one succeeds, and leaves no partial file", async () => {
    const dir = folder();
    let fail = true;
    const schedule = createBackupSchedule({
      dir,
      keep: 3,
      kind: "postgres",
      clock: () => new Date(),
      logger: quiet,
      backup: async (file) => {
        if (fail) {
          writeFileSync(`${file}.part`, "half");
          throw new Error("Không tìm thấy pg_dump trên PATH");
        }
        writeFileSync(file, "dump");
        return manifest;
      },
    });
    await schedule.run();
    const h = await schedule.health();
    expect(h.status).toBe("degraded");
    expect(h.reason).toMatch(/thất bại .*pg_dump/);
    expect(readdirSync(dir)).toEqual([]);
    fail = false;
    await schedule.run();
    expect((await schedule.health()).status).toBe("ok");
    expect(schedule.due()).toBe(false);
  });
});
