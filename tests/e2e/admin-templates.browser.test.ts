import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { and, eq } from "drizzle-orm";
import { answers, deadlineCalendars, formVersions, reportTemplates, submissions } from "../../src/db/schema/index.js";
import { writeXlsx, type XlsFormSheets } from "../../src/forms/xlsform/xlsform.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { signInByChat } from "../support/admin-web.js";
import { CHROMIUM, CHROMIUM_ARGS, hasBrowser, screenshotPath, skipNotice } from "../support/browser.js";

skipNotice();
const PROVINCE = 9601;
const COMMUNE = 9602;
const LABEL = "label::Vietnamese (vi)";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** The province's appendix as its author saves it from Excel; `broken` adds two mistakes. */
function appendix(broken = false): XlsFormSheets {
  return {
    survey: [
      { type: "begin_group", name: "tuyen_truyen", [LABEL]: "Tuyên truyền", ...(broken ? { relevant: "jr:choice-name(${sessions}, 'x')" } : {}) },
      { type: "integer", name: "sessions", [LABEL]: "Số buổi truyền thông", required: "yes", constraint: ". <= 500" },
      { type: "integer", name: "people", [LABEL]: "Số lượt người tham dự", required: "yes", relevant: "${sessions} > 0", constraint: ". <= 100000" },
      { type: "integer", name: "children", [LABEL]: "Trong đó, số lượt trẻ em", required: "yes", relevant: "${sessions} > 0", constraint: ". <= ${people}" },
      { type: broken ? "geopoint" : "select_one yes_no", name: "friendly", [LABEL]: "Xã đạt chuẩn phù hợp với trẻ em?", required: "yes" },
      { type: "end_group" },
    ],
    choices: [
      { list_name: "yes_no", name: "yes", [LABEL]: "Có" },
      { list_name: "yes_no", name: "no", [LABEL]: "Không" },
    ],
    settings: [{ form_id: "phu-luc-lai-chau", form_title: "Phụ lục tuyên truyền Lai Châu" }],
  };
}

describe.skipIf(!hasBrowser)("the template designer: upload, preview, chat preview, publish, schedule", () => {
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

  it(
    "a province officer is shown every problem of a wrong file, previews a good one numbered with its skip logic in words, tries it in the chat with nothing stored, publishes and schedules it; a commune officer cannot open the page",
    { timeout: 120_000 },
    async () => {
      const { db } = t.database;
      await loadLaiChau(t.database);
      await addOfficers(t.database, "name,phone,role,unit_code\nSở LĐTBXH Lai Châu,0912000601,province,12\nCán bộ xã,0912000602,commune,03388\n");
      await linkOfficer(t.database, "84912000601", "telegram", String(PROVINCE));
      await linkOfficer(t.database, "84912000602", "telegram", String(COMMUNE));
      s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-11-07T03:00:00Z") });

      const page = await signInByChat(browser, s, tg, "0912000601", PROVINCE);
      page.on("dialog", (d) => void d.accept());
      await page.goto(`${s.url}/templates`);
      await page.getByRole("heading", { name: "Tải lên mẫu báo cáo" }).waitFor();

      // A wrong file: every problem, by sheet, row and column; nothing saved.
      await page.setInputFiles("input[name=file]", { name: "phu-luc.xlsx", mimeType: XLSX, buffer: await writeXlsx(appendix(true)) });
      await page.getByRole("button", { name: "Tải lên và xem trước" }).click();
      await page.getByText("Không nhận mẫu «phu-luc.xlsx»; chưa có gì được lưu.", { exact: false }).waitFor();
      const problems = await page.locator("body").innerText();
      expect(problems).toContain('survey, dòng 6, cột type: kiểu câu hỏi "geopoint" chưa được baocao hỗ trợ');
      expect(problems).toMatch(/survey, dòng 2, cột relevant: không hiểu `jr:choice-name/);
      expect(await db.select().from(formVersions).where(eq(formVersions.formId, "phu-luc-lai-chau"))).toEqual([]);

      // A good one: its preview page, the questions numbered as the officer will see them.
      await page.setInputFiles("input[name=file]", { name: "phu-luc.xlsx", mimeType: XLSX, buffer: await writeXlsx(appendix()) });
      await Promise.all([page.waitForURL(/\/templates\/phu-luc-lai-chau\/v\/1$/), page.getByRole("button", { name: "Tải lên và xem trước" }).click()]);
      await page.getByText("Đã nhận mẫu «phu-luc.xlsx»: phu-luc-lai-chau, phiên bản 1 (nháp).", { exact: false }).waitFor();
      const questions = page.locator("#form-description li[data-question]");
      expect(await questions.allInnerTexts()).toEqual([
        expect.stringMatching(/^Câu 1\. Số buổi truyền thông/),
        expect.stringMatching(/^Câu 2\. Số lượt người tham dự[\s\S]*Hỏi khi: «Số buổi truyền thông» > 0/),
        expect.stringMatching(/^Câu 3\. Trong đó, số lượt trẻ em[\s\S]*Hỏi khi: «Số buổi truyền thông» > 0/),
        expect.stringMatching(/^Câu 4\. Xã đạt chuẩn phù hợp với trẻ em\?/),
      ]);
      expect(await page.locator("#checks").innerText()).toContain("«Trong đó, số lượt trẻ em» ≤ «Số lượt người tham dự»");

      // The chat preview runs the real engine on the draft: the bound, the skip, the cross check, the review.
      const log = page.locator("#chat-log");
      await expect.poll(() => log.innerText()).toMatch(/Câu 1\/\d\. Số buổi truyền thông/);
      const answer = async (text: string, expected: RegExp) => {
        await page.fill("#chat-input", text);
        await page.locator("#chat-form").getByRole("button", { name: "Gửi" }).click();
        await expect.poll(() => log.innerText()).toMatch(expected);
      };
      await answer("600", /500/);
      await answer("3", /Số lượt người tham dự/);
      await answer("40", /Trong đó, số lượt trẻ em/);
      await answer("41", /41[\s\S]*40|40[\s\S]*41/);
      await answer("12", /Xã đạt chuẩn phù hợp với trẻ em\?/);
      await log.getByRole("button", { name: "Có" }).click();
      await expect.poll(() => log.innerText()).toMatch(/Trong đó, số lượt trẻ em[^\n]*12/);
      await page.screenshot({ path: screenshotPath("admin-templates.png"), fullPage: true });
      // Nothing of the preview is stored.
      expect(await db.select().from(submissions)).toEqual([]);
      expect(await db.select().from(answers)).toEqual([]);

      // Published: the list shows version 1 in use.
      await Promise.all([page.waitForURL(/\/templates$/), page.getByRole("button", { name: "Xuất bản" }).click()]);
      await page.getByText("Đã xuất bản «Phụ lục tuyên truyền Lai Châu» phiên bản 1.", { exact: false }).waitFor();
      const row = page.locator('tr[data-template="phu-luc-lai-chau"]');
      expect(await row.locator(".published-version").innerText()).toBe("phiên bản 1");
      expect(await row.innerText()).toContain("Tỉnh Lai Châu (12)");

      // Its schedule: a date that is no date is refused in words; a good one is saved as the calendar.
      await row.getByRole("link", { name: "Phụ lục tuyên truyền Lai Châu" }).click();
      await page.getByRole("heading", { name: "Lịch báo cáo của mẫu" }).waitFor();
      const due = page.getByLabel("Hạn của xã — kỳ năm");
      await due.fill("31/02");
      await page.getByRole("button", { name: "Lưu lịch" }).click();
      await page.getByText("Không hiểu ngày: hạn của xã kỳ năm «31/02»", { exact: false }).waitFor();
      await page.getByLabel("Hạn của xã — kỳ năm").fill("20/11");
      await page.getByLabel("Số liệu tính đến — kỳ năm").fill("31/10");
      await page.getByRole("button", { name: "Lưu lịch" }).click();
      await page.getByText("Đã lưu lịch của «Phụ lục tuyên truyền Lai Châu»", { exact: false }).waitFor();
      const [template] = await db.select().from(reportTemplates).where(eq(reportTemplates.id, "phu-luc-lai-chau"));
      expect(template).toMatchObject({ scheduled: true, periodicity: "yearly", cutoff: { Y: "31/10" }, formVersion: 1 });
      const calendar = await db
        .select({ level: deadlineCalendars.level, slot: deadlineCalendars.slot, deadline: deadlineCalendars.deadline })
        .from(deadlineCalendars)
        .where(and(eq(deadlineCalendars.templateId, "phu-luc-lai-chau"), eq(deadlineCalendars.scopeUnitId, template!.scopeUnitId!)));
      expect(calendar).toEqual([{ level: "commune", slot: "Y", deadline: "2000-11-20" }]);
      // A district's own date or one year's comes from a letter: the calendars page holds those, for this template too.
      await page.getByRole("link", { name: "Lịch báo cáo của mẫu này" }).click();
      await page.getByRole("heading", { name: "Hạn đang áp dụng cho Tỉnh Lai Châu — năm 2026" }).waitFor();
      expect(await page.locator('#effective td[data-slot="Y"][data-level="commune"]').innerText()).toMatch(/20\/11\/2026/);

      // A commune officer fills reports in: the designer is not hers.
      const commune = await signInByChat(browser, s, tg, "0912000602", COMMUNE);
      const res = await commune.goto(`${s.url}/templates`);
      expect(res?.status()).toBe(404);
    },
  );
});
