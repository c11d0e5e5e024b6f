import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answers, conversationSessions } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const CHAT = 9601;
const HOSTILE = [
  "1.2.3",
  "-0",
  "-5",
  "1e9",
  "NaN",
  "Infinity",
  "<script>alert(1)</script>",
  "'; drop table answers; --",
  "👍👍👍",
  "\u200b\u200f\u202e",
  "x".repeat(5000),
  "   ",
  "١٢٣",
  "12abc34",
];

describe("hostile messages at every kind of question get a clear re-ask, never a 5xx, and store nothing", () => {
  const t = useTestDb("pglite");
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  // The database is emptied before each test: each starts from a linked officer.
  beforeEach(async () => {
    await s?.service.stop();
    await loadLaiChau(t.database);
    await addOfficers(t.database, "name,phone,role,unit_code\nMai,0912000601,commune,03388\n");
    await linkOfficer(t.database, "84912000601", "telegram", String(CHAT));
    s = await startTestService(t, { telegram: tg, clock: () => new Date("2026-11-07T03:00:00Z") });
  });
  afterAll(async () => {
    await s.service.stop();
    await tg.close();
  });

  const state = async () => ((await t.database.db.select().from(conversationSessions))[0]!.state as SessionState);
  const cursor = async () => (await state()).report?.cursor;
  const say = async (text: string) => {
    const res = await s.postUpdate(textUpdate(CHAT, text));
    expect(res.status).toBe(200);
  };

  /** Moves to the question with this id by answering what comes before with simple values. */
  async function reach(questionId: string, simple: Record<string, string>) {
    for (let guard = 0; guard < 60 && (await cursor()) !== questionId; guard++) {
      const key = (await cursor())!;
      await say(simple[key] ?? "0");
    }
    expect(await cursor()).toBe(questionId);
  }

  it("integer, multiple choice, single choice, yes/no, date and phone questions", async () => {
    await say("báo cáo");
    const simple = { special_total: "2", special_boys: "1", special_girls: "1", special_groups: "1", special_supported: "1", support_kinds: "1", child_friendly: "1", database_updated: "có", report_date: "hôm nay" };
    for (const target of ["comm_sessions", "special_groups", "child_friendly", "database_updated", "report_date", "contact_phone"]) {
      await reach(target, simple);
      const before = await t.database.db.select().from(answers);
      for (const text of HOSTILE) {
        tg.reset();
        await say(text);
        const replies = tg.texts(CHAT);
        // A short reason, then the same question again.
        expect(replies.length).toBeGreaterThanOrEqual(1);
        expect(replies.at(-1), `${target}: ${JSON.stringify(text.slice(0, 20))} → ${JSON.stringify(replies)}`.slice(0, 400)).toMatch(/^Câu \d+ \(/);
        if (text.trim() !== "" && !/^[\u200b\u200f\u202e]+$/.test(text)) expect(replies.length, `${target}: ${JSON.stringify(text.slice(0, 20))}`).toBe(2);
        expect(await cursor()).toBe(target);
      }
      expect(await t.database.db.select().from(answers)).toEqual(before);
      await say(simple[target as keyof typeof simple] ?? (target === "contact_phone" ? "0912 345 678" : "0"));
    }
  });

  it("random text at a number question never crashes and never stores a negative or a non-number", async () => {
    await say("báo cáo");
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), async (text) => {
        if ((await state()).mode !== "asking") return;
        const res = await s.postUpdate(textUpdate(CHAT, text || " "));
        expect(res.status).toBe(200);
      }),
      { numRuns: 40 },
    );
    const stored = await t.database.db.select().from(answers);
    for (const a of stored) {
      if (a.valueNum !== null) {
        expect(Number.isFinite(a.valueNum)).toBe(true);
        expect(a.valueNum).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
