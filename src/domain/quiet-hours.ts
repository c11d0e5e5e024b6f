/**
 * Quiet hours (giờ yên tĩnh): nobody wants a message at 23:00. A message due inside the window
 * waits until it ends — it is moved, never dropped. Times are local to `timeZone`.
 */
export interface QuietHours {
  /** "21:00" */
  start: string;
  /** "07:00" */
  end: string;
  timeZone: string;
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(":").map(Number);
  return h! * 60 + m!;
};

/** Local wall-clock minutes since midnight and the zone's UTC offset in minutes at `at`. */
function localParts(at: Date, timeZone: string): { minute: number; offset: number } {
  const p = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (t: string) => Number(p.find((x) => x.type === t)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return { minute: get("hour") * 60 + get("minute"), offset: Math.round((asUtc - at.getTime()) / 60_000) };
}

export function isQuiet(at: Date, q: QuietHours): boolean {
  const { minute } = localParts(at, q.timeZone);
  const s = minutes(q.start);
  const e = minutes(q.end);
  return s > e ? minute >= s || minute < e : minute >= s && minute < e;
}

/** `at` itself when allowed, else the end of the quiet window that contains it. */
export function nextAllowed(at: Date, q: QuietHours): Date {
  if (!isQuiet(at, q)) return at;
  const { minute } = localParts(at, q.timeZone);
  const e = minutes(q.end);
  let wait = e - minute;
  if (wait <= 0) wait += 24 * 60;
  const out = new Date(at.getTime() + wait * 60_000);
  out.setUTCSeconds(0, 0);
  return out;
}

/** The instant of local `hhmm` on local date `date` (yyyy-mm-dd) in the zone. */
export function localTime(date: string, hhmm: string, timeZone: string): Date {
  const guess = new Date(`${date}T${hhmm}:00Z`);
  const { offset } = localParts(guess, timeZone);
  return new Date(guess.getTime() - offset * 60_000);
}
