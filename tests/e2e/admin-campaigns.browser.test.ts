import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { asc, eq, like } from "drizzle-orm";
import { auditLog, campaigns, campaignSteps, officers } from "../../src/db/schema/index.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const ADMIN = 9501;
const HANOI = 9502;
const LAICHAU_PROVINCE = 9503;

describe.skipIf(!hasBrowser)("a provincial admin manages campaigns in the browser", () => {
  const t = useTestDb("pglite");
  let tg: FakeTelegram;
  let s: TestService;
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

  const db = () => t.database.db;
  const campaignByKey = async (key: string) => (await db().select().from(campaigns).where(eq(campaigns.key, key)))[0]!;
  const stepsOf = (id: number) => db().select().from(campaignSteps).where(eq(campaignSteps.campaignId, id)).orderBy(asc(campaignSteps.id));
  const auditOf = (id: number) =>
    db()
      .select()
      .from(auditLog)
      .where(eq(auditLog.target, `campaign:${id}`))
      .orderBy(asc(auditLog.id));
  /** A form POST from the signed-in page's own origin (past CSRF), as a tampered form would arrive. */
  const post = (page: Page, path: string, form: Record<string, string>) =>
    page.request.post(`${s.url}${path}`, { form, headers: { origin: s.url }, maxRedirects: 0 });

  it("previews lunar dates, edits themes and steps, refuses bad input, pauses and resumes, creates a province campaign; others see only what is theirs", async () => {
    await loadProvince(t.database, "post2025", "12");
    await loadProvince(t.database, "post2025", "01");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code,scheme",
        "Quản trị Lai Châu,0912000501,admin,12,post2025",
        "Sở Y tế Hà Nội,0912000502,province,01,post2025",
        "Sở Y tế Lai Châu,0912000503,province,12,post2025",
      ].join("\n"),
    );
    for (const [phone, chat] of [
      ["84912000501", ADMIN],
      ["84912000502", HANOI],
      ["84912000503", LAICHAU_PROVINCE],
    ] as const)
      await linkOfficer(t.database, phone, "telegram", String(chat));
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-05-10T03:00:00Z") });
    const [admin] = await db().select().from(officers).where(eq(officers.phone, "84912000501"));

    // The shipped campaigns are listed with their next send date: the launch on the last Monday of May.
    const page = await signInByChat(browser, s, tg, "0912000501", ADMIN);
    await page.goto(`${s.url}/dashboard`);
    await page.goto(`${s.url}/campaigns`);
    const actionRow = page.locator("tr", { hasText: "Tháng hành động vì trẻ em" });
    expect(await actionRow.textContent()).toContain("Toàn quốc");
    expect(await actionRow.textContent()).toContain("25/05/2026");
    expect(await actionRow.textContent()).toContain("Đang chạy");

    // Tết Trung thu 2026: 15/8 âm lịch is 25/09/2026, the reminder a week before is 18/09/2026.
    await page.getByRole("link", { name: "Tết Trung thu" }).click();
    await page.getByRole("heading", { name: "Lịch gửi năm 2026" }).waitFor();
    const preview = page.locator("#preview");
    expect(await preview.locator("tr", { hasText: "25/09/2026" }).textContent()).toContain("Hôm nay là Tết Trung thu");
    expect(await preview.locator("tr", { hasText: "18/09/2026" }).textContent()).toContain("Còn một tuần nữa là Tết Trung thu");
    await page.screenshot({ path: screenshotPath("campaigns.png"), fullPage: true });
    await page.getByRole("link", { name: "2027 →" }).click();
    await page.getByRole("heading", { name: "Lịch gửi năm 2027" }).waitFor();
    // Tết Trung thu 2027 (15/8 Đinh Mùi) is Wednesday 15/09/2027 in the published calendars.
    await preview.locator("tr", { hasText: "15/09/2027" }).waitFor();

    // The Action Month theme for 2027, shown in the 2027 preview.
    await page.goto(`${s.url}/campaigns`);
    await page.getByRole("link", { name: "Tháng hành động vì trẻ em" }).click();
    await page.getByRole("heading", { name: "Chủ đề năm" }).waitFor();
    // 2026 has no theme: its launch is held back, said so, never shown as an empty «».
    await page
      .locator("#theme-missing")
      .getByText(/Chưa có chủ đề năm 2026: .*không bao giờ gửi với chủ đề trống/)
      .waitFor();
    const launch2026 = page.locator("#preview tr", { hasText: "phát động Tháng hành động vì trẻ em 2026" });
    expect(await launch2026.textContent()).toContain("⏸ chờ chủ đề");
    expect(await launch2026.textContent()).toContain("chủ đề: «…»");
    await page.fill("input[name=theme_2027]", "Trẻ em được an toàn trên không gian mạng");
    await page.getByRole("button", { name: "Lưu chủ đề" }).click();
    await page.getByRole("status").getByText("Đã lưu chủ đề năm 2027.").waitFor();
    const action = await campaignByKey("action-month");
    expect(action.themes["2027"]).toBe("Trẻ em được an toàn trên không gian mạng");
    expect(action.themes["2025"]).toBe("Ưu tiên nguồn lực hoàn thành các mục tiêu vì trẻ em");
    await page.goto(`${s.url}/campaigns/${action.id}?year=2027`);
    expect(await page.locator("#preview").textContent()).toContain(
      "Tháng hành động vì trẻ em 2027 (1–30/6), chủ đề: «Trẻ em được an toàn trên không gian mạng»",
    );
    expect((await auditOf(action.id)).map((a) => [a.action, a.actor, a.detail])).toEqual([
      ["campaign.theme", `officer:${admin!.id}`, { changes: { "2027": { from: null, to: "Trẻ em được an toàn trên không gian mạng" } } }],
    ]);

    // A province campaign for Lai Châu.
    await page.goto(`${s.url}/campaigns`);
    // Refused without any recipient group: the form comes back with the reason and the name as typed.
    await page.fill("input[name=name]", "Tết an toàn cho trẻ em Lai Châu");
    await page.uncheck("input[name=roles][value=commune]");
    await page.getByRole("button", { name: "Tạo chiến dịch" }).click();
    await page.getByRole("alert").getByText("Chọn ít nhất một nhóm người nhận.").waitFor();
    expect(await page.inputValue("input[name=name]")).toBe("Tết an toàn cho trẻ em Lai Châu");
    await page.check("input[name=roles][value=commune]");
    await page.fill("input[name=name]", "Tết an toàn cho trẻ em Lai Châu");
    await page.selectOption("select[name=root]", "12");
    await page.check("input[name=roles][value=province]");
    await page.getByRole("button", { name: "Tạo chiến dịch" }).click();
    await page.getByRole("heading", { name: "Tết an toàn cho trẻ em Lai Châu" }).waitFor();
    await page.getByRole("status").getByText("Đã tạo chiến dịch «Tết an toàn cho trẻ em Lai Châu». Hãy thêm các bước gửi.").waitFor();
    // The audience by unit name and roles in Vietnamese, the status in words: no codes.
    expect(await page.getByText("Đối tượng:").textContent()).toMatch(/Lai Châu — Cán bộ xã, Cấp tỉnh$/);
    expect(await page.locator("#state").textContent()).toBe("Đang chạy");
    const own = await campaignByKey("tet-an-toan-cho-tre-em-lai-chau");
    expect(own.audience).toEqual({ scheme: "post2025", rootCode: "12", roles: ["commune", "province"] });
    expect(own.active).toBe(true);

    // A lunar step: 23 tháng Chạp, Ông Công ông Táo.
    await page.selectOption("#add-step select[name=kind]", "lunar");
    await page.fill("#add-step input[name=day]", "23");
    await page.fill("#add-step input[name=month]", "12");
    await page.fill("#add-step input[name=sendAt]", "07:30");
    await page.fill("#add-step textarea[name=text]", "Hôm nay ông Công ông Táo: anh/chị nhắc các gia đình trông trẻ khi đốt vàng mã, thả cá chép ({year}).");
    await page.getByRole("button", { name: "Thêm bước" }).click();
    await page.locator("#steps", { hasText: "23/12 âm lịch" }).waitFor();
    await page.getByRole("status").getByText("Đã thêm bước «23/12 âm lịch, 07:30».").waitFor();
    const [taoQuan] = await stepsOf(own.id);
    expect(taoQuan).toMatchObject({ rule: { kind: "lunar", day: 23, month: 12 }, sendAt: "07:30", key: `step-${taoQuan!.id}` });
    // Ông Công ông Táo of solar 2026 is 23 tháng Chạp Ất Tỵ: Tuesday 10/02/2026, a week before Tết Bính Ngọ (17/02).
    expect(await page.locator("#preview tr", { hasText: "10/02/2026" }).textContent()).toContain("thả cá chép (2026)");

    // 31/2 is refused in Vietnamese, with the form as it was typed.
    await page.selectOption("#add-step select[name=kind]", "solar");
    await page.fill("#add-step input[name=day]", "31");
    await page.fill("#add-step input[name=month]", "2");
    await page.fill("#add-step textarea[name=text]", "Ngày không có thật");
    await page.getByRole("button", { name: "Thêm bước" }).click();
    await page.getByRole("alert").getByText("Tháng 2 không có ngày 31.").waitFor();
    expect(await page.inputValue("#add-step input[name=day]")).toBe("31");
    expect(await page.inputValue("#add-step input[name=month]")).toBe("2");
    expect(await page.inputValue("#add-step select[name=kind]")).toBe("solar");
    expect(await page.inputValue("#add-step textarea[name=text]")).toBe("Ngày không có thật");
    expect(await stepsOf(own.id)).toHaveLength(1);

    // Then corrected into a relative step: 7 days before Tết (1/1 âm lịch), which falls in February 2026.
    await page.selectOption("#add-step select[name=kind]", "relative");
    await page.selectOption("#add-step select[name=base]", "lunar");
    await page.fill("#add-step input[name=day]", "1");
    await page.fill("#add-step input[name=month]", "1");
    await page.fill("#add-step input[name=days]", "-7");
    await page.fill("#add-step textarea[name=text]", "Một tuần nữa là Tết: rà soát trẻ em có hoàn cảnh đặc biệt.");
    await page.getByRole("button", { name: "Thêm bước" }).click();
    await page.locator("#steps", { hasText: "7 ngày trước 1/1 âm lịch" }).waitFor();
    const [, beforeTet] = await stepsOf(own.id);
    expect(beforeTet!.rule).toEqual({ kind: "relative", to: { kind: "lunar", day: 1, month: 1 }, days: -7 });

    // Edit the lunar step's send time; delete the other one.
    await page.locator(`tr[data-step="${taoQuan!.id}"]`).getByRole("link", { name: "Sửa" }).click();
    expect(await page.inputValue("#edit-step input[name=day]")).toBe("23");
    await page.fill("#edit-step input[name=sendAt]", "09:15");
    await page.getByRole("button", { name: "Lưu bước" }).click();
    await page.locator(`tr[data-step="${taoQuan!.id}"]`, { hasText: "09:15" }).waitFor();
    await page.getByRole("status").getByText("Đã sửa bước «23/12 âm lịch, 09:15».").waitFor();
    page.once("dialog", (d) => void d.accept());
    await page.locator(`tr[data-step="${beforeTet!.id}"]`).getByRole("button", { name: "Xoá" }).click();
    await expect.poll(async () => (await stepsOf(own.id)).map((st) => [st.id, st.sendAt])).toEqual([[taoQuan!.id, "09:15"]]);
    await page.getByRole("status").getByText("Đã xoá bước «7 ngày trước 1/1 âm lịch, 08:00».").waitFor();

    // Pause: the list says so and the planner's filter (active = true) no longer picks it; then resume.
    await page.getByRole("button", { name: "Tạm dừng" }).click();
    await page.getByRole("button", { name: "Tiếp tục" }).waitFor();
    await page
      .getByRole("status")
      .getByText("Đã tạm dừng chiến dịch «Tết an toàn cho trẻ em Lai Châu»: không tin nào được gửi cho tới khi tiếp tục.")
      .waitFor();
    expect(await page.locator("#state").textContent()).toBe("Tạm dừng");
    expect((await campaignByKey(own.key)).active).toBe(false);
    await page.goto(`${s.url}/campaigns`);
    expect(await page.locator(`tr[data-campaign="${own.id}"]`).textContent()).toContain("Tạm dừng");
    expect(await page.locator(`tr[data-campaign="${own.id}"]`).textContent()).toContain("Lai Châu — Cán bộ xã, Cấp tỉnh");
    expect(await page.locator(`tr[data-campaign="${own.id}"]`).textContent()).not.toMatch(/province|commune|\b12\b/);
    await page.getByRole("link", { name: "Tết an toàn cho trẻ em Lai Châu" }).click();
    await page.getByRole("button", { name: "Tiếp tục" }).click();
    await page.getByRole("button", { name: "Tạm dừng" }).waitFor();
    await page.getByRole("status").getByText("Đã tiếp tục chiến dịch «Tết an toàn cho trẻ em Lai Châu»: các tin sẽ được gửi theo lịch.").waitFor();
    expect((await campaignByKey(own.key)).active).toBe(true);

    expect((await auditOf(own.id)).map((a) => a.action)).toEqual([
      "campaign.create",
      "campaign.step.add",
      "campaign.step.add",
      "campaign.step.edit",
      "campaign.step.delete",
      "campaign.pause",
      "campaign.resume",
    ]);
    expect((await auditOf(own.id)).every((a) => a.actor === `officer:${admin!.id}`)).toBe(true);

    // Hà Nội's provincial officer: Lai Châu's campaign does not exist for them, reading or writing.
    const before = {
      campaigns: await db().select().from(campaigns).orderBy(asc(campaigns.id)),
      steps: await db().select().from(campaignSteps).orderBy(asc(campaignSteps.id)),
    };
    const auditCount = async () => (await db().select().from(auditLog).where(like(auditLog.action, "campaign.%"))).length;
    const audited = await auditCount();
    const hanoi = await signInByChat(browser, s, tg, "0912000502", HANOI);
    await hanoi.goto(`${s.url}/campaigns`);
    expect(await hanoi.content()).not.toContain("Lai Châu");
    await hanoi.getByRole("link", { name: "Tết Trung thu" }).waitFor();
    expect((await hanoi.goto(`${s.url}/campaigns/${own.id}`))!.status()).toBe(404);
    for (const [path, form] of [
      [`/campaigns/${own.id}/pause`, {}],
      [`/campaigns/${own.id}/themes`, { theme_2026: "Chủ đề lạ" }],
      [`/campaigns/${own.id}/steps`, { kind: "solar", day: "1", month: "6", sendAt: "08:00", text: "Tin lạ" }],
      [`/campaigns/${own.id}/steps/${taoQuan!.id}`, { kind: "solar", day: "1", month: "6", sendAt: "08:00", text: "Tin lạ" }],
      [`/campaigns/${own.id}/steps/${taoQuan!.id}/delete`, {}],
    ] as const) {
      expect((await post(hanoi, path, form)).status(), path).toBe(404);
    }
    // Nor may they put a campaign on another province's units.
    expect((await post(hanoi, "/campaigns", { name: "Chiến dịch lạ", root: "12", roles: "commune" })).status()).toBe(400);

    // Lai Châu's non-admin provincial officer: national campaigns read-only, their own province's editable.
    const province = await signInByChat(browser, s, tg, "0912000503", LAICHAU_PROVINCE);
    const trungThu = await campaignByKey("trung-thu");
    await province.goto(`${s.url}/campaigns/${trungThu.id}`);
    await province.locator("#preview", { hasText: "25/09/2026" }).waitFor();
    expect(await province.locator("form[action*='/steps'], form[action$='/themes'], form[action$='/pause']").count()).toBe(0);
    expect(await province.locator("input[name^=theme_]").count()).toBe(0);
    await province.getByText("Anh/chị chỉ được xem chiến dịch này.").waitFor();
    expect((await post(province, `/campaigns/${trungThu.id}/pause`, {})).status()).toBe(400);
    expect((await post(province, `/campaigns/${trungThu.id}/steps`, { kind: "solar", day: "1", month: "6", sendAt: "08:00", text: "Tin lạ" })).status()).toBe(
      400,
    );
    expect((await post(province, "/campaigns", { name: "Chiến dịch lạ", root: "toan-quoc", roles: "commune" })).status()).toBe(400);
    await province.goto(`${s.url}/campaigns/${own.id}`);
    await province.locator("#add-step").waitFor();

    expect(await db().select().from(campaigns).orderBy(asc(campaigns.id))).toEqual(before.campaigns);
    expect(await db().select().from(campaignSteps).orderBy(asc(campaignSteps.id))).toEqual(before.steps);
    expect(await auditCount()).toBe(audited);
    await Promise.all([page.context().close(), hanoi.context().close(), province.context().close()]);
  }, 120_000); // one long story through the browser: 15 s alone, more beside another browser file
});
