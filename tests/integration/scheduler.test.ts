import { and, eq, like } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { campaigns, outbox, periods, submissions, units } from "../../src/db/schema/index.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import { ensureReportingDefaults } from "../../src/reporting/reporting-defaults.js";
import { createLogger } from "../../src/log.js";
import { createOutbox, type ChannelSender } from "../../src/delivery/outbox.js";
import { createPlanners } from "../../src/scheduler/planners.js";
import { seedCampaigns } from "../../src/campaigns/seed-campaigns.js";
import { createBroadcast } from "../../src/broadcasts/broadcasts.js";
import { findUnit } from "../../src/directory/units.js";
import { dbKinds, useTestDb, type TestDb } from "../support/db.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";

const TZ = "Asia/Ho_Chi_Minh";
/** 10:00 in Hà Nội on a yyyy-mm-dd. */
const at = (date: string, time = "10:00") => new Date(`${date}T${time}:00+07:00`);

function harness(t: TestDb, now: { value: Date }) {
  const sent: { chatId: string; text: string }[] = [];
  const sender: ChannelSender = {
    async send(chatId, message) {
      sent.push({ chatId, text: message.text });
      return { platformMessageId: String(sent.length) };
    },
  };
  const clock = () => now.value;
  const logger = createLogger("silent");
  const box = createOutbox({ db: t.database.db, senders: { telegram: sender }, clock, logger, quietHours: { start: "21:00", end: "07:00", timeZone: TZ } });
  const planners = createPlanners({ db: t.database.db, outbox: box, clock, timeZone: TZ, logger });
  return { sent, box, planners };
}

/** Officers of the seed letters' units, each linked on Telegram (chat id = phone's last digits). */
const ROSTER = [
  "name,phone,role,unit_code,scheme",
  "Cán bộ Đông Kinh,0912000001,commune,05977,post2025", // Lạng Sơn (post-2025): 20/5 & 15/11
  "Cán bộ Đoàn Kết,0912000002,commune,03388,post2025", // Lai Châu (post-2025): national default 15/5 & 10/11
  "Cán bộ Thèn Sin,0912000003,commune,03394,pre2025", // Tam Đường (pre-2025): 25/5 & 20/11
  "Cán bộ Quyết Thắng,0912000004,commune,03386,pre2025", // Lai Châu city (pre-2025): 30/4 & 31/10
  "Cán bộ Đồng Phú,0912000005,commune,{QB},pre2025", // Quảng Bình (pre-2025): 15/5 & 10/11
  "Phòng LĐTBXH Tam Đường,0912000006,district,106,pre2025",
  "Sở Y tế Lạng Sơn,0912000007,province,20,post2025",
].join("\n");

async function setUp(t: TestDb) {
  await loadProvince(t.database, "post2025", "20");
  await loadProvince(t.database, "post2025", "12");
  await loadProvince(t.database, "pre2025", "12");
  await loadProvince(t.database, "pre2025", "44");
  const [qb] = await t.database.db
    .select()
    .from(units)
    .where(and(eq(units.scheme, "pre2025"), eq(units.level, "commune"), like(units.path, "44.450.%")))
    .limit(1);
  const r = await addOfficers(t.database, ROSTER.replace("{QB}", qb!.code));
  expect(r.rejected).toEqual([]);
  for (let i = 1; i <= 7; i++) await linkOfficer(t.database, `8491200000${i}`, "telegram", `90${i}`);
  await ensureReportingDefaults(t.database.db, createFormRegistry(), at("2026-01-01"));
}

/** Steps (in days from the deadline) on which the unit's officer got a reminder, over the days around it. */
async function reminderDays(t: TestDb, chatId: string, deadline: string) {
  const now = { value: at(deadline) };
  const h = harness(t, now);
  const got: number[] = [];
  for (let d = -8; d <= 4; d++) {
    const day = new Date(at(deadline).getTime() + d * 86_400_000);
    now.value = day;
    const before = (await t.database.db.select().from(outbox).where(eq(outbox.chatId, chatId))).length;
    await h.planners.planReminders();
    const after = (await t.database.db.select().from(outbox).where(eq(outbox.chatId, chatId))).length;
    if (after > before) got.push(d);
  }
  return got;
}

describe.each(dbKinds)("the scheduler, with a fixed clock (%s)", (kind) => {
  const t = useTestDb(kind);

  it.each([
    ["Lạng Sơn 2023 letter (post-2025 unit)", "901", "2026-11-15"],
    ["national default calendar", "902", "2026-11-10"],
    ["Tam Đường 2020 letter", "903", "2024-11-20"],
    ["Lai Châu city 2024 letter", "904", "2024-10-31"],
    ["Quảng Bình 2024 letter (communes five days before their district)", "905", "2024-11-05"],
  ])("reminders for the %s fire 7, 3, 1 days before, on the day, and 1 and 3 days late", async (_name, chat, deadline) => {
    await setUp(t);
    expect(await reminderDays(t, chat, deadline)).toEqual([-7, -3, -1, 0, 1, 3]);
    const [first] = await t.database.db.select().from(outbox).where(eq(outbox.chatId, chat)).orderBy(outbox.id).limit(1);
    expect(first!.payload.text).toMatch(/còn 7 ngày nữa là hạn nộp báo cáo năm/);
    // The one-tap button opens this reminder's own report, not whichever is open first; the other, the same on the web form.
    expect(first!.payload.choices).toEqual([
      { value: "cmd:start:child-affairs", label: "📝 Làm báo cáo" },
      { value: "cmd:web:child-affairs", label: "🌐 Điền trên web" },
    ]);
    // Planned for 08:00 local, not at the moment of planning.
    expect(first!.notBefore.toISOString()).toMatch(/T01:00:00/);
  });

  it("planning twice, or on two instances at once, plans nothing new", async () => {
    await setUp(t);
    const now = { value: at("2026-11-03") };
    const a = harness(t, now);
    const b = harness(t, now);
    const [n1, n2] = await Promise.all([a.planners.planReminders(), b.planners.planReminders()]);
    expect(n1 + n2).toBe(1);
    expect(await a.planners.planReminders()).toBe(0);
    expect(await t.database.db.select().from(outbox)).toHaveLength(1);
  });

  it("a unit that has submitted gets no more reminders", async () => {
    await setUp(t);
    const now = { value: at("2026-11-09") };
    const h = harness(t, now);
    const unit = (await findUnit(t.database.db, "post2025", "03388"))!;
    await h.planners.planReminders(); // ensures the period
    await t.database.db.delete(outbox);
    const [period] = await t.database.db.select().from(periods).where(eq(periods.key, "2026-Y"));
    const officerId = (await t.database.db.query.officers.findFirst({ where: (o, { eq }) => eq(o.phone, "84912000002") }))!.id;
    await t.database.db.insert(submissions).values({
      periodId: period!.id,
      unitId: unit.id,
      officerId,
      formId: "child-affairs",
      formVersion: 2,
      status: "submitted",
      submittedAt: now.value,
      late: false,
    });
    now.value = at("2026-11-10");
    await h.planners.planReminders();
    expect(await t.database.db.select().from(outbox).where(eq(outbox.chatId, "902"))).toHaveLength(0);
  });

  it("overdue communes are escalated to the district before the reform and to the province after", async () => {
    await setUp(t);
    const now = { value: at("2024-11-21") };
    const h = harness(t, now);
    await h.planners.planReminders();
    const district = await t.database.db.select().from(outbox).where(eq(outbox.chatId, "906"));
    expect(district).toHaveLength(1);
    expect(district[0]!.payload.text).toMatch(/^\d+ xã chưa nộp báo cáo năm 2024 \(quá hạn từ 1 ngày\): .*Xã Thèn Sin/);

    now.value = at("2026-11-16");
    await h.planners.planReminders();
    const province = await t.database.db.select().from(outbox).where(eq(outbox.chatId, "907"));
    expect(province).toHaveLength(1);
    expect(province[0]!.payload.text).toMatch(/^1 xã chưa nộp báo cáo năm 2026 \(quá hạn từ 1 ngày\): Phường Đông Kinh\.$/);
    // Nobody at the district level exists after the reform: the province hears it directly.
    expect(await t.database.db.select().from(outbox).where(eq(outbox.chatId, "906"))).toHaveLength(1);
  });

  it("the Mid-Autumn step lands on 2025-10-06 and 2026-09-25, a week's notice before, and the Action Month launches in May's last week", async () => {
    await setUp(t);
    await seedCampaigns(t.database.db);
    await seedCampaigns(t.database.db); // seeding twice changes nothing
    const now = { value: at("2026-01-01") };
    const h = harness(t, now);
    const plannedOn = async (date: string) => {
      now.value = at(date, "00:10");
      await h.planners.planCampaigns();
      const rows = await t.database.db
        .select()
        .from(outbox)
        .where(like(outbox.dedupeKey, `campaign:%:${date}:%`));
      return rows.map((r) => r.dedupeKey!.split(":")[2]).sort();
    };
    expect(await plannedOn("2025-10-06")).toContain("day");
    expect(await plannedOn("2026-09-25")).toContain("day");
    expect(await plannedOn("2026-09-24")).toEqual([]);
    expect(await plannedOn("2026-09-18")).toEqual(["before", "before"]);
    expect(await plannedOn("2025-05-26")).toEqual(["launch", "launch"]);
    const launch2025 = await t.database.db.select().from(outbox).where(like(outbox.dedupeKey, "campaign:%:launch:2025-05-26:%"));
    expect(launch2025[0]!.payload.text).toMatch(
      /phát động Tháng hành động vì trẻ em 2025 \(1–30\/6\), chủ đề: «Ưu tiên nguồn lực hoàn thành các mục tiêu vì trẻ em»/,
    );
    // Campaign texts go out at their time of day, not at midnight when planned.
    expect(launch2025[0]!.notBefore.toISOString()).toBe("2025-05-26T01:00:00.000Z");

    // 2026 has no theme yet: the launch waits rather than going out with an empty «».
    expect(await plannedOn("2026-05-25")).toEqual([]);
    now.value = at("2026-05-26", "00:10");
    await h.planners.planCampaigns();
    expect(await t.database.db.select().from(outbox).where(like(outbox.dedupeKey, "campaign:%:launch:2026-%"))).toHaveLength(0);
    // The province types the theme two days late: the launch goes out then, once, under its own date.
    await t.database.db
      .update(campaigns)
      .set({ themes: { "2026": "Chủ đề thử nghiệm 2026" } })
      .where(eq(campaigns.key, "action-month"));
    now.value = at("2026-05-27", "08:00");
    await h.planners.planCampaigns();
    now.value = at("2026-05-28", "08:00");
    await h.planners.planCampaigns();
    const launch = await t.database.db.select().from(outbox).where(like(outbox.dedupeKey, "campaign:%:launch:2026-05-25:%"));
    expect(launch).toHaveLength(2);
    expect(launch[0]!.payload.text).toMatch(/chủ đề: «Chủ đề thử nghiệm 2026»/);
    expect(await t.database.db.select().from(outbox).where(like(outbox.dedupeKey, "campaign:%:launch:2026-%"))).toHaveLength(2);
  });

  it("a directive sent at 22:30 waits until 07:00 and is then delivered once", async () => {
    await setUp(t);
    const now = { value: at("2026-11-23", "22:30") };
    const h = harness(t, now);
    await createBroadcast(
      t.database.db,
      { text: "Chỉ đạo khẩn về phòng chống đuối nước", audience: { scheme: "post2025", rootCode: "20" }, requireAck: false },
      now.value,
    );
    expect(await h.planners.planBroadcasts()).toBe(2);
    const rows = await t.database.db.select().from(outbox);
    expect(rows.every((r) => r.notBefore.toISOString() === "2026-11-24T00:00:00.000Z")).toBe(true);
    expect(await h.box.drainOnce()).toBe(0);
    now.value = at("2026-11-24", "06:59");
    expect(await h.box.drainOnce()).toBe(0);
    now.value = at("2026-11-24", "07:00");
    expect(await h.box.drainOnce()).toBe(2);
    expect(await h.box.drainOnce()).toBe(0);
    expect(h.sent.map((s) => s.chatId).sort()).toEqual(["901", "907"]);
    expect(await h.planners.planBroadcasts()).toBe(0);
  });
});
