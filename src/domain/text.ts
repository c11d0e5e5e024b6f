/**
 * How officers actually type: NFC or NFD, with or without diacritics, emojis around the answer,
 * zero-width and bidi marks pasted from other apps. Everything that matches words goes through
 * `fold`; everything stored goes through `cleanText`.
 */

// Invisible characters that cannot change what the officer sees: zero-width, the left-to-right
// mark (Vietnamese is left-to-right already), the bidi closers (PDF, PDI: on their own they
// reorder nothing), deprecated format controls, variation selectors, BOM, soft hyphen.
const INVISIBLE = /[\u200B-\u200E\u202C\u2060-\u2065\u2069-\u206F\uFE00-\uFE0F\uFEFF\u00AD\u180E]/gu;
/**
 * Bidi controls that can change what the officer sees: the embeddings, overrides and isolates
 * (LRE, RLE, LRO, RLO, LRI, RLI, FSI) reorder what follows them ("\u202e21" shows as 12), and the
 * right-to-left marks (RLM, ALM) can turn the line right-to-left, which shows "1 2" as "2 1".
 * They are not dropped where they matter: `cleanText` keeps them, `hasReorderingControl` finds
 * them, and the answer parser refuses the answer rather than store digits the officer did not see.
 */
const OPENERS = "\u202A\u202B\u202D\u202E\u2066\u2067\u2068";
const RTL_MARKS = "\u200F\u061C";
const REORDERING = new RegExp(`[${OPENERS}${RTL_MARKS}]`, "u");
const REORDERING_ALL = new RegExp(`[${OPENERS}${RTL_MARKS}]`, "gu");
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
// Pictographs and their modifiers (skin tones, keycaps, flags, ZWJ sequences).
const EMOJI = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{1F1E6}-\u{1F1FF}\u20E3\u200D]/gu;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/gu;
// Half of a surrogate pair (a truncated paste, a forged update): not text, and PostgreSQL refuses
// it in a jsonb value, so an answer holding one failed its transaction with a 500.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const collapseSpaces = (s: string) =>
  s
    .replace(/[ \t\u00A0\u3000]+/g, " ")
    .replace(/ *\n */g, "\n")
    .trim();

/**
 * Drops the reordering controls that change nothing here: an opener with nothing visible after
 * it, a right-to-left mark in text without digits (letters alone keep their order). Decided on
 * the otherwise clean text, so that cleaning again decides the same.
 */
function settleBidi(s: string): string {
  if (!REORDERING.test(s)) return s;
  const hasDigit = /\p{Nd}/u.test(s);
  let out = "";
  const chars = Array.from(s);
  let lastVisible = -1;
  chars.forEach((c, k) => {
    if (VISIBLE.test(c)) lastVisible = k;
  });
  chars.forEach((c, k) => {
    if (OPENERS.includes(c)) {
      if (k < lastVisible) out += c;
    } else if (RTL_MARKS.includes(c)) {
      if (hasDigit) out += c;
    } else {
      out += c;
    }
  });
  return collapseSpaces(out);
}

/**
 * NFC, no invisible or control characters, no emojis, single spaces, trimmed. Bidi controls that
 * would reorder what the officer sees are kept (see `hasReorderingControl`).
 */
export function cleanText(input: string): string {
  return (
    settleBidi(
      collapseSpaces(
        input
          .replace(LONE_SURROGATE, "")
          // NFC first too: the same text typed NFC or NFD must clean alike. "↮" decomposes to "↔"
          // (a pictograph, removed) plus a combining mark, so only its NFC form survived.
          .normalize("NFC")
          .replace(INVISIBLE, "")
          .replace(CONTROL, "")
          .replace(EMOJI, " "),
      ),
    )
      // NFC last: an invisible mark between a letter and its accent ("a\u200b\u0308") only
      // lets them compose once it is gone. Normalising first left "ä" decomposed, so the same
      // answer cleaned twice (the webhook, then the parser) gave two different strings.
      .normalize("NFC")
  );
}

/** True when the text holds a bidi control that can reorder what the officer sees (after `cleanText`, only those remain). */
export function hasReorderingControl(text: string): boolean {
  return REORDERING.test(cleanText(text));
}

/** Combining marks removed (the text should be NFD first). */
export function stripMarks(text: string): string {
  return text.replace(/\p{M}/gu, "");
}

/** At most `n` characters, cut between characters (never inside an emoji's surrogate pair, which jsonb refuses). */
export function clip(text: string, n: number): string {
  const chars = Array.from(text);
  return chars.length > n ? chars.slice(0, n).join("") : text;
}

/** Lower case without diacritics ("Không" → "khong", "Đã nhận" → "da nhan"), for matching only. */
export function fold(input: string): string {
  return (
    cleanText(input)
      // Matching reads the words, whatever direction they would be shown in.
      .replace(REORDERING_ALL, "")
      .normalize("NFD")
      .replace(/\p{M}/gu, "")
      .replace(/[đĐ]/g, "d")
      .toLowerCase()
      .replace(/[.!?…,;:]+$/u, "")
      .replace(/\s+/g, " ")
      .trim()
  );
}

const graphemes = new Intl.Segmenter("vi", { granularity: "grapheme" });

/** The end of the last whole grapheme within `max` UTF-16 units (an emoji or a letter with its marks is never split). */
export function graphemeCut(text: string, max: number): number {
  let end = 0;
  for (const { index, segment } of graphemes.segment(text.slice(0, max + 32))) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  // A single grapheme longer than the limit: nothing else is possible.
  return end > 0 ? end : Math.min(max, text.length);
}

/** Splits text under `max` UTF-16 units, on paragraph, then line, then word, then grapheme boundaries. */
export function splitMessage(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text.normalize("NFC").trimStart();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = window.lastIndexOf("\n\n");
    if (cut < max / 2) cut = window.lastIndexOf("\n");
    if (cut < max / 2) cut = window.lastIndexOf(" ");
    // A hard cut falls between graphemes: never inside an emoji or a letter and its marks.
    if (cut < max / 2) cut = graphemeCut(rest, max);
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}
