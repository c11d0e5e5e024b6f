import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, incidentEvents, incidents } from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startFakeZaloBot, ZALO_BOT_TOKEN } from "../support/fake-zalo.js";
import { startTestService, type TestService } from "../support/service.js";

const REPORTER = 9101; // commune officer, Xã Thèn Sin (Huyện Tam Đường, pre-2025 tree)
const DISTRICT = 9102;
const PROVINCE = 9103;
const ADMIN = 9104;
const OTHER = 9105; // a commune officer of another district

describe.each(dbKinds)("an officer reports a drowning in three answers and the supervisors are alerted at once (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  const now = { value: new Date("2026-06-14T09:00:00Z") }; // 16:00 in Hà Nội
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    now.value = new Date("2026-06-14T09:00:00Z");
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code,scheme",
        "Cán bộ Thèn Sin,0912000101,commune,03394,pre2025",
        "Phòng LĐTBXH Tam Đường,0912000102,district,106,pre2025",
        "Sở Lai Châu,0912000103,province,12,pre2025",
        "Quản trị Lai Châu,0912000104,admin,12,pre2025",
        "Cán bộ Đoàn Kết,0912000105,commune,03386,pre2025",
      ].join("\n"),
    );
    for (const [phone, chat] of [
      ["84912000101", REPORTER],
      ["84912000102", DISTRICT],
      ["84912000103", PROVINCE],
      ["84912000104", ADMIN],
      ["84912000105", OTHER],
    ] as const) {
      await linkOfficer(t.database, phone, "telegram", String(chat));
    }
    s = await startTestService(t, { telegram: tg, clock: () => now.value, env: { PUBLIC_URL: "https://baocao.example.vn" } });
  });
  afterEach(() => s.service.stop());

  const say = (chat: number, text: string) => s.postUpdate(textUpdate(chat, text));

  it("from the middle of a periodic report: 'khẩn', three answers, alert, details, then the report resumes; one acknowledgement stops the escalation", async () => {
    await say(REPORTER, "báo cáo");
    await say(REPORTER, "3");
    await say(REPORTER, "khẩn");
    expect(tg.texts(REPORTER).at(-1)).toMatch(/Sự việc gì đã xảy ra\?/);
    await say(REPORTER, "1");
    await say(REPORTER, "hôm qua 17h");
    await say(REPORTER, "Bản Nà Khum");

    const [filed] = await t.database.db.select().from(incidents);
    expect(filed).toMatchObject({ ref: `KC-2026-${String(filed!.id).padStart(4, "0")}`, type: "duoi_nuoc", place: "Bản Nà Khum", status: "new" });
    expect(filed!.occurredAt.toISOString()).toBe("2026-06-13T10:00:00.000Z");
    const told = tg.texts(REPORTER).join("\n");
    expect(told).toContain(`Đã gửi báo cáo khẩn ${filed!.ref}`);
    expect(told).toMatch(/Đã báo ngay cho: .*Phòng LĐTBXH Tam Đường.*Sở Lai Châu|Đã báo ngay cho: .*Sở Lai Châu.*Phòng LĐTBXH Tam Đường/);

    // District and province both have it already, with the reference, type, place and time only.
    for (const chat of [DISTRICT, PROVINCE]) {
      const alert = tg.sent(chat).at(-1)!;
      expect(String(alert.payload.text)).toMatch(
        new RegExp(`Báo cáo khẩn ${filed!.ref}\\nTử vong do đuối nước\\nNơi xảy ra: Bản Nà Khum, Xã Thèn Sin\\nThời gian: 17:00 13/06/2026`),
      );
      expect(String(alert.payload.text)).toContain(`https://baocao.example.vn/incidents/${filed!.ref}`);
      expect(JSON.stringify(alert.payload.reply_markup)).toContain(`inc-ack:${filed!.id}`);
    }
    expect(tg.sent(ADMIN)).toHaveLength(0);
    expect(tg.sent(OTHER)).toHaveLength(0);

    // Details follow as updates to the same case.
    await say(REPORTER, "9");
    await say(REPORTER, "nữ");
    await say(REPORTER, "Trẻ trượt chân xuống ao khi đi chăn trâu");
    await say(REPORTER, "1, 3");
    await say(REPORTER, "xong");
    const [detailed] = await t.database.db.select().from(incidents);
    expect(detailed).toMatchObject({
      childAge: 9,
      childSex: "nu",
      description: "Trẻ trượt chân xuống ao khi đi chăn trâu",
      actions: ["cong_an", "tong_dai_111"],
    });
    // The description never went out in a chat message.
    expect(tg.calls.some((c) => String(c.payload.text ?? "").includes("chăn trâu") && String(c.payload.chat_id) !== String(REPORTER))).toBe(false);
    // The urgent report done, the six-monthly report carries on where it was: its question is asked again.
    expect(tg.texts(REPORTER).at(-2)).toBe("Tiếp tục báo cáo 6 tháng đầu năm 2026:");
    expect(tg.texts(REPORTER).at(-1)).toMatch(/^Câu 2\//);

    // One tap by the district officer.
    await s.postUpdate(callbackUpdate(DISTRICT, `inc-ack:${filed!.id}`));
    expect(tg.texts(DISTRICT).at(-1)).toMatch(/Đã tiếp nhận/);
    expect(tg.texts(REPORTER).at(-1)).toBe(`${filed!.ref} đã được Phòng LĐTBXH Tam Đường tiếp nhận.`);
    now.value = new Date(now.value.getTime() + 31 * 60_000);
    expect(await s.service.incidents.escalateDue(t.database.db)).toBe(0);
    const kinds = (await t.database.db.select().from(incidentEvents).orderBy(incidentEvents.id)).map((e) => e.kind);
    expect(kinds).toEqual(["reported", "alerted", "updated", "updated", "updated", "updated", "acknowledged"]);

    // Someone of another commune can neither acknowledge nor update it.
    await s.postUpdate(callbackUpdate(OTHER, `inc-ack:${filed!.id}`));
    expect(tg.texts(OTHER).at(-1)).toBe("Không tìm thấy báo cáo khẩn này.");
    await say(OTHER, `cập nhật ${filed!.ref.toLowerCase()}`);
    expect(tg.texts(OTHER).at(-1)).toMatch(/Không tìm thấy/);
    // The reporter can.
    await say(REPORTER, `cập nhật ${filed!.ref}`);
    await say(REPORTER, "Đã họp với gia đình, trẻ đã được đưa về");
    expect(tg.texts(REPORTER).at(-3)).toBe(`Đã ghi cập nhật vào ${filed!.ref}.`);
    // …and is back at the report's question.
    expect(tg.texts(REPORTER).at(-2)).toBe("Tiếp tục báo cáo 6 tháng đầu năm 2026:");
    expect((await t.database.db.select().from(incidents))[0]!.status).toBe("in_progress");

    await say(REPORTER, `đóng ${filed!.ref}`);
    expect(tg.texts(REPORTER).at(-1)).toMatch(/gõ kèm kết quả/);
    await say(REPORTER, `Đóng ${filed!.ref}: trẻ đã an toàn, gia đình được hỗ trợ`);
    expect(tg.texts(REPORTER).at(-1)).toBe(`Đã đóng ${filed!.ref}. Kết quả đã được ghi lại.`);
    const [closed] = await t.database.db.select().from(incidents);
    expect(closed).toMatchObject({ status: "closed", outcome: "trẻ đã an toàn, gia đình được hỗ trợ" });

    // Past the retention period only the statistics remain.
    now.value = new Date(now.value.getTime() + 1826 * 86_400_000);
    expect(await s.service.incidents.applyRetention(t.database.db, 1825)).toBe(1);
    expect(await s.service.incidents.applyRetention(t.database.db, 1825)).toBe(0);
    const [kept] = await t.database.db.select().from(incidents);
    expect(kept).toMatchObject({ description: null, place: null, outcome: null, attachments: [], type: "duoi_nuoc", childAge: 9, childSex: "nu" });
  });

  it("nobody acknowledges: after 30 minutes the alert is repeated and widened to the admins; reads are audited", async () => {
    await say(REPORTER, "/khancap");
    await say(REPORTER, "3");
    await say(REPORTER, "bây giờ");
    await say(REPORTER, "bỏ qua");
    const [filed] = await t.database.db.select().from(incidents);
    now.value = new Date(now.value.getTime() + 29 * 60_000);
    expect(await s.service.incidents.escalateDue(t.database.db)).toBe(0);
    now.value = new Date(now.value.getTime() + 2 * 60_000);
    expect(await s.service.incidents.escalateDue(t.database.db)).toBe(1);
    await s.service.outbox.drainOnce();
    for (const chat of [DISTRICT, PROVINCE, ADMIN])
      expect(tg.texts(chat).at(-1)).toMatch(new RegExp(`NHẮC LẠI — chưa ai tiếp nhận: Báo cáo khẩn ${filed!.ref}`));
    const [escalated] = await t.database.db.select().from(incidents);
    expect(escalated!.escalationLevel).toBe(1);

    const res = await s.api(`/api/incidents/${filed!.ref}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { incident: { status: string }; clocks: { emergency: string; supportPlan: string }; timeline: { kind: string }[] };
    expect(body.timeline.map((e) => e.kind)).toEqual(["reported", "alerted", "escalated"]);
    // Received Sunday 14/06/2026: 5 working days → Friday 19/06 (no holidays that week).
    expect(body.clocks.supportPlan).toBe("2026-06-19");
    expect(body.clocks.emergency).toBe(new Date(filed!.createdAt.getTime() + 12 * 3_600_000).toISOString());
    const audit = await t.database.db.select().from(auditLog).where(eq(auditLog.target, filed!.ref));
    expect(audit).toMatchObject([{ actor: "admin-api-token", action: "incident.read" }]);
    expect((await s.api("/api/incidents/KC-2026-9999")).status).toBe(404);
    expect((await fetch(`${s.url}/api/incidents/${filed!.ref}`)).status).toBe(401);
  });
});

describe.each(dbKinds)("an officer on Zalo reports a drowning; the district on Telegram is alerted (%s)", (kind) => {
  const t = useTestDb(kind);
  it("three answers typed on Zalo file the case and alert at once", async () => {
    const tg = await startFakeTelegram();
    const zb = await startFakeZaloBot();
    const now = new Date("2026-06-14T09:00:00Z");
    await loadProvince(t.database, "post2025", "12");
    await addOfficers(t.database, ["name,phone,role,unit_code", "Cán bộ Bình Lư,0912000201,commune,03390", "Sở Lai Châu,0912000202,province,12"].join("\n"));
    await linkOfficer(t.database, "84912000201", "zalo_bot", "zalo-reporter-01");
    await linkOfficer(t.database, "84912000202", "telegram", "9202");
    const s = await startTestService(t, {
      telegram: tg,
      clock: () => now,
      env: { ZALO_BOT_TOKEN, ZALO_BOT_WEBHOOK_SECRET: "zalo-bot-secret-123", ZALO_BOT_API_ROOT: zb.apiRoot },
    });
    try {
      let n = 0;
      const say = (text: string) =>
        fetch(`${s.url}/webhooks/zalo`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-bot-api-secret-token": "zalo-bot-secret-123" },
          body: JSON.stringify({
            event_name: "message.text.received",
            message: { message_id: `z${++n}`, chat: { id: "zalo-reporter-01", chat_type: "PRIVATE" }, from: { id: "zalo-reporter-01" }, text },
          }),
        });
      await say("bao cao khan");
      expect(zb.texts("zalo-reporter-01").at(-1)).toMatch(/\n1\. Tử vong do đuối nước/);
      await say("1");
      await say("bay gio");
      await say("bo qua");
      const [filed] = await t.database.db.select().from(incidents);
      expect(zb.texts("zalo-reporter-01").join("\n")).toContain(`Đã gửi báo cáo khẩn ${filed!.ref}`);
      // Post-reform: no district any more, the province is alerted directly.
      expect(tg.texts(9202).at(-1)).toMatch(new RegExp(`Báo cáo khẩn ${filed!.ref}\\nTử vong do đuối nước\\nNơi xảy ra: Xã Bình Lư`));
    } finally {
      await s.service.stop();
      await tg.close();
      await zb.close();
    }
  });
});
