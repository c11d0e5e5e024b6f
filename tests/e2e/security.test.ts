import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { auditLog, broadcasts, documents, incidents, officers, periods, submissions, webSessions } from "../../src/db/schema/index.js";
import { createBroadcast } from "../../src/broadcasts/broadcasts.js";
import { sha256 } from "../../src/http/sessions.js";
import type { Database } from "../../src/db/client.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, textUpdate, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * The admin web and its JSON API against someone who should not get in: no session, a session
 * that has expired, a signed-in officer asking for another unit's ids, a form posted from another
 * site — and officer-typed HTML, which must come back as text wherever the web shows it.
 */

const T0 = new Date("2026-06-14T03:00:00Z"); // 10:00 in Vietnam, the H1 2026 period open
const OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Phòng LĐTBXH Tam Đường,0912000801,district,106,pre2025",
  "Phòng LĐTBXH thành phố,0912000802,district,105,pre2025",
  "Cán bộ Thèn Sin,0912000803,commune,03394,pre2025",
  "Cán bộ Quyết Thắng,0912000804,commune,03386,pre2025",
  "Quản trị Lai Châu,0912000809,admin,12,pre2025",
].join("\n");
const CHATS = { district: 9801, city: 9802, theSin: 9803, quyetThang: 9804, admin: 9809 } as const;
const PHONES = { district: "84912000801", city: "84912000802", theSin: "84912000803", quyetThang: "84912000804", admin: "84912000809" } as const;
type Who = keyof typeof PHONES;

/** What hono/jsx writes for text: the five characters HTML gives meaning, as entities. */
const escaped = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * Routes anyone may call without a session, each for a reason; every other route of the app must
 * send a stranger to sign in (pages) or answer 401 (API). A new route is protected unless added here.
 */
const PUBLIC = new Set([
  "GET /healthz", // load balancers
  "GET /readyz", // load balancers: ready or not, and why (no names, phones or text)
  "GET /metrics", // Prometheus: counters only, no names, phones or text
  "GET /api/openapi.json", // the API's description, no data
  "GET /api/docs",
  "GET /assets/chart.js",
  "GET /assets/baocao.js",
  "GET /assets/report-form.js", // the web form's script, a constant
  "GET /f/sw.js", // its service worker, a constant
  "GET /f/:token", // the link sent in chat is the credential (random, 24 h, one officer's one report)
  "GET /f/:token/state",
  "POST /f/:token/answers",
  "POST /f/:token/submit",
  "GET /favicon.svg", // the site's icon, a constant
  "GET /login",
  "POST /login",
  "POST /login/password",
  "GET /login/:token", // the one-time link is the credential: GET shows its confirm button
  "POST /login/:token", // …which spends it
  "POST /logout",
  "GET /",
  "GET /simulator", // demo officers only (the simulator refuses real ones)
  "GET /simulator/api/officers",
  "GET /simulator/api/messages",
  "POST /simulator/api/messages",
  "GET /documents/:key", // the random key sent in chat is the credential
  "POST /webhooks/telegram", // each checks its platform's secret or signature
  "POST /webhooks/zalo",
  "POST /webhooks/zalo-oa",
  "POST /internal/cli", // the per-run token in DATA_DIR/service.json
  "POST /internal/backup", // the same per-run token
]);

/** POST routes that are not forms of the web: machine APIs authenticated by their own token. */
const NOT_FORMS = new Set([
  "/webhooks/telegram",
  "/webhooks/zalo",
  "/webhooks/zalo-oa",
  "/api/broadcasts",
  // Bearer token only (a session cookie is not looked at), like the broadcasts API.
  "/api/templates",
  "/api/requests",
  "/api/requests/:id{[0-9]{1,9}}/remind",
  "/simulator/api/messages",
  "/internal/cli",
  "/internal/backup",
]);

/** A concrete path for a route pattern: ids that exist nowhere. */
const concrete = (path: string) =>
  path
    .replace(/:(\w+)\{[^}]*\}/g, ":$1")
    .replace(/:ref/g, "KC-2099-9999")
    .replace(/:periodId/g, "2026-H1")
    .replace(/:key|:token/g, "no-such-key")
    .replace(/:\w+/g, "999999");

/** Every table's content, hashed: "nothing changed" in one comparison. */
async function fingerprint(database: Database): Promise<Record<string, string>> {
  const tables = (await database.db.execute<{ tablename: string }>(
    sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
  )) as unknown as { rows: { tablename: string }[] };
  const out: Record<string, string> = {};
  for (const { tablename } of tables.rows) {
    const r = (await database.db.execute(
      sql.raw(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h from "${tablename}" t`),
    )) as unknown as { rows: { h: string }[] };
    out[tablename] = r.rows[0]!.h;
  }
  return out;
}

describe.each(dbKinds)("strangers, expired sessions, other units' ids and cross-site forms are refused; officer-typed HTML is shown as text (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  let now = T0;
  const id = async (who: Who) => (await t.database.db.select().from(officers).where(eq(officers.phone, PHONES[who])))[0]!;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    now = T0;
    tg.reset();
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(t.database, OFFICERS);
    for (const who of Object.keys(PHONES) as Who[]) await linkOfficer(t.database, PHONES[who], "telegram", String(CHATS[who]));
    s = await startTestService(t, { telegram: tg, clock: () => now });
  });
  afterEach(() => s.service.stop());

  /** A web session for an officer, as a sign-in would leave it (the cookie holds the id, the database its hash). */
  async function sessionOf(who: Who): Promise<string> {
    const sid = randomBytes(24).toString("base64url");
    await t.database.db.insert(webSessions).values({ idHash: sha256(sid), officerId: (await id(who)).id, expiresAt: new Date(now.getTime() + 3_600_000) });
    return `baocao_session=${sid}`;
  }
  const get = (path: string, cookie?: string) => fetch(`${s.url}${path}`, { redirect: "manual", headers: cookie ? { cookie } : {} });
  const postForm = (path: string, cookie: string | undefined, fields: Record<string, string> = {}, headers: Record<string, string> = { origin: s.url }) =>
    fetch(`${s.url}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", ...(cookie ? { cookie } : {}), ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const routes = () => {
    const seen = new Map<string, { method: string; path: string }>();
    for (const r of s.service.app.routes) if (r.method === "GET" || r.method === "POST") seen.set(`${r.method} ${r.path.replace(/\{[^}]*\}/g, "")}`, r);
    return [...seen].map(([key, r]) => ({ key, method: r.method, path: r.path }));
  };

  it("a visitor without a session, or with a made-up one, is sent to sign in on every page and gets a JSON 401 from every API route; forms posted without a session change nothing", async () => {
    const before = await fingerprint(t.database);
    const guarded = routes().filter((r) => !PUBLIC.has(r.key));
    // The enumeration found the whole admin web, not an empty list.
    expect(guarded.length).toBeGreaterThan(40);
    for (const cookie of [undefined, `baocao_session=${randomBytes(24).toString("base64url")}`]) {
      for (const r of guarded) {
        const path = concrete(r.path);
        const res = r.method === "GET" ? await get(path, cookie) : await postForm(path, cookie);
        const label = `${r.method} ${path} (${cookie ? "made-up session" : "no session"}) → ${res.status}`;
        if (path.startsWith("/api/")) {
          expect(res.status, label).toBe(401);
          expect(await res.json(), label).toEqual({ error: expect.any(String) });
        } else {
          expect(res.status, label).toBe(302);
          expect(res.headers.get("location"), label).toMatch(/^\/login(\?next=|$)/);
          await res.arrayBuffer();
        }
      }
    }
    expect(await fingerprint(t.database)).toEqual(before);
    expect(tg.sent()).toHaveLength(0);
  });

  it("a session ends 12 hours after sign-in: the same cookie then gets the sign-in page and 401s, and a form it posts changes nothing", async () => {
    // Signed in the real way: the phone, then the one-time link sent to the chat.
    expect((await postForm("/login", undefined, { phone: "0912000801" })).status).toBe(200);
    const link = new URL(/https?:\/\/\S+\/login\/\S+/.exec(tg.texts(CHATS.district).at(-1) ?? "")![0]);
    expect((await get(link.pathname)).status).toBe(200); // the confirm page
    const signedIn = await postForm(link.pathname, undefined);
    expect(signedIn.status).toBe(302);
    const setCookie = signedIn.headers.get("set-cookie")!;
    // The browser forgets it after 12 hours too; the database holds only its hash.
    expect(setCookie).toMatch(/Max-Age=43200/i);
    const cookie = setCookie.split(";")[0]!;
    const [row] = await t.database.db.select().from(webSessions);
    expect(row!.idHash).toBe(sha256(cookie.split("=")[1]!));

    const checks = ["/dashboard", "/broadcasts", "/api/periods", "/api/periods/2026-H1/status?unit=106&scheme=pre2025"];
    now = new Date(T0.getTime() + 12 * 3_600_000 - 60_000);
    for (const path of checks) expect((await get(path, cookie)).status, `${path} at 11:59`).toBe(200);

    now = new Date(T0.getTime() + 12 * 3_600_000 + 60_000);
    for (const path of checks) {
      const res = await get(path, cookie);
      if (path.startsWith("/api/")) expect(res.status, `${path} at 12:01`).toBe(401);
      else {
        expect(res.status, `${path} at 12:01`).toBe(302);
        expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent(path)}`);
      }
    }
    const before = await fingerprint(t.database);
    const remind = await postForm("/dashboard/remind", cookie, { unit: "03394" });
    expect(remind.status).toBe(302);
    expect(remind.headers.get("location")).toMatch(/^\/login/);
    expect(tg.texts(CHATS.theSin)).toHaveLength(0);
    expect(await fingerprint(t.database)).toEqual(before);
  });

  it("a district officer asking for another district's ids gets the same 404 as for ids that do not exist, on every JSON API route and on pages; the API's bearer-only routes ignore the session", async () => {
    const mine = await sessionOf("district");
    const city = await id("city");

    // What the other district has: a directive, an urgent case, a draft attachment, an audit trail.
    const theirs = await createBroadcast(
      t.database.db,
      { text: "Văn bản riêng của thành phố", audience: { scheme: "pre2025", rootCode: "105" }, requireAck: true },
      now,
    );
    for (const text of ["khẩn", "3", "bây giờ", "Bản Phan Lìn"]) await s.postUpdate(textUpdate(CHATS.quyetThang, text));
    const [theirCase] = await t.database.db.select().from(incidents);
    expect(theirCase).toBeDefined();
    const key = randomBytes(24).toString("base64url");
    await t.database.db
      .insert(documents)
      .values({ key, name: "du-thao.pdf", mime: "application/pdf", bytes: Buffer.from("%PDF-1.4 nháp"), size: 13, uploadedBy: city.id });
    await t.database.db.insert(auditLog).values([
      { actor: `officer:${city.id}`, action: "broadcast.create", target: `broadcast:${theirs.id}` },
      { actor: `officer:${city.id}`, action: "incident.read", target: theirCase!.ref },
    ]);

    // JSON API: own district (control), the other district, one of its communes, the province above, a code that does not exist.
    for (const route of ["status", "export.xlsx", "export.csv"]) {
      expect((await get(`/api/periods/2026-H1/${route}?unit=106&scheme=pre2025`, mine)).status, route).toBe(200);
      const missing = await get(`/api/periods/2026-H1/${route}?unit=99999&scheme=pre2025`, mine);
      expect(missing.status).toBe(404);
      const missingBody = ((await missing.json()) as { error: string }).error.replace("99999", "<code>");
      for (const [unit, scheme] of [
        ["105", "pre2025"],
        ["03386", "pre2025"],
        ["12", "pre2025"],
        ["12", "post2025"],
        ["VN", "pre2025"],
      ] as const) {
        const res = await get(`/api/periods/2026-H1/${route}?unit=${unit}&scheme=${scheme}`, mine);
        expect(res.status, `${route} ${unit} ${scheme}`).toBe(404);
        expect(((await res.json()) as { error: string }).error.replace(unit, "<code>"), `${route} ${unit}`).toBe(missingBody);
      }
    }
    // Directives and cases are read through the API with the bearer token only: a session gets 401,
    // and a wrong token does not fall back to the session.
    for (const path of [`/api/broadcasts/${theirs.id}`, `/api/incidents/${theirCase!.ref}`]) {
      const res = await get(path, mine);
      expect(res.status, path).toBe(401);
      expect(await res.json()).toEqual({ error: expect.any(String) });
      expect((await s.api(path)).status, `${path} with the token`).toBe(200);
    }
    const wrongToken = await fetch(`${s.url}/api/periods`, { headers: { cookie: mine, authorization: "Bearer wrong-token-0123456789" } });
    expect(wrongToken.status).toBe(401);
    expect(await wrongToken.json()).toEqual({ error: expect.any(String) });
    const forged = await fetch(`${s.url}/api/broadcasts`, {
      method: "POST",
      headers: { cookie: mine, "content-type": "application/json" },
      body: JSON.stringify({ text: "x", audience: { scheme: "pre2025", rootCode: "105" }, requireAck: false }),
    });
    expect(forged.status).toBe(401);
    expect(await t.database.db.select().from(broadcasts)).toHaveLength(1);

    // Pages not covered elsewhere: refused like a unit that does not exist, and nothing exported.
    for (const path of [
      "/dashboard/figures?unit=105",
      "/dashboard/export.xlsx?unit=105",
      "/units?code=105",
      "/officers?unit=105",
      `/broadcasts/${theirs.id}`,
      `/broadcasts/${theirs.id}/recipients.xlsx`,
      `/documents/${key}`,
    ]) {
      const res = await get(path, mine);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toMatch(/thành phố|Quyết Thắng|PDF/);
    }
    expect((await get("/dashboard/figures?unit=99999", mine)).status).toBe(404);
    // The whole country is the admins' view: a district gets the 404 of a unit that does not exist.
    for (const path of ["/dashboard?unit=VN", "/dashboard/figures?unit=VN", "/dashboard/export.xlsx?unit=VN"])
      expect((await get(path, mine)).status, path).toBe(404);
    // Exports of one's own subtree are audited; none of the refused units was exported.
    const exported = (await t.database.db.select().from(auditLog).where(eq(auditLog.action, "export"))).map((r) => r.target);
    expect(exported.filter((target) => /:(105|VN)$/.test(target))).toEqual([]);
    const admin = await sessionOf("admin");
    for (const path of ["/dashboard?unit=VN", "/dashboard/figures?unit=VN", "/dashboard/export.xlsx?unit=VN"])
      expect((await get(path, admin)).status, `${path} (admin)`).toBe(200);
    // Lists show only their own subtree.
    const lists = await Promise.all(["/broadcasts", "/incidents", "/audit"].map(async (p) => [p, await (await get(p, mine)).text()] as const));
    for (const [path, html] of lists) {
      expect(html, path).toContain("Phòng LĐTBXH Tam Đường"); // the page itself, signed in
      expect(html, path).not.toContain("Văn bản riêng của thành phố");
      expect(html, path).not.toContain(`>${theirCase!.ref}<`);
      expect(html, path).not.toContain("Phòng LĐTBXH thành phố");
    }
    // The other district sees its own (the control: the data is there to be leaked).
    const cityCookie = await sessionOf("city");
    expect(await (await get("/incidents", cityCookie)).text()).toContain(`>${theirCase!.ref}<`);
    expect(await (await get("/audit", cityCookie)).text()).toContain(`>${theirCase!.ref}<`);
    expect(await (await get("/broadcasts", cityCookie)).text()).toContain("Văn bản riêng của thành phố");
  });

  it("a form posted from another site is refused on every POST route of the web, whatever its content type, and changes nothing; the same form from the site itself goes through", async () => {
    const admin = await sessionOf("admin");
    const forms = routes().filter((r) => r.method === "POST" && !NOT_FORMS.has(r.path));
    expect(forms.length).toBeGreaterThan(30);
    const evil = "https://evil.example";
    const attempts: [string, Record<string, string>, () => BodyInit | undefined][] = [
      ["no Origin, no Sec-Fetch-Site", { "content-type": "application/x-www-form-urlencoded" }, () => "text=x"],
      ["Origin of another site", { origin: evil, "content-type": "application/x-www-form-urlencoded" }, () => "text=x"],
      ["Origin null (sandboxed frame)", { origin: "null", "content-type": "application/x-www-form-urlencoded" }, () => "text=x"],
      ["same host, another port", { origin: s.url.replace(/:\d+$/, ":1"), "content-type": "application/x-www-form-urlencoded" }, () => "text=x"],
      ["Sec-Fetch-Site cross-site", { "sec-fetch-site": "cross-site", "content-type": "application/x-www-form-urlencoded" }, () => "text=x"],
      [
        "Sec-Fetch-Site same-site (a sibling subdomain)",
        { "sec-fetch-site": "same-site", origin: "https://other.baocao.example", "content-type": "application/x-www-form-urlencoded" },
        () => "text=x",
      ],
      ["text/plain from another site", { origin: evil, "content-type": "text/plain" }, () => "text=x"],
      ["no content type from another site", { origin: evil }, () => undefined],
      [
        "multipart from another site",
        { origin: evil },
        () => {
          const f = new FormData();
          f.set("file", new Blob(["name,phone,role,unit_code\nX,0912999999,commune,03394\n"], { type: "text/csv" }), "o.csv");
          return f;
        },
      ],
    ];
    const before = await fingerprint(t.database);
    for (const r of forms) {
      const path = concrete(r.path);
      for (const [what, headers, body] of attempts) {
        const res = await fetch(`${s.url}${path}`, { method: "POST", redirect: "manual", headers: { cookie: admin, ...headers }, body: body() });
        // Hono's csrf() answers before any handler runs, with exactly this.
        expect([res.status, await res.text()], `${path}: ${what}`).toEqual([403, "Forbidden"]);
      }
    }
    expect(await fingerprint(t.database)).toEqual(before);
    expect(tg.sent()).toHaveLength(0);

    // The control: the same posts from the site's own page (Origin, or only Sec-Fetch-Site) reach the
    // handlers (which refuse the made-up ids in their own words). Signing out goes last.
    for (const r of forms.sort((a, b) => Number(a.path === "/logout") - Number(b.path === "/logout"))) {
      for (const headers of [{ origin: s.url }, { "sec-fetch-site": "same-origin" }] as Record<string, string>[]) {
        const res = await fetch(`${s.url}${concrete(r.path)}`, {
          method: "POST",
          redirect: "manual",
          headers: { cookie: admin, "content-type": "application/x-www-form-urlencoded", ...headers },
          body: "",
        });
        expect(await res.text(), `${r.path} from the site`).not.toBe("Forbidden");
      }
    }
  });

  it("officer-typed HTML is shown as text: names from a CSV import, a directive, a case note typed on chat, a return comment, and the audit log", async () => {
    const mine = await sessionOf("district");
    const evilName = `<img src=x onerror=alert('tên')>`;
    const expectText = (html: string, typed: string, where: string) => {
      expect(html, where).toContain(escaped(typed));
      expect(html, where).not.toContain(typed);
    };

    // A CSV with a name that is markup: the preview, the list and the dashboard show it as text.
    const csv = `name,phone,role,unit_code,scheme\n"${evilName}",0912000810,commune,03394,pre2025\n`;
    const upload = new FormData();
    upload.set("file", new Blob([csv], { type: "text/csv" }), "can-bo.csv");
    const preview = await fetch(`${s.url}/officers/import/preview`, { method: "POST", headers: { cookie: mine, origin: s.url }, body: upload });
    expect(preview.status).toBe(200);
    const previewHtml = await preview.text();
    expectText(previewHtml, evilName, "import preview");
    const content = /name="content" value="([^"]+)"/.exec(previewHtml)![1]!;
    expect((await postForm("/officers/import", mine, { name: "can-bo.csv", content })).status).toBeLessThan(400);
    const [added] = await t.database.db.select().from(officers).where(eq(officers.phone, "84912000810"));
    expect(added!.name).toBe(evilName);
    await linkOfficer(t.database, "84912000810", "telegram", "9810");
    expectText(await (await get("/officers", mine)).text(), evilName, "officers list");
    expectText(await (await get("/dashboard", mine)).text(), evilName, "dashboard");

    // A directive whose text is markup: its list, its page (with the officer above among the recipients).
    const directive = `<script>alert("văn bản")</script> Đề nghị các xã <b>khẩn trương</b> báo cáo`;
    const sent = await postForm("/broadcasts", mine, { text: directive, root: "106", requireAck: "on" });
    expect(sent.status).toBe(302);
    const page = sent.headers.get("location")!;
    expectText(await (await get("/broadcasts", mine)).text(), directive.slice(0, 80), "directive list");
    const detail = await (await get(page, mine)).text();
    expectText(detail, directive, "directive page");
    expectText(detail, evilName, "directive recipients");

    // A case filed on chat, then a note typed on chat ("cập nhật KC-…"): the district reads both as text.
    const place = `Bản <b>Nà</b> Khum`;
    for (const text of ["khẩn", "3", "bây giờ", place]) await s.postUpdate(textUpdate(CHATS.theSin, text));
    const [filed] = await t.database.db.select().from(incidents);
    const note = `<i>Đã</i> đưa trẻ đi khám <script>alert(1)</script>`;
    await s.postUpdate(textUpdate(CHATS.theSin, `cập nhật ${filed!.ref}`));
    await s.postUpdate(textUpdate(CHATS.theSin, note));
    const caseHtml = await (await get(`/incidents/${filed!.ref}`, mine)).text();
    expectText(caseHtml, place, "case place");
    expectText(caseHtml, note, "case note from chat");

    // A report returned with a comment that is markup: the history shows it as text.
    const [period] = await t.database.db.select().from(periods).where(eq(periods.key, "2026-H1"));
    const theSin = await id("theSin");
    const [sub] = await t.database.db
      .insert(submissions)
      .values({
        periodId: period!.id,
        unitId: theSin.unitId,
        officerId: theSin.id,
        formId: "child-affairs",
        formVersion: 2,
        status: "submitted",
        submittedAt: now,
      })
      .returning();
    const comment = `Sai số liệu <a href="https://evil.example">xem đây</a>`;
    expect((await postForm(`/submissions/${sub!.id}/return`, mine, { comment, questions: "3" })).status).toBe(302);
    expectText(await (await get(`/submissions/${sub!.id}`, mine)).text(), comment, "return comment");

    // The audit log names the officer who acted, as text.
    await t.database.db.insert(auditLog).values({ actor: `officer:${added!.id}`, action: "signin", target: "web" });
    const audit = await (await get("/audit", mine)).text();
    expectText(audit, evilName, "audit log");
    expect(
      await t.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.action, "broadcast.create"))),
    ).toHaveLength(1);
  });
});
