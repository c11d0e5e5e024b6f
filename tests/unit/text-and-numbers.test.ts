import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { cleanText, fold, splitMessage } from "../../src/domain/text.js";
import { parseVietnameseNumber, formatVietnameseNumber } from "../../src/domain/numbers.js";
import { normalizePhone, maskPhone, displayPhone } from "../../src/domain/phone.js";
import { parseVietnameseDate, localDate } from "../../src/domain/dates.js";

/** The way an officer writes a whole number: "." between groups of three digits. */
const withDots = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");

const valueOf = (input: string, options: { money?: boolean } = {}): number | undefined => {
  const r = parseVietnameseNumber(input, options);
  return r.ok ? r.value : undefined;
};

const VIETNAMESE_LETTERS = [..."aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵĐĂÂÊÔƠƯÀÁẢÃẠỀẾỂỄỆỜỚỞỠỢỪỨỬỮỰ"];
// fast-check's "binary" unit is slow to build; any code point (lone surrogates included) does the same job.
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c));
const vietnameseText = fc.string({ unit: fc.oneof(fc.constantFrom(...VIETNAMESE_LETTERS, " ", ".", "!", "\n"), fc.constantFrom("👍", "\u200B", "\u00A0")) });

describe("cleanText: what is stored from what an officer typed", () => {
  it("an officer who pastes an answer wrapped in emojis and zero-width marks has only the words stored", () => {
    expect(cleanText("👍 \u200B12 em\uFEFF 🙏")).toBe("12 em");
  });

  it("an officer whose phone sends decomposed (NFD) Vietnamese has it stored in composed form", () => {
    const nfd = "Không có".normalize("NFD");
    expect(nfd).not.toBe("Không có");
    expect(cleanText(nfd)).toBe("Không có");
  });

  it("an officer who types several spaces, tabs and no-break spaces has single spaces stored", () => {
    expect(cleanText("  Gia\t\tđình \u00A0 nghèo  ")).toBe("Gia đình nghèo");
  });

  it("an officer's line breaks survive but the spaces around them do not", () => {
    expect(cleanText("dòng một  \n   dòng hai")).toBe("dòng một\ndòng hai");
  });

  it("a family emoji (a ZWJ sequence) and a skin-toned thumbs-up leave nothing behind", () => {
    expect(cleanText("👨‍👩‍👧 👍🏽")).toBe("");
  });

  it("control characters pasted from another app are dropped", () => {
    expect(cleanText("a\u0000b\u0007c")).toBe("abc");
  });
});

describe("fold: matching words with or without diacritics", () => {
  it('an officer who types "Không" matches "khong"', () => {
    expect(fold("Không")).toBe("khong");
  });

  it('"Đã nhận!" folds to "da nhan" (đ becomes d, trailing punctuation dropped)', () => {
    expect(fold("Đã nhận!")).toBe("da nhan");
  });

  it('"huỷ" and "hủy" (two tone placements) fold to the same word', () => {
    expect(fold("huỷ")).toBe(fold("hủy"));
    expect(fold("huỷ")).toBe("huy");
  });

  it("text typed in NFD or NFC folds to the same thing, whatever the text", () => {
    fc.assert(
      fc.property(fc.oneof(vietnameseText, fc.string({ unit: "grapheme", maxLength: 40 }), fc.string({ unit: anyCodePoint, maxLength: 40 })), (x) => {
        expect(fold(x.normalize("NFD"))).toBe(fold(x.normalize("NFC")));
      }),
      { numRuns: 300, examples: [["↮"]] },
    );
  });

  it('"↮" typed decomposed (a pictograph "↔" plus a combining stroke) folds like "↮" typed whole', () => {
    expect(fold("\u2194\u0338")).toBe(fold("\u21AE"));
    expect(fold("\u21AE")).toBe("\u2194"); // the stroke goes, as diacritics do
  });
});

describe("splitMessage: long messages are cut for the channel's limit", () => {
  it("a short message is sent as one part", () => {
    expect(splitMessage("Xin chào", 100)).toEqual(["Xin chào"]);
  });

  it("an empty message is still one (empty) part", () => {
    expect(splitMessage("", 10)).toEqual([""]);
  });

  it("a long review is cut between paragraphs rather than mid-sentence", () => {
    const a = "Đoạn một có nhiều chữ.";
    const b = "Đoạn hai cũng vậy.";
    expect(splitMessage(`${a}\n\n${b}`, 30)).toEqual([a, b]);
  });

  // Regression (fixed in bf995b8): leading whitespace longer than half the limit used to yield an empty
  // first part, which Telegram refuses ("message text is empty").
  it("a message that starts with a long run of spaces is not sent with an empty first part", () => {
    expect(splitMessage(`${" ".repeat(20)}abc`, 10)).toEqual(["abc"]);
  });

  it("a message without any space is cut hard at the limit", () => {
    expect(splitMessage("x".repeat(25), 10)).toEqual(["x".repeat(10), "x".repeat(10), "x".repeat(5)]);
  });

  it("no part is ever longer than the limit and no visible character is lost", () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.constantFrom(" ", "\n", "\n\n", "\t"),
        fc.constantFrom(...VIETNAMESE_LETTERS),
        fc.constantFrom("1", "2", ".", ","),
        fc.constantFrom("👍", "🇻🇳"),
      ),
      maxLength: 400,
    });
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 120 }), (t, max) => {
        const parts = splitMessage(t, max);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
        expect(parts.join("").replace(/\s+/g, "")).toBe(t.normalize("NFC").replace(/\s+/g, ""));
      }),
      { numRuns: 300 },
    );
  });
});

describe("parseVietnameseNumber: numbers the Vietnamese way", () => {
  it("an officer who types '1.234' has 1234 recorded", () => {
    expect(parseVietnameseNumber("1.234")).toEqual({ ok: true, value: 1234 });
  });

  it("an officer who types '1,5' has 1.5 recorded (comma is the decimal mark)", () => {
    expect(parseVietnameseNumber("1,5")).toEqual({ ok: true, value: 1.5 });
  });

  it("an officer who types '1.234,5' has 1234.5 recorded", () => {
    expect(parseVietnameseNumber("1.234,5")).toEqual({ ok: true, value: 1234.5 });
  });

  it("an officer who types '12 em' or '3 cuộc' has just the number recorded", () => {
    expect(valueOf("12 em")).toBe(12);
    expect(valueOf("3 cuộc")).toBe(3);
  });

  it("an officer who types '5 triệu' or '5.000.000 đồng' has five million recorded", () => {
    expect(valueOf("5 triệu")).toBe(5_000_000);
    expect(valueOf("5 trieu")).toBe(5_000_000);
    expect(valueOf("5.000.000 đồng", { money: true })).toBe(5_000_000);
  });

  it("an officer who types '2 nghìn' has 2000 recorded", () => {
    expect(valueOf("2 nghìn")).toBe(2000);
  });

  it("an officer with an English habit who types '1.5' has 1.5 recorded", () => {
    expect(valueOf("1.5")).toBe(1.5);
  });

  it("a negative number keeps its sign (the question decides whether it is allowed)", () => {
    expect(valueOf("-3")).toBe(-3);
  });

  it.each([
    ["1.2.3"],
    ["1e9"],
    ["NaN"],
    [""],
    ["   "],
    ["abc"],
    ["Infinity"],
    ["-Infinity"],
    ["12abc34"],
    ["1,2,3"],
    ["0x10"],
    ["1".repeat(5000)],
    ["a".repeat(5000)],
  ])("hostile input %j is rejected", (input) => {
    expect(parseVietnameseNumber(input).ok).toBe(false);
  });

  it("reasons tell an empty answer from an overly long one", () => {
    expect(parseVietnameseNumber("")).toEqual({ ok: false, reason: "empty" });
    expect(parseVietnameseNumber("9".repeat(5000))).toEqual({ ok: false, reason: "too_long" });
    expect(parseVietnameseNumber("abc")).toEqual({ ok: false, reason: "not_a_number" });
  });

  it("any whole number up to 10^12 written with '.' thousands groups reads back as itself", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (n) => {
        expect(parseVietnameseNumber(withDots(n))).toEqual({ ok: true, value: n });
      }),
      { numRuns: 500 },
    );
  });

  it("any whole number up to 10^12 written without groups reads back as itself", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (n) => {
        expect(valueOf(String(n))).toBe(n);
      }),
    );
  });

  it("for any digits a and b, 'a,b' reads as the decimal a.b", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 }), (a, b) => {
        expect(parseVietnameseNumber(`${a},${b}`)).toEqual({ ok: true, value: Number(`${a}.${b}`) });
      }),
    );
  });

  it("for any whole part and decimal digits, 'grouped,decimals' reads as the decimal number", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.stringMatching(/^\d{1,4}$/), (a, b) => {
        expect(valueOf(`${withDots(a)},${b}`)).toBe(Number(`${a}.${b}`));
      }),
    );
  });

  it("a number wrapped in emojis, zero-width marks, NFD unit words and extra spaces reads the same after cleanText", () => {
    const junk = fc
      .array(fc.constantFrom("👍", "🙏", "😊", "👨‍👩‍👧", "👍🏽", "🇻🇳", "\u200B", "\u200D", "\uFEFF", "\u2060", " ", "  ", "\u00A0", "\t"), { maxLength: 5 })
      .map((xs) => xs.join(""));
    const unit = fc.constantFrom("", " em", " người", " lượt", " cuộc", " buổi", " đồng");
    const form = fc.constantFrom<"NFC" | "NFD">("NFC", "NFD");
    const zeroWidthInside = fc.boolean();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), junk, unit, junk, form, zeroWidthInside, (n, before, u, after, nf, zw) => {
        let num = withDots(n);
        if (zw) num = num.split("").join("\u200B");
        const typed = `${before}${num}${u.normalize(nf)}${after}`;
        const plain = `${withDots(n)}${u}`;
        const money = { money: u === " đồng" };
        expect(valueOf(cleanText(typed), money)).toBe(n);
        expect(valueOf(cleanText(typed), money)).toBe(valueOf(plain, money));
      }),
      { numRuns: 500 },
    );
  });
});

describe("formatVietnameseNumber: numbers as officers read them", () => {
  it("1234.5 is shown as '1.234,5'", () => {
    expect(formatVietnameseNumber(1234.5)).toBe("1.234,5");
  });

  it("12 is shown as '12' and a million as '1.000.000'", () => {
    expect(formatVietnameseNumber(12)).toBe("12");
    expect(formatVietnameseNumber(1_000_000)).toBe("1.000.000");
  });

  it("decimals are shown with at most two digits", () => {
    expect(formatVietnameseNumber(1.23456)).toBe("1,23");
  });

  it("whatever whole number is shown to an officer, typing it back gives the same number", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e12 }), (n) => {
        expect(valueOf(formatVietnameseNumber(n))).toBe(n);
      }),
    );
  });
});

describe("phones: one officer, many ways of writing the number", () => {
  it.each([["0912345678"], ["+84912345678"], ["84912345678"], ["0912 345 678"], ["+84 912 345 678"], ["0912.345.678"], ["0912-345-678"]])(
    "an officer who types %j is recognised as 84912345678",
    (input) => {
      expect(normalizePhone(input)).toBe("84912345678");
    },
  );

  it.each([["123"], ["abc"], ["+1 202 555 0100"], [""], ["0000000000"], ["0912345678".repeat(3)]])("%j is not a Vietnamese phone number", (input) => {
    expect(normalizePhone(input)).toBeUndefined();
  });

  it("an officer sees their number in national form, grouped", () => {
    expect(displayPhone("84912345678")).toBe("0912 345 678");
  });

  it("a masked number is enough to recognise but hides the middle digits", () => {
    expect(maskPhone("84912345678")).toBe("0912***678");
  });
});

describe("dates: what an officer types for a day", () => {
  const today = "2026-05-15";

  it('an officer who types "hôm nay" means today', () => {
    expect(parseVietnameseDate("hôm nay", today)).toBe(today);
    expect(parseVietnameseDate("Hôm nay 👍", today)).toBe(today);
  });

  it('an officer who types "hom qua" (no diacritics) means yesterday', () => {
    expect(parseVietnameseDate("hom qua", today)).toBe("2026-05-14");
  });

  it('"hôm qua" on the 1st of March is the last day of February', () => {
    expect(parseVietnameseDate("hôm qua", "2026-03-01")).toBe("2026-02-28");
    expect(parseVietnameseDate("hôm qua", "2028-03-01")).toBe("2028-02-29");
  });

  it('"hôm kia" is the day before yesterday', () => {
    expect(parseVietnameseDate("hôm kia", today)).toBe("2026-05-13");
  });

  it("an officer who types dd/mm/yyyy gets that date", () => {
    expect(parseVietnameseDate("03/04/2026", today)).toBe("2026-04-03");
    expect(parseVietnameseDate("3-4-2026", today)).toBe("2026-04-03");
    expect(parseVietnameseDate("3.4.26", today)).toBe("2026-04-03");
    expect(parseVietnameseDate("ngày 3/4", today)).toBe("2026-04-03");
  });

  it("31/02 does not exist and is rejected", () => {
    expect(parseVietnameseDate("31/02/2026", today)).toBeUndefined();
    expect(parseVietnameseDate("29/02/2026", today)).toBeUndefined();
    expect(parseVietnameseDate("29/02/2028", today)).toBe("2028-02-29");
  });

  it("words that are not a date are rejected", () => {
    expect(parseVietnameseDate("ngày mai", today)).toBeUndefined();
    expect(parseVietnameseDate("", today)).toBeUndefined();
    expect(parseVietnameseDate("13/13/2026", today)).toBeUndefined();
  });

  it("the local day in Hà Nội changes at 17:00 UTC, not at midnight UTC", () => {
    const tz = "Asia/Ho_Chi_Minh";
    expect(localDate(new Date("2026-05-14T16:59:59Z"), tz)).toBe("2026-05-14");
    expect(localDate(new Date("2026-05-14T17:00:00Z"), tz)).toBe("2026-05-15");
    expect(localDate(new Date("2026-05-14T23:30:00Z"), tz)).toBe("2026-05-15");
    expect(localDate(new Date("2026-12-31T17:00:00Z"), tz)).toBe("2027-01-01");
  });
});
