import { randomBytes } from "node:crypto";
import { asc, eq, gt } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, incidents, officers, periods, submissions, units, webSessions } from "../../src/db/schema/index.js";
import { sha256 } from "../../src/http/sessions.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * Case data is read on the web and through the API: a commune's report (abuse by form, sex and age,
 * child by child), the consolidated exports, urgent cases. Each read is in the audit log, and so is
 * each look-up that was refused — a case that does not exist or lies in someone else's area — which
 * still answers the same 404 either way.
 */

const T0 = new Date("2026-06-14T03:00:00Z"); // 10:00 in Vietnam, the H1 2026 period open
const OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Phòng LĐTBXH Tam Đường,0912000601,district,106,pre2025",
  "Cán bộ Thèn Sin,0912000602,commune,03394,pre2025",
  "Phòng LĐTBXH thành phố,0912000603,district,105,pre2025",
  "Sở LĐTBXH Lai Châu,0912000604,province,12,pre2025",
  "Cán bộ Noong Bua,0912000605,commune,03124,pre2025",
].join("\n");
const PHONES = { district: "84912000601", theSin: "84912000602", city: "84912000603", province: "84912000604", noongBua: "84912000605" } as const;
type Who = keyof typeof PHONES;
const THEN_SIN_CHAT = 9602;
/** Each page carries a fresh CSP nonce; apart from it two 404 pages must be the same bytes. */
const withoutNonce = (html: string) => html.replace(/nonce="[^"]*"/g, 'nonce=""');

describe.each(dbKinds)("every read of case data, and every refused look-up of a case, is in the audit log (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  const officer = async (who: Who) => (await t.database.db.select().from(officers).where(eq(officers.phone, PHONES[who])))[0]!;
  const unitId = async (code: string) => (await t.database.db.select().from(units).where(eq(units.code, code)))[0]!.id;
  /** A web session for an officer, as a sign-in leaves it (the cookie holds the id, the database its hash). */
  const sessionOf = async (who: Who) => {
    const sid = randomBytes(24).toString("base64url");
    await t.database.db.insert(webSessions).values({ idHash: sha256(sid), officerId: (await officer(who)).id, expiresAt: new Date(T0.getTime() + 3_600_000) });
    return `baocao_session=${sid}`;
  };
  const get = (path: string, cookie?: string) => fetch(`${s.url}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  /** The audit rows written after `since` (an id), as "actor action target detail" (detail's keys sorted: jsonb keeps its own order). */
  const auditSince = async (since: number) =>
    (await t.database.db.select().from(auditLog).where(gt(auditLog.id, since)).orderBy(asc(auditLog.id))).map((r) => {
      const keys = Object.keys(r.detail).sort();
      return `${r.actor} ${r.action} ${r.target}${keys.length ? ` ${JSON.stringify(r.detail, keys)}` : ""}`;
    });
  const lastAuditId = async () => (await t.database.db.select({ id: auditLog.id }).from(auditLog).orderBy(asc(auditLog.id))).at(-1)?.id ?? 0;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    tg.reset();
    await loadProvince(t.database, "pre2025", "12"); // Lai Châu
    await loadProvince(t.database, "pre2025", "11"); // Điện Biên, another province
    await addOfficers(t.database, OFFICERS);
    await linkOfficer(t.database, PHONES.theSin, "telegram", String(THEN_SIN_CHAT));
    s = await startTestService(t, { telegram: tg, clock: () => T0 });
  });
  afterEach(() => s.service.stop());

  it("a supervisor opening a commune's report leaves a 'submission.read' row, and so does the commune's own officer; a report outside one's area, or one that does not exist, answers 404 and leaves a refused row", async () => {
    const [period] = await t.database.db.select().from(periods).where(eq(periods.key, "2026-H1"));
    const theSin = await officer("theSin");
    const [sub] = await t.database.db
      .insert(submissions)
      .values({
        periodId: period!.id,
        unitId: theSin.unitId,
        officerId: theSin.id,
        formId: "child-affairs",
        formVersion: 2,
        status: "submitted",
        submittedAt: T0,
      })
      .returning();
    const district = await officer("district");
    const city = await officer("city");
    const since = await lastAuditId();

    const read = await get(`/submissions/${sub!.id}`, await sessionOf("district"));
    expect(read.status).toBe(200);
    expect(await read.text()).toContain("Xã Thèn Sin");
    expect((await get(`/submissions/${sub!.id}`, await sessionOf("theSin"))).status).toBe(200);
    // Another district's officer, and an id no report has (nor any integer column could hold).
    const cityCookie = await sessionOf("city");
    const outside = await get(`/submissions/${sub!.id}`, cityCookie);
    const missing = await get(`/submissions/99999999999`, cityCookie);
    expect([outside.status, missing.status]).toEqual([404, 404]);
    expect(withoutNonce(await outside.text())).toBe(withoutNonce(await missing.text()));

    expect(await auditSince(since)).toEqual([
      `officer:${district.id} submission.read submission:${sub!.id}`,
      `officer:${theSin.id} submission.read submission:${sub!.id}`,
      `officer:${city.id} submission.read_refused submission:${sub!.id}`,
      `officer:${city.id} submission.read_refused submission:99999999999`,
    ]);
  });

  it("a consolidated export through the API leaves an 'export' row naming who, what and the format — by session or by the API token; a refused export leaves none", async () => {
    const district = await officer("district");
    const since = await lastAuditId();
    const cookie = await sessionOf("district");

    const csv = await get("/api/periods/2026-H1/export.csv?unit=106&scheme=pre2025", cookie);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    await csv.arrayBuffer();
    const xlsx = await s.api("/api/periods/2026-H1/export.xlsx?unit=12&scheme=pre2025");
    expect(xlsx.status).toBe(200);
    await xlsx.arrayBuffer();
    // Outside the district: the 404 of a unit that does not exist, and nothing exported.
    expect((await get("/api/periods/2026-H1/export.csv?unit=105&scheme=pre2025", cookie)).status).toBe(404);

    expect(await auditSince(since)).toEqual([
      `officer:${district.id} export 2026-H1:pre2025:106 {"format":"csv","via":"api"}`,
      `admin-api-token export 2026-H1:pre2025:12 {"format":"xlsx","via":"api"}`,
    ]);
  });

  it("a province officer probing a ref that does not exist and another province's case gets the same 404 for both, on the page and on a form, and each probe leaves an 'incident.read_refused' row; their own province's case is read and audited", async () => {
    const noongBua = await officer("noongBua");
    const theSin = await officer("theSin");
    const province = await officer("province");
    // One case in Lai Châu (Thèn Sin), one in Điện Biên (Noong Bua), as filing them leaves them.
    await t.database.db.insert(incidents).values([
      { ref: "KC-2026-0001", unitId: theSin.unitId, reporterId: theSin.id, type: "duoi_nuoc", occurredAt: T0, place: "Bản Nà Khum", createdAt: T0 },
      {
        ref: "KC-2026-0002",
        unitId: await unitId("03124"),
        reporterId: noongBua.id,
        type: "bao_luc",
        occurredAt: T0,
        place: "Tổ 3",
        description: "Trẻ bị đánh",
        createdAt: T0,
      },
    ]);
    const cookie = await sessionOf("province");
    const since = await lastAuditId();

    const own = await get("/incidents/KC-2026-0001", cookie);
    expect(own.status).toBe(200);
    expect(await own.text()).toContain("Bản Nà Khum");
    const missing = await get("/incidents/KC-2026-9999", cookie);
    const elsewhere = await get("/incidents/kc-2026-0002", cookie);
    expect([missing.status, elsewhere.status]).toEqual([404, 404]);
    const missingHtml = await missing.text();
    expect(withoutNonce(await elsewhere.text())).toBe(withoutNonce(missingHtml));
    expect(missingHtml).not.toMatch(/Tổ 3|Trẻ bị đánh|Noong Bua/);
    // A form posted to the other province's case: refused like a case that does not exist.
    const note = await fetch(`${s.url}/incidents/KC-2026-0002/note`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded" },
      body: "text=xem+thử",
    });
    expect(note.status).toBe(404);

    // The rows are alike whichever way the ref was refused: the officer may read their own entries.
    expect(await auditSince(since)).toEqual([
      `officer:${province.id} incident.read KC-2026-0001`,
      `officer:${province.id} incident.read_refused KC-2026-9999 {"via":"web"}`,
      `officer:${province.id} incident.read_refused KC-2026-0002 {"via":"web"}`,
      `officer:${province.id} incident.read_refused KC-2026-0002 {"via":"note"}`,
    ]);
    // …and sees them in the audit log in words.
    const auditPage = await (await get("/audit?action=incident.read_refused", cookie)).text();
    expect(auditPage).toContain("Tra mã báo cáo khẩn không có hoặc không được xem");
    expect(auditPage).toContain("KC-2026-9999");
  });

  it("a province officer reading the audit log sees, in words, a district officer's report reads, exports, recipient-list downloads and decisions on Zalo links", async () => {
    const district = await officer("district");
    await t.database.db.insert(auditLog).values([
      { actor: `officer:${district.id}`, action: "submission.read", target: "submission:7" },
      { actor: `officer:${district.id}`, action: "submission.read_refused", target: "submission:8" },
      { actor: `officer:${district.id}`, action: "export", target: "2026-H1:pre2025:106", detail: { format: "csv", via: "api" } },
      { actor: `officer:${district.id}`, action: "broadcast.export", target: "broadcast:3", detail: { format: "csv" } },
      { actor: `officer:${district.id}`, action: "officer.link_approve", target: "officer:41" },
      { actor: `officer:${district.id}`, action: "officer.link_reject", target: "officer:42" },
    ]);
    const html = await (await get("/audit", await sessionOf("province"))).text();
    // The table's rows only: the filter's drop-down lists every label whether or not it was recorded.
    const rows = [...(html.match(/<table id="audit">[\s\S]*?<\/table>/)?.[0] ?? "").matchAll(/<tr><td>[\s\S]*?<\/tr>/g)].map((m) =>
      [...m[0].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)]
        .slice(2, 4)
        .map((c) => c[1])
        .join(" · "),
    );
    expect(rows).toEqual([
      "Từ chối liên kết tài khoản Zalo · officer:42",
      "Xác nhận liên kết tài khoản Zalo · officer:41",
      "Tải danh sách người nhận · broadcast:3",
      "Tải báo cáo tổng hợp · 2026-H1:pre2025:106",
      "Mở báo cáo không có hoặc không được xem · submission:8",
      "Xem báo cáo · submission:7",
    ]);
  });

  it("the API token asking for a ref that does not exist gets 404 and leaves a refused row; a commune officer asking on chat to update another province's case is told it is not found, and the look-up is audited", async () => {
    const noongBua = await officer("noongBua");
    const theSin = await officer("theSin");
    await t.database.db
      .insert(incidents)
      .values({ ref: "KC-2026-0002", unitId: await unitId("03124"), reporterId: noongBua.id, type: "bao_luc", occurredAt: T0, createdAt: T0 });
    const since = await lastAuditId();

    const res = await s.api("/api/incidents/KC-2026-9999");
    expect(res.status).toBe(404);
    // The one mapping of a use case's refusal for the API: the Vietnamese message and its code.
    expect(await res.json()).toEqual({ error: expect.any(String), code: "not_found" });
    expect((await s.api("/api/incidents/KC-2026-0002")).status).toBe(200);

    expect((await s.postUpdate(textUpdate(THEN_SIN_CHAT, "cập nhật KC-2026-0002"))).status).toBe(200);
    await expect.poll(() => tg.texts(THEN_SIN_CHAT).at(-1), { timeout: 20_000 }).toBe("Không tìm thấy KC-2026-0002 của đơn vị anh/chị.");

    expect(await auditSince(since)).toEqual([
      `admin-api-token incident.read_refused KC-2026-9999 {"via":"api"}`,
      "admin-api-token incident.read KC-2026-0002",
      `officer:${theSin.id} incident.read_refused KC-2026-0002 {"via":"chat"}`,
    ]);
  });
});
