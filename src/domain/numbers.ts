import { stripMarks } from "./text.js";

/**
 * Numbers as Vietnamese officers write them: "." groups thousands ("1.234" = 1234), "," is the
 * decimal mark ("1,5" = 1.5), and amounts are said with multiplier words: "500k", "62,5tr",
 * "5 triệu rưỡi", "1,2 tỷ", "1 tỷ 200 triệu", "3 trăm nghìn". Every word after the number must be
 * understood: a multiplier, a currency word where money is asked, or a harmless count word where a
 * count is asked. Anything else is refused and named, never dropped, because a dropped "tr" is a
 * million times too small.
 */
export type NumberParse =
  | { ok: true; value: number }
  | {
      ok: false;
      reason:
        | "empty"
        | "not_a_number"
        | "too_long"
        /** "2 triệu 3", "5 nghìn 2 triệu": the words do not say one amount. */
        | "ambiguous"
        /** "1 2", "1 234 567": digit groups separated by spaces. */
        | "spaced_digits"
        /** A word that is neither a multiplier nor a unit allowed at this question. */
        | "unknown_word"
        /** "đồng" at a count, "em" at an amount of money. */
        | "wrong_unit"
        /** A bidi or other format control still in the text (the caller should have refused it). */
        | "hidden_control";
      /** The word, as typed, for unknown_word and wrong_unit. */
      word?: string;
    };

export interface NumberOptions {
  /** An amount of money in đồng: currency words are understood, count words are not. */
  money?: boolean;
  /** The question's own unit ("buổi", "hoạt động"): accepted after the number, like the general count words. */
  unit?: string;
}

const MAX_INPUT = 60;

/** Multipliers, by their folded spelling (no diacritics, lower case). */
export const MULTIPLIERS: Readonly<Record<string, number>> = {
  k: 1_000,
  nghin: 1_000,
  ngan: 1_000,
  tr: 1_000_000,
  trieu: 1_000_000,
  ty: 1_000_000_000,
  ti: 1_000_000_000,
};

/** "trăm" multiplies the coefficient of its group ("3 trăm nghìn" = 300.000). */
const HUNDRED = "tram";
/** "rưỡi" (also typed "rưởi"): half of the word before it ("5 triệu rưỡi" = 5.500.000). */
const HALF = "ruoi";

/** Currency words, folded: "đ" and "đồng" fold to "d" and "dong". */
export const CURRENCY_WORDS: readonly string[] = ["d", "dong", "vnd", "₫"];

/**
 * What may follow a count without changing it: nouns for what is counted in the child-affairs
 * reports ("12 em", "3 buổi", "45 người"), folded. "hoat dong" is a phrase here, not two words,
 * so that "dong" (đồng) alone is never taken at a count.
 */
export const COUNT_WORDS: readonly string[] = [
  "em",
  "tre",
  "tre em",
  "chau",
  "be",
  "em trai",
  "em gai",
  "tre trai",
  "tre gai",
  "trai",
  "gai",
  "nguoi",
  "luot",
  "luot nguoi",
  "buoi",
  "lop",
  "vu",
  "vu viec",
  "xa",
  "phuong",
  "thon",
  "ban",
  "ho",
  "gia dinh",
  "tuoi",
  "suat",
  "suat qua",
  "phan qua",
  "hoat dong",
  "dien dan",
  "hoi nghi",
  "cuoc",
  "lan",
  "ca",
  "truong hop",
  "hoc sinh",
];

/** Polite particles at the very end ("12 em ạ", "5 triệu nhé"): they change nothing. */
const PARTICLES: readonly string[] = ["a", "nhe", "nha"];

/** Folded spelling of a word: NFD, no marks, đ → d, lower case. */
const foldWord = (w: string): string => stripMarks(w.normalize("NFD")).replace(/[đĐ]/g, "d").toLowerCase();

type Token = { kind: "num"; text: string } | { kind: "word"; text: string; folded: string } | { kind: "space" };

function tokenize(text: string): Token[] | undefined {
  const tokens: Token[] = [];
  const re = /(\d[\d.,]*)|([\p{L}\p{M}]+|₫)|(\s+)/uy;
  let at = 0;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) return undefined;
    if (m[1] !== undefined) tokens.push({ kind: "num", text: m[1] });
    else if (m[2] !== undefined) tokens.push(...splitWord(m[2]));
    else tokens.push({ kind: "space" });
    at = re.lastIndex;
  }
  return tokens;
}

/** "kđ", "trđ", "tỷđ" (accountants' shorthand): the multiplier, then "đ". */
function splitWord(text: string): Token[] {
  const folded = foldWord(text);
  const chars = Array.from(text.normalize("NFC"));
  const last = chars.at(-1);
  if (chars.length > 1 && (last === "đ" || last === "Đ") && MULTIPLIERS[foldWord(chars.slice(0, -1).join(""))] !== undefined) {
    const head = chars.slice(0, -1).join("");
    return [
      { kind: "word", text: head, folded: foldWord(head) },
      { kind: "word", text: last, folded: "d" },
    ];
  }
  return [{ kind: "word", text, folded }];
}

/** An exact fraction: amounts are computed without binary rounding ("1,2 tỷ" is 1.200.000.000, not 1.200.000.000,0000002). */
interface Ratio {
  n: bigint;
  d: bigint;
}

/** "1.234" → 1234/1, "1.234,5" → 12345/10, "1.5" (an English habit) → 15/10; undefined for "1.2.3". */
function literal(text: string): { value: Ratio; whole: boolean } | undefined {
  let integer: string;
  let decimals: string | undefined;
  const comma = /^(\d+|\d{1,3}(?:\.\d{3})+)(?:,(\d+))?$/.exec(text);
  if (comma) {
    integer = comma[1]!.replace(/\./g, "");
    decimals = comma[2];
  } else {
    // "1.5": not a thousands group, so the officer meant a decimal point.
    const dot = /^(\d+)\.(\d+)$/.exec(text);
    if (!dot) return undefined;
    integer = dot[1]!;
    decimals = dot[2];
  }
  const scale = 10n ** BigInt(decimals?.length ?? 0);
  return { value: { n: BigInt(integer + (decimals ?? "")), d: scale }, whole: decimals === undefined };
}

const add = (a: Ratio, b: Ratio): Ratio => ({ n: a.n * b.d + b.n * a.d, d: a.d * b.d });
const times = (a: Ratio, k: bigint): Ratio => ({ n: a.n * k, d: a.d });
const lessThan = (a: Ratio, k: bigint): boolean => a.n < k * a.d;
const toNumber = (r: Ratio): number => (r.n % r.d === 0n ? Number(r.n / r.d) : Number(r.n) / Number(r.d));

/**
 * The number an officer typed, or why it is not one. `options.money` says the question asks an
 * amount of money; otherwise it asks a count (or a measure), where count words are allowed.
 */
export function parseVietnameseNumber(input: string, options: NumberOptions = {}): NumberParse {
  const text = input.normalize("NFC").trim();
  if (text === "") return { ok: false, reason: "empty" };
  if (text.length > MAX_INPUT) return { ok: false, reason: "too_long" };
  if (/\p{Cf}/u.test(text)) return { ok: false, reason: "hidden_control" };
  if (!/\d/.test(text)) return { ok: false, reason: "not_a_number" };
  const signMatch = /^([+-])\s*/.exec(text);
  const tokens = tokenize(signMatch ? text.slice(signMatch[0].length) : text);
  if (!tokens) return { ok: false, reason: "not_a_number" };
  const sign = signMatch?.[1] === "-" ? -1n : 1n;

  let i = 0;
  const skipSpace = () => {
    while (tokens[i]?.kind === "space") i++;
  };
  const peekWord = (): string | undefined => {
    skipSpace();
    const t = tokens[i];
    return t?.kind === "word" ? t.folded : undefined;
  };

  skipSpace();
  const first = tokens[i];
  if (first?.kind === "word") return { ok: false, reason: "unknown_word", word: first.text };
  if (first?.kind !== "num") return { ok: false, reason: "not_a_number" };

  let total: Ratio = { n: 0n, d: 1n };
  /** The multiplier of the previous group: each group must be smaller than it ("1 tỷ 200 triệu"). */
  let ceiling: bigint | undefined;
  for (let group = 0; ; group++) {
    const t = tokens[i]!;
    if (t.kind !== "num") break;
    const lit = literal(t.text);
    if (!lit) return { ok: false, reason: "not_a_number" };
    // Only the leading group may have decimals: "1 tỷ 2,5 triệu" says no single amount.
    if (group > 0 && !lit.whole) return { ok: false, reason: "ambiguous" };
    i++;
    let value = lit.value;
    let halved = false;
    if (peekWord() === HUNDRED) {
      i++;
      if (peekWord() === HALF) {
        i++;
        halved = true;
        value = add(value, { n: 1n, d: 2n });
      }
      value = times(value, 100n);
    }
    const word = peekWord();
    const multiplier = word === undefined ? undefined : MULTIPLIERS[word];
    if (multiplier !== undefined) {
      i++;
      if (peekWord() === HALF) {
        // "1,5 triệu rưỡi", "2 trăm rưỡi triệu rưỡi": no one writes an amount that way.
        if (halved || !lit.whole) return { ok: false, reason: "ambiguous" };
        i++;
        value = add(value, { n: 1n, d: 2n });
      }
      value = times(value, BigInt(multiplier));
    }
    const groupScale = BigInt(multiplier ?? 1);
    if (ceiling !== undefined) {
      // A later group must have its own multiplier ("2 triệu 3" could be 2.300.000 or 2.000.003)
      // and stay below the one before it ("5 nghìn 2 triệu" is no amount).
      if (multiplier === undefined || !lessThan(value, ceiling)) return { ok: false, reason: "ambiguous" };
    }
    total = add(total, value);
    ceiling = groupScale;
    skipSpace();
    const next = tokens[i];
    if (next?.kind !== "num") break;
    // Two numbers with nothing but spaces between: "1 2", "1 234 567".
    if (multiplier === undefined) return { ok: false, reason: "spaced_digits" };
  }

  // What follows the amount: units that change nothing.
  const rest: { text: string; folded: string }[] = [];
  for (; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === "space") continue;
    // "12 em 3": a second number after a word is no amount either.
    if (t.kind === "num") return { ok: false, reason: rest.length > 0 ? "not_a_number" : "spaced_digits" };
    rest.push(t);
  }
  const unknown = unknownWord(rest, options);
  if (unknown) return { ok: false, ...unknown };

  const value = toNumber(sign < 0n ? { n: -total.n, d: total.d } : total);
  if (!Number.isFinite(value)) return { ok: false, reason: "not_a_number" };
  return { ok: true, value: value === 0 ? 0 : value };
}

/** The first word after the amount that is not allowed at this question, if any. */
function unknownWord(words: { text: string; folded: string }[], options: NumberOptions): { reason: "unknown_word" | "wrong_unit"; word: string } | undefined {
  const own = options.unit === undefined ? [] : [options.unit.split(/\s+/).map(foldWord).join(" ")];
  const allowed = options.money ? [...CURRENCY_WORDS, ...own] : [...COUNT_WORDS, ...own];
  const foreign = options.money ? COUNT_WORDS : CURRENCY_WORDS;
  let j = 0;
  const phraseAt = (list: readonly string[]): number => {
    let best = 0;
    for (const phrase of list) {
      const parts = phrase.split(" ");
      if (parts.length > best && parts.every((p, k) => words[j + k]?.folded === p)) best = parts.length;
    }
    return best;
  };
  while (j < words.length) {
    const n = phraseAt(allowed);
    if (n > 0) {
      j += n;
      continue;
    }
    if (j === words.length - 1 && PARTICLES.includes(words[j]!.folded)) return undefined;
    const word = words[j]!.text;
    if (phraseAt(foreign) > 0) return { reason: "wrong_unit", word };
    return { reason: "unknown_word", word };
  }
  return undefined;
}

/** 1234.5 → "1.234,5", the way officers read numbers. */
export function formatVietnameseNumber(n: number): string {
  return new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 }).format(n);
}
