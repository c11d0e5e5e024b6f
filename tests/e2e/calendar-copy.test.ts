import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { deadlineCalendars, officers, units, webSessions } from "../../src/db/schema/index.js";
import { sha256 } from "../../src/http/sessions.js";
import { useTestDb } from "../support/db.js";
import { addOfficers, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

describe("a one-year letter's calendar is offered as a copy for the next year", () => {
  const t = useTestDb("pglite");
  let s: TestService;
  afterAll(() => s?.service.stop());

  it(
    "Quảng Bình's 2024 calendar (Công văn 308/SLĐTBXH-BTTETN) is offered for 2025, prefilled a year on, and stored only when saved",
    { timeout: 60_000 },
    async () => {
      const now = new Date("2025-01-10T03:00:00Z");
      await loadProvince(t.database, "pre2025", "44");
      await addOfficers(t.database, "name,phone,role,unit_code,scheme\nSở LĐTBXH Quảng Bình,0912000441,province,44,pre2025\n");
      s = await startTestService(t, { clock: () => now });
      const [officer] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000441"));
      const sid = randomBytes(24).toString("base64url");
      await t.database.db.insert(webSessions).values({ idHash: sha256(sid), officerId: officer!.id, expiresAt: new Date(now.getTime() + 3_600_000) });
      const cookie = `baocao_session=${sid}`;
      const page = async (query: string) => (await fetch(`${s.url}/calendars?${query}`, { headers: { cookie } })).text();

      const offer = await page("template=child-affairs&unit=44&year=2025");
      expect(offer).toContain("Chép lịch năm 2024 sang năm 2025");
      const copy = await page("template=child-affairs&unit=44&year=2025&copy=1");
      expect(copy).toContain("Đã điền các hạn của năm 2024, lùi một năm.");
      expect(copy).toContain('name="due_H1_district" value="2025-05-15"');
      expect(copy).toContain('name="due_Y_commune" value="2025-11-05"');
      // Nothing is stored by looking.
      const [qb] = await t.database.db
        .select()
        .from(units)
        .where(and(eq(units.scheme, "pre2025"), eq(units.code, "44")));
      const of2025 = () =>
        t.database.db
          .select()
          .from(deadlineCalendars)
          .where(and(eq(deadlineCalendars.scopeUnitId, qb!.id), eq(deadlineCalendars.year, 2025)));
      expect(await of2025()).toEqual([]);

      const saved = await fetch(`${s.url}/calendars`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          template: "child-affairs",
          unit: "44",
          year: "2025",
          due_H1_commune: "2025-05-10",
          due_H1_district: "2025-05-15",
          due_Y_commune: "2025-11-05",
          due_Y_district: "2025-11-10",
          source: "Chép từ lịch năm 2024",
        }).toString(),
      });
      expect(saved.status).toBe(302);
      expect((await of2025()).map((r) => `${r.slot} ${r.level} ${r.deadline}`).sort()).toEqual([
        "H1 commune 2025-05-10",
        "H1 district 2025-05-15",
        "Y commune 2025-11-05",
        "Y district 2025-11-10",
      ]);
      // Once 2025 has its own, no copy is offered.
      expect(await page("template=child-affairs&unit=44&year=2025")).not.toContain("Chép lịch năm 2024");
    },
  );
});
