import { eq, lt } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answers, conversationSessions, officers, outbox, periods, submissions } from "../../src/db/schema/index.js";
import { createOfficerDirectory } from "../../src/directory/officers.js";
import { runCommand } from "../../src/cli/commands.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, loadLaiChau, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";

const MAI = 8001;
// 7 November 2026, 10:00 in Hà Nội: the yearly report (due 10/11) is open, 3 days left.
const clock = () => new Date("2026-11-07T03:00:00Z");

describe.each(dbKinds)("an officer completes the yearly report on Telegram (%s)", (kind) => {
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
    const res = await s.postUpdate(update);
    expect(res.status).toBe(200);
  };
  const state = async (): Promise<SessionState> => {
    const [row] = await t.database.db.select().from(conversationSessions);
    return row!.state as SessionState;
  };
  const cursorQuestion = async () => {
    const st = await state();
    const key = st.report?.cursor ?? "";
    return key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1);
  };
  const lastText = () => tg.texts(MAI).at(-1) ?? "";

  it("answers, is corrected, pauses across a restart, edits from the review and submits", { timeout: 120_000 }, async () => {
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    s = await startTestService(t, { telegram: tg, clock });
    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    await send({ text: `/start ${code}` });

    // The "3 days left" reminder is planned; it is still waiting in the outbox when she submits.
    expect(await s.service.planners.planReminders()).toBe(1);

    await send({ text: "/baocao" });
    expect(tg.texts(MAI).join("\n")).toMatch(/Hạn nộp: 10\/11\/2026/);
    expect(lastText()).toMatch(/^Câu 1\/\d+\. Số buổi truyền thông/);

    // A negative count is refused with a clear reason, and the question is asked again.
    await send({ text: "-3" });
    expect(tg.texts(MAI).at(-2)).toBe("Số không được âm.");
    expect(await cursorQuestion()).toBe("comm_sessions");
    await send({ text: "một nghìn chữ ".repeat(400) });
    expect(tg.texts(MAI).at(-2)).toMatch(/cần một con số/);

    // Answer until the training questions are done, then pause.
    while ((await cursorQuestion()) !== "special_total") await send(ANSWERS[await cursorQuestion()]!);
    await send({ text: "tạm dừng" });
    expect(lastText()).toMatch(/Đã tạm dừng/);

    // The server restarts; the session and answers are in the database.
    await s.service.stop();
    s = await startTestService(t, { telegram: tg, clock });
    await send({ text: "tiếp tục" });
    expect(tg.texts(MAI).at(-2)).toMatch(/Tiếp tục báo cáo năm 2026: đã trả lời 5\/\d+ câu/);
    expect(await cursorQuestion()).toBe("special_total");

    // A sum that does not add up names both numbers and asks again.
    await send({ text: "12" });
    await send({ text: "5" });
    await send({ text: "6" });
    expect(tg.texts(MAI).at(-2)).toMatch(/là 12 nhưng cộng các phần .* được 5 \+ 6 = 11/);
    expect(await cursorQuestion()).toBe("special_girls");

    let guard = 0;
    while ((await state()).mode === "asking" && guard++ < 80) {
      const q = await cursorQuestion();
      await send(ANSWERS[q]!);
    }
    expect((await state()).mode).toBe("review");
    const cb = tg.calls.filter((c) => c.method === "answerCallbackQuery");
    expect(cb.length).toBeGreaterThan(0);
    const review = tg.texts(MAI).at(-2)!;
    expect(review).toContain("1.234 lượt");
    expect(review).toContain("24.000.000 đồng");
    expect(review).toMatch(/Trẻ thứ 1 — Hình thức xâm hại: Bạo lực/);

    // Edit one answer from the review, then submit with the button.
    await send({ text: "sửa 1" });
    expect(lastText()).toMatch(/Đang ghi: 3 buổi/);
    await send({ text: "4" });
    expect((await state()).mode).toBe("review");
    await send({ choice: "cmd:submit" });
    expect(lastText()).toMatch(/Đã nộp báo cáo năm 2026 .* \(đúng hạn\)/);

    const reminders = await t.database.db.select().from(outbox).where(eq(outbox.kind, "reminder"));
    expect(reminders.map((r) => r.status)).toEqual(["cancelled"]);

    const [sub] = await t.database.db.select().from(submissions);
    expect(sub).toMatchObject({ status: "submitted", late: false, formId: "child-affairs", formVersion: 2 });
    const rows = await t.database.db.select().from(answers).where(eq(answers.submissionId, sub!.id));
    const byKey = new Map(rows.map((r) => [r.key, r]));
    expect(byKey.get("comm_sessions")!.valueNum).toBe(4);
    expect(byKey.get("comm_people")!.valueNum).toBe(1234);
    expect(byKey.get("gift_value")!.valueNum).toBe(24_000_000);
    expect(byKey.get("fund_raised")!.value.v).toBeNull();
    expect(byKey.get("abuse_case[0].case_form")!.value.v).toBe("bao_luc");
    expect(byKey.get("contact_phone")!.value.v).toBe("84912345678");
    expect(byKey.get("report_date")!.value.v).toBe("2026-11-07");
    expect(byKey.get("notes")!.value.v).toBe("Cần thêm kinh phí cho điểm vui chơi");

    // A second "báo cáo" does not reopen a submitted report.
    await send({ text: "bao cao" });
    expect(lastText()).toMatch(/Đơn vị đã nộp báo cáo năm 2026/);

    // The province sees it in the status API and the CLI.
    const res = await s.api("/api/periods/2026-Y/status?unit=12");
    expect(res.status).toBe(200);
    const status = (await res.json()) as { counts: Record<string, number>; sums: Record<string, number>; children: { code: string; status?: string }[] };
    expect(status.counts).toMatchObject({ submitted: 1, onTime: 1, late: 0 });
    expect(status.counts.units).toBeGreaterThan(10);
    expect(status.sums).toMatchObject({ comm_sessions: 4, comm_people: 1234, special_total: 12, gift_value: 24_000_000 });
    expect(status.children.find((c) => c.code === "03388")!.status).toBe("submitted");
    expect(status.children.find((c) => c.code === "03390")!.status).toBe("not_started");

    const cliCtx = {
      db: t.database.db,
      forms: createFormRegistry(),
      clock,
      timeZone: "Asia/Ho_Chi_Minh",
      inviteTtlHours: 72,
      readFile: async () => Buffer.alloc(0),
    };
    const cli = await runCommand(["report", "status", "2026-Y", "12"], cliCtx);
    expect(cli.exitCode).toBe(0);
    expect(cli.output).toMatch(/đã nộp 1 \(đúng hạn 1, trễ 0\)/);
    expect(cli.output).toMatch(/03388 Phường Đoàn Kết: đã nộp đúng hạn/);
    expect(cli.output).toMatch(/comm_people: 1234/);
    // The whole country, by province (only Lai Châu is loaded here).
    const country = await runCommand(["report", "status", "2026-Y", "VN"], cliCtx);
    expect(country.output).toMatch(/^Báo cáo năm 2026 — Toàn quốc/i);
    expect(country.output).toMatch(/12 Tỉnh Lai Châu: đã nộp 1\//);
    expect(country.output).toMatch(/comm_people: 1234/);

    const periods = (await (await s.api("/api/periods")).json()) as { periods: { key: string; open: boolean; deadlines: Record<string, string> }[] };
    const y = periods.periods.find((p) => p.key === "2026-Y")!;
    expect(y).toMatchObject({ open: true, deadlines: { commune: "2026-11-10", district: "2026-11-15", province: "2026-11-20" } });
    expect((await s.api("/api/periods", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    const doc = (await (await fetch(`${s.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/periods", "/api/periods/{periodId}/status"]));
    expect((await s.api("/api/periods/2026-Y/status?unit=abc")).status).toBe(400);
    expect((await s.api("/api/periods/2026-Y/status?unit=99999")).status).toBe(404);
    expect(await t.database.db.select().from(officers)).toHaveLength(1);
  });

  it("an officer of Tam Đường is given her district's deadline (20/11, from its 2020 letter), not the national 10/11", async () => {
    tg.reset();
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(t.database, "name,phone,role,unit_code,scheme\nCán bộ Thèn Sin,0912345678,commune,03394,pre2025\n");
    await s?.service.stop(); // the test before's service: two on one database would both deliver
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2024-11-07T03:00:00Z") });
    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    await send({ text: `/start ${code}` });
    await send({ text: "báo cáo" });
    expect(tg.texts(MAI).join("\n")).toMatch(/Hạn nộp: 20\/11\/2024\./);
  });

  it("an officer who asks for the report when no period is open is told so, and when one opens in a new year she gets it", async () => {
    tg.reset();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nNguyễn Thị Mai,0912345678,commune,03388\n");
    await s?.service.stop(); // the test before's service: two on one database would both deliver
    s = await startTestService(t, { telegram: tg, clock });
    const { code } = await createOfficerDirectory({ db: t.database.db, clock, inviteTtlHours: 72 }).createInvite("0912345678", "telegram");
    await send({ text: `/start ${code}` });
    // Every period up to this year closed (by the province, say); next year's are left as they are.
    const closed = await t.database.db
      .update(periods)
      .set({ closedAt: new Date("2026-11-01T00:00:00Z") })
      .where(lt(periods.key, "2027"))
      .returning({ key: periods.key });
    expect(closed.length).toBeGreaterThan(0);
    await send({ text: "báo cáo" });
    expect(lastText()).toBe("Hiện chưa có kỳ báo cáo nào đang mở. Anh/chị sẽ được nhắc khi đến kỳ.");
    expect(await t.database.db.select().from(submissions)).toHaveLength(0);

    // Next year: its first period (opened in April) is the one she gets.
    await s.service.stop();
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2027-05-10T03:00:00Z") });
    await send({ text: "báo cáo" });
    expect(tg.texts(MAI).join("\n")).toMatch(/Hạn nộp: 15\/05\/2027/);
    expect(lastText()).toMatch(/^Câu 1\/\d+\./);
    const [sub] = await t.database.db.select({ key: periods.key }).from(submissions).innerJoin(periods, eq(periods.id, submissions.periodId));
    expect(sub!.key).toBe("2027-H1");
  });
});
