import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Database } from "../../src/db/client.js";
import { campaigns, channelLinks, officers, outbox, reportTemplates, units } from "../../src/db/schema/index.js";
import { createFormRegistry } from "../../src/forms/form-registry.js";
import { ensureReportingDefaults } from "../../src/reporting/reporting-defaults.js";
import { seedCampaigns } from "../../src/campaigns/seed-campaigns.js";
import { loadLaiChau } from "./fixtures.js";
import { afterAll, beforeAll, expect } from "vitest";
import { startFakeTelegram, withoutWebLink, type FakeTelegram } from "./fake-telegram.js";
import { useTestDb, type TestDb } from "./db.js";
import { killServers } from "./server-process.js";

export interface TelegramOfficer {
  id: number;
  name: string;
  chatId: number;
  unitId: number;
  unitName: string;
}

/** Lai Châu's units (post-2025 tree), which the officers below belong to. */
export const loadUnits = (database: Database) => loadLaiChau(database);

/**
 * `count` commune officers of Lai Châu (load its units first), each linked on Telegram to chat
 * `firstChat + i`. With `ownCommune` each has a commune of their own (so each files their own
 * report); otherwise they all sit in the province (enough for broadcasts to thousands).
 */
export async function telegramOfficers(
  database: Database,
  count: number,
  opts: { firstChat: number; ownCommune: boolean; phonePrefix?: string },
): Promise<TelegramOfficer[]> {
  const { db } = database;
  const places = opts.ownCommune
    ? await db
        .select({ id: units.id, name: units.name })
        .from(units)
        .where(and(eq(units.scheme, "post2025"), eq(units.level, "commune")))
        .orderBy(asc(units.code))
        .limit(count)
    : await db
        .select({ id: units.id, name: units.name })
        .from(units)
        .where(and(eq(units.scheme, "post2025"), eq(units.code, "12")));
  if (opts.ownCommune && places.length < count) throw new Error(`Lai Châu has only ${places.length} communes`);
  const prefix = opts.phonePrefix ?? "8491";
  const rows = await db
    .insert(officers)
    .values(
      Array.from({ length: count }, (_, i) => ({
        name: `Cán bộ ${i + 1}`,
        phone: `${prefix}${String(i).padStart(11 - prefix.length, "0")}`,
        role: "commune" as const,
        unitId: places[opts.ownCommune ? i : 0]!.id,
      })),
    )
    .returning({ id: officers.id, name: officers.name, unitId: officers.unitId });
  await db.insert(channelLinks).values(
    rows.map((o, i) => ({
      officerId: o.id,
      channel: "telegram" as const,
      externalId: String(opts.firstChat + i),
      chatId: String(opts.firstChat + i),
      preferred: true,
    })),
  );
  const unitName = new Map(places.map((p) => [p.id, p.name]));
  return rows.map((o, i) => ({ ...o, chatId: opts.firstChat + i, unitName: unitName.get(o.unitId)! }));
}

/**
 * The server plans reminders and the shipped campaigns (June, Trung thu, summer) on its own,
 * depending on today's date. Tests that count messages create those rows first and switch them
 * off, so only what the test itself plans is sent whatever day the test runs.
 */
export async function onlyWhatTheTestPlans(database: Database): Promise<void> {
  const { db } = database;
  await ensureReportingDefaults(db, createFormRegistry(), new Date());
  await seedCampaigns(db);
  await db.update(reportTemplates).set({ reminderSteps: [] });
  await db.update(campaigns).set({ active: false });
}

/**
 * Waits until nothing is left to send: no row queued, none being sent. Returns how many were
 * left at the deadline and the first few of them, for the failure message.
 */
export async function outboxSettled(
  database: Database,
  timeoutMs: number,
): Promise<{ settled: boolean; count: number; first: { id: number; kind: string; status: string; chatId: string; lastError: string | null }[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await database.db
      .select({ id: outbox.id, kind: outbox.kind, status: outbox.status, chatId: outbox.chatId, lastError: outbox.lastError })
      .from(outbox)
      .where(inArray(outbox.status, ["queued", "sending"]))
      .orderBy(outbox.id);
    if (left.length === 0) return { settled: true, count: 0, first: [] };
    if (Date.now() > deadline) return { settled: false, count: left.length, first: left.slice(0, 10) };
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

/** Successful sendMessage calls per chat, as the platform saw them. */
export function deliveredPerChat(tg: FakeTelegram): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of tg.sent()) {
    const chat = String(c.payload.chat_id);
    out.set(chat, [...(out.get(chat) ?? []), withoutWebLink(String(c.payload.text))]);
  }
  return out;
}

/** Today in Hà Nội (the reporting time zone), yyyy-mm-dd. */
export function todayInVietnam(at = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** Rows of a raw SQL query (both drivers return {rows}). */
export async function rows<T>(database: Database, query: ReturnType<typeof sql>): Promise<T[]> {
  return ((await database.db.execute(query)) as unknown as { rows: T[] }).rows;
}

/**
 * What every process-level test of a file shares: its own PostgreSQL database, one fake Bot API,
 * and no server left running afterwards. `tg` is set once the file's tests start.
 */
export function useServersOnPostgres(): { t: TestDb; tg: FakeTelegram } {
  const fixture = { t: useTestDb("postgres"), tg: undefined as unknown as FakeTelegram };
  beforeAll(async () => {
    fixture.tg = await startFakeTelegram();
  });
  afterAll(async () => {
    await killServers();
    // Also ends the requests the fake left hanging.
    await fixture.tg?.close();
  });
  return fixture;
}

/**
 * One officer answers the whole report on an undisturbed server, waiting for each reply (right
 * away, or from the delivery worker a moment later): what every other officer must receive.
 */
export async function answerReference(
  tg: FakeTelegram,
  officer: { chatId: number },
  texts: string[],
  say: (o: { chatId: number }, text: string) => Promise<unknown>,
): Promise<void> {
  for (const text of texts) {
    const before = tg.sent(officer.chatId).length;
    await say(officer, text);
    await expect.poll(() => tg.sent(officer.chatId).length, { timeout: 60_000 }).toBeGreaterThan(before);
  }
}
