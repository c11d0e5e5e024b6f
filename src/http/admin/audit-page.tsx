import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { auditActionLabel, auditDetailFields, AUDIT_ACTION_OPTIONS } from "../../audit/audit-labels.js";
import { readAuditLog, type AuditQuery, type AuditRow } from "../../audit/audit-log.js";
import { formatDateTime, localDate } from "../../domain/dates.js";
import { AdminLayout } from "./admin-layout.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function AuditTable(props: { rows: AuditRow[]; timeZone: string }) {
  return (
    <table id="audit">
      <thead>
        <tr>
          <th>Lúc</th>
          <th>Người</th>
          <th>Việc</th>
          <th>Đối tượng</th>
          <th>Chi tiết</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colspan={5}>Không có mục nào.</td>
          </tr>
        ) : (
          props.rows.map((r) => {
            const fields = auditDetailFields(r.detail);
            return (
              <tr>
                <td>{formatDateTime(r.at, props.timeZone)}</td>
                <td>
                  {r.who.name}
                  {r.who.unit ? (
                    <>
                      {" "}
                      <span class="note">{r.who.unit}</span>
                    </>
                  ) : null}
                </td>
                <td>{auditActionLabel(r.action)}</td>
                <td>{r.target.href ? <a href={r.target.href}>{r.target.text}</a> : r.target.text}</td>
                <td class="note">
                  {fields.map((f, i) => (
                    <>
                      {i > 0 ? <br /> : null}
                      {f.label}: {f.value}
                    </>
                  ))}
                </td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}

function Filters(props: { q: AuditQuery; today: string }) {
  const { q } = props;
  return (
    <form method="get" action="/audit">
      <label>
        Việc{" "}
        <select name="action">
          <option value="">Tất cả</option>
          {AUDIT_ACTION_OPTIONS.map((o) => (
            <option value={o.value} selected={o.value === q.action}>
              {o.label}
            </option>
          ))}
        </select>
      </label>{" "}
      <label>
        Người (tên, số điện thoại) <input name="who" value={q.who} size={14} />
      </label>{" "}
      <label>
        Đối tượng <input name="target" value={q.target} size={12} placeholder="KC-2026-0001" />
      </label>{" "}
      <label>
        Từ <input type="date" name="from" value={q.from} />
      </label>{" "}
      <label>
        đến <input type="date" name="to" value={q.to || props.today} />
      </label>{" "}
      <button>Lọc</button>
    </form>
  );
}

/**
 * The audit log (nhật ký): who did what and when, in words, filterable. Read-only here and
 * append-only in the database (triggers refuse UPDATE, DELETE and TRUNCATE); what an officer may
 * see is the use case's (src/audit/audit-log.ts).
 */
export function mountAuditPage(deps: AdminPageDeps) {
  const { db, kit, timeZone, clock, sessions } = deps;
  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, sessions));

  web.get("/", async (c) => {
    const day = (v: string | undefined) => (v && DAY.test(v) ? v : "");
    const {
      rows,
      more,
      query: q,
    } = await readAuditLog(
      { actor: c.var.supervisor.actor, db, clock },
      {
        action: (c.req.query("action") ?? "").slice(0, 100),
        who: (c.req.query("who") ?? "").slice(0, 100),
        target: (c.req.query("target") ?? "").slice(0, 100),
        from: day(c.req.query("from")),
        to: day(c.req.query("to")),
        page: Math.max(0, Math.min(10_000, Math.floor(Number(c.req.query("page")) || 0))),
      },
      timeZone,
    );
    const params = (page: number) =>
      new URLSearchParams({ ...Object.fromEntries(Object.entries(q).filter(([k, v]) => k !== "page" && v !== "")), page: String(page) }).toString();
    return c.html(
      <AdminLayout title="Nhật ký hoạt động" supervisor={c.var.supervisor} flash={c.var.flash}>
        <Filters q={q} today={localDate(clock(), timeZone)} />
        <AuditTable rows={rows} timeZone={timeZone} />
        <p>
          {q.page > 0 ? <a href={`/audit?${params(q.page - 1)}`}>← Mới hơn</a> : null} {more ? <a href={`/audit?${params(q.page + 1)}`}>Cũ hơn →</a> : null}
        </p>
        <p class="note">Nhật ký chỉ được ghi thêm, không sửa hay xoá được.</p>
      </AdminLayout>,
    );
  });

  return (app: OpenAPIHono) => {
    app.route("/audit", web);
  };
}
