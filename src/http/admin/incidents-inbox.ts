import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, desc, eq, inArray, ne } from "drizzle-orm";
import { auditLog, incidents, officers, units } from "../../db/schema/index.js";
import { ancestorsOf } from "../../directory/units.js";
import { INCIDENT_TYPES } from "../../incidents/incident-flow.js";
import { legalClocks } from "../../incidents/incident-service.js";
import { formatDate, formatDateTime } from "../../domain/dates.js";
import { localTime } from "../../domain/quiet-hours.js";
import { esc, page } from "../html.js";
import { officerActor } from "../../directory/actor.js";
import { adminPage, notFoundPage, refusedPage, underRoot } from "./kit.js";
import type { AdminPageDeps } from "./deps.js";

const typeLabel = (t: string) => INCIDENT_TYPES.find((x) => x.value === t)?.label ?? t;
const STATUS_LABEL: Record<string, string> = { new: "Mới — chưa tiếp nhận", acknowledged: "Đã tiếp nhận", in_progress: "Đang xử lý", closed: "Đã đóng" };
const EVENT_LABEL: Record<string, string> = {
  reported: "Báo cáo",
  alerted: "Đã báo cấp trên",
  escalated: "Nhắc lại, mở rộng người nhận",
  acknowledged: "Tiếp nhận",
  assigned: "Phân công",
  note: "Ghi chú",
  updated: "Bổ sung thông tin",
  attachment: "Đính kèm",
  closed: "Đóng hồ sơ",
  retention_erased: "Xoá chi tiết theo thời hạn lưu trữ",
};

/** "còn 3 giờ 20 phút", "còn 2 ngày", "quá hạn 40 phút". */
export function timeLeft(deadline: Date, now: Date): { text: string; overdue: boolean; ms: number } {
  const ms = deadline.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const minutes = Math.floor(abs / 60_000);
  const span = minutes >= 2 * 24 * 60 ? `${Math.floor(minutes / (24 * 60))} ngày` : minutes >= 60 ? `${Math.floor(minutes / 60)} giờ ${minutes % 60} phút` : `${minutes} phút`;
  return { text: ms >= 0 ? `còn ${span}` : `quá hạn ${span}`, overdue: ms < 0, ms };
}

/**
 * The urgent cases (báo cáo khẩn) of the signed-in subtree: an inbox ordered by urgency with the
 * legal clocks as time left, and the case page where a supervisor acknowledges, assigns, notes and
 * closes — each step recorded on the timeline and told to the reporter on chat. Every view is audited.
 */
export function mountIncidentInbox(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;
  const deliver = () => void deps.track(deps.outbox.drainOnce(50, "alert")).catch(() => undefined);

  /** End of a working-day clock: the end of that local day. */
  const endOfDay = (isoDate: string) => localTime(isoDate, "23:59", timeZone);

  function clocksOf(i: typeof incidents.$inferSelect, now: Date) {
    const c = legalClocks(i, timeZone);
    return [
      { name: "Biện pháp khẩn cấp (12 giờ)", at: c.emergency, left: timeLeft(c.emergency, now), label: formatDateTime(c.emergency, timeZone) },
      { name: "Kế hoạch hỗ trợ (5 ngày làm việc)", at: endOfDay(c.supportPlan), left: timeLeft(endOfDay(c.supportPlan), now), label: formatDate(c.supportPlan) },
      { name: "Phê duyệt kế hoạch (+2 ngày làm việc)", at: endOfDay(c.approval), left: timeLeft(endOfDay(c.approval), now), label: formatDate(c.approval) },
      ...(c.separationEnds ? [{ name: "Cách ly tạm thời (15 ngày)", at: c.separationEnds, left: timeLeft(c.separationEnds, now), label: formatDateTime(c.separationEnds, timeZone) }] : []),
    ];
  }

  /** The signed-in officer and their unit, or the redirect to sign in. */
  async function reader(c: Context) {
    const officer = await deps.sessions.officer(c);
    if (!officer) return { redirect: c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`) };
    const [own] = await db.select().from(units).where(eq(units.id, officer.unitId));
    return { officer, own };
  }

  /**
   * The case if this officer may act on it: its own unit and every unit above. Else undefined
   * (→ 404, the same as for a case that does not exist), and the look-up is audited as refused.
   */
  async function readable(c: Context, ref: string, via: string) {
    const r = await reader(c);
    if (r.redirect) return { redirect: r.redirect };
    const found = await deps.incidents.find(db, ref, { actor: `officer:${r.officer.id}`, within: r.own ?? null, via });
    if (!found || !r.own) return { officer: r.officer };
    return { officer: r.officer, own: r.own, incident: found.incident, unit: found.unit };
  }

  return (app: OpenAPIHono) => {
    app.get("/incidents", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const showClosed = c.req.query("closed") === "1";
      const rows = await db
        .select({ incident: incidents, unit: units.name, reporter: officers.name })
        .from(incidents)
        .innerJoin(units, eq(units.id, incidents.unitId))
        .innerJoin(officers, eq(officers.id, incidents.reporterId))
        .where(and(underRoot(s.own), showClosed ? eq(incidents.status, "closed") : ne(incidents.status, "closed")))
        .orderBy(desc(incidents.createdAt))
        .limit(500);
      const now = clock();
      // Most urgent first: not yet taken in, then the nearest clock still running; newest on ties.
      const ranked = rows
        .map((r) => ({ ...r, clocks: clocksOf(r.incident, now) }))
        .map((r) => ({ ...r, next: r.clocks.find((k) => !k.left.overdue) ?? r.clocks.at(-1)! }))
        .sort((a, b) => Number(!!a.incident.acknowledgedAt) - Number(!!b.incident.acknowledgedAt) || (showClosed ? 0 : a.next.at.getTime() - b.next.at.getTime()) || b.incident.createdAt.getTime() - a.incident.createdAt.getTime());
      await kit.audit(db, s, "incident.list", `unit:${s.own.scheme}:${s.own.code}`, { closed: showClosed, refs: ranked.map((r) => r.incident.ref) });
      const list = ranked
        .map(({ incident: i, unit, clocks, next }) => {
          const overdue = clocks.filter((k) => k.left.overdue && !(i.status !== "new" && k === clocks[0]));
          return `<tr data-ref="${esc(i.ref)}"><td><a href="/incidents/${esc(i.ref)}">${esc(i.ref)}</a></td><td>${esc(typeLabel(i.type))}</td><td>${esc(unit)}</td><td>${esc(formatDateTime(i.createdAt, timeZone))}</td>
<td class="${i.status === "new" ? "missing" : ""}">${esc(STATUS_LABEL[i.status] ?? i.status)}</td><td>${showClosed ? "—" : `${esc(next.name)}: <b class="${next.left.overdue ? "missing" : ""}">${esc(next.left.text)}</b>${overdue.length ? `<br><span class="missing">quá hạn: ${esc(overdue.map((k) => k.name).join(", "))}</span>` : ""}`}</td></tr>`;
        })
        .join("");
      return c.html(
        adminPage(
          showClosed ? "Báo cáo khẩn đã đóng" : "Báo cáo khẩn đang mở",
          s,
          `<p>${showClosed ? `<a href="/incidents">Đang mở</a> · <b>Đã đóng</b>` : `<b>Đang mở (${ranked.length})</b> · <a href="/incidents?closed=1">Đã đóng</a>`}</p>
<table><thead><tr><th>Mã</th><th>Loại</th><th>Đơn vị</th><th>Báo lúc</th><th>Tình trạng</th><th>Thời hạn gần nhất</th></tr></thead><tbody>${list || `<tr><td colspan="6">Không có vụ việc nào.</td></tr>`}</tbody></table>`,
        ),
      );
    });

    app.get("/incidents/:ref", async (c) => {
      const r = await reader(c);
      if (r.redirect) return r.redirect;
      // The read and its audit row (or the refused look-up's) are one transaction in the service.
      const found = await deps.incidents.read(db, c.req.param("ref"), { actor: `officer:${r.officer.id}`, within: r.own ?? null, via: "web" });
      if (!found || !r.own) return notFoundPage(c);
      const x = found.incident;
      const now = clock();
      const people = await db.select({ id: officers.id, name: officers.name }).from(officers).where(inArray(officers.id, [...new Set(found.timeline.map((e) => e.officerId).concat(x.assignedTo, x.reporterId).filter((v): v is number => v !== null))]));
      const who = (id: number | null) => (id === null ? "" : (people.find((p) => p.id === id)?.name ?? ""));
      const timeline = found.timeline
        .map((e) => {
          const d = e.detail as { text?: string; name?: string; field?: string; level?: number };
          const extra = e.kind === "note" ? `: ${esc(d.text ?? "")}` : e.kind === "assigned" ? `: ${esc(d.name ?? "")}` : e.kind === "updated" ? ` (${esc(d.field ?? "")})` : e.kind === "escalated" ? ` (lần ${esc(d.level)})` : "";
          return `<li>${esc(formatDateTime(e.at, timeZone))} — <b>${esc(EVENT_LABEL[e.kind] ?? e.kind)}</b>${e.officerId ? ` · ${esc(who(e.officerId))}` : ""}${extra}</li>`;
        })
        .join("");
      const supervises = await deps.incidents.maySupervise(db, r.officer, x);
      const open = x.status !== "closed";
      let assignable = "";
      if (supervises && open) {
        const chain = await ancestorsOf(db, found.unit);
        const candidates = await db
          .select({ id: officers.id, name: officers.name, unit: units.name })
          .from(officers)
          .innerJoin(units, eq(units.id, officers.unitId))
          .where(and(eq(officers.active, true), inArray(officers.unitId, chain.map((u) => u.id))))
          .orderBy(units.path, officers.name);
        assignable = candidates.map((p) => `<option value="${p.id}"${p.id === x.assignedTo ? " selected" : ""}>${esc(p.name)} — ${esc(p.unit)}</option>`).join("");
      }
      const actions = open
        ? `<h2>Xử lý</h2>
${supervises && !x.acknowledgedAt ? `<form method="post" action="/incidents/${esc(x.ref)}/acknowledge"><button>Tiếp nhận</button></form>` : ""}
${supervises ? `<form method="post" action="/incidents/${esc(x.ref)}/assign"><label>Phân công theo dõi <select name="officer">${assignable}</select></label> <button>Phân công</button></form>` : ""}
<form method="post" action="/incidents/${esc(x.ref)}/note"><p><label>Ghi chú diễn biến<br><textarea name="text" rows="2" cols="60" required maxlength="2000"></textarea></label></p><button>Ghi chú</button></form>
<form method="post" action="/incidents/${esc(x.ref)}/close"><p><label>Kết quả xử lý<br><textarea name="outcome" rows="2" cols="60" required maxlength="1000"></textarea></label></p><button>Đóng hồ sơ</button></form>`
        : `<p>Kết quả: ${esc(x.outcome ?? "")}</p>`;
      const clocks = open
        ? `<table><thead><tr><th>Thời hạn</th><th>Hạn</th><th>Còn lại</th></tr></thead><tbody>${clocksOf(x, now)
            .map((k) => `<tr><td>${esc(k.name)}</td><td>${esc(k.label)}</td><td class="${k.left.overdue ? "missing" : ""}">${esc(k.left.text)}</td></tr>`)
            .join("")}</tbody></table>`
        : "";
      const body = `<p>Loại: <b>${esc(typeLabel(x.type))}</b> · Đơn vị: ${esc(found.unit.name)} · Trạng thái: <b id="status">${esc(STATUS_LABEL[x.status] ?? x.status)}</b>${x.assignedTo ? ` · Người theo dõi: <b id="assignee">${esc(who(x.assignedTo))}</b>` : ""}</p>
<p>Người báo: ${esc(who(x.reporterId))} · Xảy ra: ${esc(formatDateTime(x.occurredAt, timeZone))} · Nơi: ${esc(x.place ?? "")}</p>
<p>Trẻ: ${esc(x.childAge ?? "?")} tuổi, ${esc(x.childSex === "nu" ? "nữ" : x.childSex === "nam" ? "nam" : "?")}</p>
<p>Mô tả: ${esc(x.description ?? "")}</p>
${clocks}
<h2>Diễn biến</h2><ol id="timeline">${timeline}</ol>
${actions}
<p><a href="/incidents">← Báo cáo khẩn</a></p>`;
      if (r.officer.role === "commune") return c.html(page(x.ref, `<h1>${esc(x.ref)} — ${esc(typeLabel(x.type))}</h1>${body}`));
      return c.html(adminPage(`${x.ref} — ${typeLabel(x.type)}`, { officer: r.officer, own: r.own, actor: officerActor(r.officer, r.own), scope: officerActor(r.officer, r.own).scope }, body));
    });

    for (const action of ["acknowledge", "assign", "note", "close"] as const) {
      app.post(`/incidents/:ref/${action}`, async (c) => {
        const r = await readable(c, c.req.param("ref"), action);
        if (r.redirect) return r.redirect;
        if (!r.incident) return notFoundPage(c);
        const form = await c.req.parseBody();
        const { officer, incident } = r;
        const refused = await db.transaction(async (tx): Promise<string | undefined> => {
          if (action === "acknowledge") {
            if (!(await deps.incidents.maySupervise(tx, officer, incident))) return "Chỉ cấp trên của đơn vị báo cáo mới tiếp nhận được.";
            await deps.incidents.acknowledge(tx, officer, incident.id);
            return undefined;
          }
          if (action === "assign") return deps.incidents.assign(tx, officer, incident.id, Number(form.officer) || 0);
          if (action === "note") return deps.incidents.addNote(tx, officer, incident.id, String(form.text ?? ""));
          const outcome = String(form.outcome ?? "").trim();
          if (!outcome) return "Cần ghi kết quả xử lý trước khi đóng hồ sơ.";
          const reply = await deps.incidents.close(tx, officer, incident.ref, outcome);
          return reply.text.startsWith("Đã đóng") ? undefined : reply.text;
        });
        if (refused) return refusedPage(c, refused);
        await db.insert(auditLog).values({ actor: `officer:${officer.id}`, action: `incident.${action}`, target: incident.ref });
        deliver();
        return c.redirect(`/incidents/${incident.ref}`);
      });
    }
  };
}
