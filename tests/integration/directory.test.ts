import { readFileSync } from "node:fs";
import { join } from "node:path";
import ExcelJS from "exceljs";
import { and, count, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { officers, unitMappings, units } from "../../src/db/schema/index.js";
import { createUnitDirectory, findUnit, successorsOf } from "../../src/directory/units.js";
import { inScopeSql, scopeOf, wholeCountry } from "../../src/domain/scope.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { loadLaiChau, UNITS_DIR } from "../support/fixtures.js";

const file = (name: string) => readFileSync(join(UNITS_DIR, name));

describe.each(dbKinds)("the official unit tree and the officer roster (%s)", (kind) => {
  const t = useTestDb(kind);
  const units$ = () => createUnitDirectory({ db: t.database.db });
  const officers$ = () => createOfficerDirectory({ db: t.database.db, clock: () => new Date("2026-11-23T03:00:00Z"), inviteTtlHours: 72 });

  it("imports the whole country in both schemes, idempotently, with the old→new mapping", async () => {
    const pre = await units$().importFile(file("pre2025_units.csv"), "pre2025_units.csv", "pre2025");
    const post = await units$().importFile(file("post2025_units.csv"), "post2025_units.csv", "post2025");
    const map = await units$().importFile(file("old_to_new_2025.csv"), "old_to_new_2025.csv");
    expect(pre).toMatchObject({ kind: "units", imported: 10_794, rejected: [] });
    expect(post).toMatchObject({ kind: "units", imported: 3_355, rejected: [] });
    expect(map).toMatchObject({ kind: "mapping", imported: 10_604, rejected: [] });

    const again = await units$().importFile(file("pre2025_units.csv"), "pre2025_units.csv", "pre2025");
    expect(again.imported).toBe(10_794);
    const [{ n }] = (await t.database.db.select({ n: count() }).from(units)) as [{ n: number }];
    expect(n).toBe(10_794 + 3_355);

    // "All communes under Huyện Tam Đường" is one prefix query on the materialised path.
    const tamDuong = (await findUnit(t.database.db, "pre2025", "106"))!;
    expect(tamDuong.path).toBe("12.106");
    const communes = await t.database.db
      .select()
      .from(units)
      .where(and(inScopeSql(scopeOf(tamDuong), units), eq(units.level, "commune")));
    expect(communes.length).toBeGreaterThan(5);
    expect(communes.every((c) => c.path.startsWith("12.106.") && c.parentId === tamDuong.id)).toBe(true);
    // The whole country of a tree (an admin's scope) is every unit of that tree, and of no other.
    const [country] = await t.database.db
      .select({ n: count() })
      .from(units)
      .where(inScopeSql(wholeCountry("pre2025"), units));
    const [preTree] = await t.database.db.select({ n: count() }).from(units).where(eq(units.scheme, "pre2025"));
    expect(country!.n).toBe(preTree!.n);

    // A pre-2025 commune's history continues in its post-2025 commune: Thị trấn Tam Đường → Xã Bình Lư.
    const next = await successorsOf(t.database.db, "03390");
    expect(next.map((m) => m.newCode)).toContain("03390");
    expect((await findUnit(t.database.db, "post2025", "03390"))!.name).toBe("Xã Bình Lư");
    expect((await findUnit(t.database.db, "pre2025", "03390"))!.name).toBe("Thị trấn Tam Đường");
    const [{ m }] = (await t.database.db.select({ m: count() }).from(unitMappings)) as [{ m: number }];
    expect(m).toBe(10_604);

    // The index serves the subtree query on both databases.
    const plan = await t.database.db.execute(sql`explain select id from units where scheme = 'pre2025' and path like '12.106.%'`);
    expect(JSON.stringify((plan as unknown as { rows: unknown[] }).rows)).toMatch(/units_scheme_path_idx/);
  }, 240_000); // 14,000 units imported twice: over a minute on a loaded machine

  it("reports broken unit rows by line and keeps the good ones", async () => {
    const csv =
      "code,name,level,parent_code\n12,Tỉnh Lai Châu,province,\n1x,Sai mã,province,\n03388,Phường Đoàn Kết,commune,12\n03390,Xã Bình Lư,commune,99\n03388,Trùng,commune,12\n";
    const r = await units$().importFile(Buffer.from(csv), "u.csv", "post2025");
    expect(r.imported).toBe(2);
    expect(r.rejected.map((x) => x.line)).toEqual([3, 5, 6]);
    expect(r.rejected[0]!.reason).toMatch(/phải có 2 chữ số/);
    expect(r.rejected[1]!.reason).toMatch(/không tìm thấy đơn vị cấp trên 99/);
    expect(r.rejected[2]!.reason).toMatch(/trùng/);
  });

  it("imports officers: good rows land, every bad row is named with its line and reason", async () => {
    await loadLaiChau(t.database);
    const csv = [
      "name,phone,role,unit_code,scheme",
      "Nguyễn Thị Mai,0912 345 678,commune,03388,post2025",
      "Lò Văn Sáng,+84912000111,commune,3390,",
      "Người Sai Mã,0912000222,commune,99999,post2025",
      "Số Sai,12345,commune,03388,post2025",
      "Vai Sai,0912000333,thủ trưởng,03388,post2025",
      "Trùng Số,84912345678,commune,03405,post2025",
      "Trần Văn Bình,0987654321,province,12,post2025",
    ].join("\n");
    const r = await officers$().importFile(Buffer.from(csv), "officers.csv");
    expect(r.imported).toBe(3);
    expect(r.rejected).toEqual([
      { line: 4, reason: expect.stringMatching(/không có đơn vị mã "99999"/) },
      { line: 5, reason: expect.stringMatching(/số điện thoại "12345" không hợp lệ/) },
      { line: 6, reason: expect.stringMatching(/vai trò "thủ trưởng" không hợp lệ/) },
      { line: 7, reason: expect.stringMatching(/trùng số điện thoại với dòng 2/) },
    ]);
    // Roles and levels in the reasons are named as officers name them, not as codes.
    expect(r.rejected[2]!.reason).toBe('vai trò "thủ trưởng" không hợp lệ (cán bộ xã, cán bộ huyện, cán bộ tỉnh hoặc quản trị viên)');
    const misplaced = await officers$().importFile(
      Buffer.from(["name,phone,role,unit_code,scheme", "Xã Ở Tỉnh,0912000444,commune,12,post2025"].join("\n")),
      "officers.csv",
      { dryRun: true },
    );
    expect(misplaced.rejected).toEqual([{ line: 2, reason: "vai trò cán bộ xã không thuộc đơn vị cấp tỉnh" }]);
    const rows = await t.database.db.select().from(officers).orderBy(officers.phone);
    expect(rows.map((o) => o.phone)).toEqual(["84912000111", "84912345678", "84987654321"]);

    // Re-importing the same file changes nothing and doubles nobody.
    await officers$().importFile(Buffer.from(csv), "officers.csv");
    expect(await t.database.db.select().from(officers)).toHaveLength(3);
  });

  it("reads an XLSX roster with Vietnamese headers", async () => {
    await loadLaiChau(t.database);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Cán bộ");
    ws.addRow(["Họ và tên", "Số điện thoại", "Vai trò", "Mã đơn vị", "Hệ mã"]);
    ws.addRow(["Tẩn Thị Hoa", "0386123456", "xã", "03405", "post2025"]);
    ws.addRow(["", "0386000000", "xã", "03405", "post2025"]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const r = await officers$().importFile(buf, "can-bo.xlsx");
    expect(r.imported).toBe(1);
    expect(r.rejected).toEqual([{ line: 3, reason: "thiếu họ và tên" }]);
  });

  it("a file without the required columns is refused as a whole, in Vietnamese", async () => {
    await expect(officers$().importFile(Buffer.from("ten,sdt\nA,0912345678\n"), "x.csv")).rejects.toThrow(/Thiếu cột/);
  });

  it("a scoped import (the web's) leaves people outside the scope alone; the operator's (CLI, no scope) may still move anyone", async () => {
    await loadLaiChau(t.database);
    await officers$().importFile(Buffer.from("name,phone,role,unit_code\nSở Lai Châu,0912000112,province,12\nMai,0912345678,commune,03388\n"), "o.csv");
    const doanKet = (await findUnit(t.database.db, "post2025", "03388"))!;
    const elsewhere = { scheme: "post2025" as const, path: "12.03405" };
    const row = "name,phone,role,unit_code\nMai Mới,0912345678,commune,03405\n";
    for (const dryRun of [true, false]) {
      const r = await officers$().importFile(Buffer.from(row), "o.csv", { dryRun, within: elsewhere, allowAdminRole: false });
      expect(r).toMatchObject({
        imported: 0,
        rejected: [
          { line: 2, reason: 'số điện thoại "0912345678" đã được đăng ký cho một cán bộ ngoài phạm vi quản lý của anh/chị: người này không bị thay đổi' },
        ],
      });
    }
    expect((await t.database.db.select().from(officers).where(eq(officers.phone, "84912345678")))[0]).toMatchObject({ name: "Mai", unitId: doanKet.id });
    // `npm run cli -- officers import` runs as the machine's operator: no scope, as before.
    expect((await officers$().importFile(Buffer.from(row), "o.csv")).imported).toBe(1);
    expect((await t.database.db.select().from(officers).where(eq(officers.phone, "84912345678")))[0]!.name).toBe("Mai Mới");
  });

  it("invite codes are single-use secrets: only their hash is stored", async () => {
    await loadLaiChau(t.database);
    await officers$().importFile(Buffer.from("name,phone,role,unit_code\nMai,0912345678,commune,03388\n"), "o.csv");
    const { code, officer } = await officers$().createInvite("+84 912 345 678", "telegram");
    expect(code).toMatch(/^[A-Z2-9]{10}$/);
    expect(officer.name).toBe("Mai");
    const stored = await t.database.db.execute(sql`select code_hash from invite_codes`);
    expect(JSON.stringify(stored)).not.toContain(code);
    await expect(officers$().createInvite("0999999999", "telegram")).rejects.toThrow(/Không có cán bộ/);
  });
});
