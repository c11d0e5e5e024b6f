import { and, eq, like, lte, or } from "drizzle-orm";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, outbox, submissions } from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

// Tam Đường district (Lai Châu, before the 2025 reform) asks its communes for a one-off report.
const DISTRICT = 9101;
const THEN_SIN = 9102;
const TA_LENG = 9103;
const GIANG_MA = 9104;

type Call = { payload: Record<string, unknown> };
const buttons = (call: Call | undefined) =>
  ((call?.payload.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined)?.inline_keyboard ?? []).flat();

describe.each(dbKinds)("a district asks its communes for a one-off report (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  // Tuesday 1 December 2026, 09:00 in Hà Nội; moved on as the story goes.
  let now = new Date("2026-12-01T02:00:00Z");

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });

  /** Each test starts from an empty database (tests/support/db.ts): the tree, the officers, their chats, the service. */
  async function begin(at: string) {
    now = new Date(at);
    await s?.service.stop();
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code,scheme",
        "Phòng LĐTBXH Tam Đường,0912000601,district,106,pre2025",
        "Cán bộ Thèn Sin,0912000602,commune,03394,pre2025",
        "Cán bộ Tả Lèng,0912000603,commune,03400,pre2025",
        "Cán bộ Giang Ma,0912000604,commune,03405,pre2025",
        // Hồ Thầu's officer has not linked a chat yet: asked, but told nobody.
        "Cán bộ Hồ Thầu,0912000605,commune,03406,pre2025",
      ].join("\n"),
    );
    for (const [phone, chat] of [
      ["84912000601", DISTRICT],
      ["84912000602", THEN_SIN],
      ["84912000603", TA_LENG],
      ["84912000604", GIANG_MA],
    ] as const)
      await linkOfficer(t.database, phone, "telegram", String(chat));
    s = await startTestService(t, { telegram: tg, clock: () => now });
  }
  afterAll(async () => {
    await s?.service.stop();
    await tg?.close();
  });

  const send = async (chat: number, input: { text?: string; choice?: string }) => {
    const before = tg.sent(chat).length;
    const update = input.choice !== undefined ? callbackUpdate(chat, input.choice) : textUpdate(chat, input.text!);
    expect((await s.postUpdate(update)).status).toBe(200);
    return tg.sent(chat).slice(before) as Call[];
  };
  const texts = (calls: Call[]) => calls.map((c) => String(c.payload.text));
  /** Every message due now is sent (the outbox, as the worker would). */
  const deliver = async () => {
    // The API starts sending as it answers: wait until nothing due is queued or being sent, whoever sends it.
    for (let i = 0; i < 400; i++) {
      await s.service.outbox.drainOnce();
      const busy = await t.database.db
        .select({ id: outbox.id })
        .from(outbox)
        .where(or(eq(outbox.status, "sending"), and(eq(outbox.status, "queued"), lte(outbox.notBefore, now))));
      if (busy.length === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error("the outbox did not settle");
  };
  const status = async (id: number) => {
    const res = await s.api(`/api/requests/${id}`);
    expect(res.status).toBe(200);
    return (await res.json()) as {
      counts: Record<string, number>;
      units: { code: string; status: string; submittedAt: string | null }[];
      sums: Record<string, number>;
      choiceCounts: Record<string, Record<string, number>>;
    };
  };

  const quick = {
    title: "Rà soát trẻ em bỏ học",
    note: "Theo Công văn số 15/LĐTBXH của Phòng.",
    questions: [
      { label: "Số trẻ em bỏ học trên địa bàn", type: "integer" },
      { label: "Xã đã lập danh sách trẻ em bỏ học chưa?", type: "yesno" },
      { label: "Nguyên nhân chính", type: "single", choices: ["Hoàn cảnh khó khăn", "Theo gia đình đi làm xa", "Khác"] },
      { label: "Kiến nghị của xã", type: "text" },
    ],
    audience: { unit: "106", scheme: "pre2025" },
    deadline: "2026-12-10",
  };

  it("refuses a request it cannot make, in Vietnamese, and stores nothing", { timeout: 120_000 }, async () => {
    await begin("2026-12-01T02:00:00Z");
    const post = (body: unknown) => s.api("/api/requests", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const cases: [unknown, number, RegExp][] = [
      [{ ...quick, deadline: "2026-11-30" }, 400, /Hạn trả lời 30\/11\/2026 đã qua/],
      [{ ...quick, deadline: "2026-02-31" }, 400, /không phải một ngày/],
      [{ ...quick, questions: [] }, 400, /Chọn một mẫu báo cáo có sẵn hoặc nhập câu hỏi/],
      [{ ...quick, template: "child-affairs" }, 400, /một trong hai/],
      [{ ...quick, questions: [{ label: "Nguyên nhân", type: "single", choices: ["Một"] }] }, 400, /ít nhất hai lựa chọn/],
      [{ ...quick, questions: Array.from({ length: 11 }, (_, i) => ({ label: `Câu ${i}`, type: "text" })) }, 400, /Tối đa 10 câu hỏi/],
      [{ ...quick, audience: { unit: "99999", scheme: "pre2025" } }, 404, /Không tìm thấy đơn vị được hỏi/],
      [{ ...quick, audience: { unit: "03394", scheme: "pre2025" } }, 400, /không có đơn vị cấp xã nào bên dưới/],
      [{ ...quick, questions: undefined, template: "khong-co" }, 404, /Không tìm thấy mẫu báo cáo khong-co/],
    ];
    for (const [body, code, message] of cases) {
      const res = await post(body);
      expect(`${res.status} ${await res.clone().text()}`, JSON.stringify(body).slice(0, 80)).toMatch(new RegExp(`^${code} `));
      expect(((await res.json()) as { error: string }).error).toMatch(message);
    }
    const bad = await s.api("/api/requests", { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(bad.status).toBe(400);
    const unauthenticated = await fetch(`${s.url}/api/requests`, { method: "POST", body: JSON.stringify(quick) });
    expect(unauthenticated.status).toBe(401);
    expect(await t.database.db.select().from(auditLog).where(eq(auditLog.action, "request.create"))).toHaveLength(0);
  });

  it(
    "quick questions: communes are told at once, answer by chat, are reminded until they answer, and the district exports the answers",
    { timeout: 180_000 },
    async () => {
      await begin("2026-12-01T02:00:00Z");
      const res = await s.api("/api/requests", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(quick) });
      expect(res.status).toBe(201);
      const made = (await res.json()) as { id: number; units: number; notified: number; unreachable: number };
      // Every commune of Tam Đường is asked; three officers have a chat, Hồ Thầu's has none.
      expect(made.units).toBeGreaterThanOrEqual(10);
      expect(made).toMatchObject({ notified: 3, unreachable: 1 });
      await deliver();

      // Each commune officer is told, with a button that opens it; the district hears nothing of its own request.
      for (const chat of [THEN_SIN, TA_LENG, GIANG_MA]) {
        const [notice] = tg.sent(chat).slice(-1) as Call[];
        expect(String(notice!.payload.text)).toMatch(
          /^📋 Yêu cầu báo cáo đột xuất: Rà soát trẻ em bỏ học\nTheo Công văn số 15\/LĐTBXH của Phòng\.\nHạn trả lời: 10\/12\/2026 \(4 câu hỏi\)\./,
        );
        expect(buttons(notice)).toEqual([
          { text: "📝 Trả lời ngay", callback_data: `cmd:start:yeu-cau-${made.id}` },
          { text: "🌐 Điền trên web", callback_data: `cmd:web:yeu-cau-${made.id}` },
        ]);
      }
      expect(tg.sent(DISTRICT)).toHaveLength(0);

      // Thèn Sin answers straight away: four questions, then the review, then submits on time.
      let got = texts(await send(THEN_SIN, { choice: `cmd:start:yeu-cau-${made.id}` }));
      expect(got.join("\n")).toMatch(/Hạn nộp: 10\/12\/2026/);
      expect(got.at(-1)).toMatch(/Số trẻ em bỏ học trên địa bàn/);
      got = texts(await send(THEN_SIN, { text: "ba" }));
      expect(got.join("\n")).not.toMatch(/Xã đã lập danh sách/);
      got = texts(await send(THEN_SIN, { text: "3" }));
      expect(got.at(-1)).toMatch(/Xã đã lập danh sách trẻ em bỏ học chưa\?/);
      got = texts(await send(THEN_SIN, { text: "co" }));
      expect(got.at(-1)).toMatch(/Nguyên nhân chính/);
      got = texts(await send(THEN_SIN, { text: "2" }));
      expect(got.at(-1)).toMatch(/Kiến nghị của xã/);
      got = texts(await send(THEN_SIN, { text: "Hỗ trợ học bổng cho 3 em" }));
      expect(got.join("\n")).toMatch(/Theo gia đình đi làm xa/);
      got = texts(await send(THEN_SIN, { text: "nộp" }));
      expect(got.at(-1)).toMatch(/^✅ Đã nộp báo cáo «Rà soát trẻ em bỏ học» lúc .* \(đúng hạn\)/);

      // Tả Lèng begins and stops halfway.
      await send(TA_LENG, { choice: `cmd:start:yeu-cau-${made.id}` });
      await send(TA_LENG, { text: "5" });

      let st = await status(made.id);
      expect(st.counts).toMatchObject({ answered: 1, onTime: 1, late: 0, inProgress: 1, overdue: 0 });
      expect(st.units.find((u) => u.code === "03394")).toMatchObject({ status: "on_time" });
      expect(st.units.find((u) => u.code === "03400")).toMatchObject({ status: "in_progress" });
      expect(st.units.find((u) => u.code === "03405")).toMatchObject({ status: "not_started" });
      // Only the submitted answers count: Thèn Sin's 3, not Tả Lèng's 5 still in progress.
      expect(st.sums).toEqual({ q1: 3 });
      expect(st.choiceCounts).toEqual({ q2: { yes: 1 }, q3: { c2: 1 } });

      // The day before the deadline: reminders go to those who have not answered, and to nobody who has.
      now = new Date("2026-12-09T02:00:00Z");
      const before = new Map([THEN_SIN, TA_LENG, GIANG_MA].map((c) => [c, tg.sent(c).length]));
      expect(await s.service.planners.planReminders()).toBeGreaterThanOrEqual(2);
      await deliver();
      expect(tg.sent(THEN_SIN).length).toBe(before.get(THEN_SIN));
      for (const chat of [TA_LENG, GIANG_MA]) {
        const fresh = texts(tg.sent(chat).slice(before.get(chat)) as Call[]);
        expect(fresh.join("\n")).toMatch(/báo cáo «Rà soát trẻ em bỏ học»/);
      }
      const reminders = await t.database.db
        .select()
        .from(outbox)
        .where(and(eq(outbox.kind, "reminder"), like(outbox.dedupeKey, `reminder:%`)));
      expect(reminders.some((r) => r.chatId === String(THEN_SIN))).toBe(false);

      // A day late: the district is told who has not answered.
      now = new Date("2026-12-11T02:00:00Z");
      const districtBefore = tg.sent(DISTRICT).length;
      await s.service.planners.planReminders();
      await deliver();
      expect(texts(tg.sent(DISTRICT).slice(districtBefore) as Call[]).join("\n")).toMatch(
        /đơn vị chưa trả lời báo cáo «Rà soát trẻ em bỏ học» \(quá hạn từ 1 ngày\)/,
      );

      // Two days late, Giang Ma answers: marked late; the district sees it overdue before, late after.
      now = new Date("2026-12-12T02:00:00Z");
      st = await status(made.id);
      expect(st.counts.overdue).toBe(st.counts.units! - 1);
      await send(GIANG_MA, { choice: `cmd:start:yeu-cau-${made.id}` });
      for (const answer of ["7", "không", "1", "Không có"]) await send(GIANG_MA, { text: answer });
      got = texts(await send(GIANG_MA, { text: "nộp" }));
      expect(got.at(-1)).toMatch(/\(trễ hạn, hạn là 10\/12\/2026\)/);
      st = await status(made.id);
      expect(st.units.find((u) => u.code === "03405")).toMatchObject({ status: "late" });
      expect(st.counts).toMatchObject({ answered: 2, onTime: 1, late: 1 });
      expect(st.sums).toEqual({ q1: 10 });
      expect(st.choiceCounts).toEqual({ q2: { yes: 1, no: 1 }, q3: { c1: 1, c2: 1 } });

      // «Nhắc những đơn vị chưa trả lời» through the API: Tả Lèng (halfway) is reminded, the two that answered are not; a second call within the minute reminds nobody again.
      const taLengBefore = tg.sent(TA_LENG).length;
      const answeredBefore = [THEN_SIN, GIANG_MA].map((c) => tg.sent(c).length);
      const remind = async () => (await s.api(`/api/requests/${made.id}/remind`, { method: "POST" })).json() as Promise<Record<string, number>>;
      expect(await remind()).toMatchObject({ reminded: 1, unreachable: 1 });
      expect(await remind()).toMatchObject({ reminded: 0 });
      await deliver();
      expect(texts(tg.sent(TA_LENG).slice(taLengBefore) as Call[])).toEqual([
        expect.stringMatching(/vui lòng trả lời yêu cầu báo cáo «Rà soát trẻ em bỏ học» \(đã quá hạn 10\/12\/2026\)/),
      ]);
      expect([THEN_SIN, GIANG_MA].map((c) => tg.sent(c).length)).toEqual(answeredBefore);

      // The export: a row per asked unit with its answers, the total, and the choices counted.
      const exported = await s.api(`/api/requests/${made.id}/xlsx`);
      expect(exported.status).toBe(200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(Buffer.from(await exported.arrayBuffer()) as never);
      const sheet = wb.getWorksheet("Trả lời")!;
      const rows: unknown[][] = [];
      sheet.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
      const header = rows.find((r) => r[0] === "STT")!;
      expect(header.slice(6)).toEqual(["Số trẻ em bỏ học trên địa bàn", "Xã đã lập danh sách trẻ em bỏ học chưa?", "Nguyên nhân chính", "Kiến nghị của xã"]);
      const thenSin = rows.find((r) => r[2] === "03394")!;
      expect(thenSin.slice(4)).toEqual(["Đã trả lời đúng hạn", expect.any(String), 3, "Có", "Theo gia đình đi làm xa", "Hỗ trợ học bổng cho 3 em"]);
      const taLeng = rows.find((r) => r[2] === "03400")!;
      // An answer not yet submitted is not exported.
      expect(taLeng[4]).toBe("Đang trả lời");
      expect(taLeng.slice(6).filter((v) => v !== "" && v !== undefined && v !== null)).toEqual([]);
      expect(rows.find((r) => r[1] === "Tổng")![6]).toBe(10);
      const choices: unknown[][] = [];
      wb.getWorksheet("Lựa chọn")!.eachRow((r) => choices.push((r.values as unknown[]).slice(1)));
      expect(choices).toContainEqual(["Nguyên nhân chính", "Hoàn cảnh khó khăn", 1]);
      expect(choices).toContainEqual(["Xã đã lập danh sách trẻ em bỏ học chưa?", "Không", 1]);
      const audits = await t.database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.target, `request:${made.id}`));
      expect(audits.map((a) => a.action).sort()).toEqual(["export", "request.create", "request.remind", "request.remind"]);
    },
  );

  it("a request on an existing template: the same report, asked once, answered and counted apart from the periodic one", { timeout: 120_000 }, async () => {
    await begin("2026-12-14T02:00:00Z");
    const res = await s.api("/api/requests", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        title: "Báo cáo nhanh công tác trẻ em cuối năm",
        template: "child-affairs",
        audience: { unit: "106", scheme: "pre2025" },
        deadline: "2026-12-20",
      }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    await deliver();
    const [notice] = tg.sent(TA_LENG).slice(-1) as Call[];
    expect(String(notice!.payload.text)).toMatch(/Báo cáo nhanh công tác trẻ em cuối năm\nHạn trả lời: 20\/12\/2026\./);
    const got = texts(await send(TA_LENG, { choice: buttons(notice)[0]!.callback_data }));
    // The child-affairs questions, in a report of its own (Tả Lèng's quick request stays in progress).
    expect(got.at(-1)).toMatch(/Số buổi truyền thông/);
    const mine = await t.database.db.select({ formId: submissions.formId, status: submissions.status }).from(submissions);
    expect(mine.filter((r) => r.formId === "child-affairs" && r.status === "in_progress")).toHaveLength(1);
    const st = await status(id);
    expect(st.units.find((u) => u.code === "03400")).toMatchObject({ status: "in_progress" });
    expect(st.counts).toMatchObject({ answered: 0, inProgress: 1 });
  });
});
