import { randomBytes } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answers, conversationSessions, incidents, officers, submissions, webSessions } from "../../src/db/schema/index.js";
import { ESSENTIALS } from "../../src/incidents/incident-flow.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { questionNumbers } from "../../src/forms/form-runtime.js";
import type { Question } from "../../src/forms/form-schema.js";
import { sha256 } from "../../src/http/sessions.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { nextUpdateId, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * What an officer can throw at each kind of question of the shipped child-affairs form, through
 * the real webhook: a Vietnamese reason and the question again, or the value recorded once, never
 * a 5xx, never silence, never a stray write. Every expected reason and value is written out here
 * (not asked of the parser under test).
 */

const CHAT = 9651;
const NOW = new Date("2026-11-07T03:00:00Z");
const TODAY = "2026-11-07";
const nfd = (s: string) => s.normalize("NFD");

/** One question of each type the shipped form has (money: a whole number of đồng). */
const TARGETS = {
  integer: "injuries",
  money: "gift_value",
  text: "notes",
  single: "child_friendly",
  multiple: "special_groups",
  yesno: "database_updated",
  date: "report_date",
  phone: "contact_phone",
} as const;

/** Short answers that reach the review through the fewest questions (and every target above). */
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

/** Digits wrapped in a right-to-left override: typed 21, shown to the officer as 12. Refused everywhere. */
const RTL_DIGITS = "\u202e21\u202c";
/** 99 then half of an emoji (a lone surrogate, as a truncated paste leaves it): not valid in a jsonb value. */
const HALF_EMOJI = "99\ud83d";
/** Hostile messages every question must survive (the issue's list, and a few of the same kind). */
const HOSTILE = [
  nfd("x\u0301y\u0323 đ\u0309"),
  "\u200b\u200f\u202e",
  RTL_DIGITS,
  "👍👍👍",
  "x".repeat(5000),
  "1.2.3",
  "-0",
  "1e9",
  "NaN",
  "<script>alert(1)</script>",
  "'; DROP TABLE answers; --",
  "",
  "١٢٣",
  HALF_EMOJI,
  // Characters outside the BMP that are not emojis (here mathematical digits): quoted back in a
  // reason, they must not be cut between the two halves of a pair.
  "𝟏".repeat(40),
];

type Target = keyof typeof TARGETS;
/** An answer refused with this reason, or stored as this value. */
type Verdict = { refused: string } | { stored: unknown };

const NOT_ANSWERED = "Anh/chị chưa nhập câu trả lời.";
const REORDERED =
  "Câu trả lời có ký tự ẩn điều khiển hướng chữ (thường do sao chép từ ứng dụng khác), nên chữ số anh/chị nhìn thấy có thể khác chữ số được ghi. Anh/chị vui lòng gõ lại trực tiếp câu trả lời.";
/** What each type of question says to something it cannot read. */
const UNREADABLE: Record<Exclude<Target, "text" | "multiple">, string> = {
  integer: "Câu này cần một con số (ví dụ 12 hoặc 1.234).",
  money: "Câu này cần số tiền (ví dụ 5.000.000 hoặc 5 triệu).",
  single: "Anh/chị vui lòng chọn một số từ 1 đến 3, hoặc gõ đúng tên lựa chọn.",
  yesno: 'Anh/chị vui lòng trả lời "có" hoặc "không".',
  date: 'Ngày cần viết dạng ngày/tháng/năm, ví dụ 15/05/2026, hoặc "hôm nay", "hôm qua".',
  phone: "Số điện thoại chưa đúng, ví dụ 0912 345 678.",
};
const notUnderstood = (part: string) => `Không hiểu "${part}". Gõ các số của lựa chọn, cách nhau bởi dấu phẩy (ví dụ: 1, 3).`;
const everywhere = (refused: string): Record<Target, Verdict> =>
  Object.fromEntries((Object.keys(TARGETS) as Target[]).map((t) => [t, { refused }])) as Record<Target, Verdict>;
/** Unreadable at every type but free text (stored as `text`) and multiple choice (which quotes `part`). */
const onlyText = (text: string, part: string, numbers?: Partial<Record<Target, Verdict>>): Record<Target, Verdict> => ({
  integer: { refused: UNREADABLE.integer },
  money: { refused: UNREADABLE.money },
  text: { stored: text },
  single: { refused: UNREADABLE.single },
  multiple: { refused: notUnderstood(part) },
  yesno: { refused: UNREADABLE.yesno },
  date: { refused: UNREADABLE.date },
  phone: { refused: UNREADABLE.phone },
  ...numbers,
});

/** The verdict for each hostile message (in HOSTILE's order) at each type, by hand. */
const HOSTILE_VERDICTS: Record<Target, Verdict>[] = [
  // NFD letters with stacked marks: free text keeps them, composed where Unicode can ("y" + dot below → "ỵ").
  onlyText("x\u0301\u1ef5 đ\u0309", "x\u0301\u1ef5 đ\u0309"),
  everywhere(NOT_ANSWERED),
  everywhere(REORDERED),
  everywhere(NOT_ANSWERED),
  { ...onlyText("", `${"x".repeat(30)}…`), text: { refused: "Câu trả lời dài quá (5000 ký tự); tối đa 1000 ký tự." } },
  onlyText("1.2.3", "1.2.3"),
  onlyText("-0", "-0", { integer: { refused: "Số không được âm." }, money: { refused: "Số không được âm." } }),
  onlyText("1e9", "1e9"),
  onlyText("NaN", "NaN"),
  onlyText("<script>alert(1)</script>", "<script>alert(1)</script>"),
  // Multiple choice splits at ";": the first part it cannot read is the quote.
  onlyText("'; DROP TABLE answers; --", "'"),
  everywhere(NOT_ANSWERED),
  onlyText("١٢٣", "١٢٣"),
  // The lone surrogate goes; 99 is left (99 em, 99 đồng).
  onlyText("99", "99", { integer: { stored: 99 }, money: { stored: 99 } }),
  onlyText("𝟏".repeat(40), `${"𝟏".repeat(30)}…`),
];

/** Valid answers typed in NFD (decomposed accents, as some keyboards send them): accepted as the NFC ones. */
const NFD_VALID: Record<Target, [typed: string, stored: unknown]> = {
  integer: [nfd("12 người"), 12],
  money: [nfd("24 triệu"), 24_000_000],
  text: [nfd("Cần thêm kinh phí cho điểm vui chơi"), "Cần thêm kinh phí cho điểm vui chơi"],
  single: [nfd("Chưa đạt"), "chua_dat"],
  multiple: [nfd("Khuyết tật, Bị bỏ rơi"), ["d_khuyet_tat", "b_bo_roi"]],
  yesno: [nfd("không"), false],
  date: [nfd("hôm nay"), TODAY],
  phone: [nfd("0912 345 678"), "84912345678"],
};
describe.each(dbKinds)("an officer who types nonsense at any question is asked again in Vietnamese and nothing stray is stored (%s)", (kind) => {
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
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000651,commune,03388\nSở Lai Châu,0912000652,province,12\n");
    await linkOfficer(t.database, "84912000651", "telegram", String(CHAT));
    s = await startTestService(t, { telegram: tg, clock: () => NOW });
  });
  afterEach(() => s.service.stop());

  const form = () => s.service.forms.latest("child-affairs");
  const question = (id: string): Question =>
    form()
      .sections.flatMap((x) => x.questions)
      .find((q) => q.id === id)!;
  const number = (id: string) => questionNumbers(form()).get(id)!;
  const state = async () => (await t.database.db.select().from(conversationSessions))[0]!.state as SessionState;
  const stored = () => t.database.db.select({ key: answers.key, value: answers.value, valueNum: answers.valueNum }).from(answers).orderBy(asc(answers.key));

  /** Sends one update and returns the replies it produced (the webhook must answer 200). */
  async function send(update: unknown): Promise<string[]> {
    const before = tg.texts(CHAT).length;
    const res = await s.postUpdate(update);
    expect(res.status).toBe(200);
    return tg.texts(CHAT).slice(before);
  }
  const say = (text: string) => send(textUpdate(CHAT, text));

  /** Answers the report up to the final review, by the shortest way the skip logic allows. */
  async function fillReport() {
    await say("báo cáo");
    for (let guard = 0; guard < 40 && (await state()).mode === "asking"; guard++) await say(QUICK[(await state()).report!.cursor!]!);
    expect((await state()).mode).toBe("review");
  }

  /** "sửa N": back to the question, whatever was asked before. */
  async function goTo(id: string) {
    if ((await state()).report?.cursor === id) return;
    await say(`sửa ${number(id)}`);
    expect((await state()).report?.cursor).toBe(id);
  }

  /**
   * Types `text` at question `id` and checks the outcome against the expected verdict: a refusal
   * is that reason then the same question, with no write (`refused: undefined` takes any reason);
   * an acceptance is one row holding the value.
   */
  async function expectVerdict(id: string, text: string, verdict: Verdict | { refused: undefined }) {
    await goTo(id);
    const before = await stored();
    const replies = await say(text);
    const label = `${id} ← ${JSON.stringify(text.slice(0, 40))}`;
    if ("refused" in verdict) {
      expect(replies, label).toHaveLength(2);
      if (verdict.refused !== undefined) expect(replies[0], label).toBe(verdict.refused);
      expect(replies[1], label).toMatch(new RegExp(`^Câu ${number(id)}/\\d+\\. `));
      expect(replies[1], label).toContain(question(id).label);
      expect((await state()).report!.cursor, label).toBe(id);
      expect(await stored(), label).toEqual(before);
    } else {
      expect(replies.length, label).toBeGreaterThanOrEqual(1);
      const rows = (await stored()).filter((r) => r.key === id);
      expect(rows, label).toEqual([{ key: id, value: { v: verdict.stored }, valueNum: typeof verdict.stored === "number" ? verdict.stored : null }]);
      // Text is stored NFC, however it was typed: what the web shows and exports compares equal.
      if (typeof verdict.stored === "string") expect(verdict.stored, label).toBe(verdict.stored.normalize("NFC"));
    }
  }

  it(
    "at every type of question the officer's nonsense gets its reason and the question again; a sticker, a location or an empty message changes nothing; a valid answer typed in NFD is taken as the NFC one",
    { timeout: 180_000 },
    async () => {
      await fillReport();
      const message = (extra: Record<string, unknown>) => ({
        update_id: nextUpdateId(),
        message: {
          message_id: 1,
          date: Math.floor(NOW.getTime() / 1000),
          chat: { id: CHAT, type: "private", first_name: "Mai" },
          from: { id: CHAT, is_bot: false, first_name: "Mai" },
          ...extra,
        },
      });
      const nonText: [string, Record<string, unknown>, RegExp][] = [
        [
          "sticker",
          { sticker: { file_id: "st1", file_unique_id: "u1", type: "regular", width: 512, height: 512, is_animated: false, is_video: false } },
          /nhãn dán/,
        ],
        ["location", { location: { latitude: 22.39, longitude: 103.46 } }, /vị trí/],
        ["empty message", {}, /chưa đọc được/],
      ];
      for (const [type, id] of Object.entries(TARGETS) as [Target, string][]) {
        for (const [k, text] of HOSTILE.entries()) await expectVerdict(id, text, HOSTILE_VERDICTS[k]![type]);

        await goTo(id);
        const before = await stored();
        for (const [what, extra, names] of nonText) {
          const replies = await send(message(extra));
          expect(replies.length, `${id}: ${what}`).toBeGreaterThanOrEqual(1);
          expect(replies[0], `${id}: ${what}`).toMatch(names);
          expect(replies[0], `${id}: ${what}`).toMatch(/trả lời bằng chữ hoặc số/);
          // If the question is repeated after the reason, it is this question.
          for (const r of replies.slice(1)) expect(r).toMatch(new RegExp(`^Câu ${number(id)}/\\d+\\. `));
          expect((await state()).report!.cursor, `${id}: ${what}`).toBe(id);
          expect(await stored(), `${id}: ${what}`).toEqual(before);
        }

        // The conversation is not derailed: a valid answer, even typed in NFD, is taken for this question.
        const [typed, value] = NFD_VALID[type];
        await expectVerdict(id, typed, { stored: value });
      }
      const byKey = new Map((await stored()).map((r) => [r.key, r.value.v]));
      expect(byKey.get("notes")).toBe("Cần thêm kinh phí cho điểm vui chơi".normalize("NFC"));
      expect(byKey.get("child_friendly")).toBe("chua_dat");
      expect(byKey.get("database_updated")).toBe(false);
      expect(byKey.get("gift_value")).toBe(24_000_000);
      expect(byKey.get("report_date")).toBe(TODAY);
    },
  );

  it("the urgent report's questions (what: a choice, when: a date-time) refuse each hostile message, a sticker or a location with the parser's reason and the question again, and file nothing until a real answer", async () => {
    const incidentState = async () => (await state()).incident;
    /** What each question says to something it cannot read, by hand. */
    const unreadable = [
      "Anh/chị vui lòng chọn một số từ 1 đến 8, hoặc gõ đúng tên lựa chọn.",
      'Thời gian viết như "bây giờ", "17h", "tối qua 20h", "hôm qua 17h" hoặc "20/11 9h".',
    ];
    const reasonFor = (index: number, text: string | undefined) => {
      if (text === undefined || ["\u200b\u200f\u202e", "👍👍👍", ""].includes(text)) return NOT_ANSWERED;
      if (text === RTL_DIGITS) return REORDERED;
      return unreadable[index];
    };
    const nonText = [
      { sticker: { file_id: "st1", file_unique_id: "u1", type: "regular", width: 512, height: 512, is_animated: false, is_video: false } },
      { location: { latitude: 22.39, longitude: 103.46 } },
    ];
    await say("khẩn");
    for (const [index, answer] of [
      [0, "3"],
      [1, nfd("hôm qua 17h")],
    ] as const) {
      const question = ESSENTIALS[index]!;
      const inputs: { text?: string; extra?: Record<string, unknown> }[] = [...HOSTILE.map((text) => ({ text })), ...nonText.map((extra) => ({ extra }))];
      for (const input of inputs) {
        const label = `${question.id} ← ${input.text === undefined ? Object.keys(input.extra!)[0] : JSON.stringify(input.text.slice(0, 30))}`;
        const replies = await send(
          input.extra
            ? {
                update_id: nextUpdateId(),
                message: { message_id: 1, date: 0, chat: { id: CHAT, type: "private" }, from: { id: CHAT, is_bot: false, first_name: "Mai" }, ...input.extra },
              }
            : textUpdate(CHAT, input.text!),
        );
        expect(replies, label).toEqual([reasonFor(index, input.text), expect.stringMatching(/^🚨 /)]);
        expect(replies[1], label).toContain(question.label);
        expect((await incidentState())?.index, label).toBe(index);
      }
      expect(await t.database.db.select().from(incidents)).toHaveLength(0);
      await say(answer);
    }
    // "hôm qua 17h" typed in NFD was read as yesterday 17:00 in Vietnam.
    expect((await incidentState())?.answers.occurred_at).toBe("2026-11-06T10:00:00.000Z");
    await say("bỏ qua");
    const [filed] = await t.database.db.select().from(incidents);
    expect(filed!.occurredAt.toISOString()).toBe("2026-11-06T10:00:00.000Z");
  });

  it(
    "random mixes of numbers, multiplier words, emojis, invisible and bidi marks and dates: what is stored is what the officer meant (known by construction), and a refusal writes nothing",
    { timeout: 180_000 },
    async () => {
      await fillReport();
      // What keyboards and pasted text add around an answer, changing nothing the officer sees.
      const junk = fc
        .array(fc.constantFrom("👍", "🙏🏻", "❤️", "🇻🇳", "\u200b", "\u200d", "\ufeff", "\u00ad", "\u202c", " ", "  "), { maxLength: 3 })
        .map((xs) => xs.join(""));
      const withDots = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
      const dd = (n: number) => String(n).padStart(2, "0");
      type Case = { id: string; text: string; verdict: Verdict };
      const count = fc
        .record({
          n: fc.integer({ min: 0, max: 10_000 }),
          dots: fc.boolean(),
          zw: fc.boolean(),
          unit: fc.constantFrom("", " em", "em", nfd(" người"), " trẻ em", nfd(" cháu")),
          before: junk,
          after: junk,
        })
        .map(({ n, dots, zw, unit, before, after }): Case => {
          let digits = dots ? withDots(n) : String(n);
          if (zw) digits = [...digits].join("\u200b");
          return { id: TARGETS.integer, text: `${before}${digits}${unit}${after}`, verdict: { stored: n } };
        });
      const worth = fc.constantFrom<[string, number]>(
        ["k", 1_000],
        ["nghìn", 1_000],
        ["ngàn", 1_000],
        ["nghin", 1_000],
        ["tr", 1_000_000],
        ["triệu", 1_000_000],
        ["trieu", 1_000_000],
        ["tỷ", 1_000_000_000],
        ["ty", 1_000_000_000],
      );
      const money = fc
        .record({
          n: fc.integer({ min: 1, max: 999 }),
          tenth: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
          w: worth,
          space: fc.constantFrom("", " "),
          upper: fc.boolean(),
          decomposed: fc.boolean(),
          currency: fc.constantFrom("", " đồng", "đ", " VND"),
          before: junk,
          after: junk,
        })
        .map(({ n, tenth, w: [word, value], space, upper, decomposed, currency, before, after }): Case => {
          const w = decomposed ? nfd(upper ? word.toUpperCase() : word) : upper ? word.toUpperCase() : word;
          const amount = tenth === undefined ? n * value : ((10 * n + tenth) * value) / 10;
          return {
            id: TARGETS.money,
            text: `${before}${n}${tenth === undefined ? "" : `,${tenth}`}${space}${w}${currency}${after}`,
            verdict: { stored: amount },
          };
        });
      // A bidi control before or inside the digits, at any question: refused, whatever it is.
      const reordered = fc
        .record({
          id: fc.constantFrom(...Object.values(TARGETS)),
          n: fc.integer({ min: 10, max: 99_999 }),
          control: fc.constantFrom("\u202e", "\u202b", "\u202d", "\u2067", "\u2068", "\u200f"),
          at: fc.nat(),
        })
        .map(({ id, n, control, at }): Case => {
          const digits = String(n);
          const cut = at % digits.length;
          return { id, text: digits.slice(0, cut) + control + digits.slice(cut), verdict: { refused: REORDERED } };
        });
      const spaced = fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 })).map(([a, b]): Case => ({
        id: TARGETS.integer,
        text: `${a} ${b}`,
        verdict: { refused: "Các chữ số cần viết liền nhau, hàng nghìn ngăn bằng dấu chấm (ví dụ 1.234.567); mỗi câu chỉ một số." },
      }));
      // A report date from mid-2025 to a month after today: before the period (2026) and in the future are refused.
      const date = fc.integer({ min: Date.UTC(2025, 5, 1) / 86_400_000, max: Date.UTC(2026, 11, 7) / 86_400_000 }).map((day): Case => {
        const d = new Date(day * 86_400_000);
        const typed = `${dd(d.getUTCDate())}/${dd(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
        const iso = d.toISOString().slice(0, 10);
        if (iso > TODAY) return { id: TARGETS.date, text: typed, verdict: { refused: "Ngày này ở tương lai; anh/chị kiểm tra lại." } };
        if (iso < "2026-01-01")
          return {
            id: TARGETS.date,
            text: typed,
            verdict: {
              refused: `Ngày ${typed} không hợp lý ở câu này: anh/chị nhập ngày từ 01/01/2026 đến 07/11/2026 (trong kỳ báo cáo hoặc trong 6 tháng sau kỳ).`,
            },
          };
        return { id: TARGETS.date, text: typed, verdict: { stored: iso } };
      });
      const nothing = fc
        .array(fc.constantFrom("👍", "🙏🏻", "🇻🇳", "\u200b", "\ufeff", "\u202c", "\u202e", " "), { minLength: 1, maxLength: 4 })
        .map((xs) => xs.join(""))
        .chain((text) => fc.constantFrom(...Object.values(TARGETS)).map((id): Case => ({ id, text, verdict: { refused: NOT_ANSWERED } })));
      let refused = 0;
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(count, money, reordered, spaced, date, nothing), async ({ id, text, verdict }) => {
          await expectVerdict(id, text, verdict);
          if ("stored" in verdict) accepted++;
          else refused++;
        }),
        { numRuns: 50 },
      );
      // Both branches of the property ran (a generator that only produced refusals would prove little).
      expect(accepted).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    },
  );

  it("<script> typed at the free-text question is kept as text and shown escaped on the review page of the web", async () => {
    await fillReport();
    const payload = `<script>alert("x")</script><img src=x onerror=alert(1)> & 'kinh phí'`;
    await goTo("notes");
    await say(payload);
    await say("nộp");
    const [sub] = await t.database.db.select().from(submissions);
    expect(sub!.status).toBe("submitted");
    // On chat the review is plain text: no parse mode that would read it as markup.
    expect(tg.sent(CHAT).every((c) => c.payload.parse_mode === undefined)).toBe(true);
    // The province reads it on the web.
    const id = randomBytes(16).toString("hex");
    const [supervisor] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000652"));
    await t.database.db.insert(webSessions).values({ idHash: sha256(id), officerId: supervisor!.id, expiresAt: new Date(NOW.getTime() + 3_600_000) });
    const res = await fetch(`${s.url}/submissions/${sub!.id}`, { headers: { cookie: `baocao_session=${id}` } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &#39;kinh phí&#39;");
    expect(html).not.toContain("<script>alert");
    expect(html).not.toContain("<img src=x");
  });
});
