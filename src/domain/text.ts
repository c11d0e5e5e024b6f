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

/** NFC, no invisible or control characters, no emojis, single spaces, trimmed. */
export function cleanText(input: string): string {
  return input
    .normalize("NFC")
    .replace(INVISIBLE, "")
    .replace(CONTROL, "")
    .replace(EMOJI, " ")
    .replace(/[ \t\u00A0\u3000]+/g, " ")
    .replace(/ *\n */g, "\n")
    .trim();
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
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0 || out.length === 0) out.push(rest);
  return out;
}
