import { randomBytes } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { csrf } from "hono/csrf";
import { and, desc, eq, gt, inArray, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../db/client.js";
import { auditLog, channelLinks, loginTokens, officers, outbox, periods, units } from "../db/schema/index.js";
import { reminderTopic } from "../scheduler/planners.js";
import { findOfficerByPhone, type Officer } from "../directory/officers.js";
import { NATIONAL_CODE, nationalRoot, type ReportRoot } from "../directory/units.js";
import { normalizePhone } from "../domain/phone.js";
import { formatDateTime, formatDate, localDate } from "../domain/dates.js";
import { periodLabel } from "../domain/periods.js";
import { formatVietnameseNumber } from "../domain/numbers.js";
import { currentPeriod, getTemplate } from "../reporting/reporting-calendar.js";
import { periodStatus } from "../reporting/period-status.js";
import { DEFAULT_TEMPLATE_ID } from "../reporting/reporting-defaults.js";
import type { NewOutboxRow } from "../delivery/outbox.js";
import { recipientsOfUnits } from "../delivery/audience.js";
import { esc, nonceAttr, page } from "./html.js";
import { rateLimiter } from "hono-rate-limiter";
import { clientAddress, createProxyTrust } from "./client-address.js";
import { safeNextPath } from "./redirects.js";
import { createPasswordThrottle } from "./sign-in-throttle.js";
import { PAGE_SCRIPT } from "./page-script.js";
import { adminNav, inSubtree } from "./admin/kit.js";
import { sha256, type Sessions } from "./sessions.js";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { ReviewRefused, type ReviewService } from "../reporting/review.js";
import type { FormRegistry } from "../forms/form-registry.js";
import { consolidate, toXlsx } from "../reporting/consolidation.js";

const LINK_MINUTES = 10;

export interface WebDeps {
  db: Db;
  clock: () => Date;
  timeZone: string;
  /** This site's address for links sent in chat: PUBLIC_URL, else the service's own from its config — never the request's Host. */
  publicOrigin: () => string;
  /** Reverse proxies whose X-Forwarded-For is believed (TRUST_PROXY). */
  trustProxy: readonly string[];
  /** Queues the sign-in link to the officer's chat and sends it at once. */
  send: (rows: NewOutboxRow[]) => Promise<void>;
  review: ReviewService;
  forms: FormRegistry;
  /** Sends queued notices now (the review's message to the officer). */
  drainNotices: () => Promise<unknown>;
  sessions: Sessions;
  /** Warnings only admins can act on (Zalo OA tokens), shown atop their dashboard. */
  adminBanners?: () => Promise<string[]>;
}

const WINDOW_MS = 15 * 60_000;

/**
 * The officers' web pages: sign-in by a one-time link delivered to their linked chat, server-side
 * sessions (httpOnly, SameSite=Lax, Secure behind https), CSRF checks on every form, and pages that
 * show only the signed-in officer's subtree.
 */
export function mountWeb(deps: WebDeps) {
  const { db, clock } = deps;
  const isTrustedProxy = createProxyTrust(deps.trustProxy);
  const address = (c: Context) => clientAddress(c, isTrustedProxy);
  const phoneOf = async (c: Context) => normalizePhone(String((await c.req.parseBody()).phone ?? "")) ?? "";
  const tooMany = (c: Context) =>
    c.html(page("Đăng nhập", `<h1>Thử lại sau</h1><p>Anh/chị đã yêu cầu quá nhiều lần. Vui lòng thử lại sau 15 phút.</p><p><a href="/login">← Đăng nhập</a></p>`), 429);
  // Per client address (an office behind one NAT shares it: generous) and per account (each
  // request sends a chat message: 5 in 15 minutes). Entries expire with their window.
  const perAddress = rateLimiter({ windowMs: WINDOW_MS, limit: 30, standardHeaders: false, keyGenerator: (c) => `ip:${address(c)}`, handler: (c) => tooMany(c) });
  const perPhone = rateLimiter({
    windowMs: WINDOW_MS,
    limit: 5,
    standardHeaders: false,
    keyGenerator: async (c) => `phone:${await phoneOf(c)}`,
    skip: async (c) => (await phoneOf(c)) === "",
    handler: (c) => tooMany(c),
  });
  const passwords = createPasswordThrottle({ clock });
  const nextOf = (asked: unknown) => safeNextPath(asked, deps.publicOrigin());

  const currentOfficer = (c: Context) => deps.sessions.officer(c);
  const startSession = (c: Context, officerId: number) => deps.sessions.start(c, officerId);

  return (app: OpenAPIHono) => {
    // Forms are only accepted from this site's own pages (Origin / Sec-Fetch-Site checks).
    app.use("/login", csrf());
    app.use("/login/*", csrf());
    app.use("/logout", csrf());
    app.use("/submissions/*", csrf());
    app.use("/dashboard/remind", csrf());

    // Chart.js, served by baocao itself: deployments may have no internet.
    let chartJs: string | undefined;
    app.get("/assets/chart.js", (c) => {
      // The UMD build is not in the package's exports map: find it next to the main entry.
      chartJs ??= readFileSync(join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js"), "utf8");
      c.header("content-type", "text/javascript; charset=utf-8");
      c.header("cache-control", "public, max-age=86400");
      return c.body(chartJs);
    });
    app.get("/assets/baocao.js", (c) => {
      c.header("content-type", "text/javascript; charset=utf-8");
      c.header("cache-control", "public, max-age=3600");
      return c.body(PAGE_SCRIPT);
    });

    app.get("/login", (c) => {
      const next = esc(nextOf(c.req.query("next")));
      return c.html(
        page(
          "Đăng nhập",
          `<h1>Đăng nhập baocao</h1>
<form method="post" action="/login"><label>Số điện thoại đã đăng ký<br><input name="phone" inputmode="tel" autocomplete="tel" required></label>
<input type="hidden" name="next" value="${next}">
<p><button>Gửi đường dẫn đăng nhập</button></p></form>
<p class="note">baocao gửi đường dẫn (dùng một lần, trong ${LINK_MINUTES} phút) tới Telegram hoặc Zalo của anh/chị (cán bộ mẫu: tới khung chat mô phỏng).</p>
<h2>Quản trị viên</h2>
<form method="post" action="/login/password"><label>Số điện thoại<br><input name="phone" inputmode="tel" required></label><br>
<label>Mật khẩu<br><input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="${next}"><p><button>Đăng nhập</button></p></form>`,
        ),
      );
    });

    app.post("/login", perAddress, perPhone, async (c) => {
      const form = await c.req.parseBody();
      const phone = normalizePhone(String(form.phone ?? ""));
      const officer = phone ? await findOfficerByPhone(db, phone) : undefined;
      if (officer) {
        const [link] = (await recipientsOfUnits(db, [officer.unitId])).reachable.filter((r) => r.officerId === officer.id);
        if (link) {
          const token = randomBytes(24).toString("base64url");
          await db.insert(loginTokens).values({ tokenHash: sha256(token), officerId: officer.id, expiresAt: new Date(clock().getTime() + LINK_MINUTES * 60_000) });
          const next = nextOf(form.next);
          const url = `${deps.publicOrigin()}/login/${token}${next === "/dashboard" ? "" : `?next=${encodeURIComponent(next)}`}`;
          await deps.send([
            {
              officerId: officer.id,
              channel: link.channel,
              chatId: link.chatId,
              kind: "reply",
              // A link preview (or a scanner) opening the link only sees the confirm page: the link is spent by its button.
              payload: { text: `Đường dẫn đăng nhập baocao (dùng một lần, hết hạn sau ${LINK_MINUTES} phút):\n${url}\nNếu anh/chị không yêu cầu, hãy bỏ qua tin này.`, disablePreview: true },
            },
          ]);
        }
      }
      // The same answer whether or not the number is registered: nothing to learn here.
      return c.html(page("Đăng nhập", `<h1>Kiểm tra tin nhắn</h1><p>Nếu số điện thoại đã được đăng ký và liên kết, đường dẫn đăng nhập đã được gửi tới Telegram/Zalo của anh/chị.</p>`));
    });

    app.post("/login/password", perAddress, async (c) => {
      const form = await c.req.parseBody();
      const phone = normalizePhone(String(form.phone ?? ""));
      const account = `password:${phone ?? String(form.phone ?? "").slice(0, 40)}`;
      const wait = passwords.waitMs(account);
      if (wait > 0) {
        c.header("Retry-After", String(Math.ceil(wait / 1000)));
        return c.html(page("Đăng nhập", `<h1>Vui lòng đợi ${Math.ceil(wait / 1000)} giây</h1><p>Tài khoản này vừa bị nhập sai mật khẩu nhiều lần. Anh/chị thử lại sau ${Math.ceil(wait / 1000)} giây.</p><p><a href="/login">← Đăng nhập</a></p>`), 429);
      }
      const officer = phone ? await findOfficerByPhone(db, phone) : undefined;
      let ok = false;
      if (officer?.role === "admin" && officer.passwordHash) {
        // argon2 (a native addon) is loaded on the first password sign-in: most processes never see one.
        const { verify } = await import("@node-rs/argon2");
        ok = await verify(officer.passwordHash, String(form.password ?? "")).catch(() => false);
      }
      if (!ok || !officer) {
        passwords.failed(account);
        return c.html(page("Đăng nhập", `<h1>Sai số điện thoại hoặc mật khẩu</h1><p><a href="/login">Thử lại</a></p>`), 401);
      }
      passwords.succeeded(account);
      await startSession(c, officer.id);
      return c.redirect(nextOf(form.next));
    });

    const liveToken = async (token: string) => {
      const [row] = await db
        .select({ officerId: loginTokens.officerId })
        .from(loginTokens)
        .where(and(eq(loginTokens.tokenHash, sha256(token)), isNull(loginTokens.usedAt), gt(loginTokens.expiresAt, clock())));
      return row;
    };
    const spentPage = (c: Context) =>
      c.html(page("Đăng nhập", `<h1>Đường dẫn không còn dùng được</h1><p>Đường dẫn đã dùng hoặc đã hết hạn. <a href="/login">Yêu cầu đường dẫn mới</a>.</p>`), 410);

    // Opening the link only shows a button: chat apps' link previews and mail scanners fetch
    // links with GET, and must not spend a single-use link (or sign anybody in).
    app.get("/login/:token{[A-Za-z0-9_-]+}", async (c) => {
      const token = c.req.param("token");
      if (!(await liveToken(token))) return spentPage(c);
      return c.html(
        page(
          "Đăng nhập",
          `<h1>Đăng nhập baocao</h1><form method="post" action="/login/${esc(token)}"><input type="hidden" name="next" value="${esc(nextOf(c.req.query("next")))}"><p><button>Đăng nhập vào baocao</button></p></form>
<p class="note">Đường dẫn chỉ dùng được một lần. Nếu anh/chị không yêu cầu đăng nhập, hãy đóng trang này.</p>`,
        ),
      );
    });

    app.post("/login/:token{[A-Za-z0-9_-]+}", perAddress, async (c) => {
      const now = clock();
      const [used] = await db
        .update(loginTokens)
        .set({ usedAt: now })
        .where(and(eq(loginTokens.tokenHash, sha256(c.req.param("token"))), isNull(loginTokens.usedAt), gt(loginTokens.expiresAt, now)))
        .returning({ officerId: loginTokens.officerId });
      if (!used) return spentPage(c);
      await startSession(c, used.officerId);
      return c.redirect(nextOf((await c.req.parseBody()).next));
    });

    app.post("/logout", async (c) => {
      await deps.sessions.end(c);
      return c.redirect("/login");
    });

    app.get("/dashboard", async (c) => {
      const officer = await currentOfficer(c);
      if (!officer) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
      // Drill down only inside one's own subtree.
      const root = await unitInSubtree(officer, c.req.query("unit"));
      if (!root) return c.html(page("Không tìm thấy", "<h1>Không tìm thấy</h1>"), 404);
      const today = localDate(clock(), deps.timeZone);
      const template = await getTemplate(db, DEFAULT_TEMPLATE_ID);
      const current = template ? await currentPeriod(db, template, today) : undefined;
      if (!template || !current) return c.html(page("Tổng quan", "<h1>Chưa có kỳ báo cáo</h1>"));
      // Past periods are one click away.
      const opened = await db
        .select()
        .from(periods)
        .where(and(eq(periods.templateId, template.id), lte(periods.opensOn, today)))
        .orderBy(desc(periods.opensOn), desc(periods.endsOn))
        .limit(8);
      const period = opened.find((p) => p.key === c.req.query("period")) ?? current;
      const s = await periodStatus(db, period, root, today);
      const trend = await Promise.all(
        [...opened].reverse().map(async (p) => {
          const st = await periodStatus(db, p, root, today);
          return { key: p.key, rate: st.counts.units ? Math.round((100 * st.counts.submitted) / st.counts.units) : 0 };
        }),
      );

      // For communes: who the officers are, where they can be reached, and the last reminder.
      const communeCodes = s.children.filter((ch) => ch.level === "commune").map((ch) => ch.code);
      const people = communeCodes.length
        ? await db
            .select({ code: units.code, unitId: units.id, name: officers.name, channel: channelLinks.channel })
            .from(officers)
            .innerJoin(units, eq(units.id, officers.unitId))
            .leftJoin(channelLinks, eq(channelLinks.officerId, officers.id))
            .where(and(eq(units.scheme, root.scheme), inArray(units.code, communeCodes), eq(officers.active, true), eq(officers.role, "commune")))
        : [];
      const reminders = people.length
        ? await db
            .select({ topic: outbox.topic, last: sql<Date>`max(${outbox.sentAt})` })
            .from(outbox)
            .where(and(inArray(outbox.topic, [...new Set(people.map((p) => reminderTopic(period.id, p.unitId)))]), eq(outbox.status, "sent")))
            .groupBy(outbox.topic)
        : [];
      const lastReminder = (unitId: number | undefined) => {
        const r = unitId === undefined ? undefined : reminders.find((x) => x.topic === reminderTopic(period.id, unitId));
        return r?.last ? formatDateTime(new Date(r.last), deps.timeZone) : "—";
      };
      const channelName: Record<string, string> = { telegram: "Telegram", zalo_bot: "Zalo", zalo_oa: "Zalo OA", simulator: "mô phỏng" };
      const supervises = officer.role !== "commune";

      const statusText = (st?: string, late?: boolean | null) =>
        st === "submitted" ? `<span class="${late ? "late" : "ok"}">${late ? "Nộp trễ" : "Đúng hạn"}</span>` : st === "in_progress" ? "Đang làm" : st ? `<span class="missing">Chưa bắt đầu</span>` : "";
      const rows = s.children
        .map((ch) => {
          const mine = people.filter((p) => p.code === ch.code);
          const names = [...new Set(mine.map((p) => p.name))]
            .map((n) => `${esc(n)} <span class="note">${esc(mine.filter((p) => p.name === n && p.channel).map((p) => channelName[p.channel!] ?? p.channel).join(", ") || "chưa liên kết")}</span>`)
            .join("<br>");
          const unitId = mine[0]?.unitId;
          const canRemind = supervises && period.id === current.id && ch.level === "commune" && ch.status !== "submitted" && unitId !== undefined;
          const remind = canRemind
            ? `<form method="post" action="/dashboard/remind" class="inline"><input type="hidden" name="unit" value="${esc(ch.code)}"><button>Nhắc ngay</button></form>`
            : "";
          const nameCell =
            ch.level === "commune"
              ? ch.submissionId
                ? `<a href="/submissions/${ch.submissionId}">${esc(ch.name)}</a>`
                : esc(ch.name)
              : `<a href="/dashboard?unit=${esc(ch.code)}&period=${esc(period.key)}">${esc(ch.name)}</a>`;
          return `<tr><td>${esc(ch.code)}</td><td>${nameCell}</td><td>${ch.counts.submitted}/${ch.counts.units}</td><td>${statusText(ch.status, ch.late)}${ch.reviewStatus === "approved" ? " ✔ đã duyệt" : ch.reviewStatus === "returned" ? " ↩ trả lại" : ""}${ch.deadline ? ` <span class="note">hạn ${esc(formatDate(ch.deadline))}</span>` : ""}</td><td>${names}</td><td>${ch.level === "commune" ? esc(lastReminder(unitId)) : ""} ${remind}</td></tr>`;
        })
        .join("");
      const periodLinks = opened
        .map((p) => (p.id === period.id ? `<b>${esc(periodLabel(p.key))}</b>` : `<a href="/dashboard?unit=${esc(root.code)}&period=${esc(p.key)}">${esc(periodLabel(p.key))}</a>`))
        .join(" · ");
      return c.html(
        page(
          "Tổng quan",
          `${supervises ? adminNav() : ""}${officer.role === "admin" ? (await deps.adminBanners?.().catch(() => []) ?? []).map((b) => `<p class="missing" role="alert">⚠ ${esc(b)}</p>`).join("") : ""}<header><h1>${esc(root.name)} — ${esc(periodLabel(period.key))}</h1><form method="post" action="/logout"><button>Đăng xuất</button></form></header>
<p class="note">Kỳ báo cáo: ${periodLinks}${officer.role === "admin" && root.code !== NATIONAL_CODE ? ` · <a href="/dashboard?unit=${NATIONAL_CODE}&period=${esc(period.key)}">Toàn quốc</a>` : ""}</p>
<p>${esc(officer.name)} · Đã nộp <b>${s.counts.submitted}</b>/${s.counts.units} (đúng hạn ${s.counts.onTime}, trễ ${s.counts.late}) · đang làm ${s.counts.inProgress} · chưa bắt đầu ${s.counts.notStarted} · quá hạn ${s.counts.overdue}</p>
<p><a href="/dashboard/figures?unit=${esc(root.code)}&period=${esc(period.key)}">📊 Số liệu tổng hợp</a> · <a href="/dashboard/export.xlsx?unit=${esc(root.code)}&period=${esc(period.key)}">⬇ Tải báo cáo tổng hợp (XLSX)</a></p>
<div class="row"><div class="w30"><canvas id="chart" aria-label="Tình hình nộp báo cáo"></canvas></div><div class="w30"><canvas id="trend" aria-label="Tỷ lệ nộp qua các kỳ"></canvas></div></div>
<script src="/assets/chart.js"></script>
<script${nonceAttr()}>new Chart(document.getElementById('chart'),{type:'bar',data:{labels:['Đúng hạn','Trễ hạn','Đang làm','Chưa bắt đầu'],datasets:[{label:'Số xã',data:${JSON.stringify([s.counts.onTime, s.counts.late, s.counts.inProgress, s.counts.notStarted])},backgroundColor:['#0b6b3a','#b35c00','#5b7fa6','#a40000']}]},options:{animation:false,plugins:{legend:{display:false}}}});
new Chart(document.getElementById('trend'),{type:'line',data:{labels:${JSON.stringify(trend.map((x) => x.key))},datasets:[{label:'% đã nộp',data:${JSON.stringify(trend.map((x) => x.rate))},borderColor:'#0b6b3a'}]},options:{animation:false,scales:{y:{min:0,max:100}}}});</script>
<table><thead><tr><th>Mã</th><th>Đơn vị</th><th>Đã nộp</th><th>Tình trạng</th><th>Cán bộ (kênh)</th><th>Nhắc gần nhất</th></tr></thead><tbody>${rows}</tbody></table>`,
        ),
      );
    });

    app.post("/dashboard/remind", async (c) => {
      const officer = await currentOfficer(c);
      if (!officer) return c.redirect("/login");
      const body = await c.req.parseBody();
      const unit = await unitInSubtree(officer, String(body.unit ?? ""));
      if (!unit || officer.role === "commune" || unit.level !== "commune" || unit.id === officer.unitId) return c.html(page("Không tìm thấy", "<h1>Không tìm thấy</h1>"), 404);
      const template = await getTemplate(db, DEFAULT_TEMPLATE_ID);
      const period = template ? await currentPeriod(db, template, localDate(clock(), deps.timeZone)) : undefined;
      if (!period) return c.redirect("/dashboard");
      const { reachable } = await recipientsOfUnits(db, [unit.id], ["commune"]);
      const label = periodLabel(period.key);
      // One manual reminder per unit per minute, whatever the number of clicks.
      const minute = clock().toISOString().slice(0, 16);
      await deps.send(
        reachable.map((r) => ({
          officerId: r.officerId,
          channel: r.channel,
          chatId: r.chatId,
          kind: "reminder",
          topic: reminderTopic(period.id, unit.id),
          dedupeKey: `reminder:${period.id}:${unit.id}:manual:${minute}:${r.officerId}`,
          payload: { text: `${officer.name} nhắc: anh/chị ${r.name} vui lòng hoàn thành ${label}.`, choices: [{ value: "cmd:start", label: "📝 Làm báo cáo" }] },
        })),
      );
      await db.insert(auditLog).values({ actor: `officer:${officer.id}`, action: "reminder.manual", target: `${period.key}:${unit.code}` });
      return c.redirect(`/dashboard?unit=${encodeURIComponent(unit.parentCode ?? "")}`);
    });

    /**
     * The unit a signed-in officer asks about, if it is inside their subtree. Admins see the whole
     * country ("VN") and, from it, any province below.
     */
    async function unitInSubtree(officer: Officer, code: string | undefined): Promise<ReportRoot | undefined> {
      const [own] = await db.select().from(units).where(eq(units.id, officer.unitId));
      if (!own) return undefined;
      if (!code) return own;
      if (officer.role === "admin" && code === NATIONAL_CODE) return nationalRoot(own.scheme);
      const [u] = await db.select().from(units).where(and(eq(units.scheme, own.scheme), eq(units.code, code)));
      return u && (officer.role === "admin" || inSubtree(own, u)) ? u : undefined;
    }

    /** ?unit= (inside the subtree) and ?period= (one that has opened), else the current one. */
    async function askedUnitAndPeriod(c: Context, officer: Officer) {
      const unit = await unitInSubtree(officer, c.req.query("unit"));
      const template = await getTemplate(db, DEFAULT_TEMPLATE_ID);
      if (!template) return { unit };
      const today = localDate(clock(), deps.timeZone);
      const asked = c.req.query("period");
      const [chosen] = asked ? await db.select().from(periods).where(and(eq(periods.templateId, template.id), eq(periods.key, asked), lte(periods.opensOn, today))) : [];
      return { unit, template, period: chosen ?? (await currentPeriod(db, template, today)) };
    }

    app.get("/dashboard/export.xlsx", async (c) => {
      const officer = await currentOfficer(c);
      if (!officer) return c.redirect(`/login?next=${encodeURIComponent("/dashboard")}`);
      const { unit, template, period } = await askedUnitAndPeriod(c, officer);
      if (!unit || !period || !template) return c.html(page("Không tìm thấy", "<h1>Không tìm thấy</h1>"), 404);
      const file = await toXlsx(await consolidate(db, period, unit, deps.forms.latest(template.formId)));
      await db.insert(auditLog).values({ actor: `officer:${officer.id}`, action: "export", target: `${period.key}:${unit.scheme}:${unit.code}` });
      c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      c.header("content-disposition", `attachment; filename="baocao-${period.key}-${unit.code}.xlsx"`);
      return c.body(new Uint8Array(file));
    });

    app.get("/dashboard/figures", async (c) => {
      const officer = await currentOfficer(c);
      if (!officer) return c.redirect(`/login?next=${encodeURIComponent("/dashboard")}`);
      const { unit, template, period } = await askedUnitAndPeriod(c, officer);
      if (!unit || !period || !template) return c.html(page("Không tìm thấy", "<h1>Không tìm thấy</h1>"), 404);
      const r = await consolidate(db, period, unit, deps.forms.latest(template.formId));
      let section = "";
      const rows = r.items
        .map((i) => {
          const head = i.section !== section ? `<tr><th colspan="5">${esc((section = i.section))}</th></tr>` : "";
          return `${head}<tr><td>${esc(i.no)}</td><td>${esc(i.label)}</td><td>${esc(i.unit)}</td><td>${esc(formatVietnameseNumber(i.total))}</td><td>${i.previous === null ? "—" : esc(formatVietnameseNumber(i.previous))}</td></tr>`;
        })
        .join("");
      return c.html(
        page(
          "Số liệu tổng hợp",
          `<h1>${esc(r.form.title)} — ${esc(unit.name)}, ${esc(periodLabel(period.key))}</h1>
<p>Số xã đã nộp: <b>${r.included}/${r.communes}</b>${r.communes > r.included ? ` (còn thiếu ${r.communes - r.included})` : ""}; đã duyệt ${r.approved}${r.included > r.approved ? `, <span class="late">chưa duyệt ${r.included - r.approved} (*) — số liệu gồm cả báo cáo chưa duyệt</span>` : ""}</p>
<p><a href="/dashboard/export.xlsx?unit=${esc(unit.code)}&period=${esc(period.key)}">⬇ XLSX</a> · <a href="/dashboard?unit=${esc(unit.code)}&period=${esc(period.key)}">← Tổng quan</a></p>
<table><thead><tr><th>STT</th><th>Chỉ tiêu</th><th>ĐVT</th><th>${esc(periodLabel(period.key))}</th><th>${r.previous ? esc(periodLabel(r.previous.key)) : "Kỳ trước"}</th></tr></thead><tbody>${rows}</tbody></table>`,
        ),
      );
    });

    app.get("/submissions/:id", async (c) => {
      const officer = await currentOfficer(c);
      if (!officer) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
      const v = await deps.review.view(db, officer, Number(c.req.param("id")) || 0);
      if (!v) return c.html(page("Không tìm thấy", "<h1>Không tìm thấy</h1>"), 404);
      let section = "";
      const items = v.items
        .map((i) => {
          const head = i.section !== section ? `<tr><th colspan="3">${esc((section = i.section))}</th></tr>` : "";
          return `${head}<tr><td>${esc(i.number)}</td><td>${esc(i.label)}</td><td>${esc(i.answer)}</td></tr>`;
        })
        .join("");
      const history = v.history.map((h) => `<li>${esc(formatDateTime(h.at, deps.timeZone))} — ${esc(h.kind)}${h.by ? ` (${esc(h.by)})` : ""}${h.comment ? `: «${esc(h.comment)}»` : ""}${h.questions?.length ? ` — câu ${esc(h.questions.join(", "))}` : ""}</li>`).join("");
      const actions =
        v.supervises && v.submission.status === "submitted"
          ? `<form method="post" action="/submissions/${v.submission.id}/approve"><button>Duyệt báo cáo</button></form>
<form method="post" action="/submissions/${v.submission.id}/return"><p><label>Lý do trả lại<br><textarea name="comment" required rows="2" cols="60"></textarea></label></p>
<p><label>Các câu cần sửa (ví dụ 3, 12)<br><input name="questions"></label></p><button>Trả lại để sửa</button></form>`
          : "";
      return c.html(
        page(
          `${v.unit.name} — ${periodLabel(v.period.key)}`,
          `<h1>${esc(v.form.title)} — ${esc(v.unit.name)}</h1><p>${esc(periodLabel(v.period.key))} · Trạng thái: <b id="status">${esc(v.submission.status)}</b></p>
<table><thead><tr><th>Câu</th><th>Nội dung</th><th>Trả lời</th></tr></thead><tbody>${items}</tbody></table>
${actions}<h2>Lịch sử</h2><ul>${history}</ul><p><a href="/dashboard">← Tổng quan</a></p>`,
        ),
      );
    });

    for (const action of ["approve", "return"] as const) {
      app.post(`/submissions/:id/${action}`, async (c) => {
        const officer = await currentOfficer(c);
        if (!officer) return c.redirect("/login");
        const id = Number(c.req.param("id")) || 0;
        const body = await c.req.parseBody();
        const comment = String(body.comment ?? "").trim().slice(0, 1000);
        const questions = String(body.questions ?? "")
          .split(/[,;\s]+/)
          .map((x) => x.trim())
          .filter((x) => /^\d+(\.\d+)?$/.test(x));
        if (action === "return" && !comment) return c.html(page("Thiếu lý do", "<h1>Cần ghi lý do trả lại</h1>"), 400);
        try {
          await deps.review.decide(db, officer, id, action === "approve" ? { kind: "approved" } : { kind: "returned", comment, questions });
        } catch (err) {
          if (err instanceof ReviewRefused) return c.html(page("Không thực hiện được", `<h1>${esc(err.message)}</h1>`), err.message.startsWith("Không tìm thấy") ? 404 : 403);
          throw err;
        }
        await db.insert(auditLog).values({ actor: `officer:${officer.id}`, action: `submission.${action}`, target: `submission:${id}` });
        await deps.drainNotices();
        return c.redirect(`/submissions/${id}`);
      });
    }
  };
}
