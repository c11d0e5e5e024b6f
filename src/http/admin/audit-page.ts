import type { OpenAPIHono } from "@hono/zod-openapi";
import { and, desc, eq, gte, ilike, lt, or, sql, type SQL } from "drizzle-orm";
import { auditLog, officers, units } from "../../db/schema/index.js";
import { formatDateTime, localDate } from "../../domain/dates.js";
import { localTime } from "../../domain/quiet-hours.js";
import { esc } from "../html.js";
import { adminPage, underRoot } from "./kit.js";
import { isDemoAccount } from "../../demo/demo-world.js";
import type { AdminPageDeps } from "./deps.js";

const PAGE_SIZE = 100;
/** The actions recorded, in words; unknown ones are shown as recorded. */
export const AUDIT_ACTIONS: Record<string, string> = {
  signin: "Đăng nhập",
  "incident.read": "Xem báo cáo khẩn",
  "incident.read_refused": "Tra mã báo cáo khẩn không có hoặc không được xem",
  "incident.list": "Xem danh sách báo cáo khẩn",
  "incident.acknowledge": "Tiếp nhận báo cáo khẩn",
  "incident.assign": "Phân công báo cáo khẩn",
  "incident.note": "Ghi chú báo cáo khẩn",
  "incident.close": "Đóng báo cáo khẩn",
  "broadcast.create": "Gửi văn bản",
  "broadcast.remind": "Nhắc xác nhận văn bản",
  "broadcast.export": "Tải danh sách người nhận",
  export: "Tải báo cáo tổng hợp",
  "reminder.manual": "Nhắc nộp báo cáo",
  "submission.read": "Xem báo cáo",
  "submission.read_refused": "Mở báo cáo không có hoặc không được xem",
  "submission.approve": "Duyệt báo cáo",
  "submission.return": "Trả lại báo cáo",
  "officers.import": "Nhập danh sách cán bộ",
  "officer.invite": "Tạo lời mời",
  "officer.deactivate": "Ngừng hoạt động cán bộ",
  "officer.reactivate": "Kích hoạt lại cán bộ",
  "officer.move": "Chuyển cán bộ sang đơn vị mới",
  "officer.link_approve": "Xác nhận liên kết tài khoản Zalo",
  "officer.link_reject": "Từ chối liên kết tài khoản Zalo",
  "units.import": "Nhập danh mục đơn vị",
  "calendar.edit": "Sửa lịch báo cáo",
  "template.reminders": "Sửa lịch nhắc",
  "campaign.create": "Tạo chiến dịch nhắc",
  "campaign.pause": "Tạm dừng chiến dịch nhắc",
  "campaign.resume": "Tiếp tục chiến dịch nhắc",
  "campaign.theme": "Sửa chủ đề chiến dịch",
  "campaign.step.add": "Thêm bước chiến dịch",
  "campaign.step.edit": "Sửa bước chiến dịch",
  "campaign.step.delete": "Xoá bước chiến dịch",
  "settings.quiet_hours": "Sửa giờ yên tĩnh",
  "audit.read": "Xem nhật ký",
};

/**
 * The audit log (nhật ký): who did what and when, filterable. Read-only here and append-only in
 * the database (triggers refuse UPDATE, DELETE and TRUNCATE). Officers see the entries of people in their
 * subtree; entries by the API token or the CLI only admins see.
 */
export function mountAuditPage(deps: AdminPageDeps) {
  const { db, kit, timeZone, clock } = deps;

  return (app: OpenAPIHono) => {
    app.get("/audit", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const q = {
        action: c.req.query("action") ?? "",
        who: (c.req.query("who") ?? "").trim(),
        target: (c.req.query("target") ?? "").trim(),
        from: /^\d{4}-\d{2}-\d{2}$/.test(c.req.query("from") ?? "") ? c.req.query("from")! : "",
        to: /^\d{4}-\d{2}-\d{2}$/.test(c.req.query("to") ?? "") ? c.req.query("to")! : "",
        page: Math.max(0, Math.min(10_000, Number(c.req.query("page")) || 0)),
      };
      const like = (v: string) => `%${v.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const filters: (SQL | undefined)[] = [
        // The actor must be an officer of this subtree; API/CLI entries are for admins only.
        // (A demo admin's are not: those entries name real units and cases.)
        s.officer.role === "admin" && !isDemoAccount(s.officer, s.own) ? or(underRoot(s.own), sql`${officers.id} is null`) : underRoot(s.own),
        q.action ? eq(auditLog.action, q.action) : undefined,
        q.who ? or(ilike(officers.name, like(q.who)), ilike(officers.phone, like(q.who.replace(/^0/, ""))), ilike(auditLog.actor, like(q.who))) : undefined,
        q.target ? ilike(auditLog.target, like(q.target)) : undefined,
        q.from ? gte(auditLog.at, localTime(q.from, "00:00", timeZone)) : undefined,
        q.to ? lt(auditLog.at, new Date(localTime(q.to, "00:00", timeZone).getTime() + 86_400_000)) : undefined,
      ];
      const rows = await db
        .select({ id: auditLog.id, at: auditLog.at, actor: auditLog.actor, action: auditLog.action, target: auditLog.target, detail: auditLog.detail, name: officers.name, unit: units.name })
        .from(auditLog)
        .leftJoin(officers, sql`${auditLog.actor} = 'officer:' || ${officers.id}`)
        .leftJoin(units, eq(units.id, officers.unitId))
        .where(and(...filters))
        .orderBy(desc(auditLog.at), desc(auditLog.id))
        .limit(PAGE_SIZE + 1)
        .offset(q.page * PAGE_SIZE);
      await kit.audit(db, s, "audit.read", `unit:${s.own.scheme}:${s.own.code}`, { filters: { ...q } });
      const more = rows.length > PAGE_SIZE;
      const list = rows
        .slice(0, PAGE_SIZE)
        .map((r) => {
          const detail = Object.keys(r.detail).length ? JSON.stringify(r.detail) : "";
          return `<tr><td>${esc(formatDateTime(r.at, timeZone))}</td><td>${r.name ? `${esc(r.name)} <span class="note">${esc(r.unit ?? "")}</span>` : esc(r.actor)}</td><td>${esc(AUDIT_ACTIONS[r.action] ?? r.action)}</td><td>${esc(r.target)}</td><td class="note">${esc(detail.length > 160 ? `${detail.slice(0, 160)}…` : detail)}</td></tr>`;
        })
        .join("");
      const params = (page: number) => new URLSearchParams({ ...Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== "page" && v !== "")), page: String(page) }).toString();
      const options = Object.entries(AUDIT_ACTIONS)
        .map(([k, label]) => `<option value="${esc(k)}"${k === q.action ? " selected" : ""}>${esc(label)}</option>`)
        .join("");
      return c.html(
        adminPage(
          "Nhật ký hoạt động",
          s,
          `<form method="get" action="/audit"><label>Việc <select name="action"><option value="">Tất cả</option>${options}</select></label>
<label>Người (tên, số điện thoại) <input name="who" value="${esc(q.who)}" size="14"></label>
<label>Đối tượng <input name="target" value="${esc(q.target)}" size="12" placeholder="KC-2026-0001"></label>
<label>Từ <input type="date" name="from" value="${esc(q.from)}"></label> <label>đến <input type="date" name="to" value="${esc(q.to || localDate(clock(), timeZone))}"></label> <button>Lọc</button></form>
<table id="audit"><thead><tr><th>Lúc</th><th>Người</th><th>Việc</th><th>Đối tượng</th><th>Chi tiết</th></tr></thead><tbody>${list || `<tr><td colspan="5">Không có mục nào.</td></tr>`}</tbody></table>
<p>${q.page > 0 ? `<a href="/audit?${esc(params(q.page - 1))}">← Mới hơn</a>` : ""} ${more ? `<a href="/audit?${esc(params(q.page + 1))}">Cũ hơn →</a>` : ""}</p>
<p class="note">Nhật ký chỉ được ghi thêm, không sửa hay xoá được.</p>`,
        ),
      );
    });
  };
}
