import { asc } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answers, conversationSessions, incidents } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * Numbers as officers mean them, through the real webhook and the real database (issue 14,
 * finding 10): before, "62,5tr" was stored as 62,5 đồng, "1 2" as 12, "\u202e21" (shown as 12)
 * as 21, and 1/1/1900 as a report date. Every expected value is written out.
 */

const CHAT = 9710;
// 7 November 2026, 10:00 in Vietnam: the yearly report 2026 (01/01–31/12/2026) is open.
const NOW = new Date("2026-11-07T03:00:00Z");

/** The shortest way through the form to the review (question key → what Mai types). */
const QUICK: Record<string, string> = {
  comm_sessions: "0",
  trainings: "0",
  special_total: "2",
  special_boys: "1",
  special_girls: "1",
  special_groups: "1",
  special_supported: "0",
  abuse_cases: "0",
  drowning_deaths: "0",
  accident_deaths: "0",
  injuries: "3",
  action_month_events: "0",
  gifts: "1",
  gift_value: "24 triệu",
  fund_raised: "bỏ qua",
  child_friendly: "1",
  forums: "0",
  database_updated: "có",
  database_children: "5",
  report_date: "hôm nay",
  contact_phone: "0912 345 678",
  notes: "bỏ qua",
};
/** Question numbers in the shipped form (by hand: the order of its questions). */
const NUMBER = { comm_sessions: 1, injuries: 27, gift_value: 30, report_date: 37 } as const;

const REORDERED =
  "Câu trả lời có ký tự ẩn điều khiển hướng chữ (thường do sao chép từ ứng dụng khác), nên chữ số anh/chị nhìn thấy có thể khác chữ số được ghi. Anh/chị vui lòng gõ lại trực tiếp câu trả lời.";
const SPACED = "Các chữ số cần viết liền nhau, hàng nghìn ngăn bằng dấu chấm (ví dụ 1.234.567); mỗi câu chỉ một số.";

describe.each(dbKinds)("an officer's numbers are stored as she meant them (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000710,commune,03388\n");
    await linkOfficer(t.database, "84912000710", "telegram", String(CHAT));
    s = await startTestService(t, { telegram: tg, clock: () => NOW });
  });
  afterEach(() => s.service.stop());

  const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
  const stored = async () =>
    new Map(
      (await t.database.db.select({ key: answers.key, value: answers.value, valueNum: answers.valueNum }).from(answers).orderBy(asc(answers.key))).map((r) => [
        r.key,
        { v: r.value.v, num: r.valueNum },
      ]),
    );

  /** Sends one message and returns the replies it produced (the webhook must answer 200). */
  async function say(text: string): Promise<string[]> {
    const before = tg.texts(CHAT).length;
    const res = await s.postUpdate(textUpdate(CHAT, text));
    expect(res.status).toBe(200);
    return tg.texts(CHAT).slice(before);
  }

  /** Answers the quick way until the question `id` is asked. */
  async function reach(id: string) {
    await say("báo cáo");
    for (let guard = 0; guard < 40; guard++) {
      const cursor = (await state()).report?.cursor;
      if (cursor === id) return;
      await say(QUICK[cursor!]!);
    }
    throw new Error(`never asked ${id}`);
  }

  it("an officer who types '62,5tr' has 62,500,000 đồng recorded; '1,5' (a fraction of a đồng) is refused and nothing is stored", async () => {
    await reach("gift_value");
    const refused = await say("1,5");
    expect(refused[0]).toBe("Số tiền tính bằng đồng, không có phần lẻ (anh/chị vừa gõ 1,5 đồng). Nếu là triệu, anh/chị gõ ví dụ 1,5 triệu hoặc 1.500.000.");
    expect(refused[1]).toMatch(new RegExp(`^Câu ${NUMBER.gift_value}/\\d+\\. `));
    expect(refused[1]).toContain('(nhập số tiền, ví dụ 5.000.000 hoặc 5 triệu; "?" để xem giải thích)');
    expect((await stored()).has("gift_value")).toBe(false);

    await say("62,5tr");
    expect((await stored()).get("gift_value")).toEqual({ v: 62_500_000, num: 62_500_000 });
    expect((await state()).report?.cursor).toBe("fund_raised");
    await say("500k");
    expect((await stored()).get("fund_raised")).toEqual({ v: 500_000, num: 500_000 });

    // Corrected from the review: "1,5 tr" is a million and a half.
    for (let guard = 0; guard < 20 && (await state()).mode === "asking"; guard++) await say(QUICK[(await state()).report!.cursor!]!);
    await say(`sửa ${NUMBER.gift_value}`);
    const review = await say("1,5 tr");
    expect((await stored()).get("gift_value")).toEqual({ v: 1_500_000, num: 1_500_000 });
    expect(review.join("\n")).toContain("Tổng giá trị quà và tiền hỗ trợ (đồng): 1.500.000 đồng");
    for (const [typed, value] of [
      ["1,2 tỷ", 1_200_000_000],
      ["3 ngàn", 3000],
      ["5 triệu rưỡi", 5_500_000],
    ] as const) {
      await say(`sửa ${NUMBER.gift_value}`);
      await say(typed);
      expect((await stored()).get("gift_value"), typed).toEqual({ v: value, num: value });
    }
  });

  it("an officer who types '1 2' at a count is asked again and nothing is stored", async () => {
    await reach("comm_sessions");
    const replies = await say("1 2");
    expect(replies).toHaveLength(2);
    expect(replies[0]).toBe(SPACED);
    expect(replies[1]).toMatch(new RegExp(`^Câu ${NUMBER.comm_sessions}/\\d+\\. Số buổi truyền thông`));
    expect((await stored()).size).toBe(0);
    expect((await state()).report?.cursor).toBe("comm_sessions");

    // Unknown words after a count are refused, naming the word; harmless ones are taken.
    expect((await say("12 con"))[0]).toBe('Không hiểu chữ "con" trong câu trả lời. Câu này cần một con số (ví dụ 12 hoặc 1.234).');
    expect((await stored()).size).toBe(0);
    await say("1.234 buổi");
    expect((await stored()).get("comm_sessions")).toEqual({ v: 1234, num: 1234 });
  });

  it("an officer whose answer holds a right-to-left override ('\\u202e21', which her screen shows as 12) is asked to type it again, and nothing is stored", async () => {
    await reach("injuries");
    const before = await stored();
    const replies = await say("\u202e21\u202c");
    expect(replies).toHaveLength(2);
    expect(replies[0]).toBe(REORDERED);
    expect(replies[1]).toMatch(new RegExp(`^Câu ${NUMBER.injuries}/\\d+\\. `));
    expect(await stored()).toEqual(before);
    expect((await state()).report?.cursor).toBe("injuries");

    // Zero-width marks change nothing the officer sees: they go, and the number is taken.
    await say("1\u200b2");
    expect((await stored()).get("injuries")).toEqual({ v: 12, num: 12 });
  });

  it("an officer who types 1/1/1900 as the report date is told the allowed range and nothing is stored", async () => {
    await reach("report_date");
    const replies = await say("1/1/1900");
    expect(replies).toHaveLength(2);
    expect(replies[0]).toBe(
      "Ngày 01/01/1900 không hợp lý ở câu này: anh/chị nhập ngày từ 01/01/2026 đến 07/11/2026 (trong kỳ báo cáo hoặc trong 6 tháng sau kỳ).",
    );
    expect(replies[1]).toMatch(new RegExp(`^Câu ${NUMBER.report_date}/\\d+\\. `));
    expect((await stored()).has("report_date")).toBe(false);
    await say("02/01/2026");
    expect((await stored()).get("report_date")).toEqual({ v: "2026-01-02", num: null });
  });

  it("an urgent case said to have happened on 1/1/1900 is refused with the range, and no case is filed", async () => {
    await say("khẩn");
    await say("3");
    const replies = await say("1/1/1900 9h");
    expect(replies[0]).toBe("Ngày 01/01/1900 không hợp lý ở câu này: anh/chị nhập ngày từ 07/11/2010 đến 07/11/2026 (trẻ em là người dưới 16 tuổi).");
    expect((await state()).incident?.index).toBe(1);
    expect(await t.database.db.select().from(incidents)).toHaveLength(0);
  });
});
