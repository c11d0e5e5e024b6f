import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { and, eq } from "drizzle-orm";
import { conversationSessions, officers, submissions, units } from "../../src/db/schema/index.js";
import type { SessionState } from "../../src/conversations/engine.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startTestService, type TestService } from "../support/service.js";
import { ANSWERS } from "../support/answers.js";

const clock = () => new Date("2026-11-20T02:00:00Z");

describe.each(dbKinds)("a newcomer walks the whole report in the web simulator (%s)", (kind) => {
  const t = useTestDb(kind);
  let s: TestService;
  // After the per-test emptying of the database: the service seeds the demo data on its first start.
  beforeEach(async () => {
    s = await startTestService(t, { clock, env: { DEMO_SEED: "auto" } });
  });
  afterEach(async () => {
    await s.service.stop();
  });

  it("demo officers exist on first start, and the report is submitted late after its deadline", async () => {
    const { officers: demo } = (await (await fetch(`${s.url}/simulator/api/officers`)).json()) as { officers: { id: number; name: string }[] };
    expect(demo.length).toBeGreaterThanOrEqual(3);
    const officerId = demo[0]!.id;
    let n = 0;
    const send = async (body: { text?: string; choice?: string }) => {
      const res = await fetch(`${s.url}/simulator/api/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ officerId, clientId: `client-${kind}-${++n}`, ...body }),
      });
      expect(res.status).toBe(200);
    };
    const state = async () => {
      const [row] = await t.database.db.select().from(conversationSessions).where(eq(conversationSessions.officerId, officerId));
      return row!.state as SessionState;
    };
    const messages = async () =>
      ((await (await fetch(`${s.url}/simulator/api/messages?officerId=${officerId}`)).json()) as { messages: { id: number; text: string }[] }).messages;
    const answerCurrent = async () => {
      const key = (await state()).report!.cursor!;
      await send(ANSWERS[key.endsWith("#more") ? "#more" : key.slice(key.lastIndexOf(".") + 1)]!);
    };
    await send({ text: "báo cáo" });
    await send({ text: "1.2.3" });
    expect((await messages()).at(-2)!.text).toMatch(/cần một con số/);
    for (let i = 0; i < 4; i++) await answerCurrent();
    await send({ text: "tạm dừng" });

    // The server restarts between two messages.
    await s.service.stop();
    s = await startTestService(t, { clock, env: { DEMO_SEED: "auto" } });
    await send({ text: "tiếp tục" });
    expect((await messages()).at(-2)!.text).toMatch(/Tiếp tục báo cáo năm 2026: đã trả lời 4\//);
    for (let guard = 0; (await state()).mode === "asking" && guard < 90; guard++) await answerCurrent();
    await send({ text: "sửa 4" });
    await send({ text: "5" });
    expect((await state()).mode).toBe("review");
    expect((await messages()).at(-2)!.text).toMatch(/4\. Số lớp tập huấn.*: 5 lớp/);
    await send({ text: "nộp" });
    const all = await messages();
    // The demo province's own calendar (15/11), not the national date (10/11): the report is the demo commune's.
    expect(all.at(-1)!.text).toMatch(/Đã nộp báo cáo năm 2026 .*trễ hạn, hạn là 15\/11\/2026/);
    const [sub] = await t.database.db.select().from(submissions).innerJoin(units, eq(units.id, submissions.unitId));
    expect(sub!.submissions).toMatchObject({ status: "submitted", late: true });
    expect(sub!.units).toMatchObject({ scheme: "demo", code: "99001", name: "Xã Mẫu Một (dữ liệu thử)" });

    // The same clientId twice (a double click) is one message.
    const before = all.length;
    await fetch(`${s.url}/simulator/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ officerId, clientId: `client-${kind}-${n}`, text: "xem" }),
    });
    const after = (await (await fetch(`${s.url}/simulator/api/messages?officerId=${officerId}`)).json()) as { messages: unknown[] };
    expect(after.messages.length).toBe(before);
  });

  it("refuses to act as a real officer, or as a demo officer moved into a real unit, and bad requests get a 400, not a 500", async () => {
    const [real] = await t.database.db.insert(officers).values({ name: "Thật", phone: "84912999888", role: "commune", unitId: 1 }).returning();
    const res = await fetch(`${s.url}/simulator/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ officerId: real!.id, text: "báo cáo" }),
    });
    expect(res.status).toBe(404);
    // Still flagged demo but sitting in a real commune now (as an import could leave it): nobody's to play or to read.
    const [mai] = await t.database.db.select().from(officers).where(eq(officers.phone, "84900000001"));
    const [realCommune] = await t.database.db
      .select()
      .from(units)
      .where(and(eq(units.scheme, "post2025"), eq(units.code, "03388")));
    await t.database.db.update(officers).set({ unitId: realCommune!.id }).where(eq(officers.id, mai!.id));
    const moved = await fetch(`${s.url}/simulator/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ officerId: mai!.id, text: "báo cáo" }),
    });
    expect(moved.status).toBe(404);
    expect((await fetch(`${s.url}/simulator/api/messages?officerId=${mai!.id}`)).status).toBe(404);
    const { officers: listed } = (await (await fetch(`${s.url}/simulator/api/officers`)).json()) as { officers: { name: string }[] };
    expect(listed.map((o) => o.name)).toEqual(["Lò Văn Sáng", "Tẩn Thị Hoa", "Trần Văn Bình", "Phạm Minh Quân"]);
    const bad = await fetch(`${s.url}/simulator/api/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: "{oops" });
    expect(bad.status).toBe(400);
    const wrong = await fetch(`${s.url}/simulator/api/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ officerId: "x" }),
    });
    expect(wrong.status).toBe(400);
  });
});
