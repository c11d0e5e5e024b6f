import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { raw } from "hono/html";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { channelLinks, officers, pendingLinks, units, type Channel } from "../../db/schema/index.js";
import { MENU } from "../../conversations/session-service.js";
import type { RejectedRow } from "../../directory/import-report.js";
import { ROLE_LABELS } from "../../directory/labels.js";
import {
  decideLinkRequest,
  importOfficers,
  inviteOfficer,
  MAX_OFFICER_FILE_BYTES,
  setOfficerActive,
  type OfficerImportResult,
} from "../../directory/officer-actions.js";
import type { Unit } from "../../directory/units.js";
import type { ServiceContext } from "../../directory/actor.js";
import { formatDate, formatDateTime, localDate } from "../../domain/dates.js";
import { AppError } from "../../domain/app-error.js";
import { displayPhone } from "../../domain/phone.js";
import { inScopeSql } from "../../domain/scope.js";
import { AdminLayout } from "./admin-layout.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { orRefused, refusedPage } from "./refused.js";
import { unitOptionsOf, UnitOptions } from "./unit-select.js";

const CHANNEL_LABEL: Record<Channel, string> = { telegram: "Telegram", zalo_bot: "Zalo", zalo_oa: "Zalo OA", simulator: "Mô phỏng" };
/** The channels an officer is reached on, in the order the list shows them (the simulator is no channel of a real officer). */
const SHOWN_CHANNELS = ["telegram", "zalo_bot", "zalo_oa"] as const;

type OfficerRow = {
  id: number;
  name: string;
  phone: string;
  role: keyof typeof ROLE_LABELS;
  active: boolean;
  unit: string;
  unitCode: string;
  links: { channel: Channel; lastSeenAt: string | null }[];
};

/** The channels of the row that the list shows: the header counts exactly these rows as linked. */
const shownChannels = (o: Pick<OfficerRow, "links">) => SHOWN_CHANNELS.filter((ch) => o.links.some((l) => l.channel === ch));

function RejectedTable(props: { rows: RejectedRow[]; title: string }) {
  if (props.rows.length === 0) return null;
  return (
    <>
      <h2>{props.title}</h2>
      <table id="rejected">
        <thead>
          <tr>
            <th>Dòng</th>
            <th>Lý do</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r) => (
            <tr>
              <td>{r.line}</td>
              <td>{r.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

interface PendingRow {
  id: number;
  channel: Channel;
  displayName: string | null;
  requestedAt: Date;
  officer: string;
  phone: string;
  role: keyof typeof ROLE_LABELS;
  unit: string;
  unitCode: string;
  alreadyLinked: number | null;
}

/**
 * Zalo OA accounts asking to be linked to an officer of the subtree by a phone typed in Zalo's
 * form: nothing is linked until someone here approves (or the officer types an invite code).
 */
function PendingSection(props: { rows: PendingRow[]; s: Supervisor; timeZone: string }) {
  const { rows, s } = props;
  if (rows.length === 0) return null;
  return (
    <>
      <h2 id="pending-links">Chờ xác nhận: liên kết tài khoản Zalo ({rows.length})</h2>
      <p class="note">
        Số điện thoại trong biểu mẫu của Zalo có thể nhập tay. Chỉ xác nhận khi đã hỏi chính cán bộ (gọi điện, gặp trực tiếp) rằng họ vừa gửi yêu cầu này; nếu
        không, bấm «Từ chối».
      </p>
      <table id="pending">
        <thead>
          <tr>
            <th>Cán bộ</th>
            <th>Điện thoại</th>
            <th>Đơn vị</th>
            <th>Kênh</th>
            <th>Tên trong biểu mẫu Zalo</th>
            <th>Yêu cầu lúc</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr data-pending={p.id}>
              <td>{p.officer}</td>
              <td>{displayPhone(p.phone)}</td>
              <td>
                {p.unit} ({p.unitCode})
              </td>
              <td>{CHANNEL_LABEL[p.channel]}</td>
              <td>{p.displayName ? p.displayName : <span class="note">không rõ</span>}</td>
              <td>{formatDateTime(p.requestedAt, props.timeZone)}</td>
              <td>
                {p.alreadyLinked ? (
                  <>
                    <span class="late">Cán bộ đã liên kết một tài khoản {CHANNEL_LABEL[p.channel]} khác: xác nhận sẽ thay thế tài khoản đó.</span>
                    <br />
                  </>
                ) : null}
                {
                  // Shown, so that a claim on an admin's number is seen; decided by an admin only.
                  p.role === "admin" && s.officer.role !== "admin" ? (
                    <span class="note">Tài khoản quản trị: chỉ quản trị viên xác nhận được.</span>
                  ) : (
                    <>
                      <form
                        method="post"
                        action={`/officers/pending/${p.id}/approve`}
                        class="inline"
                        data-confirm={`Xác nhận tài khoản Zalo này là của ${p.officer}?`}
                      >
                        <button>Xác nhận</button>
                      </form>
                      <form method="post" action={`/officers/pending/${p.id}/reject`} class="inline">
                        <button class="danger">Từ chối</button>
                      </form>
                    </>
                  )
                }
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function OfficerTable(props: { rows: OfficerRow[]; timeZone: string }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Họ và tên</th>
          <th>Điện thoại</th>
          <th>Vai trò</th>
          <th>Đơn vị</th>
          <th>Kênh đã liên kết</th>
          <th>Hoạt động gần nhất</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {props.rows.length === 0 ? (
          <tr>
            <td colspan={7}>Chưa có cán bộ.</td>
          </tr>
        ) : (
          props.rows.map((o) => {
            const lastSeen = o.links
              .map((l) => l.lastSeenAt)
              .filter((v): v is string => !!v)
              .sort()
              .at(-1);
            const linked = shownChannels(o)
              .map((ch) => `✓ ${CHANNEL_LABEL[ch]}`)
              .join(", ");
            return (
              <tr data-officer={o.id}>
                <td>
                  {o.name}
                  {o.active ? null : (
                    <>
                      {" "}
                      <span class="missing">(ngừng hoạt động)</span>
                    </>
                  )}
                </td>
                <td>{displayPhone(o.phone)}</td>
                <td>{ROLE_LABELS[o.role]}</td>
                <td>
                  {o.unit} ({o.unitCode})
                </td>
                <td>{linked || <span class="missing">chưa liên kết</span>}</td>
                <td>{lastSeen ? formatDateTime(new Date(lastSeen), props.timeZone) : "—"}</td>
                <td>
                  {o.active ? (
                    <>
                      <form method="post" action={`/officers/${o.id}/invite`} class="inline">
                        <select name="channel">
                          <option value="telegram">Telegram</option>
                          <option value="zalo_bot">Zalo</option>
                          <option value="zalo_oa">Zalo OA</option>
                        </select>{" "}
                        <button>Tạo lời mời</button>
                      </form>
                      <form
                        method="post"
                        action={`/officers/${o.id}/deactivate`}
                        class="inline"
                        data-confirm="Ngừng hoạt động cán bộ này? Lịch sử báo cáo được giữ nguyên."
                      >
                        <button class="danger">Ngừng hoạt động</button>
                      </form>
                    </>
                  ) : (
                    <form method="post" action={`/officers/${o.id}/reactivate`}>
                      <button>Kích hoạt lại</button>
                    </form>
                  )}
                </td>
              </tr>
            );
          })
        )}
      </tbody>
    </table>
  );
}

function ImportForm(props: { own: Unit }) {
  return (
    <>
      <h2>Nhập danh sách cán bộ</h2>
      <form method="post" action="/officers/import/preview" enctype="multipart/form-data">
        <p>
          <label>
            Tệp CSV hoặc XLSX (cột: Họ và tên, Số điện thoại, Vai trò, Mã đơn vị, Hệ mã)
            <br />
            <input type="file" name="file" accept=".csv,.xlsx" required />
          </label>
        </p>
        <p class="note">Các dòng lỗi được liệt kê trước khi ghi; chỉ những đơn vị thuộc {props.own.name} được nhận.</p>
        <button>Kiểm tra tệp</button>
      </form>
    </>
  );
}

function PreviewBody(props: { report: OfficerImportResult; fileName: string; content: Buffer }) {
  const { report } = props;
  return (
    <>
      <p id="summary">
        <b>{report.good.length}</b> dòng hợp lệ · <b class={report.rejected.length ? "missing" : ""}>{report.rejected.length}</b> dòng lỗi (chưa ghi gì vào hệ
        thống)
      </p>
      <RejectedTable rows={report.rejected} title="Dòng lỗi — sẽ bị bỏ qua" />
      {report.good.length ? (
        <form method="post" action="/officers/import">
          <input type="hidden" name="name" value={props.fileName} />
          <input type="hidden" name="content" value={props.content.toString("base64")} />
          <p>
            <button>Nhập {report.good.length} dòng hợp lệ</button> <a href="/officers">Huỷ</a>
          </p>
        </form>
      ) : (
        <p>
          <a href="/officers">← Quay lại</a>
        </p>
      )}
      <h2>Dòng hợp lệ</h2>
      <table>
        <thead>
          <tr>
            <th>Dòng</th>
            <th>Họ và tên</th>
            <th>Điện thoại</th>
            <th>Vai trò</th>
            <th>Mã đơn vị</th>
          </tr>
        </thead>
        <tbody>
          {report.good.slice(0, 200).map((g) => (
            <tr>
              <td>{g.line}</td>
              <td>{g.name}</td>
              <td>{displayPhone(g.phone)}</td>
              <td>{ROLE_LABELS[g.role]}</td>
              <td>{g.unitCode}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

/**
 * Officers (cán bộ) of the signed-in subtree: import a list with the bad rows shown before anything
 * is written, see who is linked on which channel and last active, hand out invite links with a QR
 * code, and deactivate someone who left (their reports and history stay).
 */
export function mountOfficerPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone, sessions } = deps;
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock });
  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, sessions));

  web.get("/", async (c) => {
    const s = c.var.supervisor;
    const root = await kit.unitBelow(s, c.req.query("unit"));
    if (!root) throw new AppError("not_found", "Không tìm thấy đơn vị.");
    const showInactive = c.req.query("inactive") === "1";
    const rows: OfficerRow[] = await db
      .select({
        id: officers.id,
        name: officers.name,
        phone: officers.phone,
        role: officers.role,
        active: officers.active,
        unit: units.name,
        unitCode: units.code,
        links: sql<
          OfficerRow["links"]
        >`coalesce(json_agg(json_build_object('channel', ${channelLinks.channel}, 'lastSeenAt', ${channelLinks.lastSeenAt})) filter (where ${channelLinks.id} is not null), '[]')`,
      })
      .from(officers)
      .innerJoin(units, eq(units.id, officers.unitId))
      .leftJoin(channelLinks, eq(channelLinks.officerId, officers.id))
      .where(and(inScopeSql(root, units), showInactive ? undefined : eq(officers.active, true)))
      .groupBy(officers.id, units.id)
      .orderBy(units.path, officers.name)
      .limit(2000);
    const existing = alias(channelLinks, "existing");
    const pending: PendingRow[] = await db
      .select({
        id: pendingLinks.id,
        channel: pendingLinks.channel,
        displayName: pendingLinks.displayName,
        requestedAt: pendingLinks.requestedAt,
        officer: officers.name,
        phone: officers.phone,
        role: officers.role,
        unit: units.name,
        unitCode: units.code,
        alreadyLinked: existing.id,
      })
      .from(pendingLinks)
      .innerJoin(officers, eq(officers.id, pendingLinks.officerId))
      .innerJoin(units, eq(units.id, officers.unitId))
      .leftJoin(existing, and(eq(existing.officerId, officers.id), eq(existing.channel, pendingLinks.channel)))
      .where(and(isNull(pendingLinks.decidedAt), eq(officers.active, true), inScopeSql(root, units)))
      .orderBy(desc(pendingLinks.requestedAt))
      .limit(200);
    const options = await unitOptionsOf(db, s.own);
    return c.html(
      <AdminLayout title="Cán bộ" supervisor={s} flash={c.var.flash}>
        <form method="get" action="/officers">
          <label>
            Đơn vị{" "}
            <select name="unit">
              <UnitOptions options={options} selected={root.code} />
            </select>
          </label>{" "}
          <label>
            <input type="checkbox" name="inactive" value="1" checked={showInactive} /> gồm người đã ngừng
          </label>{" "}
          <button>Xem</button>
        </form>
        <PendingSection rows={pending} s={s} timeZone={timeZone} />
        <p id="officer-count">
          {rows.length} cán bộ · đã liên kết {rows.filter((o) => shownChannels(o).length > 0).length}
        </p>
        <OfficerTable rows={rows} timeZone={timeZone} />
        <ImportForm own={s.own} />
      </AdminLayout>,
    );
  });

  const uploadLimit = bodyLimit({ maxSize: MAX_OFFICER_FILE_BYTES * 2, onError: (c) => refusedPage(c, "Tệp quá lớn: tối đa 5 MB.") });

  // Step 1: check the file and show every bad row; nothing is written yet.
  web.post("/import/preview", uploadLimit, async (c) => {
    const s = c.var.supervisor;
    const file = (await c.req.parseBody()).file;
    if (!(file instanceof File) || file.size === 0) return refusedPage(c, "Chưa chọn tệp.");
    if (file.size > MAX_OFFICER_FILE_BYTES) return refusedPage(c, "Tệp quá lớn: tối đa 5 MB.");
    const content = Buffer.from(await file.arrayBuffer());
    const report = await orRefused(c, () => importOfficers(ctxOf(s), { content, fileName: file.name, dryRun: true }, deps));
    if (report instanceof Response) return report;
    return c.html(
      <AdminLayout title="Kiểm tra danh sách cán bộ" supervisor={s}>
        <PreviewBody report={report} fileName={file.name} content={content} />
      </AdminLayout>,
    );
  });

  // Step 2: the same file again (the rules are re-checked: nothing is trusted from the form).
  web.post("/import", uploadLimit, async (c) => {
    const s = c.var.supervisor;
    const form = await c.req.parseBody();
    const content = Buffer.from(String(form.content ?? ""), "base64");
    if (content.length === 0 || content.length > MAX_OFFICER_FILE_BYTES) return refusedPage(c, "Không đọc được tệp, vui lòng chọn lại.");
    const report = await orRefused(c, () => importOfficers(ctxOf(s), { content, fileName: String(form.name ?? "officers.csv") || "officers.csv" }, deps));
    if (report instanceof Response) return report;
    return c.html(
      <AdminLayout
        title="Đã nhập danh sách cán bộ"
        supervisor={s}
        flash={{ text: `Đã nhập ${report.imported} cán bộ${report.rejected.length ? `; bỏ qua ${report.rejected.length} dòng lỗi` : ""}.` }}
      >
        <p id="summary">
          Đã nhập <b>{report.imported}</b> cán bộ; bỏ qua {report.rejected.length} dòng lỗi.
        </p>
        <RejectedTable rows={report.rejected} title="Dòng không được nhập" />
        <p>
          <a href="/officers">← Danh sách cán bộ</a>
        </p>
      </AdminLayout>,
    );
  });

  web.post("/:id{[0-9]+}/invite", async (c) => {
    const s = c.var.supervisor;
    const channel = (await c.req.parseBody()).channel;
    const invite = await orRefused(c, () => inviteOfficer(ctxOf(s), { officerId: Number(c.req.param("id")), channel }, deps));
    if (invite instanceof Response) return invite;
    const { code, expiresAt, officer } = invite;
    const username = invite.channel === "telegram" ? await deps.telegramUsername() : undefined;
    // Telegram: a deep link opens the bot with the code; Zalo has none, the officer types the code.
    const link = username ? `https://t.me/${username}?start=${code}` : undefined;
    // Loaded on first invite: not worth its resident memory in every process.
    const { default: QRCode } = await import("qrcode");
    const qr = await QRCode.toString(link ?? code, { type: "svg", margin: 1, width: 220 });
    const app = invite.channel === "telegram" ? "bot Telegram" : invite.channel === "zalo_oa" ? "Official Account Zalo" : "bot Zalo";
    return c.html(
      <AdminLayout
        title={`Lời mời cho ${officer.name}`}
        supervisor={s}
        flash={{ text: `Đã tạo lời mời ${CHANNEL_LABEL[invite.channel]} cho ${officer.name}.` }}
      >
        <p>Dùng một lần, hết hạn {formatDate(localDate(expiresAt, timeZone))}. Gửi cho cán bộ hoặc cho quét mã QR bằng điện thoại.</p>
        <p>
          Mã mời: <b id="invite-code">{code}</b>
        </p>
        {link ? (
          <p>
            Đường dẫn:{" "}
            <a id="invite-link" href={link}>
              {link}
            </a>
          </p>
        ) : (
          <p>
            Cán bộ mở {app} của baocao và gửi {invite.channel === "telegram" ? `/start ${code}` : code}.
          </p>
        )}
        <figure id="qr" class="w14">
          {/* raw(): an SVG the qrcode library drew on this server from the invite link or code (letters and digits only). */}
          {raw(qr)}
          <figcaption class="note">{link ?? code}</figcaption>
        </figure>
        <p>
          <a href="/officers">← Danh sách cán bộ</a>
        </p>
      </AdminLayout>,
    );
  });

  // A pending link decided: approval links the account and tells the officer there; both audited.
  for (const decision of ["approve", "reject"] as const) {
    web.post(`/pending/:id{[0-9]+}/${decision}`, async (c) => {
      const s = c.var.supervisor;
      const outcome = await orRefused(c, () =>
        decideLinkRequest(
          ctxOf(s),
          { pendingLinkId: Number(c.req.param("id")), decision },
          { enqueue: (tx, rows) => deps.outbox.enqueue(tx, rows), menu: MENU },
        ),
      );
      if (outcome instanceof Response) return outcome;
      await deps.outbox.deliverNow(outcome.outboxIds);
      sessions.flash(
        c,
        decision === "approve"
          ? `Đã xác nhận tài khoản Zalo của ${outcome.officer.name}.`
          : `Đã từ chối yêu cầu liên kết tài khoản Zalo với ${outcome.officer.name}.`,
      );
      return c.redirect(`/officers?unit=${encodeURIComponent(outcome.unit.code)}`);
    });
  }

  for (const action of ["deactivate", "reactivate"] as const) {
    web.post(`/:id{[0-9]+}/${action}`, async (c) => {
      const s = c.var.supervisor;
      const done = await orRefused(c, () => setOfficerActive(ctxOf(s), { officerId: Number(c.req.param("id")), active: action === "reactivate" }));
      if (done instanceof Response) return done;
      sessions.flash(
        c,
        action === "deactivate" ? `Đã ngừng hoạt động ${done.officer.name}; lịch sử báo cáo được giữ nguyên.` : `Đã kích hoạt lại ${done.officer.name}.`,
      );
      return c.redirect(`/officers?unit=${encodeURIComponent(done.unit.code)}${action === "reactivate" ? "&inactive=1" : ""}`);
    });
  }

  return (app: OpenAPIHono) => {
    app.route("/officers", web);
  };
}
