import type { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { channelLinks, officers, pendingLinks, units, webSessions, type Channel, type OfficerRole } from "../../db/schema/index.js";
import { MENU } from "../../conversations/session-service.js";
import { createOfficerDirectory, decidePendingLink, lockOpenPendingLink } from "../../directory/officers.js";
import type { RejectedRow } from "../../directory/import-report.js";
import { ImportFileError, type Unit } from "../../directory/units.js";
import { formatDate, formatDateTime, localDate } from "../../domain/dates.js";
import { esc } from "../html.js";
import { adminPage, inSubtree, notFoundPage, refusedPage, underRoot, unitOptions, type Supervisor } from "./kit.js";
import type { AdminPageDeps } from "./deps.js";

const MAX_FILE_BYTES = 5 * 1024 * 1024;
const ROLE_LABEL: Record<OfficerRole, string> = { commune: "Cán bộ xã", district: "Cấp huyện", province: "Cấp tỉnh", admin: "Quản trị" };
const CHANNEL_LABEL: Record<Channel, string> = { telegram: "Telegram", zalo_bot: "Zalo", zalo_oa: "Zalo OA", simulator: "Mô phỏng" };

/**
 * Officers (cán bộ) of the signed-in subtree: import a list with the bad rows shown before anything
 * is written, see who is linked on which channel and last active, hand out invite links with a QR
 * code, and deactivate someone who left (their reports and history stay).
 */
export function mountOfficerPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;
  const directory = createOfficerDirectory({ db, clock, inviteTtlHours: deps.inviteTtlHours });

  /** The officer with this id if they work in the signed-in subtree. */
  async function officerBelow(s: Supervisor, id: number) {
    const [row] = await db.select({ officer: officers, unit: units }).from(officers).innerJoin(units, eq(units.id, officers.unitId)).where(eq(officers.id, id));
    return row && inSubtree(s.own, row.unit) ? row : undefined;
  }

  // Shown after the import too: a row refused at write time (someone moved meanwhile) is named there.
  const rejectedTable = (rows: RejectedRow[], title: string) =>
    rows.length === 0
      ? ""
      : `<h2>${esc(title)}</h2><table id="rejected"><thead><tr><th>Dòng</th><th>Lý do</th></tr></thead><tbody>${rows.map((r) => `<tr><td>${r.line}</td><td>${esc(r.reason)}</td></tr>`).join("")}</tbody></table>`;

  /**
   * Zalo OA accounts asking to be linked to an officer of `root`'s subtree by a phone typed in
   * Zalo's form: nothing is linked until someone here approves (or the officer types an invite code).
   */
  async function pendingSection(s: Supervisor, root: Unit): Promise<string> {
    const existing = alias(channelLinks, "existing");
    const rows = await db
      .select({ id: pendingLinks.id, channel: pendingLinks.channel, displayName: pendingLinks.displayName, requestedAt: pendingLinks.requestedAt, officer: officers.name, phone: officers.phone, role: officers.role, unit: units.name, unitCode: units.code, alreadyLinked: existing.id })
      .from(pendingLinks)
      .innerJoin(officers, eq(officers.id, pendingLinks.officerId))
      .innerJoin(units, eq(units.id, officers.unitId))
      .leftJoin(existing, and(eq(existing.officerId, officers.id), eq(existing.channel, pendingLinks.channel)))
      .where(and(isNull(pendingLinks.decidedAt), eq(officers.active, true), underRoot(root)))
      .orderBy(desc(pendingLinks.requestedAt))
      .limit(200);
    if (rows.length === 0) return "";
    const list = rows
      .map(
        (p) => `<tr data-pending="${p.id}"><td>${esc(p.officer)}</td><td>${esc(p.phone)}</td><td>${esc(p.unit)} (${esc(p.unitCode)})</td><td>${esc(CHANNEL_LABEL[p.channel])}</td>
<td>${p.displayName ? esc(p.displayName) : '<span class="note">không rõ</span>'}</td><td>${esc(formatDateTime(p.requestedAt, timeZone))}</td>
<td>${p.alreadyLinked ? `<span class="late">Cán bộ đã liên kết một tài khoản ${esc(CHANNEL_LABEL[p.channel])} khác: xác nhận sẽ thay thế tài khoản đó.</span><br>` : ""}${
          // Shown, so that a claim on an admin's number is seen; decided by an admin only.
          p.role === "admin" && s.officer.role !== "admin"
            ? '<span class="note">Tài khoản quản trị: chỉ quản trị viên xác nhận được.</span>'
            : `<form method="post" action="/officers/pending/${p.id}/approve" class="inline" data-confirm="Xác nhận tài khoản Zalo này là của ${esc(p.officer)}?"><button>Xác nhận</button></form>
<form method="post" action="/officers/pending/${p.id}/reject" class="inline"><button class="danger">Từ chối</button></form>`
        }</td></tr>`,
      )
      .join("");
    return `<h2 id="pending-links">Chờ xác nhận: liên kết tài khoản Zalo (${rows.length})</h2>
<p class="note">Số điện thoại trong biểu mẫu của Zalo có thể nhập tay. Chỉ xác nhận khi đã hỏi chính cán bộ (gọi điện, gặp trực tiếp) rằng họ vừa gửi yêu cầu này; nếu không, bấm «Từ chối».</p>
<table id="pending"><thead><tr><th>Cán bộ</th><th>Điện thoại</th><th>Đơn vị</th><th>Kênh</th><th>Tên trong biểu mẫu Zalo</th><th>Yêu cầu lúc</th><th></th></tr></thead><tbody>${list}</tbody></table>`;
  }

  const importForm = (s: Supervisor) => `<h2>Nhập danh sách cán bộ</h2>
<form method="post" action="/officers/import/preview" enctype="multipart/form-data">
<p><label>Tệp CSV hoặc XLSX (cột: Họ và tên, Số điện thoại, Vai trò, Mã đơn vị, Hệ mã)<br><input type="file" name="file" accept=".csv,.xlsx" required></label></p>
<p class="note">Các dòng lỗi được liệt kê trước khi ghi; chỉ những đơn vị thuộc ${esc(s.own.name)} được nhận.</p>
<button>Kiểm tra tệp</button></form>`;

  return (app: OpenAPIHono) => {
    app.get("/officers", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const root = await kit.unitBelow(s, c.req.query("unit"));
      if (!root) return notFoundPage(c);
      const showInactive = c.req.query("inactive") === "1";
      const rows = await db
        .select({
          id: officers.id,
          name: officers.name,
          phone: officers.phone,
          role: officers.role,
          active: officers.active,
          unit: units.name,
          unitCode: units.code,
          links: sql<{ channel: Channel; lastSeenAt: string | null }[]>`coalesce(json_agg(json_build_object('channel', ${channelLinks.channel}, 'lastSeenAt', ${channelLinks.lastSeenAt})) filter (where ${channelLinks.id} is not null), '[]')`,
        })
        .from(officers)
        .innerJoin(units, eq(units.id, officers.unitId))
        .leftJoin(channelLinks, eq(channelLinks.officerId, officers.id))
        .where(and(underRoot(root), showInactive ? undefined : eq(officers.active, true)))
        .groupBy(officers.id, units.id)
        .orderBy(units.path, officers.name)
        .limit(2000);
      const list = rows
        .map((o) => {
          const lastSeen = o.links.map((l) => l.lastSeenAt).filter((v): v is string => !!v).sort().at(-1);
          const linked = (["telegram", "zalo_bot", "zalo_oa"] as const).map((ch) => (o.links.some((l) => l.channel === ch) ? `✓ ${CHANNEL_LABEL[ch]}` : "")).filter(Boolean).join(", ");
          return `<tr data-officer="${o.id}"><td>${esc(o.name)}${o.active ? "" : ' <span class="missing">(ngừng hoạt động)</span>'}</td><td>${esc(o.phone)}</td><td>${esc(ROLE_LABEL[o.role])}</td><td>${esc(o.unit)} (${esc(o.unitCode)})</td>
<td>${linked || '<span class="missing">chưa liên kết</span>'}</td><td>${lastSeen ? esc(formatDateTime(new Date(lastSeen), timeZone)) : "—"}</td>
<td>${o.active ? `<form method="post" action="/officers/${o.id}/invite" class="inline"><select name="channel"><option value="telegram">Telegram</option><option value="zalo_bot">Zalo</option><option value="zalo_oa">Zalo OA</option></select> <button>Tạo lời mời</button></form>
<form method="post" action="/officers/${o.id}/deactivate" class="inline" data-confirm="Ngừng hoạt động cán bộ này? Lịch sử báo cáo được giữ nguyên."><button class="danger">Ngừng hoạt động</button></form>` : `<form method="post" action="/officers/${o.id}/reactivate"><button>Kích hoạt lại</button></form>`}</td></tr>`;
        })
        .join("");
      return c.html(
        adminPage(
          "Cán bộ",
          s,
          `<form method="get" action="/officers"><label>Đơn vị <select name="unit">${await unitOptions(db, s.own, root.code)}</select></label>
<label><input type="checkbox" name="inactive" value="1"${showInactive ? " checked" : ""}> gồm người đã ngừng</label> <button>Xem</button></form>
${await pendingSection(s, root)}
<p>${rows.length} cán bộ · đã liên kết ${rows.filter((o) => o.links.length > 0).length}</p>
<table><thead><tr><th>Họ và tên</th><th>Điện thoại</th><th>Vai trò</th><th>Đơn vị</th><th>Kênh đã liên kết</th><th>Hoạt động gần nhất</th><th></th></tr></thead><tbody>${list || `<tr><td colspan="7">Chưa có cán bộ.</td></tr>`}</tbody></table>
${importForm(s)}`,
        ),
      );
    });

    const uploadLimit = bodyLimit({ maxSize: MAX_FILE_BYTES * 2, onError: (c) => refusedPage(c, "Tệp quá lớn: tối đa 5 MB.") });

    // Step 1: check the file and show every bad row; nothing is written yet.
    app.post("/officers/import/preview", uploadLimit, async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const file = (await c.req.parseBody()).file;
      if (!(file instanceof File) || file.size === 0) return refusedPage(c, "Chưa chọn tệp.");
      if (file.size > MAX_FILE_BYTES) return refusedPage(c, "Tệp quá lớn: tối đa 5 MB.");
      const content = Buffer.from(await file.arrayBuffer());
      let report;
      try {
        report = await directory.importFile(content, file.name, { dryRun: true, within: s.own, allowAdminRole: s.officer.role === "admin" });
      } catch (err) {
        if (err instanceof ImportFileError) return refusedPage(c, err.message);
        throw err;
      }
      const good = report.good
        .slice(0, 200)
        .map((g) => `<tr><td>${g.line}</td><td>${esc(g.name)}</td><td>${esc(g.phone)}</td><td>${esc(ROLE_LABEL[g.role])}</td><td>${esc(g.unitCode)}</td></tr>`)
        .join("");
      return c.html(
        adminPage(
          "Kiểm tra danh sách cán bộ",
          s,
          `<p id="summary"><b>${report.good.length}</b> dòng hợp lệ · <b class="${report.rejected.length ? "missing" : ""}">${report.rejected.length}</b> dòng lỗi (chưa ghi gì vào hệ thống)</p>
${rejectedTable(report.rejected, "Dòng lỗi — sẽ bị bỏ qua")}
${
  report.good.length
    ? `<form method="post" action="/officers/import"><input type="hidden" name="name" value="${esc(file.name)}"><input type="hidden" name="content" value="${content.toString("base64")}">
<p><button>Nhập ${report.good.length} dòng hợp lệ</button> <a href="/officers">Huỷ</a></p></form>`
    : `<p><a href="/officers">← Quay lại</a></p>`
}
<h2>Dòng hợp lệ</h2><table><thead><tr><th>Dòng</th><th>Họ và tên</th><th>Điện thoại</th><th>Vai trò</th><th>Mã đơn vị</th></tr></thead><tbody>${good}</tbody></table>`,
        ),
      );
    });

    // Step 2: the same file again (the rules are re-checked: nothing is trusted from the form).
    app.post("/officers/import", uploadLimit, async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const form = await c.req.parseBody();
      const content = Buffer.from(String(form.content ?? ""), "base64");
      if (content.length === 0 || content.length > MAX_FILE_BYTES) return refusedPage(c, "Không đọc được tệp, vui lòng chọn lại.");
      let report;
      try {
        report = await directory.importFile(content, String(form.name ?? "officers.csv"), { within: s.own, allowAdminRole: s.officer.role === "admin" });
      } catch (err) {
        if (err instanceof ImportFileError) return refusedPage(c, err.message);
        throw err;
      }
      await kit.audit(db, s, "officers.import", `unit:${s.own.scheme}:${s.own.code}`, { imported: report.imported, rejected: report.rejected.length });
      return c.html(
        adminPage(
          "Đã nhập danh sách cán bộ",
          s,
          `<p id="summary">Đã nhập <b>${report.imported}</b> cán bộ; bỏ qua ${report.rejected.length} dòng lỗi.</p>
${rejectedTable(report.rejected, "Dòng không được nhập")}<p><a href="/officers">← Danh sách cán bộ</a></p>`,
        ),
      );
    });

    app.post("/officers/:id{[0-9]+}/invite", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const row = await officerBelow(s, Number(c.req.param("id")));
      if (!row || !row.officer.active) return notFoundPage(c);
      // Whoever types the code is linked to the account, and a chat link signs in to the web: an
      // invite for an admin is an admin's session.
      if (row.officer.role === "admin" && s.officer.role !== "admin") return refusedPage(c, "Chỉ quản trị viên mới tạo được lời mời cho tài khoản quản trị.");
      const asked = (await c.req.parseBody()).channel;
      const channel = asked === "zalo_bot" || asked === "zalo_oa" ? asked : "telegram";
      const { code, expiresAt } = await directory.createInvite(row.officer.phone, channel);
      const username = channel === "telegram" ? await deps.telegramUsername() : undefined;
      // Telegram: a deep link opens the bot with the code; Zalo has none, the officer types the code.
      const link = username ? `https://t.me/${username}?start=${code}` : undefined;
      // Loaded on first invite: not worth its resident memory in every process.
      const { default: QRCode } = await import("qrcode");
      const qr = await QRCode.toString(link ?? code, { type: "svg", margin: 1, width: 220 });
      await kit.audit(db, s, "officer.invite", `officer:${row.officer.id}`, { channel });
      return c.html(
        adminPage(
          `Lời mời cho ${row.officer.name}`,
          s,
          `<p>Dùng một lần, hết hạn ${esc(formatDate(localDate(expiresAt, timeZone)))}. Gửi cho cán bộ hoặc cho quét mã QR bằng điện thoại.</p>
<p>Mã mời: <b id="invite-code">${esc(code)}</b></p>
${link ? `<p>Đường dẫn: <a id="invite-link" href="${esc(link)}">${esc(link)}</a></p>` : `<p>Cán bộ mở ${channel === "telegram" ? "bot Telegram" : channel === "zalo_oa" ? "Official Account Zalo" : "bot Zalo"} của baocao và gửi ${channel === "telegram" ? `/start ${esc(code)}` : esc(code)}.</p>`}
<figure id="qr" class="w14">${qr}<figcaption class="note">${esc(link ?? code)}</figcaption></figure>
<p><a href="/officers">← Danh sách cán bộ</a></p>`,
        ),
      );
    });

    // A pending link decided: approval links the account and tells the officer there; both audited.
    for (const action of ["approve", "reject"] as const) {
      app.post(`/officers/pending/:id{[0-9]+}/${action}`, async (c) => {
        const s = await kit.supervisor(c);
        if (s instanceof Response) return s;
        const now = clock();
        const outcome = await db.transaction(async (tx) => {
          const row = await lockOpenPendingLink(tx, Number(c.req.param("id")));
          if (!row || !inSubtree(s.own, row.unit)) return "not-found" as const;
          if (row.officer.role === "admin" && s.officer.role !== "admin") return "admin-only" as const;
          if (action === "approve" && !row.officer.active) return "inactive" as const;
          await decidePendingLink(tx, row.link, action === "approve" ? "approved" : "rejected", s.officer.id, now);
          await kit.audit(tx, s, `officer.link_${action}`, `officer:${row.officer.id}`, { pendingLink: row.link.id, channel: row.link.channel, externalId: row.link.externalId });
          const to = { channel: row.link.channel, chatId: row.link.chatId, kind: "reply" };
          const told =
            action === "approve"
              ? [
                  { ...to, officerId: row.officer.id, payload: { text: `Xin chào anh/chị ${row.officer.name} — ${row.unit.name}.\n${s.officer.name} đã xác nhận: tài khoản Zalo này đã được liên kết với baocao.`, removeKeyboard: true } },
                  { ...to, officerId: row.officer.id, payload: MENU },
                ]
              : [{ ...to, officerId: null, payload: { text: "Yêu cầu liên kết tài khoản Zalo này với baocao không được xác nhận. Nếu anh/chị là cán bộ đã đăng ký, vui lòng xin mã mời từ cán bộ cấp trên rồi gửi mã đó tại đây." } }];
          return { ids: await deps.outbox.enqueue(tx, told), unitCode: row.unit.code };
        });
        if (outcome === "not-found") return notFoundPage(c);
        if (outcome === "admin-only") return refusedPage(c, "Chỉ quản trị viên mới xác nhận được liên kết cho tài khoản quản trị.");
        if (outcome === "inactive") return refusedPage(c, "Cán bộ này đã ngừng hoạt động: không liên kết được.");
        await deps.outbox.deliverNow(outcome.ids);
        return c.redirect(`/officers?unit=${encodeURIComponent(outcome.unitCode)}`);
      });
    }

    for (const action of ["deactivate", "reactivate"] as const) {
      app.post(`/officers/:id{[0-9]+}/${action}`, async (c) => {
        const s = await kit.supervisor(c);
        if (s instanceof Response) return s;
        const row = await officerBelow(s, Number(c.req.param("id")));
        if (!row) return notFoundPage(c);
        if (row.officer.id === s.officer.id) return refusedPage(c, "Anh/chị không thể tự ngừng hoạt động tài khoản của mình.");
        if (row.officer.role === "admin" && s.officer.role !== "admin") return refusedPage(c, "Chỉ quản trị viên mới thay đổi được tài khoản quản trị.");
        await db.transaction(async (tx) => {
          await tx.update(officers).set({ active: action === "reactivate", updatedAt: clock() }).where(eq(officers.id, row.officer.id));
          // Someone who left loses web access at once; their submissions and history stay.
          if (action === "deactivate") await tx.delete(webSessions).where(eq(webSessions.officerId, row.officer.id));
          await kit.audit(tx, s, `officer.${action}`, `officer:${row.officer.id}`);
        });
        return c.redirect(`/officers?unit=${encodeURIComponent(row.unit.code)}${action === "reactivate" ? "&inactive=1" : ""}`);
      });
    }
  };
}
