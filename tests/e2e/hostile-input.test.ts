import { randomBytes } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answers, conversationSessions, incidents, officers, submissions, webSessions } from "../../src/db/schema/index.js";
import { ESSENTIALS } from "../../src/conversations/incident-flow.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { parseAnswer, questionNumbers, type ParseResult } from "../../src/conversations/form-runtime.js";
import type { Question } from "../../src/conversations/form-schema.js";
import { parseCommand } from "../../src/conversations/commands.js";
import { cleanText } from "../../src/domain/text.js";
import { sha256 } from "../../src/http/sessions.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { nextUpdateId, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * What an officer can throw at each kind of question of the shipped child-affairs form, through
 * the real webhook: the reply must be the pure parser's verdict (a Vietnamese reason and the
 * question again, or the value recorded once), never a 5xx, never silence, never a stray write.
 */

const CHAT = 9651;
const NOW = new Date("2026-11-07T03:00:00Z");
const TODAY = "2026-11-07";
const nfd = (s: string) => s.normalize("NFD");

/** One question of each type the shipped form has. */
const TARGETS = {
  integer: "injuries",
  decimal: "gift_value",
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

/** Digits wrapped in a right-to-left override: invisible marks, so the number 21 (what was typed, in logical order). */
const RTL_DIGITS = "\u202e21\u202c";
/** 99 then half of an emoji (a lone surrogate, as a truncated paste leaves it): not valid in a jsonb value. */
const HALF_EMOJI = "99\ud83d";
/** Hostile messages every question must survive (the list, and a few of the same kind). */
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

/** Valid answers typed in NFD (decomposed accents, as some keyboards send them): accepted as the NFC ones. */
const NFD_VALID: Record<keyof typeof TARGETS, string> = {
  integer: nfd("12 người"),
  decimal: nfd("24 triệu"),
  text: nfd("Cần thêm kinh phí cho điểm vui chơi"),
  single: nfd("Chưa đạt"),
  multiple: nfd("Khuyết tật, Bị bỏ rơi"),
  yesno: nfd("không"),
  date: nfd("hôm nay"),
  phone: nfd("0912 345 678"),
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
  const question = (id: string): Question => form().sections.flatMap((x) => x.questions).find((q) => q.id === id)!;
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
   * Types `text` at question `id` and checks the outcome against the pure parser: a refusal is
   * the parser's reason then the same question, with no write; an acceptance is one row holding
   * the parsed value.
   */
  async function expectParserVerdict(id: string, text: string): Promise<ParseResult> {
    await goTo(id);
    const before = await stored();
    const verdict = parseAnswer(question(id), { text }, { today: TODAY });
    const replies = await say(text);
    const label = `${id} ← ${JSON.stringify(text.slice(0, 40))}`;
    if (!verdict.ok) {
      expect(replies, label).toHaveLength(2);
      expect(replies[0], label).toBe(verdict.message);
      expect(replies[1], label).toMatch(new RegExp(`^Câu ${number(id)} \\(`));
      expect(replies[1], label).toContain(question(id).label);
      expect((await state()).report!.cursor, label).toBe(id);
      expect(await stored(), label).toEqual(before);
    } else {
      expect(replies.length, label).toBeGreaterThanOrEqual(1);
      const rows = (await stored()).filter((r) => r.key === id);
      expect(rows, label).toEqual([{ key: id, value: { v: verdict.value }, valueNum: typeof verdict.value === "number" ? verdict.value : null }]);
      // Text is stored NFC, however it was typed: what the web shows and exports compares equal.
      if (typeof verdict.value === "string") expect(verdict.value, label).toBe(verdict.value.normalize("NFC"));
    }
    return verdict;
  }

  it("at every type of question the officer's nonsense gets the parser's reason and the question again; a sticker, a location or an empty message changes nothing; a valid answer typed in NFD is taken as the NFC one", async () => {
    await fillReport();
    const message = (extra: Record<string, unknown>) => ({
      update_id: nextUpdateId(),
      message: { message_id: 1, date: Math.floor(NOW.getTime() / 1000), chat: { id: CHAT, type: "private", first_name: "Mai" }, from: { id: CHAT, is_bot: false, first_name: "Mai" }, ...extra },
    });
    const nonText: [string, Record<string, unknown>, RegExp][] = [
      ["sticker", { sticker: { file_id: "st1", file_unique_id: "u1", type: "regular", width: 512, height: 512, is_animated: false, is_video: false } }, /nhãn dán/],
      ["location", { location: { latitude: 22.39, longitude: 103.46 } }, /vị trí/],
      ["empty message", {}, /chưa đọc được/],
    ];
    for (const [type, id] of Object.entries(TARGETS) as [keyof typeof TARGETS, string][]) {
      for (const text of HOSTILE) {
        const verdict = await expectParserVerdict(id, text);
        // Only free text may take any of these (kept as typed, NFC, and shown escaped: see below),
        // and numbers take the digits around invisible marks, as they take "12 👍".
        const digitsInJunk = [RTL_DIGITS, HALF_EMOJI].includes(text) && (type === "integer" || type === "decimal");
        if (verdict.ok) expect(type === "text" || digitsInJunk, `${type} took ${JSON.stringify(text.slice(0, 20))}`).toBe(true);
      }

      await goTo(id);
      const before = await stored();
      for (const [what, extra, names] of nonText) {
        const replies = await send(message(extra));
        expect(replies.length, `${id}: ${what}`).toBeGreaterThanOrEqual(1);
        expect(replies[0], `${id}: ${what}`).toMatch(names);
        expect(replies[0], `${id}: ${what}`).toMatch(/trả lời bằng chữ hoặc số/);
        // If the question is repeated after the reason, it is this question.
        for (const r of replies.slice(1)) expect(r).toMatch(new RegExp(`^Câu ${number(id)} \\(`));
        expect((await state()).report!.cursor, `${id}: ${what}`).toBe(id);
        expect(await stored(), `${id}: ${what}`).toEqual(before);
      }

      // The conversation is not derailed: a valid answer, even typed in NFD, is taken for this question.
      const verdict = await expectParserVerdict(id, NFD_VALID[type]);
      expect(verdict.ok, `${type}: ${NFD_VALID[type]}`).toBe(true);
    }
    const byKey = new Map((await stored()).map((r) => [r.key, r.value.v]));
    expect(byKey.get("notes")).toBe("Cần thêm kinh phí cho điểm vui chơi".normalize("NFC"));
    expect(byKey.get("child_friendly")).toBe("chua_dat");
    expect(byKey.get("database_updated")).toBe(false);
    expect(byKey.get("gift_value")).toBe(24_000_000);
    expect(byKey.get("report_date")).toBe(TODAY);
  });

  it("the urgent report's questions (what: a choice, when: a date-time) refuse each hostile message, a sticker or a location with the parser's reason and the question again, and file nothing until a real answer", async () => {
    const incidentState = async () => (await state()).incident;
    const ctx = { today: TODAY, now: NOW, timeZone: "Asia/Ho_Chi_Minh" };
    const nonText = [
      { sticker: { file_id: "st1", file_unique_id: "u1", type: "regular", width: 512, height: 512, is_animated: false, is_video: false } },
      { location: { latitude: 22.39, longitude: 103.46 } },
    ];
    await say("khẩn");
    for (const [index, answer] of [[0, "3"], [1, nfd("hôm qua 17h")]] as const) {
      const question = ESSENTIALS[index]!;
      const inputs: { text?: string; extra?: Record<string, unknown> }[] = [...HOSTILE.map((text) => ({ text })), ...nonText.map((extra) => ({ extra }))];
      for (const input of inputs) {
        const label = `${question.id} ← ${input.text === undefined ? Object.keys(input.extra!)[0] : JSON.stringify(input.text.slice(0, 30))}`;
        const verdict = parseAnswer(question, { text: input.text }, ctx);
        expect(verdict.ok, label).toBe(false);
        const replies = await send(input.extra ? { update_id: nextUpdateId(), message: { message_id: 1, date: 0, chat: { id: CHAT, type: "private" }, from: { id: CHAT, is_bot: false, first_name: "Mai" }, ...input.extra } } : textUpdate(CHAT, input.text!));
        expect(replies, label).toEqual([!verdict.ok && verdict.message, expect.stringMatching(/^🚨 /)]);
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

  it("random mixes of digits, separators, emojis, invisible and combining marks at each type: the stored value is exactly the parser's, and a refusal writes nothing", async () => {
    await fillReport();
    // Pieces officers' keyboards and pasted text really produce, mixed at random.
    const piece = fc.constantFrom(
      ..."0123456789".split(""),
      ".", ",", " ", "-", "+", "/", "  ", "\n",
      "👍", "🙏🏻", "❤️", "1️⃣", "🇻🇳",
      "\u200b", "\u200d", "\ufeff", "\u00ad", "\u200f", "\u202e", "\u202c",
      "\u0301", "\u0323", "\u0308", "\u0303",
      "𝟏", "𡨸", "\ud83d",
      "a", "đ", "ô", "e", "k", "tr", "em", "triệu", "nghìn", "người", nfd("có"), nfd("không"), "co", "hôm nay", "hôm qua", "Nam", nfd("Nữ"), "Chưa đạt", "2026", "07/11",
    );
    const typed = fc.array(piece, { minLength: 1, maxLength: 10 }).map((xs) => xs.join(""));
    const ids = Object.values(TARGETS);
    let refused = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ids), typed, async (id, text) => {
        // Commands ("?", "sửa 3", "bỏ qua"…) are not answers: they are tested elsewhere.
        fc.pre(parseCommand({ text: cleanText(text) }) === undefined);
        const verdict = await expectParserVerdict(id, text);
        if (verdict.ok) accepted++;
        else refused++;
      }),
      { numRuns: 50 },
    );
    // Both branches of the property ran (a generator that only produced refusals would prove little).
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

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
