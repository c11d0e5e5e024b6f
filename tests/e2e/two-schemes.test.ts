import { randomBytes } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { officers, periods, submissions, units, webSessions } from "../../src/db/schema/index.js";
import { sha256 } from "../../src/http/sessions.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { addOfficers, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * Lai Châu exists twice: the tree before the 1/7/2025 reform (province 12, eight districts, 106
 * communes) and the one after (province 12, 38 communes), with the same codes meaning other
 * places: commune 03388 is Phường Quyết Tiến before, Phường Đoàn Kết after. Each officer sees her
 * own tree only, though every code she could type also exists in the other.
 */
const NOW = new Date("2026-06-14T03:00:00Z"); // 10:00 in Vietnam, the first half of 2026 open
const OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Sở Lai Châu cũ,0912000601,province,12,pre2025",
  "Sở Lai Châu mới,0912000602,province,12,post2025",
  "Phòng LĐTBXH thành phố,0912000603,district,105,pre2025",
  "Cán bộ Quyết Tiến,0912000604,commune,03388,pre2025",
  "Cán bộ Đoàn Kết,0912000605,commune,03388,post2025",
].join("\n");

describe.each(dbKinds)("two trees with the same codes, before and after the reform (%s)", (kind) => {
  const t = useTestDb(kind);
  let s: TestService;
  beforeEach(async () => {
    await loadProvince(t.database, "pre2025", "12");
    await loadProvince(t.database, "post2025", "12");
    await addOfficers(t.database, OFFICERS);
    s = await startTestService(t, { clock: () => NOW });
  });
  afterEach(() => s.service.stop());

  const cookieOf = async (phone: string) => {
    const sid = randomBytes(24).toString("base64url");
    const [o] = await t.database.db.select().from(officers).where(eq(officers.phone, phone));
    await t.database.db.insert(webSessions).values({ idHash: sha256(sid), officerId: o!.id, expiresAt: new Date(NOW.getTime() + 3_600_000) });
    return `baocao_session=${sid}`;
  };
  const get = async (cookie: string, path: string) => {
    const res = await fetch(`${s.url}${path}`, { headers: { cookie } });
    return { status: res.status, html: await res.text() };
  };

  it("each province officer's officers, units and dashboard are of her own tree only", async () => {
    const before = await cookieOf("84912000601");
    const after = await cookieOf("84912000602");

    // The roster: each sees her own commune officer, never the other tree's (same commune code).
    const rosterBefore = await get(before, "/officers");
    const rosterAfter = await get(after, "/officers");
    expect(rosterBefore.status).toBe(200);
    expect(rosterAfter.status).toBe(200);
    expect(rosterBefore.html).toContain("Cán bộ Quyết Tiến");
    expect(rosterBefore.html).not.toContain("Cán bộ Đoàn Kết");
    expect(rosterAfter.html).toContain("Cán bộ Đoàn Kết");
    expect(rosterAfter.html).not.toContain("Cán bộ Quyết Tiến");
    expect(rosterAfter.html).not.toContain("Phòng LĐTBXH thành phố");

    // The unit tree: the old province lists its eight districts, the new one its 38 communes.
    const treeBefore = await get(before, "/units");
    const treeAfter = await get(after, "/units");
    expect(treeBefore.html).toContain("Thành phố Lai Châu");
    expect(treeBefore.html).not.toContain("Phường Đoàn Kết");
    expect(treeAfter.html).toContain("Phường Đoàn Kết");
    expect(treeAfter.html).not.toContain("Thành phố Lai Châu");
    // Code 105 is a district of the old tree only: asking for it in the new tree finds nothing.
    expect((await get(after, "/units?code=105")).status).toBe(404);
    expect((await get(before, "/units?code=105")).status).toBe(200);

    // The dashboard counts the communes of her own tree.
    expect((await get(before, "/dashboard")).html).toMatch(/Đã nộp <b>0<\/b>\/106\b/);
    expect((await get(after, "/dashboard")).html).toMatch(/Đã nộp <b>0<\/b>\/38\b/);
  });

  it("a district officer of the old tree, and the new province, cannot open the other tree's report of commune 03388", async () => {
    const db = t.database.db;
    const [period] = await db.select().from(periods).where(eq(periods.key, "2026-H1"));
    const reportOf = async (scheme: "pre2025" | "post2025", phone: string) => {
      const [unit] = await db
        .select()
        .from(units)
        .where(and(eq(units.scheme, scheme), eq(units.code, "03388")));
      const [officer] = await db.select().from(officers).where(eq(officers.phone, phone));
      const [sub] = await db
        .insert(submissions)
        .values({
          periodId: period!.id,
          unitId: unit!.id,
          officerId: officer!.id,
          formId: "child-affairs",
          formVersion: 2,
          status: "submitted",
          submittedAt: NOW,
        })
        .returning();
      return sub!.id;
    };
    const oldReport = await reportOf("pre2025", "84912000604");
    const newReport = await reportOf("post2025", "84912000605");

    const city = await cookieOf("84912000603");
    const after = await cookieOf("84912000602");
    const opened = await get(city, `/submissions/${oldReport}`);
    expect(opened.status).toBe(200);
    expect(opened.html).toContain("Phường Quyết Tiến");
    expect((await get(city, `/submissions/${newReport}`)).status).toBe(404);
    expect((await get(after, `/submissions/${newReport}`)).status).toBe(200);
    expect((await get(after, `/submissions/${oldReport}`)).status).toBe(404);
    // The dashboard of each counts its own tree's report, once.
    expect((await get(city, "/dashboard")).html).toMatch(/Đã nộp <b>1<\/b>\//);
    expect((await get(after, "/dashboard")).html).toMatch(/Đã nộp <b>1<\/b>\/38\b/);
  });
});
