import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answers, submissionEvents, submissions } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { signInitData } from "../../src/web-form/telegram-init-data.js";
import type { WebReportView } from "../../src/web-form/web-report.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, TEST_TOKEN, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";

const MAI = 8101;
const PUBLIC = "https://baocao.example";
// 7 November 2026, 10:00 in Hà Nội: the yearly report (due 10/11) is open.
let now = new Date("2026-11-07T03:00:00Z");
const clock = () => now;

type Op = { id: string; key: string; text?: string; choice?: string; values?: string[]; skip?: true };
let opCount = 0;
const op = (key: string, answer: { text?: string; choice?: string }): Op => ({
  id: `op-${++opCount}-${Math.random().toString(36).slice(2, 10)}`,
  key,
  ...answer,
});
const questionOf = (key: string) => (key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1));
const slotsOf = (v: WebReportView) => v.sections.flatMap((s) => s.slots);

describe.each(dbKinds)("an officer fills the report on the phone web form as well as in chat (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  let link = "";

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await s?.service.stop();
    await tg.close();
  });

  async function send(input: { text?: string; choice?: string }) {
    const res = await s.postUpdate(input.choice !== undefined ? callbackUpdate(MAI, input.choice) : textUpdate(MAI, input.text!));
    expect(res.status).toBe(200);
  }
  /** The link as Telegram would open it, on this test's loopback address. */
  const local = (url: string) => url.replace(PUBLIC, s.url);
  const state = async (initData?: string) => {
    const res = await fetch(`${local(link)}/state`, initData ? { headers: { "x-telegram-init-data": initData } } : {});
    return { status: res.status, body: (await res.json()) as WebReportView & { error?: string } };
  };
  const post = async (ops: Op[]) => {
    const res = await fetch(`${local(link)}/answers`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ops }) });
    expect(res.status).toBe(200);
    return (await res.json()) as { results: ({ ok: true; shown: string } | { ok: false; message: string })[]; view: WebReportView };
  };
  const stored = async (key: string) => {
    const [sub] = await t.database.db.select().from(submissions);
    const rows = await t.database.db.select().from(answers).where(eq(answers.submissionId, sub!.id));
    return rows.find((r) => r.key === key)?.value.v;
  };

  it("an officer opens her report from chat on the phone web form, answers in both, and submits on the web", { timeout: 120_000 }, async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { telegram: tg, clock, env: { PUBLIC_URL: PUBLIC } });
    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    await send({ text: `/start ${code}` });

    // the report's start offers «Điền trên web» as a Telegram Web App button, and the page opens on it
    {
      await send({ text: "báo cáo" });
      const due = tg.sent(MAI).find((c) => String(c.payload.text).startsWith("Hạn nộp"))!;
      const keyboard = (due.payload.reply_markup as { inline_keyboard: { text: string; web_app?: { url: string } }[][] }).inline_keyboard;
      const button = keyboard.flat().find((b) => b.web_app)!;
      expect(button.text).toBe("📝 Điền trên web");
      expect(button.web_app!.url).toMatch(new RegExp(`^${PUBLIC}/f/[A-Za-z0-9_-]{43}$`));
      link = button.web_app!.url;

      const page = await fetch(local(link));
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<script src="/assets/report-form.js"');
      // The page itself carries no answers: its script asks for them (with Telegram's initData when there is one).
      expect(html).not.toContain("comm_sessions");
      // Telegram's web app frames Web Apps: allowed for this page, and only for Telegram.
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'self' https://web.telegram.org");
      expect(page.headers.get("x-frame-options")).toBeNull();

      const { status, body } = await state();
      expect(status).toBe(200);
      expect(body.report).toBe("báo cáo năm 2026");
      expect(body.deadline).toBe("10/11/2026");
      expect(slotsOf(body)[0]).toMatchObject({ key: "comm_sessions", number: "1", type: "integer", required: true });
    }

    // one draft: an answer typed in chat is on the web, and answers given on the web are in chat's «xem» and not asked again
    {
      await send({ text: "3" });
      expect(slotsOf((await state()).body)[0]).toMatchObject({ key: "comm_sessions", value: "3", shown: "3 buổi" });

      const r = await post([op("comm_people", ANSWERS.comm_people!), op("comm_children", ANSWERS.comm_children!)]);
      expect(r.results.map((x) => x.ok)).toEqual([true, true]);
      expect(r.view.answered).toBe(3);
      expect(await stored("comm_people")).toBe(1234);

      await send({ text: "xem" });
      expect(tg.texts(MAI).join("\n")).toMatch(/2\. .*: 1\.234/);
      // The chat was asking question 2, answered meanwhile on the web: it carries on at question 4.
      await send({ text: "tiếp tục" });
      expect(tg.texts(MAI).at(-1)).toMatch(/^Câu 4\//);
    }

    // a refused answer on the web says why, as in chat, and stores nothing
    {
      const r = await post([op("trainings", { text: "-3" }), op("trainings", { text: "hai" })]);
      expect(r.results[0]).toEqual(expect.objectContaining({ ok: false, message: "Số không được âm." }));
      expect(r.results[1]).toEqual(expect.objectContaining({ ok: false }));
      expect((r.results[1] as { message: string }).message).toMatch(/cần một con số/);
      expect(await stored("trainings")).toBeUndefined();
      const unknown = await post([op("no_such_question", { text: "1" })]);
      expect(unknown.results[0]).toEqual(expect.objectContaining({ ok: false, message: expect.stringMatching(/không còn trong báo cáo/) }));
    }

    // a retried answer is applied once: resent after a later change, it does not undo the change
    {
      const first = op("trainings", { text: "2" });
      await post([first]);
      await post([op("trainings", { text: "5" })]);
      const again = await post([first]);
      expect(again.results[0]).toEqual(expect.objectContaining({ ok: true, shown: expect.stringMatching(/^2\b/) }));
      expect(await stored("trainings")).toBe(5);
    }

    // a sum that does not add up is named with both numbers, and the report does not submit until it does
    {
      await post([op("trainees", { text: "45" }), op("special_total", { text: "12" }), op("special_boys", { text: "5" }), op("special_girls", { text: "6" })]);
      const { body } = await state();
      expect(body.problems.map((p) => p.message).join("\n")).toMatch(/12.*5 \+ 6 = 11/);
      const res = await fetch(`${local(link)}/submit`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      const refused = (await res.json()) as { submitted: boolean; message: string };
      expect(refused.submitted).toBe(false);
      expect(refused.message).toMatch(/Còn \d+ câu chưa trả lời/);
      await post([op("special_girls", { text: "7" })]);
      expect((await state()).body.problems).toEqual([]);
    }

    // a forged link, another officer's Telegram account and a forged initData are refused in Vietnamese; Telegram's own initData is taken
    {
      const forged = `${s.url}/f/${"A".repeat(43)}`;
      const page = await fetch(forged);
      expect(page.status).toBe(404);
      expect(await page.text()).toContain("Đường dẫn không còn dùng được");
      const api = await fetch(`${forged}/state`);
      expect(api.status).toBe(404);
      expect(((await api.json()) as { error: string }).error).toMatch(/Gõ "web" trong khung chat/);

      const authDate = String(Math.floor(now.getTime() / 1000));
      const mine = signInitData({ auth_date: authDate, user: JSON.stringify({ id: MAI, first_name: "Mai" }) }, TEST_TOKEN);
      expect((await state(mine)).status).toBe(200);
      const someoneElse = signInitData({ auth_date: authDate, user: JSON.stringify({ id: 9999, first_name: "X" }) }, TEST_TOKEN);
      expect((await state(someoneElse)).status).toBe(403);
      const tampered = mine.replace(/%22id%22%3A\d+/, `%22id%22%3A${MAI + 1}`);
      expect(tampered).not.toBe(mine);
      const refused = await state(tampered);
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatch(/Không xác minh được tài khoản Telegram/);
      const old = signInitData({ auth_date: String(Number(authDate) - 3 * 86_400), user: JSON.stringify({ id: MAI }) }, TEST_TOKEN);
      expect((await state(old)).status).toBe(403);
    }

    // the rest filled on the web, the report submits there once; the chat knows, and a reminder's «Điền trên web» gives a fresh link
    {
      for (let round = 0; round < 80; round++) {
        const { body } = await state();
        const next = slotsOf(body).find((q) => q.shown === undefined);
        if (!next) break;
        const r = await post([op(next.key, ANSWERS[questionOf(next.key)]!)]);
        expect(r.results[0]).toEqual(expect.objectContaining({ ok: true }));
      }
      const { body } = await state();
      expect(body.missing).toEqual([]);
      expect(body.problems).toEqual([]);
      const submit = () => fetch(`${local(link)}/submit`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      const done = (await (await submit()).json()) as { submitted: boolean; message: string; view: WebReportView };
      expect(done.submitted).toBe(true);
      expect(done.message).toMatch(/^✅ Đã nộp báo cáo năm 2026 lúc .* \(đúng hạn\)/);
      expect(done.view.status).toBe("submitted");
      const twice = (await (await submit()).json()) as { submitted: boolean; message: string };
      expect(twice.submitted).toBe(false);
      expect(twice.message).toMatch(/Đơn vị đã nộp/);
      const late = await post([op("notes", { text: "sửa sau khi nộp" })]);
      expect(late.results[0]).toEqual(expect.objectContaining({ ok: false, message: expect.stringMatching(/đã nộp/) }));

      await send({ text: "xem" });
      expect(tg.texts(MAI).at(-1)).toMatch(/chưa có báo cáo nào đang làm/);
      await send({ choice: "cmd:web:child-affairs" });
      expect(tg.texts(MAI).at(-1)).toMatch(/Đơn vị đã nộp báo cáo năm 2026/);

      // Returned naming questions 1 and 3, the chat walks those two one after another, then the review.
      const [sub] = await t.database.db.select().from(submissions);
      await t.database.db.update(submissions).set({ status: "returned" }).where(eq(submissions.id, sub!.id));
      await t.database.db.insert(submissionEvents).values({ submissionId: sub!.id, kind: "returned", comment: "Số liệu chưa khớp sổ", questions: ["1", "3"] });
      await send({ text: "báo cáo" });
      expect(tg.texts(MAI).at(-2)).toMatch(/được trả lại để sửa: «Số liệu chưa khớp sổ»\. Các câu cần xem lại: 1, 3\./);
      expect(tg.texts(MAI).at(-1)).toMatch(/^Câu 1\//);
      await send({ text: "4" });
      expect(tg.texts(MAI).at(-1)).toMatch(/^Câu 3\//);
      await send({ text: "210" });
      expect(tg.texts(MAI).at(-2)).toMatch(/^📋 /);
      expect(tg.texts(MAI).at(-1)).toMatch(/Gõ "nộp" để nộp báo cáo/);

      // A link stops opening the report after WEB_FORM_LINK_HOURS (24 h).
      now = new Date(now.getTime() + 25 * 3_600_000);
      expect((await state()).status).toBe(404);
    }
  });
});
