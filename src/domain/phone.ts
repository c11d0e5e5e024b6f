import { parsePhoneNumberFromString } from "libphonenumber-js/max";

/**
 * 0912 345 678, +84 912 345 678 and 84912345678 are the same officer: all become "84912345678".
 * Returns undefined for anything that is not a valid Vietnamese number.
 */
export function normalizePhone(input: string): string | undefined {
  const raw = input.replace(/[\s.\-()]/g, "");
  if (!/^\+?\d{8,15}$/.test(raw)) return undefined;
  const withPlus = raw.startsWith("+") ? raw : raw.startsWith("84") && raw.length >= 11 ? `+${raw}` : raw;
  const parsed = parsePhoneNumberFromString(withPlus, "VN");
  if (!parsed || !parsed.isValid() || parsed.country !== "VN") return undefined;
  return parsed.number.replace(/^\+/, "");
}

/** "84912345678" → "0912 345 678" for display; officers know their number in national form. */
export function displayPhone(normalized: string): string {
  const national = normalized.startsWith("84") ? `0${normalized.slice(2)}` : normalized;
  return national.replace(/^(\d{4})(\d{3})(\d+)$/, "$1 $2 $3");
}

/** "84912345678" → "0912***678": enough for an officer to recognise, not enough to leak. */
export function maskPhone(normalized: string): string {
  const national = normalized.startsWith("84") ? `0${normalized.slice(2)}` : normalized;
  return `${national.slice(0, 4)}***${national.slice(-3)}`;
}
