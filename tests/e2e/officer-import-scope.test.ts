import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { inviteCodes, officers, units } from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const HANOI_PROVINCE = 9401;
const HANOI_ADMIN = 9499;

/**
 * An officer import may only touch people the importer manages: a row whose phone belongs to
 * someone of another province (or to an admin, for a non-admin) is refused with its reason and
 * leaves that person exactly as they were — the import upserts on phone, so without this a CSV
 * row is enough to move anyone in the country into one's own subtree.
 */
describe.each(dbKinds)("an officer import never reaches outside the importer's subtree (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    await loadProvince(t.database, "post2025", "01");
    await loadProvince(t.database, "post2025", "12");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code",
        "Sở Y tế Hà Nội,0912000101,province,01",
        "Cán bộ Ba Đình,0912000102,commune,00004",
        "Quản trị Hà Nội,0912000199,admin,01",
        "Sở Y tế Lai Châu,0912000112,province,12",
        "Cán bộ Đoàn Kết,0912000113,commune,03388",
      ].join("\n"),
    );
    // Someone who left Lai Châu: an import must not bring them back either.
    await t.database.db.update(officers).set({ active: false }).where(eq(officers.phone, "84912000113"));
    await linkOfficer(t.database, "84912000101", "telegram", String(HANOI_PROVINCE));
    await linkOfficer(t.database, "84912000199", "telegram", String(HANOI_ADMIN));
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-06-14T03:00:00Z") });
  });
  afterEach(() => s.service.stop());

  /** Signs in with the link baocao sends to the officer's chat, as they would; returns the cookie. */
  async function signIn(phone: string, chat: number): Promise<string> {
    const before = tg.texts(chat).length;
    const asked = await fetch(`${s.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url },
      body: new URLSearchParams({ phone }).toString(),
    });
    expect(asked.status).toBe(200);
    await expect.poll(() => tg.texts(chat).length, { timeout: 20_000 }).toBeGreaterThan(before);
    const link = new URL(/https?:\/\/\S+\/login\/\S+/.exec(tg.texts(chat).at(-1)!)![0]);
    let res = await fetch(`${s.url}${link.pathname}${link.search}`, { redirect: "manual" });
    if (res.status === 200) {
      // A confirm page (so that a link preview cannot spend the link): press its button.
      const html = await res.text();
      const action = /<form[^>]*method="post"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*method="post"/i.exec(html);
      const fields = new URLSearchParams(
        [...html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, "&")]),
      );
      res = await fetch(new URL(action?.[1] ?? action?.[2] ?? link.pathname, s.url), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url },
        body: fields.toString(),
      });
    }
    expect(res.status).toBe(302);
    return res.headers.get("set-cookie")!.split(";")[0]!;
  }

  const preview = (cookie: string, csv: string) => {
    const body = new FormData();
    body.set("file", new File([csv], "can-bo.csv", { type: "text/csv" }));
    return fetch(`${s.url}/officers/import/preview`, { method: "POST", headers: { cookie, origin: s.url }, body });
  };
  // What the preview page's «Nhập» button posts: the same file again, checked again.
  const importFile = (cookie: string, csv: string) =>
    fetch(`${s.url}/officers/import`, {
      method: "POST",
      headers: { cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ name: "can-bo.csv", content: Buffer.from(csv).toString("base64") }).toString(),
    });

  const officerByPhone = async (phone: string) => {
    const [row] = await t.database.db
      .select({ name: officers.name, role: officers.role, active: officers.active, unitCode: units.code, updatedAt: officers.updatedAt })
      .from(officers)
      .innerJoin(units, eq(units.id, officers.unitId))
      .where(eq(officers.phone, phone));
    return row!;
  };

  /** The rows of the «dòng lỗi» table: line number and reason. */
  const rejectedRows = (html: string) =>
    [...(/<table id="rejected">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? "").matchAll(/<tr><td>(\d+)<\/td><td>([^<]*)<\/td><\/tr>/g)].map((m) => [
      Number(m[1]),
      m[2]!.replace(/&quot;/g, '"'),
    ]);

  it("the Hà Nội province officer who imports the Lai Châu province officer's phone with a Hà Nội commune code is refused, in the preview and in the import, and the Lai Châu officers stay as they were", async () => {
    const laiChauBefore = await officerByPhone("84912000112");
    const leftBefore = await officerByPhone("84912000113");
    const hanoi = await signIn("0912000101", HANOI_PROVINCE);
    const csv = ["name,phone,role,unit_code", "Kẻ Mạo Danh,0912000112,commune,00004", "Người Quay Lại,0912000113,commune,00008"].join("\n");

    const checked = await preview(hanoi, csv);
    expect(checked.status).toBe(200);
    const checkedHtml = await checked.text();
    expect(checkedHtml).toContain("<b>0</b> dòng hợp lệ");
    expect(rejectedRows(checkedHtml)).toEqual([
      [2, 'số điện thoại "0912000112" đã được đăng ký cho một cán bộ ngoài phạm vi quản lý của anh/chị: người này không bị thay đổi'],
      [3, 'số điện thoại "0912000113" đã được đăng ký cho một cán bộ ngoài phạm vi quản lý của anh/chị: người này không bị thay đổi'],
    ]);
    expect(checkedHtml).not.toContain("Nhập 0 dòng");

    // Posting the file anyway (the button is not offered, the request can still be made).
    const imported = await importFile(hanoi, csv);
    expect(imported.status).toBe(200);
    const importedHtml = await imported.text();
    expect(importedHtml).toContain("Đã nhập <b>0</b> cán bộ");
    expect(rejectedRows(importedHtml)).toEqual([
      [2, 'số điện thoại "0912000112" đã được đăng ký cho một cán bộ ngoài phạm vi quản lý của anh/chị: người này không bị thay đổi'],
      [3, 'số điện thoại "0912000113" đã được đăng ký cho một cán bộ ngoài phạm vi quản lý của anh/chị: người này không bị thay đổi'],
    ]);

    expect(await officerByPhone("84912000112")).toEqual({
      name: "Sở Y tế Lai Châu",
      role: "province",
      active: true,
      unitCode: "12",
      updatedAt: laiChauBefore.updatedAt,
    });
    expect(await officerByPhone("84912000113")).toEqual({
      name: "Cán bộ Đoàn Kết",
      role: "commune",
      active: false,
      unitCode: "03388",
      updatedAt: leftBefore.updatedAt,
    });
  });

  it("an admin's phone imported by a province officer is refused, and the province officer cannot make an invite code for the admin's account either", async () => {
    const adminBefore = await officerByPhone("84912000199");
    const hanoi = await signIn("0912000101", HANOI_PROVINCE);
    const csv = ["name,phone,role,unit_code", "Quản trị bị hạ,0912000199,commune,00004"].join("\n");

    expect(rejectedRows(await (await preview(hanoi, csv)).text())).toEqual([
      [2, 'số điện thoại "0912000199" là của một tài khoản quản trị: chỉ quản trị viên mới thay đổi được'],
    ]);
    const importedHtml = await (await importFile(hanoi, csv)).text();
    expect(importedHtml).toContain("Đã nhập <b>0</b> cán bộ");
    expect(rejectedRows(importedHtml)).toEqual([[2, 'số điện thoại "0912000199" là của một tài khoản quản trị: chỉ quản trị viên mới thay đổi được']]);
    expect(await officerByPhone("84912000199")).toEqual({
      name: "Quản trị Hà Nội",
      role: "admin",
      active: true,
      unitCode: "01",
      updatedAt: adminBefore.updatedAt,
    });

    // An invite code is a way into an account (whoever types it is linked to it): not for an admin's.
    const [admin] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000199"));
    const invite = await fetch(`${s.url}/officers/${admin!.id}/invite`, {
      method: "POST",
      headers: { cookie: hanoi, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: "channel=telegram",
    });
    expect(invite.status).toBe(400);
    expect(await invite.text()).toContain("Chỉ quản trị viên mới tạo được lời mời cho tài khoản quản trị.");
    expect(await t.database.db.select().from(inviteCodes)).toEqual([]);
    const deactivate = await fetch(`${s.url}/officers/${admin!.id}/deactivate`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie: hanoi, origin: s.url },
    });
    expect(deactivate.status).toBe(400);
    expect((await officerByPhone("84912000199")).active).toBe(true);

    // The admin may: the rule is about who imports, not about the row.
    const admin$ = await signIn("0912000199", HANOI_ADMIN);
    const own = await (await importFile(admin$, ["name,phone,role,unit_code", "Quản trị Thành phố Hà Nội,0912000199,admin,01"].join("\n"))).text();
    expect(own).toContain("Đã nhập <b>1</b> cán bộ");
    expect((await officerByPhone("84912000199")).name).toBe("Quản trị Thành phố Hà Nội");
  });

  it("an officer of the importer's own province is still updated and moved, and a new one is added", async () => {
    const hanoi = await signIn("0912000101", HANOI_PROVINCE);
    const csv = ["name,phone,role,unit_code", "Nguyễn Thị Lan,0912000102,commune,00008", "Trần Văn Minh,0912000103,commune,00025"].join("\n");
    const checkedHtml = await (await preview(hanoi, csv)).text();
    expect(checkedHtml).toContain("<b>2</b> dòng hợp lệ");
    expect(rejectedRows(checkedHtml)).toEqual([]);
    const importedHtml = await (await importFile(hanoi, csv)).text();
    expect(importedHtml).toContain("Đã nhập <b>2</b> cán bộ");
    expect(await officerByPhone("84912000102")).toMatchObject({ name: "Nguyễn Thị Lan", role: "commune", active: true, unitCode: "00008" });
    expect(await officerByPhone("84912000103")).toMatchObject({ name: "Trần Văn Minh", role: "commune", active: true, unitCode: "00025" });
  });
});
