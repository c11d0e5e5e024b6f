import { randomBytes } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { and, count, desc, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { broadcastRecipients, broadcasts, documents, officerRoles, units, type OfficerRole } from "../../db/schema/index.js";
import { broadcastMessage, broadcastStatus, createBroadcast, type Broadcast, type RecipientStatus } from "../../broadcasts/broadcasts.js";
import { resolveRecipients, type Audience } from "../../delivery/audience.js";
import type { Unit } from "../../directory/units.js";
import { formatDateTime, localDate } from "../../domain/dates.js";
import { localTime } from "../../domain/quiet-hours.js";
import { splitMessage } from "../../domain/text.js";
import { TELEGRAM_MAX_TEXT } from "../../bot/telegram.js";
import { ZALO_MAX_TEXT } from "../../bot/zalo-bot.js";
import { esc, nonceAttr } from "../html.js";
import { adminPage, inSubtree, notFoundPage, refusedPage, unitOptions, type Supervisor } from "./kit.js";
import type { AdminPageDeps } from "./deps.js";
import { csvFile } from "../../exports/csv.js";

const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
const MAX_TEXT = 4000;
const ROLE_LABEL: Record<OfficerRole, string> = { commune: "Cán bộ xã", district: "Cấp huyện", province: "Cấp tỉnh", admin: "Quản trị" };
const STATUS_LABEL: Record<RecipientStatus, string> = {
  pending: "Chờ gửi",
  queued: "Đang gửi",
  sent: "Đã gửi",
  failed: "Gửi lỗi",
  unreachable: "Không liên lạc được",
  outside_window: "Ngoài khung Zalo",
  acknowledged: "Đã xác nhận",
};

/** What the composer carries between its steps (compose → preview → send). */
interface Draft {
  text: string;
  rootCode: string;
  roles: OfficerRole[];
  /** "YYYY-MM-DDTHH:MM" local time, empty = now. */
  sendAt: string;
  requireAck: boolean;
  documentKey?: string;
}

/**
 * Accepted documents, recognised by their content rather than by the name the browser sent: a PDF
 * by its first bytes, a DOCX by being a ZIP that holds word/document.xml (any ZIP renamed .docx is not).
 */
async function documentType(name: string, bytes: Buffer): Promise<string | undefined> {
  if (bytes.subarray(0, 5).toString("latin1") === "%PDF-") return "application/pdf";
  if (/\.docx$/i.test(name) && bytes.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) {
    // jszip (already under exceljs) reads the ZIP's directory; loaded on use like exceljs.
    const { default: JSZip } = await import("jszip");
    const zip = await JSZip.loadAsync(bytes).catch(() => undefined);
    if (zip?.file("word/document.xml") && zip.file("[Content_Types].xml")) {
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    }
  }
  return undefined;
}

/**
 * Directives (văn bản chỉ đạo) in the browser: compose with a preview of how the message looks on
 * Telegram and Zalo and who will get it, send now or later, then follow delivery and "đã nhận"
 * per recipient, remind those who have not acknowledged, and export the list.
 */
export function mountBroadcastPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;

  const readDraft = (form: Record<string, unknown>): Draft => ({
    text: String(form.text ?? "").replace(/\r\n/g, "\n").trim(),
    rootCode: String(form.root ?? ""),
    roles: ([] as unknown[])
      .concat(form["roles[]"] ?? form.roles ?? [])
      .map(String)
      .filter((r): r is OfficerRole => (officerRoles as readonly string[]).includes(r)),
    sendAt: String(form.sendAt ?? "").trim(),
    requireAck: form.requireAck === "on" || form.requireAck === "1",
    documentKey: form.documentKey ? String(form.documentKey) : undefined,
  });

  /** Problems with a draft, in Vietnamese; empty when it can be sent. */
  function problems(d: Draft, root: Unit | undefined): string[] {
    const out: string[] = [];
    if (!d.text) out.push("Chưa có nội dung văn bản.");
    if (d.text.length > MAX_TEXT) out.push(`Nội dung dài ${d.text.length} ký tự, tối đa ${MAX_TEXT}.`);
    if (!root) out.push("Đơn vị nhận không thuộc phạm vi của anh/chị.");
    if (d.sendAt && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(d.sendAt)) out.push("Thời điểm gửi không hợp lệ.");
    return out;
  }

  const sendTime = (d: Draft) => (d.sendAt ? localTime(d.sendAt.slice(0, 10), d.sendAt.slice(11), timeZone) : clock());
  const audienceOf = (d: Draft, root: Unit): Audience => ({ scheme: root.scheme, rootCode: root.code, ...(d.roles.length ? { roles: d.roles } : {}) });
  const documentUrl = (_c: Context, key: string) => `${deps.publicOrigin()}/documents/${key}`;

  /** The directives someone may see: those whose audience lies in their subtree (national ones: admins). */
  async function visibleOf(s: Supervisor, rows: Broadcast[]): Promise<Broadcast[]> {
    const codes = [...new Set(rows.map((b) => b.audience.rootCode).filter((c): c is string => !!c))];
    const roots = codes.length ? await db.select().from(units).where(and(eq(units.scheme, s.own.scheme), inArray(units.code, codes))) : [];
    return rows.filter((b) => {
      if (b.audience.scheme !== s.own.scheme) return false;
      if (!b.audience.rootCode) return s.officer.role === "admin";
      const root = roots.find((u) => u.code === b.audience.rootCode);
      return !!root && inSubtree(s.own, root);
    });
  }

  async function visible(s: Supervisor, id: number): Promise<Broadcast | undefined> {
    const rows = await db.select().from(broadcasts).where(eq(broadcasts.id, id));
    return (await visibleOf(s, rows))[0];
  }

  async function composeForm(s: Supervisor, d: Draft, errors: string[] = []): Promise<string> {
    const roles = officerRoles
      .map((r) => `<label><input type="checkbox" name="roles" value="${r}"${d.roles.includes(r) ? " checked" : ""}> ${esc(ROLE_LABEL[r])}</label>`)
      .join(" ");
    return `${errors.length ? `<div role="alert" class="missing"><ul>${errors.map((e) => `<li>${esc(e)}</li>`).join("")}</ul></div>` : ""}
<form method="post" action="/broadcasts/preview" enctype="multipart/form-data">
<p><label>Nội dung<br><textarea name="text" id="text" rows="8" cols="80" maxlength="${MAX_TEXT}" required>${esc(d.text)}</textarea></label><br>
<span class="note" id="counter"></span></p>
<p><label>Đính kèm văn bản (PDF hoặc DOCX, tối đa 10 MB)<br><input type="file" name="document" accept=".pdf,.docx,application/pdf"></label>
${d.documentKey ? `<input type="hidden" name="documentKey" value="${esc(d.documentKey)}"> <span class="note">đã đính kèm một tệp; chọn tệp khác để thay</span>` : ""}</p>
<p><label>Gửi tới đơn vị (và các đơn vị trực thuộc)<br><select name="root">${await unitOptions(db, s.own, d.rootCode || s.own.code)}</select></label></p>
<p>Vai trò (không chọn = tất cả): ${roles}</p>
<p><label>Gửi lúc (để trống = gửi ngay; giờ yên tĩnh vẫn được tôn trọng)<br><input type="datetime-local" name="sendAt" value="${esc(d.sendAt)}"></label></p>
<p><label><input type="checkbox" name="requireAck"${d.requireAck ? " checked" : ""}> Yêu cầu xác nhận «Đã nhận»</label></p>
<p><button>Xem trước</button></p></form>
<script${nonceAttr()}>
const t=document.getElementById('text'),n=document.getElementById('counter');
const upd=()=>{const l=t.value.length;n.textContent='Telegram: '+l+'/${TELEGRAM_MAX_TEXT} ký tự · Zalo: '+l+' ký tự = '+Math.max(1,Math.ceil(l/${ZALO_MAX_TEXT}))+' tin (mỗi tin tối đa ${ZALO_MAX_TEXT})';};
t.addEventListener('input',upd);upd();
</script>`;
  }

  return (app: OpenAPIHono) => {
    app.get("/broadcasts", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const mine = await visibleOf(s, await db.select().from(broadcasts).orderBy(desc(broadcasts.sendAt)).limit(200));
      const tallies = mine.length
        ? await db
            .select({ id: broadcastRecipients.broadcastId, total: count(), acked: count(broadcastRecipients.ackAt) })
            .from(broadcastRecipients)
            .where(inArray(broadcastRecipients.broadcastId, mine.map((b) => b.id)))
            .groupBy(broadcastRecipients.broadcastId)
        : [];
      const list = mine
        .map((b) => {
          const t = tallies.find((x) => x.id === b.id);
          const excerpt = b.text.length > 80 ? `${b.text.slice(0, 80)}…` : b.text;
          return `<tr><td><a href="/broadcasts/${b.id}">#${b.id}</a></td><td>${esc(formatDateTime(b.sendAt, timeZone))}</td><td>${esc(excerpt)}</td><td>${t?.total ?? (b.plannedAt ? 0 : "chưa gửi")}</td><td>${b.requireAck ? `${t?.acked ?? 0}` : "—"}</td></tr>`;
        })
        .join("");
      return c.html(
        adminPage(
          "Văn bản chỉ đạo",
          s,
          `<p><a href="/broadcasts/new">✉ Soạn văn bản mới</a></p>
<table><thead><tr><th>Số</th><th>Gửi lúc</th><th>Nội dung</th><th>Người nhận</th><th>Đã xác nhận</th></tr></thead><tbody>${list || `<tr><td colspan="5">Chưa có văn bản nào.</td></tr>`}</tbody></table>`,
        ),
      );
    });

    app.get("/broadcasts/new", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      return c.html(adminPage("Soạn văn bản chỉ đạo", s, await composeForm(s, { text: "", rootCode: s.own.code, roles: [], sendAt: "", requireAck: true })));
    });

    // "Sửa lại" from the preview: the same form with what was typed.
    app.post("/broadcasts/new", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      return c.html(adminPage("Soạn văn bản chỉ đạo", s, await composeForm(s, readDraft(await c.req.parseBody({ all: true })))));
    });

    const uploadLimit = bodyLimit({ maxSize: MAX_DOCUMENT_BYTES + 256 * 1024, onError: (c) => refusedPage(c, "Tệp đính kèm quá lớn: tối đa 10 MB.") });
    app.post("/broadcasts/preview", uploadLimit, async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const form = await c.req.parseBody({ all: true });
      const d = readDraft(form);
      const root = await kit.unitBelow(s, d.rootCode);
      const errors = problems(d, root);
      const file = form.document;
      if (file instanceof File && file.size > 0) {
        const bytes = Buffer.from(await file.arrayBuffer());
        const mime = await documentType(file.name, bytes);
        if (!mime) errors.push(`Tệp «${file.name}» không phải PDF hoặc DOCX.`);
        else if (bytes.length > MAX_DOCUMENT_BYTES) errors.push("Tệp đính kèm quá lớn: tối đa 10 MB.");
        else {
          const key = randomBytes(24).toString("base64url");
          await db.insert(documents).values({ key, name: file.name.slice(0, 200), mime, bytes, size: bytes.length, uploadedBy: s.officer.id });
          d.documentKey = key;
        }
      }
      if (errors.length || !root) return c.html(adminPage("Soạn văn bản chỉ đạo", s, await composeForm(s, d, errors)), 400);
      const [doc] = d.documentKey ? await db.select({ name: documents.name, size: documents.size }).from(documents).where(and(eq(documents.key, d.documentKey), eq(documents.uploadedBy, s.officer.id))) : [];
      const message = broadcastMessage({ id: 0, text: d.text, documentUrl: d.documentKey ? documentUrl(c, d.documentKey) : null, requireAck: d.requireAck });
      const zaloParts = splitMessage(message.text, ZALO_MAX_TEXT);
      const { reachable, unlinked } = await resolveRecipients(db, audienceOf(d, root));
      const byChannel = new Map<string, number>();
      for (const r of reachable) byChannel.set(r.channel, (byChannel.get(r.channel) ?? 0) + 1);
      const hidden = [
        ["text", d.text],
        ["root", d.rootCode],
        ["sendAt", d.sendAt],
        ...(d.requireAck ? [["requireAck", "on"]] : []),
        ...(d.documentKey ? [["documentKey", d.documentKey]] : []),
        ...d.roles.map((r) => ["roles", r]),
      ]
        .map(([k, v]) => `<input type="hidden" name="${k}" value="${esc(v)}">`)
        .join("");
      const bubble = (text: string) => `<div class="tg-bubble">${esc(text)}</div>`;
      const button = message.choices?.map((ch) => `<div class="tg-button">${esc(ch.label)}</div>`).join("") ?? "";
      return c.html(
        adminPage(
          "Xem trước văn bản",
          s,
          `<p id="audience">Gửi tới: <b>${esc(root.name)}</b>${d.roles.length ? ` — ${esc(d.roles.map((r) => ROLE_LABEL[r]).join(", "))}` : ""} · <b id="recipient-count">${reachable.length + unlinked.length}</b> người nhận
(${[...byChannel].map(([ch, n]) => `${esc(ch)}: ${n}`).join(", ") || "chưa ai liên kết kênh chat"}${unlinked.length ? `; <span class="late">${unlinked.length} chưa liên kết kênh nào</span>` : ""})</p>
<p>Gửi lúc: ${esc(d.sendAt ? formatDateTime(sendTime(d), timeZone) : "ngay bây giờ")}${doc ? ` · Đính kèm: ${esc(doc.name)} (${Math.ceil(doc.size / 1024)} KB), gửi kèm dưới dạng đường dẫn` : ""}</p>
<div class="row">
<section><h2>Telegram</h2>${bubble(message.text)}${button}<p class="note">${message.text.length}/${TELEGRAM_MAX_TEXT} ký tự${message.text.length > TELEGRAM_MAX_TEXT ? " — sẽ được chia thành nhiều tin" : ""}</p></section>
<section><h2>Zalo</h2>${zaloParts.map(bubble).join("")}${button}<p class="note">${zaloParts.length} tin (tối đa ${ZALO_MAX_TEXT} ký tự mỗi tin)</p></section></div>
<form method="post" action="/broadcasts">${hidden}<button>Gửi văn bản</button></form>
<form method="post" action="/broadcasts/new">${hidden}<button class="muted">Sửa lại</button></form>`,
        ),
      );
    });

    app.post("/broadcasts", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const d = readDraft(await c.req.parseBody({ all: true }));
      const root = await kit.unitBelow(s, d.rootCode);
      const errors = problems(d, root);
      if (errors.length || !root) return c.html(adminPage("Soạn văn bản chỉ đạo", s, await composeForm(s, d, errors)), 400);
      // Only one's own upload can be attached (the key came back through a hidden field).
      const [doc] = d.documentKey ? await db.select({ id: documents.id }).from(documents).where(and(eq(documents.key, d.documentKey), eq(documents.uploadedBy, s.officer.id))) : [];
      const b = await createBroadcast(
        db,
        { text: d.text, documentUrl: doc ? documentUrl(c, d.documentKey!) : undefined, audience: audienceOf(d, root), sendAt: sendTime(d), requireAck: d.requireAck },
        clock(),
      );
      await db.update(broadcasts).set({ createdBy: s.officer.id, documentId: doc?.id ?? null }).where(eq(broadcasts.id, b.id));
      await kit.audit(db, s, "broadcast.create", `broadcast:${b.id}`, { root: root.code, roles: d.roles, requireAck: d.requireAck });
      if (b.sendAt.getTime() <= clock().getTime()) {
        await deps.planners.planBroadcasts();
        void deps.track(deps.outbox.drainOnce()).catch(() => undefined);
      }
      return c.redirect(`/broadcasts/${b.id}`);
    });

    app.get("/broadcasts/:id{[0-9]+}", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const b = await visible(s, Number(c.req.param("id")));
      if (!b) return notFoundPage(c);
      const st = (await broadcastStatus(db, b.id))!;
      const filter = c.req.query("status");
      const shown = filter ? st.recipients.filter((r) => r.status === filter) : st.recipients;
      const counts = (Object.keys(STATUS_LABEL) as RecipientStatus[])
        .filter((k) => st.counts[k])
        .map((k) => `<a href="/broadcasts/${b.id}?status=${k}">${esc(STATUS_LABEL[k])}: <b data-status="${k}">${st.counts[k]}</b></a>`)
        .join(" · ");
      const waiting = st.recipients.filter((r) => r.status === "sent").length;
      const rows = shown
        .map((r) => `<tr><td>${esc(r.name)}</td><td>${esc(r.unit)}</td><td>${esc(r.channel ?? "—")}</td><td>${esc(STATUS_LABEL[r.status])}</td><td>${r.sentAt ? esc(formatDateTime(new Date(r.sentAt), timeZone)) : "—"}</td><td>${r.acknowledgedAt ? esc(formatDateTime(new Date(r.acknowledgedAt), timeZone)) : "—"}</td></tr>`)
        .join("");
      return c.html(
        adminPage(
          `Văn bản #${b.id}`,
          s,
          `<div class="quote">${esc(b.text)}</div>
<p class="note">Gửi lúc ${esc(formatDateTime(b.sendAt, timeZone))}${b.documentUrl ? ` · <a href="${esc(b.documentUrl)}">văn bản đính kèm</a>` : ""}${b.requireAck ? " · yêu cầu xác nhận" : ""}${st.planned ? "" : " · <b>chưa đến giờ gửi</b>"}</p>
<p id="counts">${counts || "Chưa có người nhận."}</p>
${b.requireAck && waiting > 0 ? `<form method="post" action="/broadcasts/${b.id}/remind"><button>Nhắc ${waiting} người chưa xác nhận</button></form>` : ""}
<p><a href="/broadcasts/${b.id}/recipients.xlsx">⬇ Danh sách (XLSX)</a> · <a href="/broadcasts/${b.id}/recipients.csv">⬇ CSV</a>${filter ? ` · <a href="/broadcasts/${b.id}">Tất cả</a>` : ""}</p>
<table><thead><tr><th>Cán bộ</th><th>Đơn vị</th><th>Kênh</th><th>Tình trạng</th><th>Gửi lúc</th><th>Xác nhận lúc</th></tr></thead><tbody>${rows}</tbody></table>
<p><a href="/broadcasts">← Văn bản chỉ đạo</a></p>`,
        ),
      );
    });

    app.post("/broadcasts/:id{[0-9]+}/remind", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const b = await visible(s, Number(c.req.param("id")));
      if (!b) return notFoundPage(c);
      if (!b.requireAck) return refusedPage(c, "Văn bản này không yêu cầu xác nhận.");
      const waiting = await db
        .select({ officerId: broadcastRecipients.officerId })
        .from(broadcastRecipients)
        .where(and(eq(broadcastRecipients.broadcastId, b.id), sql`${broadcastRecipients.ackAt} is null`));
      const { reachable } = await resolveRecipients(db, b.audience);
      const ids = new Set(waiting.map((w) => w.officerId));
      // One reminder per person per minute, however often the button is pressed.
      const minute = clock().toISOString().slice(0, 16);
      const original = broadcastMessage(b);
      const queued = await deps.outbox.enqueue(
        db,
        reachable
          .filter((r) => ids.has(r.officerId))
          .map((r) => ({
            officerId: r.officerId,
            channel: r.channel,
            chatId: r.chatId,
            kind: "broadcast",
            dedupeKey: `broadcast-remind:${b.id}:${minute}:${r.officerId}`,
            payload: { ...original, text: `🔔 Nhắc lại — anh/chị chưa xác nhận văn bản:\n${original.text}` },
          })),
      );
      await kit.audit(db, s, "broadcast.remind", `broadcast:${b.id}`, { officers: queued.length });
      void deps.track(deps.outbox.drainOnce()).catch(() => undefined);
      return c.redirect(`/broadcasts/${b.id}`);
    });

    for (const format of ["xlsx", "csv"] as const) {
      app.get(`/broadcasts/:id{[0-9]+}/recipients.${format}`, async (c) => {
        const s = await kit.supervisor(c);
        if (s instanceof Response) return s;
        const b = await visible(s, Number(c.req.param("id")));
        if (!b) return notFoundPage(c);
        const st = (await broadcastStatus(db, b.id))!;
        const header = ["Cán bộ", "Đơn vị", "Kênh", "Tình trạng", "Gửi lúc", "Xác nhận lúc"];
        const when = (iso: string | null) => (iso ? formatDateTime(new Date(iso), timeZone) : "");
        const rows = st.recipients.map((r) => [r.name, r.unit, r.channel ?? "", STATUS_LABEL[r.status], when(r.sentAt), when(r.acknowledgedAt)]);
        await kit.audit(db, s, "broadcast.export", `broadcast:${b.id}`, { format });
        const name = `van-ban-${b.id}-${localDate(clock(), timeZone)}`;
        if (format === "csv") {
          c.header("content-type", "text/csv; charset=utf-8");
          c.header("content-disposition", `attachment; filename="${name}.csv"`);
          return c.body(csvFile([header, ...rows]));
        }
        // Loaded on first use: exceljs costs ~20 MB resident and most processes never export.
        const { default: ExcelJS } = await import("exceljs");
        const wb = new ExcelJS.Workbook();
        const ws = wb.addWorksheet(`Văn bản ${b.id}`);
        ws.addRow(header).font = { bold: true };
        for (const r of rows) ws.addRow(r);
        ws.columns.forEach((col, i) => (col.width = [28, 28, 12, 20, 18, 18][i]));
        c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        c.header("content-disposition", `attachment; filename="${name}.xlsx"`);
        return c.body(new Uint8Array(await wb.xlsx.writeBuffer()));
      });
    }

    // The attached document, opened from the chat link: the key is the only secret it needs.
    app.get("/documents/:key", async (c) => {
      const [doc] = await db.select().from(documents).where(eq(documents.key, c.req.param("key")));
      if (!doc) return notFoundPage(c);
      const used = await db.select({ id: broadcasts.id }).from(broadcasts).where(and(eq(broadcasts.documentId, doc.id), isNotNull(broadcasts.plannedAt))).limit(1);
      // A draft's upload is only for the signed-in author's preview until the directive is sent.
      if (used.length === 0) {
        const s = await kit.supervisor(c);
        if (s instanceof Response || s.officer.id !== doc.uploadedBy) return notFoundPage(c);
      }
      c.header("content-type", doc.mime);
      c.header("x-content-type-options", "nosniff");
      c.header("content-disposition", `attachment; filename*=UTF-8''${encodeURIComponent(doc.name)}`);
      return c.body(new Uint8Array(doc.bytes));
    });
  };
}
