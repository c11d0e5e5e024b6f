import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseVietnameseNumber } from "../../src/domain/numbers.js";
import { cleanText, fold, hasReorderingControl } from "../../src/domain/text.js";
import { parseAnswer, renderSlot, type ParseContext } from "../../src/forms/form-runtime.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import { ESSENTIALS } from "../../src/incidents/incident-flow.js";
import type { Question } from "../../src/forms/form-schema.js";

/**
 * Numbers as officers mean them (issue 14, finding 10): "62,5tr" is sixty-two and a half million
 * đồng, not 62,5 đồng. Every expected value below is written out by hand.
 */

const form = createFormRegistry().latest("child-affairs");
const question = (id: string): Question => form.sections.flatMap((s) => s.questions).find((q) => q.id === id)!;
/** 7 November 2026, the yearly report 2026 (2026-01-01 … 2026-12-31). */
const CTX: ParseContext = { today: "2026-11-07", period: { startsOn: "2026-01-01", endsOn: "2026-12-31" } };
const MONEY = question("gift_value");
/** A count of children ("em"), at most 10.000. */
const COUNT = question("injuries");

const at = (q: Question, text: string) => parseAnswer(q, { text }, CTX);

/** The way an officer writes a whole number: "." between groups of three digits (independent of the parser). */
const withDots = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");

/** Multiplier words and what they are worth, by hand. */
const WORTH: [string, number][] = [
  ["k", 1_000],
  ["nghìn", 1_000],
  ["nghin", 1_000],
  ["ngàn", 1_000],
  ["ngan", 1_000],
  ["tr", 1_000_000],
  ["triệu", 1_000_000],
  ["trieu", 1_000_000],
  ["tỷ", 1_000_000_000],
  ["ty", 1_000_000_000],
  ["tỉ", 1_000_000_000],
  ["ti", 1_000_000_000],
];

const REORDERED =
  "Câu trả lời có ký tự ẩn điều khiển hướng chữ (thường do sao chép từ ứng dụng khác), nên chữ số anh/chị nhìn thấy có thể khác chữ số được ghi. Anh/chị vui lòng gõ lại trực tiếp câu trả lời.";
const MONEY_NEED = "Số tiền viết như 5.000.000, 5 triệu, 62,5tr hoặc 500k.";
const COUNT_NEED = "Câu này cần một con số (ví dụ 12 hoặc 1.234).";
const SPACED = "Các chữ số cần viết liền nhau, hàng nghìn ngăn bằng dấu chấm (ví dụ 1.234.567); mỗi câu chỉ một số.";

describe("an officer who types an amount of money the way it is said has the amount in đồng recorded", () => {
  it.each<[string, number]>([
    ["1.234", 1234],
    ["24 triệu", 24_000_000],
    ["2 tỷ", 2_000_000_000],
    ["3 ngàn", 3000],
    ["62,5tr", 62_500_000],
    ["62,5 tr", 62_500_000],
    ["1,5 tr", 1_500_000],
    ["1,5 triệu", 1_500_000],
    ["500k", 500_000],
    ["500 K", 500_000],
    ["5 triệu rưỡi", 5_500_000],
    ["5 trieu ruoi", 5_500_000],
    ["5 triệu rưởi", 5_500_000],
    ["1,2 tỷ", 1_200_000_000],
    ["1,2 tỉ", 1_200_000_000],
    ["1 tỷ 200 triệu", 1_200_000_000],
    ["1tr500k", 1_500_000],
    ["3 trăm nghìn", 300_000],
    ["2 trăm rưỡi nghìn", 250_000],
    ["2 nghìn", 2000],
    ["2 nghin", 2000],
    ["0,5 triệu", 500_000],
    ["500.000đ", 500_000],
    ["500.000 đ", 500_000],
    ["5.000.000 đồng", 5_000_000],
    ["5.000.000 dong", 5_000_000],
    ["5.000.000 VND", 5_000_000],
    ["5.000.000 vnđ", 5_000_000],
    ["5.000.000₫", 5_000_000],
    ["1kđ", 1000],
    ["5trđ", 5_000_000],
    ["1,2 tỷđ", 1_200_000_000],
    ["5 triệu đồng", 5_000_000],
    ["5 TRIỆU", 5_000_000],
    ["62,5TR", 62_500_000],
    ["1.000.000.000.000", 1_000_000_000_000],
    ["0", 0],
    ["5 triệu nhé", 5_000_000],
  ])("%j → %d đồng", (typed, expected) => {
    expect(at(MONEY, typed)).toEqual({ ok: true, value: expected });
    // Decomposed accents (some phone keyboards) read the same.
    expect(at(MONEY, typed.normalize("NFD"))).toEqual({ ok: true, value: expected });
  });

  it.each<[string, string]>([
    ["1,5", "Số tiền tính bằng đồng, không có phần lẻ (anh/chị vừa gõ 1,5 đồng). Nếu là triệu, anh/chị gõ ví dụ 1,5 triệu hoặc 1.500.000."],
    ["1.000,50 đ", "Số tiền tính bằng đồng, không có phần lẻ (anh/chị vừa gõ 1.000,5 đồng). Nếu là triệu, anh/chị gõ ví dụ 1,5 triệu hoặc 1.500.000."],
    ["1,2345678 triệu", "Số tiền tính bằng đồng, không có phần lẻ (anh/chị vừa gõ 1.234.567,8 đồng). Nếu là triệu, anh/chị gõ ví dụ 1,5 triệu hoặc 1.500.000."],
    ["62,5 xyz", `Không hiểu chữ "xyz" trong câu trả lời. ${MONEY_NEED}`],
    ["5 củ", `Không hiểu chữ "củ" trong câu trả lời. ${MONEY_NEED}`],
    ["khoảng 5 triệu", `Không hiểu chữ "khoảng" trong câu trả lời. ${MONEY_NEED}`],
    ["5trieudong", `Không hiểu chữ "trieudong" trong câu trả lời. ${MONEY_NEED}`],
    ["5 triệu em", `Câu này hỏi số tiền (đồng), không phải số "em". ${MONEY_NEED}`],
    ["2 triệu 3", 'Số tiền này chưa rõ. Anh/chị viết một cách thôi, ví dụ "2,3 triệu", "2 triệu 300 nghìn" hoặc "2.300.000".'],
    ["1tr5", 'Số tiền này chưa rõ. Anh/chị viết một cách thôi, ví dụ "2,3 triệu", "2 triệu 300 nghìn" hoặc "2.300.000".'],
    ["5 nghìn 2 triệu", 'Số tiền này chưa rõ. Anh/chị viết một cách thôi, ví dụ "2,3 triệu", "2 triệu 300 nghìn" hoặc "2.300.000".'],
    ["1,5 triệu rưỡi", 'Số tiền này chưa rõ. Anh/chị viết một cách thôi, ví dụ "2,3 triệu", "2 triệu 300 nghìn" hoặc "2.300.000".'],
    ["5 000 000", SPACED],
    ["1001 tỷ", "Số không được lớn hơn 1.000.000.000.000."],
  ])("%j is refused: %s", (typed, message) => {
    expect(at(MONEY, typed)).toEqual({ ok: false, message });
  });

  it("the hint under a money question shows amounts, never a fraction of a đồng", () => {
    for (const id of ["gift_value", "fund_raised"]) {
      const q = question(id);
      const prompt = renderSlot({ key: id, number: "1", section: form.sections[0]!, question: q, kind: "question" }, { total: 1 }).text;
      expect(prompt).toContain("nhập số tiền, ví dụ 5.000.000 hoặc 5 triệu");
      expect(prompt).not.toContain("1,5");
      expect(q.help).toBe('Viết số tiền như "5.000.000", "5 triệu", "62,5tr" hoặc "500k".');
    }
  });
});

describe("an officer who types a count has that count recorded, with a harmless word after it or none", () => {
  it.each<[string, number]>([
    ["12", 12],
    ["1.234", 1234],
    ["12 em", 12],
    ["12 trẻ", 12],
    ["12 trẻ em", 12],
    ["12 tre em", 12],
    ["12 người", 12],
    ["12 xã", 12],
    ["12 cháu", 12],
    ["12 lượt", 12],
    ["12 em ạ", 12],
    ["2 nghìn", 2000],
    ["3 ngàn", 3000],
    ["1,2 nghìn", 1200],
    ["2k", 2000],
    ["007", 7],
  ])("%j → %d", (typed, expected) => {
    expect(at(COUNT, typed)).toEqual({ ok: true, value: expected });
    expect(at(COUNT, typed.normalize("NFD"))).toEqual({ ok: true, value: expected });
  });

  it("the question's own unit is taken too ('3 hoạt động' at the Action Month question)", () => {
    expect(at(question("action_month_events"), "3 hoạt động")).toEqual({ ok: true, value: 3 });
    expect(at(question("forums"), "2 diễn đàn")).toEqual({ ok: true, value: 2 });
  });

  it.each<[string, string]>([
    ["1 2", SPACED],
    ["12 34", SPACED],
    ["1 234", SPACED],
    ["1 234 567", SPACED],
    ["1\u202f234", SPACED],
    ["1\u2009234", SPACED],
    ["1\u00a0234", SPACED],
    ["12 đồng", `"đồng" không phải đơn vị của câu này (tính bằng em). ${COUNT_NEED}`],
    ["12 con", `Không hiểu chữ "con" trong câu trả lời. ${COUNT_NEED}`],
    ["khoảng 12", `Không hiểu chữ "khoảng" trong câu trả lời. ${COUNT_NEED}`],
    ["12 em 3", COUNT_NEED],
    ["1,5", "Câu này cần một số nguyên (ví dụ 12), không có phần lẻ."],
  ])("%j is refused: %s", (typed, message) => {
    expect(at(COUNT, typed)).toEqual({ ok: false, message });
  });
});

describe("invisible characters never change the digits that are stored", () => {
  it.each<[string, string]>([
    ["\u202e21", "RLO before the digits: shown as 12"],
    ["\u202e21\u202c", "RLO … PDF around the digits"],
    ["1\u202e23", "RLO inside the digits: shown as 132"],
    ["\u202b12 3", "RLE"],
    ["\u202d21", "LRO"],
    ["\u202a21", "LRE"],
    ["\u2067 12", "RLI"],
    ["\u2066 12", "LRI"],
    ["\u2068 12", "FSI"],
    ["\u200f12", "RLM before digits: the line may turn right-to-left"],
    ["1 2\u200f", "RLM after"],
    ["\u061c12", "ALM"],
  ])("%j is refused at a count, at money and at a date (%s)", (typed) => {
    expect(at(COUNT, typed)).toEqual({ ok: false, message: REORDERED });
    expect(at(MONEY, `${typed} triệu`)).toEqual({ ok: false, message: REORDERED });
    expect(at(question("report_date"), `${typed}/10/2026`)).toEqual({ ok: false, message: REORDERED });
    expect(at(question("contact_phone"), `${typed}0912345678`)).toEqual({ ok: false, message: REORDERED });
  });

  it.each<[string, number]>([
    ["\u200b12\u200b", 12],
    ["1\u200b2", 12],
    ["1\u200c2", 12],
    ["1\u200d2", 12],
    ["\ufeff12", 12],
    ["\u200e12", 12],
    ["12\u202c", 12],
    ["12\u2069", 12],
    ["12\u202e", 12],
    ["12 em\u2067", 12],
  ])("%j cannot change what the officer sees: the invisible character goes and %d is recorded", (typed, expected) => {
    expect(at(COUNT, typed)).toEqual({ ok: true, value: expected });
  });

  it("a reordering control is refused at free text too, and an urgent case's note", () => {
    expect(at(question("notes"), "Thôn \u202e21")).toEqual({ ok: false, message: REORDERED });
  });

  it("for any count and any opener placed before or inside its digits, the answer is refused; for any harmless invisible character anywhere, the count is recorded", () => {
    const opener = fc.constantFrom("\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u200f", "\u061c");
    const harmless = fc.constantFrom("\u200b", "\u200c", "\u200d", "\u200e", "\u202c", "\u2069", "\ufeff", "\u2060", "\u00ad");
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 10_000 }), opener, harmless, fc.nat(), (n, o, h, pos) => {
        const digits = String(n);
        const cut = pos % digits.length;
        expect(at(COUNT, digits.slice(0, cut) + o + digits.slice(cut))).toEqual({ ok: false, message: REORDERED });
        expect(hasReorderingControl(digits.slice(0, cut) + o + digits.slice(cut))).toBe(true);
        expect(at(COUNT, digits.slice(0, cut) + h + digits.slice(cut))).toEqual({ ok: true, value: n });
      }),
      { numRuns: 300 },
    );
  });

  it("cleaning keeps the reordering control so that the parser can refuse it; matching words ignores it", () => {
    expect(cleanText("\u202e21\u202c")).toBe("\u202e21");
    expect(cleanText("\u200f có")).toBe("có");
    expect(fold("\u202ebáo cáo")).toBe("bao cao");
  });
});

describe("properties of the shorthands", () => {
  const money = (s: string) => parseVietnameseNumber(s, { money: true });

  it("for any whole n and multiplier word w, 'n w' and 'nw' are n × the worth of w, in any case", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.constantFrom(...WORTH), fc.boolean(), (n, [w, worth], upper) => {
        const word = upper ? w.toUpperCase() : w;
        expect(money(`${n} ${word}`)).toEqual({ ok: true, value: n * worth });
        expect(money(`${n}${word}`)).toEqual({ ok: true, value: n * worth });
        expect(money(`${withDots(n)} ${word}`)).toEqual({ ok: true, value: n * worth });
      }),
      { numRuns: 500 },
    );
  });

  it("for any n, one decimal digit d and multiplier w, 'n,d w' is (10n + d) / 10 × the worth of w, and 'n w rưỡi' adds half of w", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom(...WORTH), (n, d, [w, worth]) => {
        expect(money(`${n},${d} ${w}`)).toEqual({ ok: true, value: ((10 * n + d) * worth) / 10 });
        expect(money(`${n} ${w} rưỡi`)).toEqual({ ok: true, value: n * worth + worth / 2 });
      }),
      { numRuns: 500 },
    );
  });

  it("any amount up to 10^12 đồng written with thousands dots (and 'đồng') reads back as itself", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), fc.constantFrom("", " đồng", "đ", " VND", " vnđ"), (n, unit) => {
        expect(money(`${withDots(n)}${unit}`)).toEqual({ ok: true, value: n });
        expect(at(MONEY, `${withDots(n)}${unit}`)).toEqual({ ok: true, value: n });
      }),
      { numRuns: 500 },
    );
  });

  it("NFD reads like NFC and upper case like lower case, whatever is typed", () => {
    const piece = fc.constantFrom(
      "1",
      "2",
      "5",
      "0",
      ".",
      ",",
      " ",
      "k",
      "tr",
      "triệu",
      "nghìn",
      "ngàn",
      "tỷ",
      "tỉ",
      "rưỡi",
      "trăm",
      "đ",
      "đồng",
      "em",
      "người",
      "xã",
      "trẻ",
      "xyz",
      "củ",
    );
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.boolean(), (pieces, isMoney) => {
        const text = pieces.join("");
        const options = { money: isMoney };
        const nfc = parseVietnameseNumber(text.normalize("NFC"), options);
        const nfd = parseVietnameseNumber(text.normalize("NFD"), options);
        // The word named in a refusal is quoted as typed; the verdict and the value are the same.
        expect({ ...nfd, word: nfd.ok ? undefined : nfd.word?.normalize("NFC") }).toEqual({ ...nfc, word: nfc.ok ? undefined : nfc.word });
        const upper = parseVietnameseNumber(text.toUpperCase(), options);
        expect(upper.ok).toBe(nfc.ok);
        if (upper.ok && nfc.ok) expect(upper.value).toBe(nfc.value);
      }),
      { numRuns: 1000 },
    );
  });

  it("for any word that is not a known multiplier, currency or count word, 'n word' is refused and the word is named", () => {
    const known = new Set([
      "k",
      "nghin",
      "ngan",
      "tr",
      "trieu",
      "ty",
      "ti",
      "tram",
      "ruoi",
      "d",
      "dong",
      "vnd",
      "em",
      "tre",
      "chau",
      "be",
      "trai",
      "gai",
      "nguoi",
      "luot",
      "buoi",
      "lop",
      "vu",
      "xa",
      "phuong",
      "thon",
      "ban",
      "ho",
      "tuoi",
      "suat",
      "cuoc",
      "lan",
      "ca",
      "a",
      "nhe",
      "nha",
    ]);
    const letters = fc.constantFrom(..."abcdđeghiklmnopqrstuvxyàáạăâêôơưếờủ");
    // Nor a multiplier written with its "đ" ("kđ", "trđ": accountants' shorthand, a known word pair).
    const withDong = (w: string) => w.length > 1 && fold(w).endsWith("d") && ["k", "nghin", "ngan", "tr", "trieu", "ty", "ti"].includes(fold(w).slice(0, -1));
    const word = fc.string({ unit: letters, minLength: 1, maxLength: 6 }).filter((w) => !known.has(fold(w)) && !withDong(w));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), word, fc.boolean(), (n, w, isMoney) => {
        const r = parseVietnameseNumber(`${n} ${w}`, { money: isMoney });
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(["unknown_word", "wrong_unit"]).toContain(r.reason);
          expect(r.word).toBe(w);
        }
        const answer = at(isMoney ? MONEY : COUNT, `${n} ${w}`);
        expect(answer.ok).toBe(false);
        if (!answer.ok) expect(answer.message).toContain(`"${w}"`);
      }),
      { numRuns: 500 },
    );
  });

  it("a multiplier with its 'đ' ('5 kđ') is money: 5,000 đồng; at a count the 'đ' is named as the wrong unit", () => {
    expect(money("5 kđ")).toEqual({ ok: true, value: 5_000 });
    const r = parseVietnameseNumber("5 kđ", { money: false });
    expect(r).toMatchObject({ ok: false, reason: "wrong_unit", word: "đ" });
  });

  it("for any two digit groups separated by a space, an integer question refuses them", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 999 }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom(" ", "  ", "\u2009", "\u202f", "\u00a0", "\t"),
        (a, b, space) => {
          expect(at(COUNT, `${a}${space}${b}`)).toEqual({ ok: false, message: SPACED });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("dates get plausible ranges", () => {
  it("a report date of 1/1/1900 is refused, naming the allowed range", () => {
    expect(at(question("report_date"), "1/1/1900")).toEqual({
      ok: false,
      message: "Ngày 01/01/1900 không hợp lý ở câu này: anh/chị nhập ngày từ 01/01/2026 đến 07/11/2026 (trong kỳ báo cáo hoặc trong 6 tháng sau kỳ).",
    });
    expect(at(question("report_date"), "31/12/2025")).toEqual({
      ok: false,
      message: "Ngày 31/12/2025 không hợp lý ở câu này: anh/chị nhập ngày từ 01/01/2026 đến 07/11/2026 (trong kỳ báo cáo hoặc trong 6 tháng sau kỳ).",
    });
    expect(at(question("report_date"), "01/01/2026")).toEqual({ ok: true, value: "2026-01-01" });
    expect(at(question("report_date"), "hôm nay")).toEqual({ ok: true, value: "2026-11-07" });
  });

  it("a report of the first half of 2026 filed late in December can still be dated, up to six months after the period", () => {
    const h1 = { today: "2027-01-20", period: { startsOn: "2026-01-01", endsOn: "2026-06-30" } };
    expect(parseAnswer(question("report_date"), { text: "30/12/2026" }, h1)).toEqual({ ok: true, value: "2026-12-30" });
    expect(parseAnswer(question("report_date"), { text: "31/12/2026" }, h1)).toEqual({
      ok: false,
      message: "Ngày 31/12/2026 không hợp lý ở câu này: anh/chị nhập ngày từ 01/01/2026 đến 30/12/2026 (trong kỳ báo cáo hoặc trong 6 tháng sau kỳ).",
    });
  });

  it("an urgent case cannot have happened before the child could have been born (under 16) nor in the future", () => {
    const occurred = ESSENTIALS.find((q) => q.id === "occurred_at")!;
    const now = { today: "2026-11-07", now: new Date("2026-11-07T03:00:00Z"), timeZone: "Asia/Ho_Chi_Minh" };
    expect(parseAnswer(occurred, { text: "1/1/1900 9h" }, now)).toEqual({
      ok: false,
      message: "Ngày 01/01/1900 không hợp lý ở câu này: anh/chị nhập ngày từ 07/11/2010 đến 07/11/2026 (trẻ em là người dưới 16 tuổi).",
    });
    expect(parseAnswer(occurred, { text: "06/11/2010 9h" }, now).ok).toBe(false);
    // 07/11/2010 09:00 in Vietnam is 02:00 UTC.
    expect(parseAnswer(occurred, { text: "07/11/2010 9h" }, now)).toEqual({ ok: true, value: "2010-11-07T02:00:00.000Z" });
    expect(parseAnswer(occurred, { text: "hôm qua 17h" }, now)).toEqual({ ok: true, value: "2026-11-06T10:00:00.000Z" });
  });
});

describe("the report script the fault tests replay", () => {
  it("stores, question by question, exactly the values written out in it", async () => {
    const { reportScript } = await import("../support/report-script.js");
    const { visibleSlots } = await import("../../src/forms/form-runtime.js");
    const { texts, expected } = reportScript("2026-11-07");
    expect(texts[0]).toBe("báo cáo");
    expect(texts.at(-1)).toBe("nộp");
    expect(expected.gift_value).toBe(62_500_000);
    expect(expected.comm_people).toBe(1234);
    expect(expected.report_date).toBe("2026-11-07");
    const answers = new Map<string, unknown>();
    for (const text of texts.slice(1, -1)) {
      const slot = visibleSlots(form, answers).find((s) => !answers.has(s.key))!;
      const value = text === "bỏ qua" ? null : parseAnswer(slot.question, { text }, CTX);
      if (value !== null) expect(value, `${slot.key} ← ${text}`).toEqual({ ok: true, value: expected[slot.key] });
      answers.set(slot.key, value === null ? null : expected[slot.key]);
    }
    expect(Object.fromEntries(answers)).toEqual(expected);
  });
});
