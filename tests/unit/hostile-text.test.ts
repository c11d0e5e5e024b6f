import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanText, clip, splitMessage } from "../../src/domain/text.js";
import { parseAnswer } from "../../src/forms/form-runtime.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";

/**
 * The text rules hostile input leans on, checked on any string at all (lone surrogates, marks,
 * invisible characters): what is stored or sent is well-formed, NFC, and the same however many
 * times it is cleaned — the webhook cleans a message, then the parser cleans it again.
 */

/** Half of a surrogate pair: PostgreSQL refuses it in jsonb, platforms refuse it in a message. */
const LONE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Any UTF-16 string, lone surrogates included, mixed with what officers' keyboards add. */
const anything = fc.string({
  unit: fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    fc.constantFrom("a", "\u0301", "\u200f", "\u202e", "\ufeff", "👍", "𝟏", "\ud83d", "\ude00", " ", "\n"),
  ),
  maxLength: 40,
});

describe("cleanText on whatever arrives", () => {
  it("an answer with an invisible mark between a letter and its accent is stored composed (NFC), like the same answer typed plainly", () => {
    expect(cleanText("a\u200f\u0308")).toBe("ä");
    expect(cleanText("Kho\u200b\u0302ng")).toBe("Không");
  });

  it("half of an emoji is dropped, not stored", () => {
    expect(cleanText("12\ud83d")).toBe("12");
    expect(cleanText("\ude00 có")).toBe("có");
  });

  it("is well-formed, NFC, and cleaning twice changes nothing", () => {
    fc.assert(
      fc.property(anything, (s) => {
        const once = cleanText(s);
        expect(once).not.toMatch(LONE);
        expect(once).toBe(once.normalize("NFC"));
        expect(cleanText(once)).toBe(once);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("what is sent back never holds half a character", () => {
  const form = createFormRegistry().latest("child-affairs");
  const groups = form.sections.flatMap((s) => s.questions).find((q) => q.id === "special_groups")!;

  it("a refusal that quotes a long answer cuts it between characters, not inside one", () => {
    const r = parseAnswer(groups, { text: "𝟏".repeat(40) }, { today: "2026-11-07" });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).not.toMatch(LONE);
    expect(!r.ok && r.message).toContain(`"${"𝟏".repeat(30)}…"`);
  });

  it("a case note or outcome cut to its length limit keeps whole characters, whatever was typed", () => {
    expect(clip("a".repeat(999) + "𝟏𝟐", 1000)).toBe("a".repeat(999) + "𝟏");
    fc.assert(
      fc.property(anything, fc.integer({ min: 0, max: 50 }), (text, n) => {
        const cut = clip(cleanText(text), n);
        expect(Array.from(cut).length).toBeLessThanOrEqual(n);
        expect(LONE.test(cut)).toBe(false);
      }),
    );
  });

  it("a long message without spaces is split between characters", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("a", "👍", "𝟏", " "), maxLength: 300 }), fc.integer({ min: 2, max: 60 }), (t, max) => {
        for (const part of splitMessage(t, max)) {
          expect(part.length).toBeLessThanOrEqual(max);
          expect(part).not.toMatch(LONE);
        }
      }),
      { numRuns: 500 },
    );
  });
});
