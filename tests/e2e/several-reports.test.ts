import { and, eq, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadlineCalendars, formVersions, outbox, reportTemplates, submissions, units } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import type { FormInput } from "../../src/forms/form-schema.js";
import { ensurePeriods } from "../../src/reporting/reporting-calendar.js";
import { dbKinds, useTestDb, type TestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, withoutWebLink, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startFakeZaloBot, ZALO_BOT_TOKEN } from "../support/fake-zalo.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";

const MAI = 8101;
// 7 November 2026, 10:00 in Hà Nội: the yearly child-affairs report (due 10/11) is open, and so is
// the province's own «Tháng hành động» report (due 20/11).
const clock = () => new Date("2026-11-07T03:00:00Z");
const SECOND = "thang-hanh-dong";

/** A small report of the kind a province writes for itself: two numbers. */
const actionMonth: FormInput = {
  id: SECOND,
  version: 1,
  title: "Báo cáo Tháng hành động vì trẻ em",
  sections: [
    {
      id: "main",
      title: "Hoạt động",
      questions: [
        { id: "events", type: "integer", label: "Số hoạt động đã tổ chức trong Tháng hành động", unit: "hoạt động", max: 1000 },
        { id: "gifts", type: "integer", label: "Số suất quà đã trao cho trẻ em", unit: "suất", max: 100000 },
      ],
    },
  ],
};

/**
 * The second template as the template store keeps an imported one: its published form version
 * (which the running service has not loaded: it meets it on first use), its row, deadline, periods.
 */
async function addSecondTemplate(
  t: TestDb,
  id = SECOND,
  name = "Báo cáo Tháng hành động vì trẻ em (năm)",
  audience: Partial<typeof reportTemplates.$inferInsert> = {},
) {
  const { db } = t.database;
  const definition = { ...actionMonth, id };
  await db
    .insert(formVersions)
    .values({ formId: id, version: 1, status: "published", definition: definition as Record<string, unknown>, title: actionMonth.title });
  await db.insert(reportTemplates).values({
    id,
    name,
    formId: id,
    formVersion: 1,
    periodicity: "yearly",
    // 13 days before its deadline is today: a reminder is due.
    reminderSteps: [-13],
    cutoff: { Y: "31/10" },
  });
  await db.insert(deadlineCalendars).values({ templateId: id, scopeUnitId: null, year: 0, slot: "Y", level: "commune", deadline: "2000-11-20" });
  const [template] = await db.select().from(reportTemplates).where(eq(reportTemplates.id, id));
  await ensurePeriods(db, template!, [2025, 2026, 2027]);
  // Who it asks is set last: an archived template gets no periods of its own.
  if (Object.keys(audience).length > 0) await db.update(reportTemplates).set(audience).where(eq(reportTemplates.id, id));
}

describe.each(dbKinds)("an officer with two open reports chooses between them on Telegram (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await s?.service.stop();
    await tg.close();
  });

  const send = async (input: { text?: string; choice?: string }) => {
    const update = input.choice !== undefined ? callbackUpdate(MAI, input.choice) : textUpdate(MAI, input.text!);
    expect((await s.postUpdate(update)).status).toBe(200);
  };
  const replies = async (input: { text?: string; choice?: string }) => {
    const before = tg.sent(MAI).length;
    await send(input);
    return tg.sent(MAI).slice(before);
  };
  const buttons = (call: { payload: Record<string, unknown> } | undefined) =>
    ((call?.payload.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? []).flat();
  const texts = (calls: { payload: Record<string, unknown> }[]) => calls.map((c) => String(c.payload.text));
  const submission = async (templateId: string) => {
    const rows = await t.database.db.select({ status: submissions.status, formId: submissions.formId }).from(submissions);
    return rows.find((r) => r.formId === (templateId === SECOND ? SECOND : "child-affairs"));
  };

  it("lists both with their deadlines, opens either by button, number or reminder, and keeps the other", { timeout: 120_000 }, async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { telegram: tg, clock });
    await addSecondTemplate(t);
    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    await send({ text: `/start ${code}` });
    // A colleague of another commune, and templates that do not ask Mai: that commune's own, the
    // province officers', an archived one.
    const [other] = await t.database.db
      .select({ id: units.id, code: units.code })
      .from(units)
      .where(and(eq(units.level, "commune"), ne(units.code, "03388")))
      .limit(1);
    await addOfficers(t.database, `name,phone,role,unit_code\nLò Văn Minh,0987654321,commune,${other!.code}\n`);
    const minh = await linkOfficer(t.database, "84987654321", "telegram", "8102");
    await addSecondTemplate(t, "xa-khac", "Báo cáo của xã khác", { scopeUnitId: other!.id });
    await addSecondTemplate(t, "cap-tren", "Báo cáo của cấp trên", { roles: ["province"] });
    await addSecondTemplate(t, "da-luu", "Báo cáo đã lưu trữ", { archivedAt: clock() });

    // Each report that asks a commune has its reminders today: Mai gets two, Minh three (his commune's own too).
    expect(await s.service.planners.planReminders()).toBe(5);
    const planned = await t.database.db.select().from(outbox).where(eq(outbox.kind, "reminder"));
    expect(
      planned
        .filter((r) => r.officerId === minh.id)
        .map((r) => r.payload.choices?.[0]?.value)
        .sort(),
    ).toEqual(["cmd:start:child-affairs", `cmd:start:${SECOND}`, "cmd:start:xa-khac"]);
    // The second's names it, and its button opens it.
    const reminders = planned.filter((r) => r.officerId !== minh.id);
    expect(reminders).toHaveLength(2);
    const second = reminders.find((r) => r.payload.text.includes("Tháng hành động"));
    expect(second?.payload.text).toMatch(/còn 13 ngày nữa là hạn nộp báo cáo Tháng hành động vì trẻ em năm 2026 \(20\/11\/2026\)/);
    expect(second?.payload.choices).toEqual([
      { value: `cmd:start:${SECOND}`, label: "📝 Làm báo cáo" },
      { value: `cmd:web:${SECOND}`, label: "🌐 Điền trên web" },
    ]);
    expect(reminders.find((r) => r !== second)?.payload.choices?.[0]).toEqual({ value: "cmd:start:child-affairs", label: "📝 Làm báo cáo" });
    // Planning again adds nothing: the reminders of both are keyed by their own period.
    expect(await s.service.planners.planReminders()).toBe(0);

    // "báo cáo" lists both, soonest deadline first, as buttons.
    const [list] = await replies({ text: "báo cáo" });
    expect(list?.payload.text).toBe("Anh/chị có 2 báo cáo cần làm:");
    expect(buttons(list)).toEqual([
      { text: "Báo cáo công tác trẻ em năm 2026 — hạn 10/11", callback_data: "cmd:start:child-affairs" },
      { text: "Báo cáo Tháng hành động vì trẻ em năm 2026 — hạn 20/11", callback_data: `cmd:start:${SECOND}` },
    ]);
    expect(await submission(SECOND)).toBeUndefined();

    // "báo cáo 2" opens the second directly.
    let got = texts(await replies({ text: "báo cáo 2" }));
    // Its data cut-off is said with the deadline.
    // Without an https PUBLIC_URL (as here) the web form's address is written under the text.
    expect(got[0]).toMatch(/^Hạn nộp: 20\/11\/2026\. Số liệu tính đến ngày 31\/10\/2026\.\n\n📝 Điền trên web: http:\/\/127\.0\.0\.1:\d+\/f\/[\w-]{43}$/);
    expect(got.at(-1)).toMatch(/^Câu 1\/2\. Số hoạt động đã tổ chức trong Tháng hành động/);
    got = texts(await replies({ text: "4" }));
    expect(got.at(-1)).toMatch(/^Câu 2\/2\. Số suất quà/);

    // The first one's button, pressed in the middle of the second: the second waits, answers kept.
    got = texts(await replies({ choice: buttons(list)[0]!.callback_data }));
    expect(got[0]).toBe('Đã tạm dừng báo cáo Tháng hành động vì trẻ em năm 2026; các câu trả lời đã được lưu. Gõ "báo cáo" để chọn lại.');
    expect(withoutWebLink(got[1]!)).toBe("Hạn nộp: 10/11/2026.");
    expect(got.at(-1)).toMatch(/^Câu 1\/\d+\. Số buổi truyền thông/);
    await send(ANSWERS.comm_sessions!);

    // The reminder's button brings the second back where she left it, and she submits it.
    got = texts(await replies({ choice: second!.payload.choices![0]!.value }));
    expect(got[0]).toMatch(/^Đã tạm dừng báo cáo năm 2026/);
    expect(got.join("\n")).toMatch(/Tiếp tục báo cáo Tháng hành động vì trẻ em năm 2026: đã trả lời 1\/2 câu/);
    expect(got.at(-1)).toMatch(/^Câu 2\/2\. Số suất quà/);
    got = texts(await replies({ text: "120" }));
    expect(got.join("\n")).toMatch(/Số suất quà[^\n]*120/);
    got = texts(await replies({ text: "nộp" }));
    expect(got.at(-1)).toMatch(/^✅ Đã nộp báo cáo Tháng hành động vì trẻ em năm 2026 lúc .* \(đúng hạn\)/);
    expect(await submission(SECOND)).toMatchObject({ status: "submitted" });
    // Submitting it cancelled its own reminder, not the other report's.
    const after = (await t.database.db.select().from(outbox).where(eq(outbox.kind, "reminder"))).filter((r) => r.officerId !== minh.id);
    expect(after.find((r) => r.id === second!.id)?.status).toBe("cancelled");
    expect(after.find((r) => r.id !== second!.id)?.status).not.toBe("cancelled");

    // The first is still open: with only it left, "báo cáo" opens it as it always did.
    got = texts(await replies({ text: "báo cáo" }));
    expect(got.join("\n")).toMatch(/Tiếp tục báo cáo năm 2026: đã trả lời 1\/\d+ câu/);
    expect(await submission("child-affairs")).toMatchObject({ status: "in_progress" });
    // And the submitted one's button says it is in.
    await send({ text: "tạm dừng" });
    got = texts(await replies({ choice: `cmd:start:${SECOND}` }));
    expect(got[0]).toMatch(/^Đơn vị đã nộp báo cáo Tháng hành động vì trẻ em năm 2026 lúc/);
    expect(got.join("\n")).toMatch(/Tiếp tục báo cáo năm 2026/);
    const done = await t.database.db
      .select({ n: submissions.id })
      .from(submissions)
      .where(and(eq(submissions.formId, SECOND), eq(submissions.status, "submitted")));
    expect(done).toHaveLength(1);
  });
});

let eventNo = 0;
const botEvent = (userId: string, text: string) => ({
  event_name: "message.text.received",
  message: {
    date: Date.now(),
    chat: { chat_type: "PRIVATE", id: userId },
    message_id: `several${++eventNo}`,
    from: { id: userId, is_bot: false, display_name: "Cán bộ" },
    text,
  },
});

describe.each(dbKinds)("on Zalo Bot the open reports are a numbered list, and a number opens one (%s)", (kind) => {
  const t = useTestDb(kind);
  const USER = "b1900e9657c5be9be7d4";
  const SECRET = "zalo-bot-secret-456";
  // 12 November 2026: the child-affairs report (due 10/11) is late.
  const late = () => new Date("2026-11-12T03:00:00Z");
  let zb: Awaited<ReturnType<typeof startFakeZaloBot>>;
  let s: TestService;
  beforeAll(async () => {
    zb = await startFakeZaloBot();
  });
  afterAll(async () => {
    await s?.service.stop();
    await zb.close();
  });
  const say = async (text: string) => {
    const before = zb.texts(USER).length;
    const res = await fetch(`${s.url}/webhooks/zalo`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-bot-api-secret-token": SECRET },
      body: JSON.stringify(botEvent(USER, text)),
    });
    expect(res.status).toBe(200);
    return zb.texts(USER).slice(before);
  };

  it("lists only the reports that ask her, late ones marked, and opens the second by its number", { timeout: 120_000 }, async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { clock: late, env: { ZALO_BOT_TOKEN, ZALO_BOT_WEBHOOK_SECRET: SECRET, ZALO_BOT_API_ROOT: zb.apiRoot } });
    await linkOfficer(t.database, "84912345678", "zalo_bot", USER);
    await addSecondTemplate(t);
    // Three more that do not ask her: another commune's, the district officers', an archived one.
    const [other] = await t.database.db
      .select({ id: units.id })
      .from(units)
      .where(and(eq(units.level, "commune"), ne(units.code, "03388")))
      .limit(1);
    await addSecondTemplate(t, "xa-khac", "Báo cáo của xã khác", { scopeUnitId: other!.id });
    await addSecondTemplate(t, "cap-tren", "Báo cáo của cấp trên", { roles: ["province"] });
    await addSecondTemplate(t, "da-luu", "Báo cáo đã lưu trữ", { archivedAt: late() });

    const [list] = await say("báo cáo");
    expect(list).toBe(
      "Anh/chị có 2 báo cáo cần làm:\n\n1. Báo cáo công tác trẻ em năm 2026 — hạn 10/11 (quá hạn)\n2. Báo cáo Tháng hành động vì trẻ em năm 2026 — hạn 20/11\nTrả lời bằng số hoặc tên lựa chọn.",
    );
    // A number outside the list is told so, and the list still holds.
    expect((await say("3")).at(-1)).toBe('Chỉ có 2 báo cáo trong danh sách: gõ số từ 1 đến 2, hoặc "báo cáo" để xem lại.');
    const got = await say("2");
    // Without an https PUBLIC_URL (as here) the web form's address is written under the text.
    expect(got[0]).toMatch(/^Hạn nộp: 20\/11\/2026\. Số liệu tính đến ngày 31\/10\/2026\.\n\n📝 Điền trên web: http:\/\/127\.0\.0\.1:\d+\/f\/[\w-]{43}$/);
    expect(got.at(-1)).toMatch(/^Câu 1\/2\. Số hoạt động đã tổ chức trong Tháng hành động/);
    // "2" is now an answer to that question, not a choice of report.
    expect((await say("2")).at(-1)).toMatch(/^Câu 2\/2\. Số suất quà/);
    const rows = await t.database.db.select({ formId: submissions.formId }).from(submissions);
    expect(rows).toEqual([{ formId: SECOND }]);

    // Archived while she is in the middle of it: no new reports, but hers stays hers to finish.
    await t.database.db.update(reportTemplates).set({ archivedAt: late() }).where(eq(reportTemplates.id, SECOND));
    expect((await say("báo cáo 1")).join("\n")).toMatch(/Đã tạm dừng báo cáo Tháng hành động[\s\S]*Câu 1\/\d+\. Số buổi truyền thông/);
    const back = await say("báo cáo 2");
    expect(back[0]).toMatch(/^Đã tạm dừng báo cáo năm 2026/);
    expect(back.at(-1)).toMatch(/^Câu 2\/2\. Số suất quà/);
  });
});
