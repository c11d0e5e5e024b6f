/**
 * Vietnamese number writing: "." groups thousands ("1.234" = 1234), "," is the decimal mark
 * ("1,5" = 1.5). Units after the number are allowed ("12 em", "3 cuộc", "5.000.000 đồng").
 */
export type NumberParse =
  | { ok: true; value: number }
  | { ok: false; reason: "empty" | "not_a_number" | "too_long" | "ambiguous" };

const MAX_INPUT = 60;

export function parseVietnameseNumber(input: string): NumberParse {
  const text = input.trim();
  if (text === "") return { ok: false, reason: "empty" };
  if (text.length > MAX_INPUT) return { ok: false, reason: "too_long" };
  // A number, then optionally a unit word ("em", "người", "đồng", "triệu"…), nothing else.
  const m = /^([+-]?)(\d[\d.\s]*?)(?:,(\d+))?(?:\s*(\p{L}[\p{L}\s]*))?$/u.exec(text);
  if (!m) return { ok: false, reason: "not_a_number" };
  const [, sign, intPartRaw = "", fraction, unit] = m;
  const intPart = intPartRaw.replace(/\s+/g, "");
  let integer: string;
  let decimals = fraction;
  if (/^\d+$/.test(intPart)) {
    integer = intPart;
  } else if (/^\d{1,3}(\.\d{3})+$/.test(intPart)) {
    integer = intPart.replace(/\./g, "");
  } else if (/^\d+\.\d+$/.test(intPart) && decimals === undefined) {
    // "1.5": not a thousands group, so the officer meant a decimal point (English habit).
    const [a, b] = intPart.split(".");
    integer = a!;
    decimals = b;
  } else {
    return { ok: false, reason: "not_a_number" };
  }
  let value = Number(decimals === undefined ? integer : `${integer}.${decimals}`);
  if (unit) {
    const u = unit.trim().normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
    if (/^trieu\b/.test(u)) value *= 1_000_000;
    else if (/^nghin\b|^ngan\b/.test(u)) value *= 1_000;
    else if (/^ty\b/.test(u)) value *= 1_000_000_000;
  }
  if (!Number.isFinite(value)) return { ok: false, reason: "not_a_number" };
  return { ok: true, value: sign === "-" ? -value : value };
}

/** 1234.5 → "1.234,5", the way officers read numbers. */
export function formatVietnameseNumber(n: number): string {
  return new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 }).format(n);
}
