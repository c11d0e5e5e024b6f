import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { outbox } from "../../src/db/schema/index.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { callbackUpdate, startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadLaiChau } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

const clock = () => new Date("2026-11-23T03:00:00Z"); // 10:00 in Hà Nội

describe.each(dbKinds)("a province broadcasts a directive and sees who received and acknowledged it (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    await loadLaiChau(t.database);
    await addOfficers(
      t.database,
      [
        "name,phone,role,unit_code",
        "Mai,0912000001,commune,03388",
        "Sáng,0912000002,commune,03390",
        "Hoa,0912000003,commune,03405",
        "Chưa liên kết,0912000004,commune,03405",
      ].join("\n"),
    );
    for (const i of [1, 2, 3]) await linkOfficer(t.database, `8491200000${i}`, "telegram", String(600 + i));
    s = await startTestService(t, { telegram: tg, clock });
  });
  afterEach(() => s.service.stop());

  it("sends at once, takes 'Đã nhận' by button or by words, and reports each recipient", async () => {
    const res = await s.api("/api/broadcasts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        text: "Triển khai Công điện về phòng, chống đuối nước trẻ em dịp hè.",
        documentUrl: "https://example.gov.vn/cd-46.pdf",
        audience: { scheme: "post2025", rootCode: "12", roles: ["commune"] },
        requireAck: true,
      }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: number };
    // The API starts sending at once; the worker would pick up anything it left.
    // Until nothing is left to send (not until 3 have arrived, which would pass before a late duplicate), then exactly 3.
    await expect
      .poll(
        async () =>
          (await s.service.outbox.drainOnce(), await s.service.outbox.queuedCount()) +
          (await t.database.db.select({ id: outbox.id }).from(outbox).where(eq(outbox.status, "sending"))).length,
        { timeout: 20_000 },
      )
      .toBe(0);
    expect(tg.sent().length).toBe(3);

    const msg = tg.sent(601)[0]!;
    expect(String(msg.payload.text)).toMatch(/^📢 Triển khai Công điện/);
    expect(String(msg.payload.text)).toContain("https://example.gov.vn/cd-46.pdf");
    expect(JSON.stringify(msg.payload.reply_markup)).toContain(`"callback_data":"ack:${created.id}"`);

    await s.postUpdate(callbackUpdate(601, `ack:${created.id}`));
    expect(tg.texts(601).at(-1)).toMatch(/Đã ghi nhận/);
    await s.postUpdate(textUpdate(602, "Đã nhận ạ"));
    expect(tg.texts(602).at(-1)).toMatch(/Đã ghi nhận/);
    // Pressing again is harmless.
    await s.postUpdate(callbackUpdate(601, `ack:${created.id}`));
    expect(tg.texts(601).at(-1)).toMatch(/đã xác nhận văn bản này rồi/);

    const status = (await (await s.api(`/api/broadcasts/${created.id}`)).json()) as {
      counts: Record<string, number>;
      recipients: { name: string; status: string; acknowledgedAt: string | null }[];
    };
    expect(status.counts).toEqual({ acknowledged: 2, sent: 1, unreachable: 1 });
    expect(status.recipients.find((r) => r.name === "Mai")!.acknowledgedAt).not.toBeNull();
    expect(status.recipients.find((r) => r.name === "Chưa liên kết")!.status).toBe("unreachable");

    expect((await s.api("/api/broadcasts/99999")).status).toBe(404);
    const bad = await s.api("/api/broadcasts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "", audience: {} }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe("Yêu cầu không hợp lệ");
    const noAuth = await fetch(`${s.url}/api/broadcasts/${created.id}`);
    expect(noAuth.status).toBe(401);
  });

  it("a directive scheduled for later is planned at its time, not before", async () => {
    const res = await s.api("/api/broadcasts", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "Họp giao ban trực tuyến", audience: { scheme: "post2025", rootCode: "12" }, sendAt: "2026-11-24T08:00:00+07:00" }),
    });
    const created = (await res.json()) as { id: number; planned: boolean };
    expect(created.planned).toBe(false);
    await s.service.planners.planBroadcasts();
    await s.service.outbox.drainOnce();
    expect(tg.sent()).toHaveLength(0);
  });
});
