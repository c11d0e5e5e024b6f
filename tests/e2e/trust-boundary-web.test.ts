import { request } from "node:http";
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { hash } from "@node-rs/argon2";
import JSZip from "jszip";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { officers, outbox, periods, units, webSessions } from "../../src/db/schema/index.js";
import { sha256 } from "../../src/http/sessions.js";
import { dbKinds, useTestDb } from "../support/db.js";
import { startFakeTelegram, type FakeTelegram } from "../support/fake-telegram.js";
import { addOfficers, linkOfficer, loadProvince } from "../support/fixtures.js";
import { startTestService, type TestService } from "../support/service.js";

/**
 * What a stranger on the internet tries against the web pages: a forged Host header, a redirect
 * to another site, a flood of sign-in requests, huge bodies, framing the pages, reading /metrics,
 * a spreadsheet formula in a unit name, a ZIP passed off as a Word file.
 */

const T0 = new Date("2026-06-14T03:00:00Z"); // 10:00 in Vietnam, the H1 2026 period open
const OFFICERS = [
  "name,phone,role,unit_code,scheme",
  "Phòng LĐTBXH Tam Đường,0912000701,district,106,pre2025",
  "Quản trị Lai Châu,0912000709,admin,12,pre2025",
].join("\n");
const DISTRICT_CHAT = 9701;
const ADMIN_PASSWORD = "a-long-enough-password";

/** A raw HTTP request: fetch may not set Host, and cannot declare a length it does not send. */
function raw(
  url: string,
  opts: { method?: string; path: string; headers?: Record<string, string | number>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: u.hostname, port: u.port, method: opts.method ?? "POST", path: opts.path, headers: opts.headers }, (res) => {
      answered = true;
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      const done = () => resolve({ status: res.statusCode!, headers: res.headers, text });
      res.on("end", done);
      // A server that refuses a body may close the socket while we still write it: the answer counts.
      res.on("close", done);
    });
    req.on("error", (err) => (answered ? undefined : reject(err)));
    if (opts.body !== undefined) req.write(opts.body);
    // A declared length larger than what is written: the server must answer without waiting for the rest.
    if (opts.headers?.["content-length"] === undefined || opts.body?.length === Number(opts.headers["content-length"])) req.end();
  });
}

describe.each(dbKinds)("strangers get nothing from the web's edges: links, redirects, rate limits, headers, bodies, metrics, files (%s)", (kind) => {
  const t = useTestDb(kind);
  let tg: FakeTelegram;
  let s: TestService;
  let now = T0;

  beforeAll(async () => {
    tg = await startFakeTelegram();
  });
  afterAll(() => tg.close());
  beforeEach(async () => {
    now = T0;
    tg.reset();
    await loadProvince(t.database, "pre2025", "12");
    await addOfficers(t.database, OFFICERS);
    await linkOfficer(t.database, "84912000701", "telegram", String(DISTRICT_CHAT));
    await t.database.db
      .update(officers)
      .set({ passwordHash: await hash(ADMIN_PASSWORD) })
      .where(eq(officers.phone, "84912000709"));
  });
  afterEach(() => s?.service.stop());

  const start = async (env: Record<string, string> = {}) => {
    s = await startTestService(t, { telegram: tg, clock: () => now, env });
    return s;
  };
  const form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${s.url}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const lastLink = () => /https?:\/\/\S+\/login\/\S+/.exec(tg.texts(DISTRICT_CHAT).at(-1) ?? "")?.[0];
  const sessionCookie = async (phone: string) => {
    const sid = randomBytes(24).toString("base64url");
    const [o] = await t.database.db.select().from(officers).where(eq(officers.phone, phone));
    await t.database.db.insert(webSessions).values({ idHash: sha256(sid), officerId: o!.id, expiresAt: new Date(now.getTime() + 3_600_000) });
    return `baocao_session=${sid}`;
  };

  it("a sign-in link names the configured address, never the Host a request claims, and is sent without a link preview", async () => {
    await start();
    const body = new URLSearchParams({ phone: "0912000701" }).toString();
    const res = await raw(s.url, {
      path: "/login",
      headers: {
        host: "evil.example",
        origin: "http://evil.example",
        "content-type": "application/x-www-form-urlencoded",
        "content-length": Buffer.byteLength(body),
      },
      body,
    });
    // csrf() compares Origin with the Host it was sent to: a forged pair passes that check, and must still not steer the link.
    expect(res.status).toBe(200);
    await expect.poll(() => lastLink(), { timeout: 20_000 }).toBeDefined();
    expect(new URL(lastLink()!).origin).toBe(s.url);
    expect(lastLink()).not.toContain("evil.example");
    const [row] = await t.database.db
      .select()
      .from(outbox)
      .where(eq(outbox.chatId, String(DISTRICT_CHAT)));
    expect((row!.payload as { disablePreview?: boolean }).disablePreview).toBe(true);
    await s.service.stop();

    tg.reset();
    await start({ PUBLIC_URL: "https://baocao.laichau.example" });
    await raw(s.url, {
      path: "/login",
      headers: {
        host: "evil.example",
        origin: "http://evil.example",
        "content-type": "application/x-www-form-urlencoded",
        "content-length": Buffer.byteLength(body),
      },
      body,
    });
    await expect.poll(() => lastLink(), { timeout: 20_000 }).toMatch(/^https:\/\/baocao\.laichau\.example\/login\/[A-Za-z0-9_-]+$/);
  });

  it("a redirect after sign-in stays on this site: '/\\evil.example/x', '//evil.example', 'https://evil.example' all land on /dashboard; a path of this site is kept", async () => {
    await start();
    for (const next of ["/\\evil.example/x", "//evil.example/x", "https://evil.example/x", "javascript:alert(1)", "/\tevil"]) {
      const page = await (await fetch(`${s.url}/login?next=${encodeURIComponent(next)}`)).text();
      expect(page, next).toContain('name="next" value="/dashboard"');
    }
    // Three links (each phone may ask for five in 15 minutes).
    for (const next of ["/\\evil.example/x", "//evil.example/x", "https://evil.example/x"]) {
      tg.reset();
      expect((await form("/login", { phone: "0912000701", next })).status).toBe(200);
      await expect.poll(() => lastLink(), { timeout: 20_000 }).toBeDefined();
      const link = new URL(lastLink()!);
      expect(link.search, next).toBe("");
      // Even a next given straight to the confirm form is checked again.
      const signedIn = await form(link.pathname, { next });
      expect(signedIn.status).toBe(302);
      expect(signedIn.headers.get("location"), next).toBe("/dashboard");
    }
    tg.reset();
    await form("/login", { phone: "0912000701", next: "/incidents?x=1" });
    await expect.poll(() => lastLink(), { timeout: 20_000 }).toBeDefined();
    const link = new URL(lastLink()!);
    expect(link.searchParams.get("next")).toBe("/incidents?x=1");
    const confirm = await (await fetch(`${s.url}${link.pathname}${link.search}`)).text();
    expect(confirm).toContain('name="next" value="/incidents?x=1"');
    const signedIn = await form(link.pathname, { next: "/incidents?x=1" });
    expect(signedIn.headers.get("location")).toBe("/incidents?x=1");
    // The password form is checked the same way.
    const admin = await form("/login/password", { phone: "0912000709", password: ADMIN_PASSWORD, next: "/\\evil.example" });
    expect(admin.status).toBe(302);
    expect(admin.headers.get("location")).toBe("/dashboard");
  });

  it("rate limits follow the socket's address (a new X-Forwarded-For per request buys nothing) and each phone; one officer's limit leaves others alone", async () => {
    await start();
    // Five links for one phone, then 429 for that phone only.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await form("/login", { phone: "0912000701" }, { "x-forwarded-for": `203.0.113.${i}` })).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await form("/login", { phone: "0912000799" })).status).toBe(200);
    // Thirty requests from one address in 15 minutes, whatever the header claims; then 429 for it.
    const flood: number[] = [];
    for (let i = 0; i < 26; i++)
      flood.push((await form("/login", { phone: `09120010${String(i).padStart(2, "0")}` }, { "x-forwarded-for": `198.51.100.${i}` })).status);
    // 7 requests above + 23 here = 30 allowed, then refused.
    expect(flood.filter((st) => st === 200)).toHaveLength(23);
    expect(flood.slice(23)).toEqual([429, 429, 429]);
  });

  it("behind a proxy named in TRUST_PROXY, each client behind it has its own bucket", async () => {
    await start({ TRUST_PROXY: "loopback" });
    for (let i = 0; i < 30; i++)
      expect((await form("/login", { phone: `09120020${String(i).padStart(2, "0")}` }, { "x-forwarded-for": "203.0.113.7" })).status).toBe(200);
    expect((await form("/login", { phone: "0912002099" }, { "x-forwarded-for": "203.0.113.7" })).status).toBe(429);
    // The left-most entry is whatever the client wrote; the proxy appends the address it saw.
    expect((await form("/login", { phone: "0912002098" }, { "x-forwarded-for": "1.2.3.4, 203.0.113.7" })).status).toBe(429);
    expect((await form("/login", { phone: "0912002097" }, { "x-forwarded-for": "203.0.113.8" })).status).toBe(200);
  });

  it("wrong passwords slow that account down with a growing delay, and the real admin signs in once it has passed; nobody is locked out for 15 minutes", async () => {
    await start();
    const attempt = (password: string) => form("/login/password", { phone: "0912000709", password });
    for (let i = 0; i < 3; i++) expect((await attempt("wrong")).status).toBe(401);
    // Three free failures, then the account waits 1 s, 2 s, 4 s … before a password is checked at all.
    const waiting = await attempt(ADMIN_PASSWORD);
    expect(waiting.status).toBe(429);
    expect(waiting.headers.get("retry-after")).toBe("1");
    expect(await waiting.text()).toContain("Vui lòng đợi 1 giây");
    now = new Date(now.getTime() + 1_000);
    expect((await attempt("wrong")).status).toBe(401);
    expect((await attempt(ADMIN_PASSWORD)).headers.get("retry-after")).toBe("2");
    now = new Date(now.getTime() + 2_000);
    const good = await attempt(ADMIN_PASSWORD);
    expect(good.status).toBe(302);
    // Another account was never slowed.
    expect((await form("/login/password", { phone: "0912000701", password: "wrong" })).status).toBe(401);
  });

  it("every page is sent with a CSP that allows only its own scripts and styles (by nonce), no framing, nosniff, no referrer, and pages with report data are never cached", async () => {
    await start();
    const login = await fetch(`${s.url}/login`);
    const csp = login.headers.get("content-security-policy")!;
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=_-]+'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(login.headers.get("x-content-type-options")).toBe("nosniff");
    expect(login.headers.get("referrer-policy")).toBe("no-referrer");
    expect(login.headers.get("x-frame-options")).toBe("DENY");
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(await login.text()).toContain(`<style nonce="${nonce}">`);

    const cookie = await sessionCookie("84912000701");
    const dashboard = await fetch(`${s.url}/dashboard`, { headers: { cookie } });
    expect(dashboard.status).toBe(200);
    expect(dashboard.headers.get("cache-control")).toBe("no-store");
    const pageNonce = /'nonce-([^']+)'/.exec(dashboard.headers.get("content-security-policy")!)![1]!;
    expect(pageNonce).not.toBe(nonce);
    const html = await dashboard.text();
    // The chart's inline script runs only because it carries this response's nonce.
    expect(html).toContain(`<script nonce="${pageNonce}">new Chart(`);
    expect(html).not.toMatch(/<script>|onsubmit=|javascript:/);
    for (const path of ["/dashboard/figures", "/dashboard/export.xlsx"])
      expect((await fetch(`${s.url}${path}`, { headers: { cookie } })).headers.get("cache-control"), path).toBe("no-store");
    expect((await s.api("/api/periods/2026-H1/status?unit=12&scheme=pre2025")).headers.get("cache-control")).toBe("no-store");
    // No page relies on what the CSP forbids: every <script>/<style> carries the nonce, no inline handlers or style attributes.
    const admin = await sessionCookie("84912000709");
    for (const path of [
      "/dashboard",
      "/broadcasts",
      "/broadcasts/new",
      "/campaigns",
      "/incidents",
      "/officers",
      "/units",
      "/calendars",
      "/audit",
      "/api/docs",
      "/login",
    ]) {
      const res = await fetch(`${s.url}${path}`, { headers: { cookie: admin } });
      expect(res.status, path).toBe(200);
      const n = /'nonce-([^']+)'/.exec(res.headers.get("content-security-policy")!)![1]!;
      const body = await res.text();
      for (const tag of body.match(/<(script|style)\b[^>]*>/g) ?? [])
        expect(tag.includes(`nonce="${n}"`) || / src="\/assets\//.test(tag), `${path}: ${tag}`).toBe(true);
      expect(body, path).not.toMatch(/\sstyle="|\son[a-z]+="|javascript:/);
    }
    // Static assets may be cached; they hold no data.
    expect((await fetch(`${s.url}/assets/chart.js`)).headers.get("cache-control")).toMatch(/max-age/);
  });

  it("a body past the route's limit is refused with 413 and a Vietnamese message before it is read: 150 MB declared to /login, 200 KB to the simulator and to a form", async () => {
    await start();
    const started = Date.now();
    // Declares 150 MB, sends 10 bytes: the answer comes at once, so the body was never awaited.
    const huge = await raw(s.url, {
      path: "/login",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url, "content-length": 150 * 1024 * 1024 },
      body: "phone=0912",
    });
    expect(huge.status).toBe(413);
    expect(huge.text).toContain("Nội dung gửi lên quá lớn");
    expect(Date.now() - started).toBeLessThan(20_000);
    const json = JSON.stringify({ officerId: 1, text: "x".repeat(200_000) });
    const sim = await raw(s.url, {
      path: "/simulator/api/messages",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(json) },
      body: json,
    });
    expect(sim.status).toBe(413);
    expect((JSON.parse(sim.text) as { error: string }).error).toBe("Nội dung gửi lên quá lớn");
    const cookie = await sessionCookie("84912000701");
    const comment = `comment=${"x".repeat(200_000)}`;
    const big = await raw(s.url, {
      path: "/submissions/1/return",
      headers: { cookie, origin: s.url, "content-type": "application/x-www-form-urlencoded", "content-length": comment.length },
      body: comment,
    });
    expect(big.status).toBe(413);
    expect(big.text).toContain("Nội dung gửi lên quá lớn");
    // A chunked body (no length declared) is cut off as it streams.
    const chunked = await fetch(`${s.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: s.url },
      body: new ReadableStream({
        pull(ctl) {
          ctl.enqueue(new TextEncoder().encode("x".repeat(16 * 1024)));
        },
      }),
      duplex: "half",
    } as RequestInit).catch((err: unknown) => err);
    if (chunked instanceof Response) expect(chunked.status).toBe(413);
    else expect(String(chunked)).toMatch(/fetch failed|other side closed|aborted|reset/i);
    // Ordinary forms still work.
    expect((await form("/login", { phone: "0912000701" })).status).toBe(200);
  });

  it("/metrics asks for METRICS_TOKEN when one is set", async () => {
    await start({ METRICS_TOKEN: "metrics-token-0123456789" });
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: "Bearer wrong-token-0123456789" } })).status).toBe(401);
    const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: "Bearer metrics-token-0123456789" } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain("baocao_http_requests_total");
  });

  it("a unit named like a spreadsheet formula comes out of the consolidation CSV as text, and the CSV has a BOM and CRLF lines", async () => {
    await start();
    await t.database.db
      .update(units)
      .set({ name: '=HYPERLINK("http://evil.example","Bấm")' })
      .where(sql`${units.scheme} = 'pre2025' and ${units.code} = '106'`);
    const [period] = await t.database.db.select().from(periods).where(eq(periods.key, "2026-H1"));
    expect(period).toBeDefined();
    const res = await s.api("/api/periods/2026-H1/export.csv?unit=12&scheme=pre2025");
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString("utf8");
    expect(text).toContain("\r\n");
    const line = text.split("\r\n").find((l) => l.startsWith("106,"))!;
    expect(line).toContain(`"'=HYPERLINK(""http://evil.example"",""Bấm"")"`);
    expect(text).not.toMatch(/(^|,)"?=HYPERLINK/m);
  });

  it("a directive's DOCX must be a Word file: any ZIP renamed .docx is refused, a real one is accepted", async () => {
    await start();
    const cookie = await sessionCookie("84912000701");
    const upload = async (name: string, bytes: Uint8Array) => {
      const body = new FormData();
      body.set("text", "Văn bản thử");
      body.set("root", "106");
      body.set("document", new File([Buffer.from(bytes)], name));
      return fetch(`${s.url}/broadcasts/preview`, { method: "POST", headers: { cookie, origin: s.url }, body });
    };
    const notWord = new JSZip();
    notWord.file("readme.txt", "not a Word file");
    const refused = await upload("chi-dao.docx", await notWord.generateAsync({ type: "uint8array" }));
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("không phải PDF hoặc DOCX");

    const word = new JSZip();
    word.file("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>');
    word.file(
      "word/document.xml",
      '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>',
    );
    const accepted = await upload("chi-dao.docx", await word.generateAsync({ type: "uint8array" }));
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toContain("chi-dao.docx");
  });
});
