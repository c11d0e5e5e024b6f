import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answers, conversationSessions, officers, periods, submissions, units } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import type { WebReportView } from "../../src/web-form/web-report.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";

const MAI = 8301;
// 1 May 2026 in Hà Nội: the six-monthly report (due 15/5) is open; last year's report is in.
const clock = () => new Date("2026-05-01T03:00:00Z");

describe.each(dbKinds)("last period's answer as the default (%s)", (kind) => {
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
  const send = async (input: { text?: string; choice?: string }) =>
    expect((await s.postUpdate(input.choice !== undefined ? callbackUpdate(MAI, input.choice) : textUpdate(MAI, input.text!))).status).toBe(200);
  const cursor = async () => {
    const [row] = await t.database.db.select().from(conversationSessions);
    return (row!.state as SessionState).report?.cursor ?? "";
  };
  const stored = async (key: string) => {
    const [sub] = await t.database.db.select().from(submissions).where(eq(submissions.status, "in_progress"));
    const rows = await t.database.db.select().from(answers).where(eq(answers.submissionId, sub!.id));
    return rows.find((r) => r.key === key)?.value.v;
  };

  it("an officer whose commune reported 14 children in special circumstances last period is offered 14, keeps it with «như cũ», and keeps the child-friendly status on the web", async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    await linkOfficer(t.database, "84912345678", "telegram", String(MAI));
    s = await startTestService(t, { telegram: tg, clock });
    // Last year's report, submitted: 14 children, the commune child-friendly.
    const db = t.database.db;
    const [mai] = await db.select().from(officers).where(eq(officers.phone, "84912345678"));
    const [unit] = await db
      .select()
      .from(units)
      .where(and(eq(units.scheme, "post2025"), eq(units.code, "03388")));
    const [lastYear] = await db
      .select()
      .from(periods)
      .where(and(eq(periods.templateId, "child-affairs"), eq(periods.key, "2025-Y")));
    const [old] = await db
      .insert(submissions)
      .values({
        periodId: lastYear!.id,
        unitId: unit!.id,
        officerId: mai!.id,
        formId: "child-affairs",
        formVersion: 2,
        status: "submitted",
        submittedAt: clock(),
      })
      .returning();
    await db.insert(answers).values([
      { submissionId: old!.id, key: "special_total", questionId: "special_total", valueNum: 14, value: { v: 14 } },
      { submissionId: old!.id, key: "child_friendly", questionId: "child_friendly", valueNum: null, value: { v: "dat" } },
      { submissionId: old!.id, key: "trainings", questionId: "trainings", valueNum: 3, value: { v: 3 } },
    ]);

    await send({ text: "báo cáo" });
    // On the web form: the carried questions show last period's answer, the others do not.
    const link = /📝 Điền trên web: (\S+)/.exec(tg.texts(MAI).join("\n"))![1]!;
    const view = (await (await fetch(`${link}/state`)).json()) as WebReportView;
    const slot = (key: string) => view.sections.flatMap((x) => x.slots).find((q) => q.key === key)!;
    expect(slot("special_total").previous).toBe("14 em");
    expect(slot("child_friendly").previous).toBe("Đạt chuẩn xã, phường phù hợp với trẻ em");
    expect(slot("trainings").previous).toBeUndefined();
    const kept = await fetch(`${link}/answers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ops: [{ id: "keep-child-friendly-1", key: "child_friendly", text: "như cũ" }] }),
    });
    expect(((await kept.json()) as { results: unknown[] }).results[0]).toEqual(
      expect.objectContaining({ ok: true, shown: "Đạt chuẩn xã, phường phù hợp với trẻ em" }),
    );
    expect(await stored("child_friendly")).toBe("dat");

    // In chat: at question 6 the bot says what it was, with a button; «như cũ» keeps it.
    for (let i = 0; i < 10 && (await cursor()) !== "special_total"; i++) await send(ANSWERS[await cursor()]!);
    expect(tg.texts(MAI).at(-1)).toMatch(/^Câu 6\/\d+\. Tổng số trẻ em có hoàn cảnh đặc biệt[\s\S]*\nKỳ trước: 14 em — gõ "như cũ" để giữ$/);
    const buttons = tg.sent(MAI).at(-1)!.payload.reply_markup as { inline_keyboard: { text: string; callback_data?: string }[][] };
    expect(buttons.inline_keyboard.flat()).toContainEqual({ text: "↩️ Như kỳ trước", callback_data: "prev:same" });
    await send({ text: "như cũ" });
    expect(await stored("special_total")).toBe(14);
    expect(await cursor()).toBe("special_boys");
    // The next question is not carried over: nothing of last period is offered there.
    expect(tg.texts(MAI).at(-1)).not.toMatch(/Kỳ trước/);
  });
});
