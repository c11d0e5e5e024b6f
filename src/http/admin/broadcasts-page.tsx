import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { raw } from "hono/html";
import { validator } from "hono/validator";
import { and, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import { broadcasts, documents, officerRoles, type OfficerRole } from "../../db/schema/index.js";
import { broadcastStatus, type RecipientStatus } from "../../broadcasts/broadcasts.js";
import { DOCUMENT_TOO_LARGE, MAX_DOCUMENT_BYTES, uploadDocument } from "../../broadcasts/documents.js";
import { exportRecipients } from "../../broadcasts/export-recipients.js";
import { channelLabel, excerpt, RECIPIENT_STATUS_LABELS } from "../../broadcasts/labels.js";
import { remindBroadcast } from "../../broadcasts/remind-broadcast.js";
import { MAX_BROADCAST_TEXT, previewBroadcast, sendBroadcast, type BroadcastInput, type BroadcastPreview } from "../../broadcasts/send-broadcast.js";
import { broadcastInScope, listBroadcasts } from "../../broadcasts/visible-broadcasts.js";
import { isAppError } from "../../domain/app-error.js";
import { formatDateTime } from "../../domain/dates.js";
import { localTime } from "../../domain/quiet-hours.js";
import { splitMessage } from "../../domain/text.js";
import type { ServiceContext } from "../../directory/actor.js";
import { ROLE_LABELS } from "../../directory/labels.js";
import { TELEGRAM_MAX_TEXT } from "../../bot/telegram.js";
import { ZALO_MAX_TEXT } from "../../bot/zalo-bot.js";
import { csvFile } from "../../exports/csv.js";
import { cspNonce } from "../html.js";
import { AdminLayout } from "./admin-layout.js";
import { all, first, Problems } from "./form-fields.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { notFoundPage, refusedPage } from "./refused.js";
import { UnitOptions, unitOptionsOf, type UnitOption } from "./unit-select.js";

/** What the composer carries between its steps (compose → preview → send), exactly as typed. */
interface Draft {
  text: string;
  rootCode: string;
  roles: OfficerRole[];
  /** "YYYY-MM-DDTHH:MM" local time, empty = now. */
  sendAt: string;
  requireAck: boolean;
  documentKey?: string | undefined;
}

/** The composer's fields, read leniently: whatever was typed comes back in the form. */
const DraftForm = z.record(z.string(), z.unknown()).transform((form): Draft => ({
  text: first(form.text).replace(/\r\n/g, "\n").trim(),
  rootCode: first(form.root),
  roles: all(form["roles[]"] ?? form.roles)
    .map(String)
    .filter((r): r is OfficerRole => (officerRoles as readonly string[]).includes(r)),
  sendAt: first(form.sendAt).trim(),
  requireAck: first(form.requireAck) === "on" || first(form.requireAck) === "1",
  documentKey: first(form.documentKey) || undefined,
}));

/** What must hold before a draft is previewed or sent, in Vietnamese. */
const Sendable = z.object({
  text: z
    .string()
    .min(1, "Chưa có nội dung văn bản.")
    .max(MAX_BROADCAST_TEXT, { error: (iss) => `Nội dung dài ${String(iss.input).length} ký tự, tối đa ${MAX_BROADCAST_TEXT}.` }),
  sendAt: z.union([z.literal(""), z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/, "Thời điểm gửi không hợp lệ.")]),
});

const draftProblems = (d: Draft): string[] => {
  const r = Sendable.safeParse(d);
  return r.success ? [] : r.error.issues.map((i) => i.message);
};

/** The upload form and the preview/send forms carry the document in a file field or a hidden key. */
const draftValidator = validator("form", (value) => {
  const form = value as Record<string, unknown>;
  return { draft: DraftForm.parse(form), file: all(form.document)[0] };
});

const OUT_OF_SCOPE = "Đơn vị nhận không thuộc phạm vi của anh/chị.";

// raw(): a constant script of this file; only numbers of this code are spliced into it (the JSX escaper would break its `>`).
const COUNTER_SCRIPT = raw(`
const t=document.getElementById('text'),n=document.getElementById('counter');
const upd=()=>{const l=t.value.length;n.textContent='Telegram: '+l+'/${TELEGRAM_MAX_TEXT} ký tự · Zalo: '+l+' ký tự = '+Math.max(1,Math.ceil(l/${ZALO_MAX_TEXT}))+' tin (mỗi tin tối đa ${ZALO_MAX_TEXT})';};
t.addEventListener('input',upd);upd();
`);

function ComposeForm(props: { draft: Draft; units: UnitOption[]; ownCode: string; errors: string[] }) {
  const d = props.draft;
  return (
    <>
      <Problems errors={props.errors} />
      <form method="post" action="/broadcasts/preview" enctype="multipart/form-data">
        <p>
          <label>
            Nội dung
            <br />
            <textarea name="text" id="text" rows={8} cols={80} maxlength={MAX_BROADCAST_TEXT} required>
              {d.text}
            </textarea>
          </label>
          <br />
          <span class="note" id="counter"></span>
        </p>
        <p>
          <label>
            Đính kèm văn bản (PDF hoặc DOCX, tối đa 10 MB)
            <br />
            <input type="file" name="document" accept=".pdf,.docx,application/pdf" />
          </label>
          {d.documentKey ? (
            <>
              <input type="hidden" name="documentKey" value={d.documentKey} /> <span class="note">đã đính kèm một tệp; chọn tệp khác để thay</span>
            </>
          ) : null}
        </p>
        <p>
          <label>
            Gửi tới đơn vị (và các đơn vị trực thuộc)
            <br />
            <select name="root">
              <UnitOptions options={props.units} selected={d.rootCode || props.ownCode} />
            </select>
          </label>
        </p>
        <p>
          Vai trò (không chọn = tất cả):{" "}
          {officerRoles.map((r) => (
            <>
              <label>
                <input type="checkbox" name="roles" value={r} checked={d.roles.includes(r)} /> {ROLE_LABELS[r]}
              </label>{" "}
            </>
          ))}
        </p>
        <p>
          <label>
            Gửi lúc (để trống = gửi ngay; giờ yên tĩnh vẫn được tôn trọng)
            <br />
            <input type="datetime-local" name="sendAt" value={d.sendAt} />
          </label>
        </p>
        <p>
          <label>
            <input type="checkbox" name="requireAck" checked={d.requireAck} /> Yêu cầu xác nhận «Đã nhận»
          </label>
        </p>
        <p>
          <button>Xem trước</button>
        </p>
      </form>
      <script nonce={cspNonce()}>{COUNTER_SCRIPT}</script>
    </>
  );
}

/** The draft again, as hidden fields, for "Gửi văn bản" and "Sửa lại". */
function DraftFields(props: { draft: Draft }) {
  const d = props.draft;
  return (
    <>
      <input type="hidden" name="text" value={d.text} />
      <input type="hidden" name="root" value={d.rootCode} />
      <input type="hidden" name="sendAt" value={d.sendAt} />
      {d.requireAck ? <input type="hidden" name="requireAck" value="on" /> : null}
      {d.documentKey ? <input type="hidden" name="documentKey" value={d.documentKey} /> : null}
      {d.roles.map((r) => (
        <input type="hidden" name="roles" value={r} />
      ))}
    </>
  );
}

function PreviewBody(props: { draft: Draft; preview: BroadcastPreview; rootName: string; sendAtText: string }) {
  const { draft: d, preview: p } = props;
  const byChannel = new Map<string, number>();
  for (const r of p.reachable) byChannel.set(r.channel, (byChannel.get(r.channel) ?? 0) + 1);
  const zaloParts = splitMessage(p.message.text, ZALO_MAX_TEXT);
  const buttons = p.message.choices?.map((ch) => <div class="tg-button">{ch.label}</div>);
  const channels = [...byChannel].map(([ch, n]) => `${channelLabel(ch)}: ${n}`).join(", ");
  return (
    <>
      <p id="audience">
        Gửi tới: <b>{props.rootName}</b>
        {d.roles.length ? ` — ${d.roles.map((r) => ROLE_LABELS[r]).join(", ")}` : ""} · <b id="recipient-count">{p.reachable.length + p.unlinked.length}</b>{" "}
        người nhận ({channels || "chưa ai liên kết kênh chat"}
        {p.unlinked.length ? (
          <>
            ; <span class="late">{p.unlinked.length} chưa liên kết kênh nào</span>
          </>
        ) : null}
        )
      </p>
      <p>
        Gửi lúc: {props.sendAtText}
        {p.document ? ` · Đính kèm: ${p.document.name} (${Math.ceil(p.document.size / 1024)} KB), gửi kèm dưới dạng đường dẫn` : ""}
      </p>
      <div class="row">
        <section>
          <h2>Telegram</h2>
          <div class="tg-bubble">{p.message.text}</div>
          {buttons}
          <p class="note">
            {p.message.text.length}/{TELEGRAM_MAX_TEXT} ký tự{p.message.text.length > TELEGRAM_MAX_TEXT ? " — sẽ được chia thành nhiều tin" : ""}
          </p>
        </section>
        <section>
          <h2>Zalo</h2>
          {zaloParts.map((part) => (
            <div class="tg-bubble">{part}</div>
          ))}
          {buttons}
          <p class="note">
            {zaloParts.length} tin (tối đa {ZALO_MAX_TEXT} ký tự mỗi tin)
          </p>
        </section>
      </div>
      <form method="post" action="/broadcasts">
        <DraftFields draft={d} />
        <button>Gửi văn bản</button>
      </form>
      <form method="post" action="/broadcasts/new">
        <DraftFields draft={d} />
        <button class="muted">Sửa lại</button>
      </form>
    </>
  );
}

/**
 * Directives (văn bản chỉ đạo) in the browser: compose with a preview of how the message looks on
 * Telegram and Zalo and who will get it, send now or later, then follow delivery and "đã nhận"
 * per recipient, remind those who have not acknowledged, and export the list.
 */
export function mountBroadcastPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock });
  const documentUrl = (key: string) => `${deps.publicOrigin()}/documents/${key}`;
  const sendTime = (d: Draft): Date | undefined => (d.sendAt ? localTime(d.sendAt.slice(0, 10), d.sendAt.slice(11), timeZone) : undefined);

  const inputOf = (s: Supervisor, d: Draft): BroadcastInput => ({
    text: d.text,
    audience: { scheme: s.own.scheme, rootCode: d.rootCode || s.own.code, ...(d.roles.length ? { roles: d.roles } : {}) },
    sendAt: sendTime(d),
    requireAck: d.requireAck,
    ...(d.documentKey ? { document: { key: d.documentKey, url: documentUrl(d.documentKey) } } : {}),
  });

  /** The draft's problems, with a send time that does not exist (31/2) among them. */
  const problemsOf = (d: Draft): string[] => {
    const out = draftProblems(d);
    if (out.length === 0 && d.sendAt && Number.isNaN(sendTime(d)?.getTime())) out.push("Thời điểm gửi không hợp lệ.");
    return out;
  };

  const composePage = async (c: Context<AdminEnv>, d: Draft, errors: string[] = [], status: 200 | 400 = 200) => {
    const s = c.var.supervisor;
    const units = await unitOptionsOf(db, s.own);
    return c.html(
      <AdminLayout title="Soạn văn bản chỉ đạo" supervisor={s} flash={c.var.flash}>
        <ComposeForm draft={d} units={units} ownCode={s.own.code} errors={errors} />
      </AdminLayout>,
      status,
    );
  };

  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, deps.sessions));

  web.get("/", async (c) => {
    const s = c.var.supervisor;
    const items = await listBroadcasts(ctxOf(s));
    return c.html(
      <AdminLayout title="Văn bản chỉ đạo" supervisor={s} flash={c.var.flash}>
        <p>
          <a href="/broadcasts/new">✉ Soạn văn bản mới</a>
        </p>
        <table>
          <thead>
            <tr>
              <th>Số</th>
              <th>Gửi lúc</th>
              <th>Nội dung</th>
              <th>Người nhận</th>
              <th>Đã xác nhận</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 ? (
              <tr>
                <td colspan={5}>Chưa có văn bản nào.</td>
              </tr>
            ) : (
              items.map(({ broadcast: b, recipients, acknowledged }) => (
                <tr>
                  <td>
                    <a href={`/broadcasts/${b.id}`}>#{b.id}</a>
                  </td>
                  <td>{formatDateTime(b.sendAt, timeZone)}</td>
                  <td>{excerpt(b.text)}</td>
                  <td>{recipients || (b.plannedAt ? 0 : "chưa gửi")}</td>
                  <td>{b.requireAck ? acknowledged : "—"}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </AdminLayout>,
    );
  });

  web.get("/new", (c) => composePage(c, { text: "", rootCode: c.var.supervisor.own.code, roles: [], sendAt: "", requireAck: true }));

  // "Sửa lại" from the preview: the same form with what was typed.
  web.post("/new", draftValidator, (c) => composePage(c, c.req.valid("form").draft));

  const uploadLimit = bodyLimit({ maxSize: MAX_DOCUMENT_BYTES + 256 * 1024, onError: (c) => refusedPage(c, DOCUMENT_TOO_LARGE) });
  web.post("/preview", uploadLimit, draftValidator, async (c) => {
    const s = c.var.supervisor;
    const { draft, file } = c.req.valid("form");
    const d: Draft = { ...draft };
    const errors = problemsOf(d);
    if (file instanceof File && file.size > 0) {
      try {
        d.documentKey = (await uploadDocument(ctxOf(s), { name: file.name, bytes: Buffer.from(await file.arrayBuffer()) })).key;
      } catch (err) {
        if (!isAppError(err)) throw err;
        errors.push(err.message);
      }
    }
    let preview: BroadcastPreview | undefined;
    try {
      preview = await previewBroadcast(ctxOf(s), inputOf(s, d));
    } catch (err) {
      if (!isAppError(err)) throw err;
      if (err.code === "not_found") errors.push(OUT_OF_SCOPE);
      else if (errors.length === 0) errors.push(...(err.issues.length ? err.issues : [err.message]));
    }
    if (errors.length || !preview) return composePage(c, d, errors, 400);
    return c.html(
      <AdminLayout title="Xem trước văn bản" supervisor={s}>
        <PreviewBody
          draft={d}
          preview={preview}
          rootName={preview.root?.name ?? "Toàn quốc"}
          sendAtText={d.sendAt ? formatDateTime(sendTime(d)!, timeZone) : "ngay bây giờ"}
        />
      </AdminLayout>,
    );
  });

  web.post("/", draftValidator, async (c) => {
    const s = c.var.supervisor;
    const d = c.req.valid("form").draft;
    const errors = problemsOf(d);
    if (errors.length) return composePage(c, d, errors, 400);
    let sent;
    try {
      sent = await sendBroadcast(ctxOf(s), inputOf(s, d));
    } catch (err) {
      if (!isAppError(err) || (err.code !== "not_found" && err.code !== "invalid_input")) throw err;
      return composePage(c, d, err.code === "not_found" ? [OUT_OF_SCOPE] : err.issues.length ? [...err.issues] : [err.message], 400);
    }
    if (sent.dueNow) {
      await deps.planners.planBroadcasts();
      void deps.track(deps.outbox.drainOnce()).catch(() => undefined);
    }
    const unlinked = sent.unlinked ? ` (${sent.unlinked} người chưa liên kết kênh chat nên chưa nhận được)` : "";
    deps.sessions.flash(
      c,
      sent.dueNow
        ? `Đã gửi văn bản tới ${sent.reachable} cán bộ${unlinked}.`
        : `Đã hẹn gửi văn bản lúc ${formatDateTime(sent.broadcast.sendAt, timeZone)} tới ${sent.reachable} cán bộ${unlinked}.`,
    );
    return c.redirect(`/broadcasts/${sent.broadcast.id}`);
  });

  web.get("/:id{[0-9]+}", async (c) => {
    const s = c.var.supervisor;
    const b = await broadcastInScope(ctxOf(s), Number(c.req.param("id")));
    const st = (await broadcastStatus(db, b.id))!;
    const filter = c.req.query("status");
    const shown = filter ? st.recipients.filter((r) => r.status === filter) : st.recipients;
    const counted = (Object.keys(RECIPIENT_STATUS_LABELS) as RecipientStatus[]).filter((k) => st.counts[k]);
    const waiting = st.recipients.filter((r) => r.status === "sent").length;
    const when = (iso: string | null) => (iso ? formatDateTime(new Date(iso), timeZone) : "—");
    return c.html(
      <AdminLayout title={`Văn bản #${b.id}`} supervisor={s} flash={c.var.flash}>
        <div class="quote">{b.text}</div>
        <p class="note">
          Gửi lúc {formatDateTime(b.sendAt, timeZone)}
          {b.documentUrl ? (
            <>
              {" · "}
              <a href={b.documentUrl}>văn bản đính kèm</a>
            </>
          ) : null}
          {b.requireAck ? " · yêu cầu xác nhận" : ""}
          {st.planned ? null : (
            <>
              {" · "}
              <b>chưa đến giờ gửi</b>
            </>
          )}
        </p>
        <p id="counts">
          {counted.length === 0
            ? "Chưa có người nhận."
            : counted.map((k, i) => (
                <>
                  {i > 0 ? " · " : ""}
                  <a href={`/broadcasts/${b.id}?status=${k}`}>
                    {RECIPIENT_STATUS_LABELS[k]}: <b data-status={k}>{st.counts[k]}</b>
                  </a>
                </>
              ))}
        </p>
        {b.requireAck && waiting > 0 ? (
          <form method="post" action={`/broadcasts/${b.id}/remind`}>
            <button>Nhắc {waiting} người chưa xác nhận</button>
          </form>
        ) : null}
        <p>
          <a href={`/broadcasts/${b.id}/recipients.xlsx`}>⬇ Danh sách (XLSX)</a> · <a href={`/broadcasts/${b.id}/recipients.csv`}>⬇ CSV</a>
          {filter ? (
            <>
              {" · "}
              <a href={`/broadcasts/${b.id}`}>Tất cả</a>
            </>
          ) : null}
        </p>
        <table>
          <thead>
            <tr>
              <th>Cán bộ</th>
              <th>Đơn vị</th>
              <th>Kênh</th>
              <th>Tình trạng</th>
              <th>Gửi lúc</th>
              <th>Xác nhận lúc</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr>
                <td>{r.name}</td>
                <td>{r.unit}</td>
                <td>{channelLabel(r.channel)}</td>
                <td>{RECIPIENT_STATUS_LABELS[r.status]}</td>
                <td>{when(r.sentAt)}</td>
                <td>{when(r.acknowledgedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          <a href="/broadcasts">← Văn bản chỉ đạo</a>
        </p>
      </AdminLayout>,
    );
  });

  web.post("/:id{[0-9]+}/remind", async (c) => {
    const s = c.var.supervisor;
    let r;
    try {
      r = await remindBroadcast(ctxOf(s), { broadcastId: Number(c.req.param("id")) }, { outbox: deps.outbox });
    } catch (err) {
      // Kept as before: a directive without acknowledgement is refused with 400, not the code's 400 page.
      if (isAppError(err) && err.code === "invalid_input") return refusedPage(c, err.message);
      throw err;
    }
    void deps.track(deps.outbox.drainOnce()).catch(() => undefined);
    deps.sessions.flash(
      c,
      r.reminded > 0
        ? `Đã nhắc ${r.reminded} cán bộ chưa xác nhận.`
        : r.waiting > 0
          ? "Không nhắc thêm ai: những người chưa xác nhận vừa được nhắc hoặc chưa liên kết kênh chat."
          : "Mọi người đã xác nhận, không cần nhắc.",
    );
    return c.redirect(`/broadcasts/${r.broadcastId}`);
  });

  for (const format of ["xlsx", "csv"] as const) {
    web.get(`/:id{[0-9]+}/recipients.${format}`, async (c) => {
      const t = await exportRecipients(ctxOf(c.var.supervisor), { broadcastId: Number(c.req.param("id")), format, timeZone });
      if (format === "csv") {
        c.header("content-type", "text/csv; charset=utf-8");
        c.header("content-disposition", `attachment; filename="${t.fileName}.csv"`);
        return c.body(csvFile([t.header, ...t.rows]));
      }
      // Loaded on first use: exceljs costs ~20 MB resident and most processes never export.
      const { default: ExcelJS } = await import("exceljs");
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet(`Văn bản ${t.broadcastId}`);
      ws.addRow(t.header).font = { bold: true };
      for (const r of t.rows) ws.addRow(r);
      ws.columns.forEach((col, i) => (col.width = [28, 28, 12, 20, 18, 18][i]));
      c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
      c.header("content-disposition", `attachment; filename="${t.fileName}.xlsx"`);
      return c.body(new Uint8Array(await wb.xlsx.writeBuffer()));
    });
  }

  return (app: OpenAPIHono) => {
    app.route("/broadcasts", web);

    // The attached document, opened from the chat link: the key is the only secret it needs.
    app.get("/documents/:key", async (c) => {
      const [doc] = await db
        .select()
        .from(documents)
        .where(eq(documents.key, c.req.param("key")));
      if (!doc) return notFoundPage(c);
      const used = await db
        .select({ id: broadcasts.id })
        .from(broadcasts)
        .where(and(eq(broadcasts.documentId, doc.id), isNotNull(broadcasts.plannedAt)))
        .limit(1);
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
