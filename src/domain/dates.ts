import { fold } from "./text.js";

// Building an Intl.DateTimeFormat costs far more than using one (it showed in the inbound profile).
const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** yyyy-mm-dd of an instant in a time zone (Asia/Ho_Chi_Minh for every rule in baocao). */
export function localDate(at: Date, timeZone: string): string {
  let f = dayFormats.get(timeZone);
  if (!f) dayFormats.set(timeZone, (f = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })));
  return f.format(at);
}

/** "hh:mm dd/mm/yyyy" in the reporting time zone. */
export function formatDateTime(at: Date, timeZone: string): string {
  const p = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    day: "2-digit",
    month: "2-digit",
    year: "numeric",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (t: string) => p.find((x) => x.type === t)?.value ?? "";
  return `${get("hour")}:${get("minute")} ${get("day")}/${get("month")}/${get("year")}`;
}

export function addDays(isoDate: string, days: number): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

export function isValidDate(y: number, m: number, d: number): boolean {
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

/**
 * dd/mm/yyyy (also d/m/yy, dd-mm-yyyy, dd.mm.yyyy), "hôm nay", "hôm qua", "hôm kia".
 * Returns yyyy-mm-dd or undefined.
 */
export function parseVietnameseDate(input: string, today: string): string | undefined {
  const f = fold(input);
  if (f === "hom nay" || f === "nay") return today;
  if (f === "hom qua" || f === "qua") return addDays(today, -1);
  if (f === "hom kia") return addDays(today, -2);
  const m = /^(?:ngay\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2}|\d{4}))?$/.exec(f);
  if (!m) return undefined;
  const d = Number(m[1]);
  const mo = Number(m[2]);
  let y = m[3] === undefined ? Number(today.slice(0, 4)) : Number(m[3]);
  if (m[3] !== undefined && m[3].length === 2) y += 2000;
  if (!isValidDate(y, mo, d)) return undefined;
  return `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** yyyy-mm-dd → dd/mm/yyyy */
export function formatDate(iso: string): string {
  const [y, m, d] = iso.split("-");
  return `${d}/${m}/${y}`;
}

/** The hour a part of the day stands for when no time is given ("sáng nay" → 8:00). */
const PART_OF_DAY_HOUR: Record<string, number> = { sang: 8, trua: 12, chieu: 15, toi: 20, dem: 23 };

/**
 * When something happened, the way officers say it: "bây giờ"/"vừa xong", "17h", "17h30",
 * "hôm qua 17h", "hôm nay 8:15", "20/11 9h", "20/11/2026 09:30", and the part of the day with
 * its day, either way round: "sáng nay", "tối qua 20h", "chiều qua 3 giờ", "8h sáng nay",
 * "3 giờ chiều hôm qua", "đêm qua 2h" (the small hours after yesterday). Times are local to `timeZone`.
 */
export function parseVietnameseDateTime(input: string, now: Date, timeZone: string): Date | undefined {
  let f = fold(input)
    .replace(/\s+luc\s+/, " ")
    .trim();
  if (/^(bay gio|vua xong|vua moi|ngay bay gio|now|luc nay)$/.test(f)) return now;
  const today = localDate(now, timeZone);
  let part: string | undefined;
  const before = /^(sang|trua|chieu|toi|dem)\s+(nay|qua|hom nay|hom qua)\b\s*(.*)$/.exec(f);
  const after = before ? null : /^(.*?)\s*(sang|trua|chieu|toi|dem)\s+(nay|qua|hom nay|hom qua)$/.exec(f);
  if (before) {
    part = before[1];
    f = `${before[2]!.endsWith("qua") ? "hom qua" : "hom nay"} ${before[3]}`.trim();
  } else if (after) {
    part = after[2];
    f = `${after[3]!.endsWith("qua") ? "hom qua" : "hom nay"} ${after[1]}`.trim();
  }
  const m =
    /^(?:(hom nay|hom qua|hom kia|\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{2,4})?)\s*)?(?:(\d{1,2})\s*(?:h|gio|:)\s*(\d{1,2})?\s*(?:phut|p)?\s*(sang|chieu|toi|trua|dem)?)?$/.exec(
      f,
    );
  if (!m || (!m[1] && !m[2] && !part)) return undefined;
  if (part && m[4] && m[4] !== part) return undefined;
  part ??= m[4];
  let date = m[1] ? parseVietnameseDate(m[1], today) : today;
  if (!date) return undefined;
  if (m[2] === undefined && part) {
    const hour = PART_OF_DAY_HOUR[part]!;
    return atLocal(date, hour, 0, timeZone);
  }
  // "đêm qua 2h": two in the morning after yesterday, that is today.
  if (part === "dem" && m[2] !== undefined && Number(m[2]) < 6) date = addDays(date, 1);
  let hour = m[2] === undefined ? 12 : Number(m[2]);
  const minute = m[3] === undefined ? 0 : Number(m[3]);
  if ((part === "chieu" || part === "toi" || (part === "dem" && hour >= 6)) && hour < 12) hour += 12;
  if (hour > 23 || minute > 59) return undefined;
  return atLocal(date, hour, minute, timeZone);
}

/** yyyy-mm-dd at hh:mm in `timeZone`, as an instant. */
function atLocal(date: string, hour: number, minute: number, timeZone: string): Date {
  const guess = new Date(`${date}T${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}:00Z`);
  // Shift by the zone's offset at that moment (fixed +7 for Việt Nam, but do not assume it).
  const local = new Date(guess.toLocaleString("en-US", { timeZone }));
  const utc = new Date(guess.toLocaleString("en-US", { timeZone: "UTC" }));
  return new Date(guess.getTime() - (local.getTime() - utc.getTime()));
}
