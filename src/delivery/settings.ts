import { eq } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { appSettings } from "../db/schema/index.js";
import type { QuietHours } from "../domain/quiet-hours.js";

const QUIET_KEY = "quiet_hours";
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * Settings admins edit in the web. The env values (QUIET_HOURS_START/END) are the defaults until
 * someone saves a change; the saved value lives in `app_settings`, so every instance picks it up
 * (on start and on each planner tick). `quietHours` is the one object the outbox reads, updated
 * in place.
 */
export function createSettings(deps: { db: Db; quietHours: QuietHours }) {
  const defaults = { start: deps.quietHours.start, end: deps.quietHours.end };

  async function load(): Promise<void> {
    const [row] = await deps.db.select().from(appSettings).where(eq(appSettings.key, QUIET_KEY));
    const v = row?.value as { start?: string; end?: string } | undefined;
    const next = v && HHMM.test(v.start ?? "") && HHMM.test(v.end ?? "") ? v : defaults;
    deps.quietHours.start = next.start!;
    deps.quietHours.end = next.end!;
  }

  /** Saves new quiet hours; returns a Vietnamese reason when they are not valid. */
  async function setQuietHours(start: string, end: string, officerId: number): Promise<string | undefined> {
    if (!HHMM.test(start) || !HHMM.test(end)) return "Giờ phải có dạng HH:MM, ví dụ 21:00.";
    if (start === end) return "Giờ bắt đầu và kết thúc phải khác nhau.";
    await deps.db
      .insert(appSettings)
      .values({ key: QUIET_KEY, value: { start, end }, updatedBy: officerId })
      .onConflictDoUpdate({ target: appSettings.key, set: { value: { start, end }, updatedBy: officerId, updatedAt: new Date() } });
    deps.quietHours.start = start;
    deps.quietHours.end = end;
    return undefined;
  }

  return { load, setQuietHours, quietHours: deps.quietHours };
}

export type Settings = ReturnType<typeof createSettings>;
