/**
 * How officers actually type: NFC or NFD, with or without diacritics, emojis around the answer,
 * zero-width and bidi marks pasted from other apps. Everything that matches words goes through
 * `fold`; everything stored goes through `cleanText`.
 */

// Zero-width, bidi controls, variation selectors and BOM: invisible, never meaningful in an answer.
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2069\uFE00-\uFE0F\uFEFF\u00AD]/gu;
// Pictographs and their modifiers (skin tones, keycaps, flags, ZWJ sequences).
const EMOJI = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{1F1E6}-\u{1F1FF}\u20E3\u200D]/gu;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/gu;
// Half of a surrogate pair (a truncated paste, a forged update): not text, and PostgreSQL refuses
// it in a jsonb value, so an answer holding one failed its transaction with a 500.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** NFC, no invisible or control characters, no emojis, single spaces, trimmed. */
export function cleanText(input: string): string {
  return (
    input
      .replace(LONE_SURROGATE, "")
      // NFC first too: the same text typed NFC or NFD must clean alike. "↮" decomposes to "↔"
      // (a pictograph, removed) plus a combining mark, so only its NFC form survived.
      .normalize("NFC")
      .replace(INVISIBLE, "")
      .replace(CONTROL, "")
      .replace(EMOJI, " ")
      .replace(/[ \t\u00A0\u3000]+/g, " ")
      .replace(/ *\n */g, "\n")
      .trim()
      // NFC last: an invisible mark between a letter and its accent ("a\u200f\u0308") only
      // lets them compose once it is gone. Normalising first left "ä" decomposed, so the same
      // answer cleaned twice (the webhook, then the parser) gave two different strings.
      .normalize("NFC")
  );
}

/** At most `n` characters, cut between characters (never inside an emoji's surrogate pair, which jsonb refuses). */
export function clip(text: string, n: number): string {
  const chars = Array.from(text);
  return chars.length > n ? chars.slice(0, n).join("") : text;
}

/** Lower case without diacritics ("Không" → "khong", "Đã nhận" → "da nhan"), for matching only. */
export function fold(input: string): string {
  return cleanText(input)
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .replace(/[đĐ]/g, "d")
    .toLowerCase()
    .replace(/[.!?…,;:]+$/u, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Splits text under `max` characters, on paragraph, then line, then word boundaries. */
export function splitMessage(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text.normalize("NFC").trimStart();
  while (rest.length > max) {
    const window = rest.slice(0, max);
    let cut = window.lastIndexOf("\n\n");
    if (cut < max / 2) cut = window.lastIndexOf("\n");
    if (cut < max / 2) cut = window.lastIndexOf(" ");
    if (cut < max / 2) cut = max;
    // A hard cut must not split an emoji (or any character outside the BMP) into two halves
    // (unless the limit is a single unit, where nothing else is possible).
    if (cut === max && max > 1 && /[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut--;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}
