import { join } from "node:path";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { eq, sql } from "drizzle-orm";
import { auditLog, incidentEvents, incidents, officers, periods, submissions, units } from "../../src/db/schema/index.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadMapping, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const REPORTER = 9601;
const DISTRICT = 9602;
const PROVINCE = 9603;
const CITY = 9604;
const ADMIN = 9605;

const OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Cán bộ Thèn Sin,0912000601,commune,03394,pre2025",
  "Phòng LĐTBXH Tam Đường,0912000602,district,106,pre2025",
  "Sở Y tế Lai Châu,0912000603,province,12,pre2025",
  "Phòng LĐTBXH thành phố,0912000604,district,105,pre2025",
  "Quản trị Lai Châu,0912000605,admin,12,pre2025",
].join("\n");

describe.skipIf(!hasBrowser)("the daily work of district and province admins in the browser", () => {
  const t = useTestDb("pglite");
  let tg: FakeTelegram;
  let s: TestService | undefined;
  let browser: Browser;
  beforeAll(async () => {
    tg = await startFakeTelegram();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.service.stop();
    await tg?.close();
  });

  async function start(clock: () => Date) {
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(t.database, OFFICERS);
    for (const [phone, chat] of [
      ["84912000601", REPORTER],
      ["84912000602", DISTRICT],
      ["84912000603", PROVINCE],
      ["84912000604", CITY],
      ["84912000605", ADMIN],
    ] as const) {
      await linkOfficer(t.database, phone, "telegram", String(chat));
    }
    await s?.service.stop();
    s = await startTestService(t, { telegram: tg, clock });
    return s;
  }

  it("incidents inbox: a case reported on chat is at the top with its clocks; the district acknowledges, assigns, notes and closes it, the reporter hears each step; every view is audited; another district gets 404", async () => {
    let now = new Date("2026-06-13T01:00:00Z");
    const s = await start(() => now);
    const say = (text: string) => s.postUpdate(textUpdate(REPORTER, text));
    await say("khẩn");
    await say("1");
    await say("hôm qua 17h");
    await say("Bản Nà Khum");
    // The details: the age not known, a girl, no description, what the reporter already did.
    for (const text of ["bỏ qua", "nữ", "bỏ qua", "1, 3", "xong"]) await say(text);
    const [filed] = await t.database.db.select().from(incidents);
    expect(filed!.status).toBe("new");
    now = new Date("2026-06-13T04:00:00Z"); // three hours later: nine left on the 12-hour clock

    const page = await signInByChat(browser, s, tg, "0912000602", DISTRICT);
    await page.getByRole("link", { name: "Báo cáo khẩn" }).click();
    const row = page.locator(`tr[data-ref="${filed!.ref}"]`);
    await expect.poll(() => row.textContent()).toContain("Mới — chưa tiếp nhận");
    expect(await row.textContent()).toContain("Biện pháp khẩn cấp (12 giờ): còn 9 giờ 0 phút");
    await page.screenshot({ path: screenshotPath("incidents-inbox.png"), fullPage: true });
    await row.getByRole("link", { name: filed!.ref }).click();
    // What the reporter already did, and each detail on the timeline by its question, not its field id.
    await expect.poll(() => page.locator("#actions").textContent()).toBe("Đã làm gì: Đã báo công an; Đã gọi Tổng đài 111");
    expect(await page.locator("#child").textContent()).toBe("Trẻ: nữ"); // the unknown age left out
    const timeline = (await page.locator("#timeline").textContent())!;
    for (const label of ["(Tuổi của trẻ)", "(Giới tính của trẻ)", "(Mô tả sự việc)", "(Đã làm gì)"]) expect(timeline).toContain(label);
    expect(timeline).not.toMatch(/\((child_age|child_sex|description|actions)\)/);

    await page.getByRole("button", { name: "Tiếp nhận" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Đã tiếp nhận");
    expect(await page.locator(".flash").textContent()).toBe(`Đã tiếp nhận báo cáo khẩn ${filed!.ref}.`);
    await expect.poll(() => tg.texts(REPORTER).at(-1)).toContain(`${filed!.ref} đã được Phòng LĐTBXH Tam Đường tiếp nhận`);

    await page.selectOption("select[name=officer]", { label: "Sở Y tế Lai Châu — Tỉnh Lai Châu" });
    await page.getByRole("button", { name: "Phân công" }).click();
    await expect.poll(() => page.locator("#assignee").textContent()).toBe("Sở Y tế Lai Châu");
    expect(await page.locator(".flash").textContent()).toBe(`Đã phân công Sở Y tế Lai Châu theo dõi báo cáo khẩn ${filed!.ref}.`);
    await expect.poll(() => tg.texts(PROVINCE).at(-1)).toContain(`phân công anh/chị theo dõi báo cáo khẩn ${filed!.ref}`);
    await expect.poll(() => tg.texts(REPORTER).at(-1)).toContain("đã phân công Sở Y tế Lai Châu");

    await page.fill("textarea[name=text]", "Đã phối hợp công an xã <i>xác minh</i>");
    await page.getByRole("button", { name: "Ghi chú" }).click();
    await page.getByText("Đã phối hợp công an xã <i>xác minh</i>").waitFor(); // escaped, shown as typed
    expect(await page.locator(".flash").textContent()).toBe(`Đã ghi chú vào báo cáo khẩn ${filed!.ref}.`);
    // An empty note (typed past the browser's own check) is refused in words, back on the case.
    const empty = await page.request.post(`${s.url}/incidents/${filed!.ref}/note`, { headers: { origin: s.url }, form: { text: "   " }, maxRedirects: 0 });
    expect([empty.status(), empty.headers().location]).toEqual([302, `/incidents/${filed!.ref}`]);
    await page.goto(`${s.url}/incidents/${filed!.ref}`);
    expect(await page.locator(".flash.error").textContent()).toBe("Ghi chú đang trống.");
    await expect.poll(() => tg.texts(REPORTER).at(-1)).toContain("đã ghi thêm diễn biến vào hồ sơ");
    expect(tg.texts(REPORTER).at(-1)).not.toContain("công an"); // the note itself stays in baocao

    await page.fill("textarea[name=outcome]", "Trẻ đã được đưa về gia đình, có kế hoạch hỗ trợ");
    await page.getByRole("button", { name: "Đóng hồ sơ" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Đã đóng");
    expect(await page.locator(".flash").textContent()).toBe(`Đã đóng báo cáo khẩn ${filed!.ref}.`);
    // A closed case shows what is known only: no "Trẻ: ? tuổi, ?", no empty "Nơi:".
    const closedPage = (await page.locator("body").textContent())!;
    expect(closedPage).not.toContain("?");
    expect(closedPage).toContain("Kết quả: Trẻ đã được đưa về gia đình, có kế hoạch hỗ trợ");
    await expect.poll(() => tg.texts(REPORTER).at(-1)).toContain(`${filed!.ref} đã được Phòng LĐTBXH Tam Đường đóng hồ sơ`);
    const kinds = (await t.database.db.select().from(incidentEvents)).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["reported", "alerted", "acknowledged", "assigned", "note", "closed"]));
    const [closed] = await t.database.db.select().from(incidents);
    expect(closed!.assignedTo).not.toBeNull();
    expect(closed!.outcome).toBe("Trẻ đã được đưa về gia đình, có kế hoạch hỗ trợ");

    const audited = (await t.database.db.select().from(auditLog)).map((a) => `${a.action} ${a.target}`);
    expect(audited).toEqual(
      expect.arrayContaining([
        "incident.list unit:pre2025:106",
        `incident.read ${filed!.ref}`,
        `incident.acknowledge ${filed!.ref}`,
        `incident.assign ${filed!.ref}`,
        `incident.note ${filed!.ref}`,
        `incident.close ${filed!.ref}`,
      ]),
    );
    // …and read in words in the audit log: the action, who by name, the case as a link, the detail labelled.
    await page.goto(`${s.url}/audit?action=incident.assign`);
    const assignedRow = page.locator("#audit tbody tr");
    await expect.poll(() => assignedRow.count()).toBe(1);
    const assignedText = (await assignedRow.textContent())!;
    expect(assignedText).toContain("Phân công báo cáo khẩn");
    expect(assignedText).toContain("Phòng LĐTBXH Tam Đường");
    expect(assignedText).toContain("Người được phân công: Sở Y tế Lai Châu");
    expect(assignedText).not.toContain("{");
    expect(await assignedRow.getByRole("link", { name: filed!.ref }).getAttribute("href")).toBe(`/incidents/${filed!.ref}`);
    const choices = await page.locator("select[name=action] option").allTextContents();
    for (const label of ["Tạo chiến dịch nhắc", "Thêm bước chiến dịch", "Tiếp nhận báo cáo khẩn", "Đóng báo cáo khẩn"]) expect(choices).toContain(label);

    // The city's district: nothing in its inbox, 404 on the case and on every action.
    const other = await signInByChat(browser, s, tg, "0912000604", CITY);
    await other.goto(`${s.url}/incidents?closed=1`);
    expect(await other.content()).not.toContain(filed!.ref);
    expect((await other.goto(`${s.url}/incidents/${filed!.ref}`))!.status()).toBe(404);
    for (const action of ["acknowledge", "assign", "note", "close"]) {
      expect(
        (
          await other.request.post(`${s.url}/incidents/${filed!.ref}/${action}`, {
            headers: { origin: s.url },
            form: { text: "x", outcome: "x", officer: "1" },
          })
        ).status(),
      ).toBe(404);
    }
    expect((await t.database.db.select().from(incidentEvents)).length).toBe(kinds.length);
    // A form posted from another site is refused before anything happens.
    expect(
      (await page.request.post(`${s.url}/incidents/${filed!.ref}/note`, { headers: { origin: "https://evil.example" }, form: { text: "x" } })).status(),
    ).toBe(403);
    // The reporter opens their own commune's case: the same page in the officers' layout, without the admin menu.
    const reporter = await signInByChat(browser, s, tg, "0912000601", REPORTER);
    await reporter.goto(`${s.url}/incidents/${filed!.ref}`);
    await expect.poll(() => reporter.locator("#status").textContent()).toBe("Đã đóng");
    expect(await reporter.locator("#actions").textContent()).toBe("Đã làm gì: Đã báo công an; Đã gọi Tổng đài 111");
    expect(await reporter.getByRole("navigation", { name: "Chức năng" }).count()).toBe(0);
    await page.context().close();
    await other.context().close();
    await reporter.context().close();
  }, 120_000); // one long story through the browser: slow beside another browser file

  it("officers and units: the bad rows of a file are shown before anything is written, the good ones imported; invite with QR; deactivate keeps history; the reform mapping moves an officer and leaves old reports with the old commune; audit log filtered to the subtree", async () => {
    const s = await start(() => new Date("2026-07-10T02:00:00Z"));
    await loadProvince(t.database, "post2025", "12");
    await loadMapping(t.database, "12");
    const page = await signInByChat(browser, s, tg, "0912000602", DISTRICT);
    await page.getByRole("link", { name: "Cán bộ" }).click();
    await page.locator("tr", { hasText: "Cán bộ Thèn Sin" }).getByText("✓ Telegram").waitFor();

    const csv = join(import.meta.dirname, "..", ".tmp", `officers-${Date.now()}.csv`);
    writeFileSync(
      csv,
      [
        "Họ và tên,Số điện thoại,Vai trò,Mã đơn vị,Hệ mã",
        "Cán bộ Tả Lèng,0912000611,commune,03400,pre2025",
        "Cán bộ Giang Ma,091 200 0612,xa,3405,pre2025",
        "Không số,abc,commune,03400,pre2025",
        "Ngoài huyện,0912000613,commune,03386,pre2025",
        "Muốn làm admin,0912000614,admin,106,pre2025",
      ].join("\n"),
    );
    await page.setInputFiles("input[name=file]", csv);
    await page.getByRole("button", { name: "Kiểm tra tệp" }).click();
    await expect.poll(() => page.locator("#summary").textContent()).toContain("2 dòng hợp lệ · 3 dòng lỗi");
    const rejected = await page.locator("#rejected").textContent();
    expect(rejected).toContain('số điện thoại "abc" không hợp lệ');
    expect(rejected).toContain('đơn vị "03386" ngoài phạm vi quản lý');
    expect(rejected).toContain("chỉ quản trị viên mới thêm được vai trò quản trị viên");
    expect((await t.database.db.select().from(officers)).length).toBe(5); // nothing written yet
    await page.getByRole("button", { name: "Nhập 2 dòng hợp lệ" }).click();
    await expect.poll(() => page.locator("#summary").textContent()).toContain("Đã nhập 2 cán bộ");
    expect((await t.database.db.select().from(officers)).map((o) => o.name)).toEqual(expect.arrayContaining(["Cán bộ Tả Lèng", "Cán bộ Giang Ma"]));

    await page.goto(`${s.url}/officers`);
    const taLeng = page.locator("tr", { hasText: "Cán bộ Tả Lèng" });
    await expect.poll(() => taLeng.textContent()).toContain("chưa liên kết");
    await taLeng.getByRole("button", { name: "Tạo lời mời" }).click();
    const link = await page.locator("#invite-link").textContent();
    expect(link).toMatch(/^https:\/\/t\.me\/\w+\?start=\w+$/);
    expect(await page.locator("#qr svg").count()).toBe(1);
    // The invite works: the officer opens it and is linked.
    await s.postUpdate(textUpdate(9611, `/start ${link!.split("start=")[1]}`));
    await page.goto(`${s.url}/officers`);
    await expect.poll(() => page.locator("tr", { hasText: "Cán bộ Tả Lèng" }).textContent()).toContain("✓ Telegram");
    await page.screenshot({ path: screenshotPath("officers.png"), fullPage: true });

    page.once("dialog", (d) => void d.accept());
    await page.locator("tr", { hasText: "Cán bộ Giang Ma" }).getByRole("button", { name: "Ngừng hoạt động" }).click();
    await page.waitForURL(/officers/);
    const [giangMa] = await t.database.db.select().from(officers).where(eq(officers.name, "Cán bộ Giang Ma"));
    expect(giangMa!.active).toBe(false);

    // The reform: Thèn Sin's officer had filed a report on the old commune.
    const [reporter] = await t.database.db.select().from(officers).where(eq(officers.name, "Cán bộ Thèn Sin"));
    const [oldUnit] = await t.database.db
      .select()
      .from(units)
      .where(sql`${units.scheme} = 'pre2025' and ${units.code} = '03394'`);
    const [period] = await t.database.db.select().from(periods).orderBy(periods.opensOn).limit(1);
    await t.database.db
      .insert(submissions)
      .values({ periodId: period!.id, unitId: oldUnit!.id, officerId: reporter!.id, formId: "child-affairs", formVersion: 2, status: "submitted" });
    await page.getByRole("link", { name: "Đơn vị" }).click();
    await page.getByRole("link", { name: /cán bộ còn ở xã cũ/ }).click();
    const move = page.locator("tr", { hasText: "Cán bộ Thèn Sin" });
    const target = (await move.textContent())!;
    await page.getByRole("button", { name: /^Chuyển \d+ cán bộ đã chọn$/ }).click();
    await expect.poll(() => page.locator("#summary").textContent()).toMatch(/Đã chuyển \d+ cán bộ/);
    const [moved] = await t.database.db
      .select({ scheme: units.scheme, code: units.code, name: units.name })
      .from(officers)
      .innerJoin(units, eq(units.id, officers.unitId))
      .where(eq(officers.id, reporter!.id));
    expect(moved!.scheme).toBe("post2025");
    expect(target).toContain(moved!.name);
    const [kept] = await t.database.db.select().from(submissions);
    expect(kept!.unitId).toBe(oldUnit!.id); // history stays with the old commune

    // Audit log: the district sees its own people's entries, not the city's.
    const city = await signInByChat(browser, s, tg, "0912000604", CITY);
    await city.goto(`${s.url}/audit`);
    expect(await city.locator("#audit").textContent()).not.toContain("Phòng LĐTBXH Tam Đường");
    await page.goto(`${s.url}/audit?action=officer.deactivate`);
    await expect.poll(() => page.locator("#audit").textContent()).toContain("Ngừng hoạt động cán bộ");
    expect(await page.locator("#audit tbody tr").count()).toBe(1);
    // The officer acted on by name and unit, with a link, not "officer:<id>".
    const deactivated = page.locator("#audit tbody tr");
    expect(await deactivated.textContent()).toContain("Cán bộ Giang Ma");
    expect(await deactivated.textContent()).not.toMatch(/officer:\d+/);
    expect(await deactivated.getByRole("link", { name: /Cán bộ Giang Ma/ }).getAttribute("href")).toMatch(/^\/officers\?unit=\d+$/);
    await page.goto(`${s.url}/audit`);
    const log = (await page.locator("#audit").textContent())!;
    expect(log).toContain("Nhập danh sách cán bộ");
    expect(log).toContain("Chuyển cán bộ sang đơn vị mới");
    expect(log).not.toContain("Phòng LĐTBXH thành phố");
    await page.screenshot({ path: screenshotPath("audit.png"), fullPage: true });
    // …and it cannot be rewritten, even straight in the database.
    const refusal = (q: Promise<unknown>) =>
      q.then(
        () => "accepted",
        (err: { cause?: unknown }) => String(err.cause),
      );
    expect(await refusal(t.database.db.execute(sql`update audit_log set action = 'x'`))).toMatch(/audit_log is append-only \(UPDATE refused\)/);
    expect(await refusal(t.database.db.execute(sql`delete from audit_log`))).toMatch(/audit_log is append-only \(DELETE refused\)/);

    // Another district's officers are out of reach: list, invite, deactivate.
    expect((await city.goto(`${s.url}/officers?unit=106`))!.status()).toBe(404);
    expect((await city.request.post(`${s.url}/officers/${reporter!.id}/deactivate`, { headers: { origin: s.url } })).status()).toBe(404);
    expect((await city.request.post(`${s.url}/officers/${reporter!.id}/invite`, { headers: { origin: s.url }, form: { channel: "telegram" } })).status()).toBe(
      404,
    );
    expect((await t.database.db.select().from(officers).where(eq(officers.id, reporter!.id)))[0]!.active).toBe(true);
    // Unit lists are national: a district officer cannot import one.
    expect(
      (
        await city.request.post(`${s.url}/units/import`, {
          headers: { origin: s.url },
          multipart: {
            scheme: "post2025",
            file: { name: "u.csv", mimeType: "text/csv", buffer: Buffer.from("code,name,level,parent_code\n99,X,province,\n") },
          },
        })
      ).status(),
    ).toBe(404);
    await page.context().close();
    await city.context().close();
  }, 120_000); // one long story through the browser: slow beside another browser file
});
