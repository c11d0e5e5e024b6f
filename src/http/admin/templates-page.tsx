import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { raw } from "hono/html";
import { and, eq } from "drizzle-orm";
import { periodicities, units, type Periodicity } from "../../db/schema/index.js";
import type { ServiceContext } from "../../directory/actor.js";
import { ROLE_LABELS } from "../../directory/labels.js";
import { AppError, isAppError } from "../../domain/app-error.js";
import { formatDateTime, isValidDate, localDate } from "../../domain/dates.js";
import { periodsOfYear } from "../../domain/periods.js";
import { describeForm, type DescribedForm } from "../../forms/describe-form.js";
import { describeReminderSteps, formatReminderSteps, LEVEL_NAMES, levelsOfScheme, parseReminderSteps, slotName } from "../../reporting/deadline-rules.js";
import {
  archiveTemplate,
  exportTemplate,
  getTemplateVersion,
  listTemplates,
  publishTemplate,
  setTemplateSchedule,
  uploadTemplate,
  type ReportingLevelName,
  type TemplateSchedule,
  type TemplateStatus,
  type TemplateSummary,
  type TemplateVersion,
} from "../../templates/template-service.js";
import { cspNonce } from "../html.js";
import { AdminLayout } from "./admin-layout.js";
import { all } from "./form-fields.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { notFoundPage, refusedPage } from "./refused.js";
import { MAX_PREVIEW_BODY, previewRequest, previewStep } from "./templates-chat.js";

/**
 * «Mẫu báo cáo»: the report templates a province asks for, in the hands of its officers. The list
 * and the XLSForm upload; a version's preview in words (numbered as the officer will see it) with
 * a live chat running the real engine on it; publish, download, archive; the schedule.
 * Province officers work on their province's templates, admins on all.
 */

/** An XLSForm of a few hundred questions is well under this; the table in app.ts must let it past the 64 KB default. */
export const MAX_TEMPLATE_BYTES = 2 * 1024 * 1024;

export const STATUS_LABELS: Record<TemplateStatus, string> = { draft: "Nháp", published: "Đang dùng", archived: "Đã lưu trữ" };

export const PERIODICITY_LABELS: Record<Periodicity, string> = {
  monthly: "Hằng tháng",
  quarterly: "Hằng quý",
  "half-yearly": "6 tháng một lần",
  yearly: "Hằng năm",
  "six-month-and-yearly": "6 tháng đầu năm và cả năm",
  once: "Một lần (yêu cầu đột xuất)",
};

const REPORTING_ROLES = ["commune", "district", "province"] as const;

/** "Hằng năm: xã 10/11, tỉnh 20/11; số liệu đến 31/10; nhắc 7 ngày trước hạn…" */
export function scheduleWords(schedule: TemplateSchedule | null): string {
  if (!schedule) return "Chưa đặt lịch";
  const parts = [PERIODICITY_LABELS[schedule.periodicity] ?? schedule.periodicity];
  const bySlot = new Map<string, string[]>();
  for (const d of schedule.deadlines.filter((x) => x.year === undefined))
    bySlot.set(d.slot, [...(bySlot.get(d.slot) ?? []), `${LEVEL_NAMES[d.level]} ${d.deadline}`]);
  if (bySlot.size > 0) parts.push([...bySlot].map(([slot, ds]) => `kỳ ${slotName(slot)}: ${ds.join(", ")}`).join("; "));
  const cut = Object.entries(schedule.cutoff);
  if (cut.length > 0) parts.push(`số liệu tính đến ${cut.map(([slot, day]) => `${day} (kỳ ${slotName(slot)})`).join(", ")}`);
  if (schedule.reminderSteps.length > 0) parts.push(`nhắc ${describeReminderSteps(schedule.reminderSteps)}`);
  if (schedule.roles.length > 0) parts.push(`người báo cáo: ${schedule.roles.map((r) => ROLE_LABELS[r as keyof typeof ROLE_LABELS] ?? r).join(", ")}`);
  return parts.join(" — ");
}

/** "15/5" or "15/05" → "15/05"; undefined when it is not a day of the year. */
export function parseDayMonth(input: string): string | undefined {
  const m = /^(\d{1,2})\s*[/.-]\s*(\d{1,2})$/.exec(input.trim());
  if (!m) return undefined;
  const [d, mo] = [Number(m[1]), Number(m[2])];
  // 2024 is a leap year: 29/02 is a day some year has.
  if (!isValidDate(2024, mo, d)) return undefined;
  return `${String(d).padStart(2, "0")}/${String(mo).padStart(2, "0")}`;
}

const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");
const versionPath = (formId: string, version: number) => `/templates/${encodeURIComponent(formId)}/v/${version}`;

function Problems(props: { heading?: string; errors: readonly string[] }) {
  if (props.errors.length === 0) return null;
  return (
    <div role="alert" class="missing" id="problems">
      {props.heading ? <p>{props.heading}</p> : null}
      <ul>
        {props.errors.map((e) => (
          <li>{e}</li>
        ))}
      </ul>
    </div>
  );
}

function FormDescription(props: { d: DescribedForm }) {
  const { d } = props;
  return (
    <div id="form-description">
      {d.sections.map((s) => (
        <section class="form-section">
          <h3>{s.title}</h3>
          {s.relevant ? <p class="note">{s.relevant}</p> : null}
          {s.repeat ? <p class="note">{s.repeat}</p> : null}
          <ol class="questions">
            {s.questions.map((q) => (
              <li data-question={q.id} value={q.number}>
                <b>
                  {q.number ? `Câu ${q.number}. ` : ""}
                  {q.label}
                </b>
                <br />
                <span class="note">
                  {q.type}
                  {q.bounds ? ` — ${q.bounds}` : ""}
                  {q.note ? "" : q.required ? " — bắt buộc" : " — không bắt buộc (gõ «bỏ qua»)"}
                  {q.requiredMessage ? ` (khi bỏ qua: «${q.requiredMessage}»)` : ""}
                </span>
                {q.relevant ? (
                  <>
                    <br />
                    <span class="relevant">{q.relevant}</span>
                  </>
                ) : null}
                {q.constraint ? (
                  <>
                    <br />
                    <span>Kiểm tra: {q.constraint}</span>
                  </>
                ) : null}
                {q.cross ? (
                  <>
                    <br />
                    <span>{q.cross}</span>
                  </>
                ) : null}
                {q.help ? (
                  <>
                    <br />
                    <span class="note">Giải thích («?»): {q.help}</span>
                  </>
                ) : null}
              </li>
            ))}
          </ol>
        </section>
      ))}
      {d.checks.length > 0 ? (
        <>
          <h3>Kiểm tra chéo giữa các câu</h3>
          <ul id="checks">
            {d.checks.map((c) => (
              <li>{c}</li>
            ))}
          </ul>
        </>
      ) : null}
      {d.computed.length > 0 ? (
        <>
          <h3>Giá trị tính tự động</h3>
          <ul id="computed">
            {d.computed.map((c) => (
              <li>{c}</li>
            ))}
          </ul>
        </>
      ) : null}
    </div>
  );
}

/**
 * raw(): a constant script of this file, nothing from a request in it (the JSX escaper would break
 * its `>`). It keeps the preview conversation (state and answers) in the page and shows each
 * message as the chat would: text, and choices as buttons. Typed answers work too.
 */
const CHAT_SCRIPT = raw(`
(() => {
  const box = document.getElementById("chat-preview");
  if (!box) return;
  const url = box.dataset.url, log = document.getElementById("chat-log"), form = document.getElementById("chat-form"), field = document.getElementById("chat-input");
  let state, answers = [];
  const bubble = (text, mine) => { const d = document.createElement("div"); d.className = mine ? "tg-bubble mine" : "tg-bubble"; d.textContent = text; log.appendChild(d); return d; };
  const send = async (input, shownAs) => {
    if (shownAs) bubble(shownAs, true);
    for (const b of log.querySelectorAll("button.choice")) b.disabled = true;
    let res;
    try {
      res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ state, answers, input }) });
    } catch { bubble("Không gửi được, anh/chị thử lại."); return; }
    const body = await res.json().catch(() => ({ messages: [{ text: "Máy chủ trả lời không đọc được." }] }));
    if (!res.ok) { bubble(body.error || "Không thực hiện được."); return; }
    state = body.state; answers = body.answers;
    for (const m of body.messages) {
      bubble(m.text);
      for (const ch of m.choices || []) {
        const b = document.createElement("button");
        b.type = "button"; b.className = "choice tg-button"; b.textContent = ch.label;
        b.addEventListener("click", () => send({ choice: ch.value }, ch.label));
        log.appendChild(b);
      }
    }
    log.scrollTop = log.scrollHeight;
  };
  form.addEventListener("submit", (e) => { e.preventDefault(); const t = field.value.trim(); if (!t) return; field.value = ""; send({ text: t }, t); });
  document.getElementById("chat-reset").addEventListener("click", () => { state = undefined; answers = []; log.textContent = ""; send({}); });
  send({});
})();
(() => {
  const every = document.getElementById("every");
  if (!every) return;
  every.addEventListener("change", () => { const u = new URL(location.href); u.searchParams.set("every", every.value); u.hash = "schedule"; location.href = u.toString(); });
})();
`);

// raw(): constant CSS of this file (the JSX escaper would break its `>`).
const CHAT_STYLE = raw(`
#chat-log{border:1px solid #d5dde5;border-radius:8px;padding:.5rem;height:28rem;overflow-y:auto;max-width:32rem;background:#fafcfd}
#chat-log .mine{background:#dff3e6;margin-left:auto}#chat-log button.choice{display:block;width:100%;max-width:28rem;margin:.2rem 0;color:#1d2733;background:#fff}
.questions li{margin:.4rem 0}.relevant{color:#0b4f8a}
`);

interface ScheduleFeedback {
  error: string;
  values: Record<string, string>;
}

export function mountTemplatePages(deps: AdminPageDeps) {
  const { db, kit, sessions } = deps;
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock: deps.clock });
  const tdeps = { forms: deps.forms };
  const today = () => localDate(deps.clock(), deps.timeZone);
  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, sessions));
  // Templates are a province's (and the admins'): a district officer has no such pages, like a commune officer has none of the admin web.
  web.use("*", async (c, next) => {
    const role = c.var.supervisor.officer.role;
    if (role !== "province" && role !== "admin") return notFoundPage(c);
    await next();
  });

  const provincesOf = (s: Supervisor) =>
    db
      .select({ code: units.code, name: units.name })
      .from(units)
      .where(and(eq(units.scheme, s.own.scheme), eq(units.level, "province")))
      .orderBy(units.name);

  async function listPage(c: Context<AdminEnv>, problems: readonly string[] = [], status: 200 | 422 = 200, fileName?: string) {
    const s = c.var.supervisor;
    const isAdmin = s.officer.role === "admin";
    const templates: TemplateSummary[] = await listTemplates(ctxOf(s), tdeps);
    const provinces = isAdmin ? await provincesOf(s) : [];
    return c.html(
      <AdminLayout title="Mẫu báo cáo" supervisor={s} flash={c.var.flash}>
        <p class="note">
          Mẫu báo cáo là một tệp XLSForm (.xlsx có các trang survey, choices, settings — cách ODK và KoboToolbox dùng). Tải lên một mẫu để xem trước như cán bộ
          xã sẽ thấy, thử trả lời trên khung chat, rồi xuất bản.
        </p>
        <table id="templates">
          <thead>
            <tr>
              <th>Mẫu</th>
              <th>Mã</th>
              <th>Đang dùng</th>
              <th>Nháp</th>
              <th>Phạm vi</th>
              <th>Lịch</th>
              <th>Trạng thái</th>
            </tr>
          </thead>
          <tbody>
            {templates.length === 0 ? (
              <tr>
                <td colspan={7} class="note">
                  Chưa có mẫu báo cáo nào.
                </td>
              </tr>
            ) : (
              templates.map((t) => {
                const shownVersion = t.draftVersion ?? t.publishedVersion;
                return (
                  <tr data-template={t.formId}>
                    <td>{shownVersion !== null ? <a href={versionPath(t.formId, shownVersion)}>{t.title}</a> : t.title}</td>
                    <td>{t.formId}</td>
                    <td class="published-version">
                      {t.publishedVersion !== null ? <a href={versionPath(t.formId, t.publishedVersion)}>phiên bản {t.publishedVersion}</a> : "—"}
                    </td>
                    <td class="draft-version">
                      {t.draftVersion !== null ? <a href={versionPath(t.formId, t.draftVersion)}>phiên bản {t.draftVersion}</a> : "—"}
                    </td>
                    <td>{t.scope ? `${t.scope.name} (${t.scope.code})` : "Toàn quốc"}</td>
                    <td>{scheduleWords(t.schedule)}</td>
                    <td class="status">{STATUS_LABELS[t.status]}</td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>

        <h2 id="upload">Tải lên mẫu báo cáo</h2>
        <Problems heading={`Không nhận mẫu${fileName ? ` «${fileName}»` : ""}; chưa có gì được lưu. Anh/chị sửa tệp rồi tải lên lại:`} errors={problems} />
        <form method="post" action="/templates" enctype="multipart/form-data">
          <p>
            <label>
              Tệp XLSForm (.xlsx, tối đa {MAX_TEMPLATE_BYTES / 1024 / 1024} MB)
              <br />
              <input type="file" name="file" accept=".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required />
            </label>
          </p>
          {isAdmin ? (
            <p>
              <label>
                Phạm vi áp dụng
                <br />
                <select name="scope">
                  <option value="">Toàn quốc</option>
                  {provinces.map((p) => (
                    <option value={p.code}>
                      {p.name} ({p.code})
                    </option>
                  ))}
                </select>
              </label>
            </p>
          ) : (
            <p class="note">Phạm vi áp dụng: {s.own.name}.</p>
          )}
          <p>
            <button>Tải lên và xem trước</button>
          </p>
        </form>
      </AdminLayout>,
      status,
    );
  }

  /** The version asked for, in scope; the same 404 as for one that does not exist otherwise. */
  async function versionOf(s: Supervisor, c: Context<AdminEnv>): Promise<TemplateVersion> {
    const version = Number(c.req.param("version"));
    if (!/^\d{1,6}$/.test(c.req.param("version") ?? "")) throw new AppError("not_found", "Không tìm thấy mẫu báo cáo.");
    return getTemplateVersion(ctxOf(s), tdeps, { formId: c.req.param("id") ?? "", version });
  }

  async function previewPage(c: Context<AdminEnv>, tv: TemplateVersion, fb?: ScheduleFeedback, status: 200 | 400 = 200) {
    const s = c.var.supervisor;
    const d = describeForm(tv.form);
    const path = versionPath(tv.formId, tv.version);
    const schedule = tv.schedule;
    const asked = c.req.query("every");
    const every: Periodicity = (periodicities as readonly string[]).includes(fb?.values.periodicity ?? asked ?? "")
      ? ((fb?.values.periodicity ?? asked) as Periodicity)
      : (schedule?.periodicity ?? "yearly");
    const levels = levelsOfScheme(s.own.scheme) as readonly ReportingLevelName[];
    const slots = periodsOfYear(every, Number(today().slice(0, 4))).map((p) => p.slot);
    const field = (slot: string, level: string) => `due_${slot}_${level}`;
    const valueOf = (name: string, saved: string | undefined) => (fb ? (fb.values[name] ?? "") : (saved ?? ""));
    const newest = Math.max(...tv.versions.map((v) => v.version), tv.version);
    const yearly = schedule?.deadlines.filter((x) => x.year !== undefined) ?? [];
    return c.html(
      <AdminLayout
        title={`${tv.form.title} — phiên bản ${tv.version}`}
        supervisor={s}
        flash={c.var.flash}
        heading={
          <>
            {tv.form.title} — phiên bản {tv.version} <span class="note">({STATUS_LABELS[tv.status]})</span>
          </>
        }
      >
        <style nonce={cspNonce()}>{CHAT_STYLE}</style>
        <p class="note">
          Mã mẫu {tv.formId} · phạm vi {tv.scope ? `${tv.scope.name} (${tv.scope.code})` : "toàn quốc"} · tải lên {formatDateTime(tv.createdAt, deps.timeZone)}{" "}
          · <a href="/templates">← Danh sách mẫu</a>
        </p>
        {tv.versions.length > 1 ? (
          <p class="note">
            Các phiên bản:{" "}
            {tv.versions.map((v, i) => (
              <>
                {i > 0 ? ", " : ""}
                {v.version === tv.version ? <b>{v.version}</b> : <a href={versionPath(tv.formId, v.version)}>{v.version}</a>} ({STATUS_LABELS[v.status]})
              </>
            ))}
          </p>
        ) : null}
        <Problems heading="Cần xem lại trước khi xuất bản:" errors={d.problems} />

        <div class="row" id="actions">
          {tv.status === "draft" ? (
            <form
              method="post"
              action={`${path}/publish`}
              data-confirm={`Xuất bản «${tv.form.title}» phiên bản ${tv.version}? Kỳ báo cáo mới sẽ dùng phiên bản này.`}
            >
              <button>Xuất bản</button>
            </form>
          ) : null}
          <a href={`${path}/xlsx`}>Tải về .xlsx</a>
          {tv.status !== "archived" ? (
            <form
              method="post"
              action={`/templates/${encodeURIComponent(tv.formId)}/archive`}
              data-confirm={`Lưu trữ «${tv.form.title}»? Mẫu sẽ không được dùng cho kỳ báo cáo mới.`}
            >
              <button class="danger">Lưu trữ</button>
            </form>
          ) : null}
          {newest > tv.version ? <span class="note">Đã có phiên bản mới hơn: {newest}.</span> : null}
        </div>

        <div class="row">
          <section class="w30">
            <h2>Các câu hỏi ({d.sections.reduce((n, x) => n + x.questions.filter((q) => !q.note).length, 0)} câu)</h2>
            <FormDescription d={d} />
          </section>
          <section id="chat-preview" data-url={`${path}/preview`}>
            <h2>Thử trên khung chat</h2>
            <p class="note">Chạy đúng như cán bộ xã trả lời trên Telegram/Zalo; không có gì được lưu.</p>
            <div id="chat-log" aria-live="polite"></div>
            <form id="chat-form">
              <input id="chat-input" name="text" autocomplete="off" aria-label="Trả lời" class="w14" /> <button>Gửi</button>{" "}
              <button type="button" id="chat-reset" class="muted">
                Làm lại
              </button>
            </form>
          </section>
        </div>

        <h2 id="schedule">Lịch báo cáo của mẫu</h2>
        <p class="note">
          Hiện tại: {scheduleWords(schedule)}.
          {schedule ? (
            <>
              {" "}
              Hạn riêng của một huyện hoặc của một năm (theo công văn):{" "}
              <a href={`/calendars?template=${encodeURIComponent(tv.formId)}`}>Lịch báo cáo của mẫu này</a>.
            </>
          ) : null}
        </p>
        {fb ? (
          <p class="missing" role="alert">
            {fb.error}
          </p>
        ) : null}
        <form method="post" action={`/templates/${encodeURIComponent(tv.formId)}/schedule`}>
          <input type="hidden" name="version" value={String(tv.version)} />
          <p>
            <label>
              Chu kỳ{" "}
              <select name="periodicity" id="every">
                {periodicities
                  .filter((p) => p !== "once")
                  .map((p) => (
                    <option value={p} selected={p === every}>
                      {PERIODICITY_LABELS[p]}
                    </option>
                  ))}
              </select>
            </label>
          </p>
          <p class="note">Ngày dạng ngày/tháng (ví dụ 15/05), áp dụng hằng năm. Để trống = theo lịch chung.</p>
          <table id="schedule-table">
            <thead>
              <tr>
                <th>Kỳ</th>
                {levels.map((l) => (
                  <th>Hạn của {LEVEL_NAMES[l]}</th>
                ))}
                <th>Số liệu tính đến ngày</th>
              </tr>
            </thead>
            <tbody>
              {slots.map((slot) => (
                <tr>
                  <td>{slotName(slot)}</td>
                  {levels.map((l) => (
                    <td>
                      <input
                        name={field(slot, l)}
                        class="w6"
                        placeholder="dd/mm"
                        aria-label={`Hạn của ${LEVEL_NAMES[l]} — kỳ ${slotName(slot)}`}
                        value={valueOf(field(slot, l), schedule?.deadlines.find((x) => x.slot === slot && x.level === l && x.year === undefined)?.deadline)}
                      />
                    </td>
                  ))}
                  <td>
                    <input
                      name={`cutoff_${slot}`}
                      class="w6"
                      placeholder="dd/mm"
                      aria-label={`Số liệu tính đến — kỳ ${slotName(slot)}`}
                      value={valueOf(`cutoff_${slot}`, schedule?.cutoff[slot])}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {yearly.length > 0 ? (
            <p class="note">
              Giữ nguyên các hạn riêng từng năm: {yearly.map((x) => `${LEVEL_NAMES[x.level]} ${x.deadline}/${x.year} (kỳ ${slotName(x.slot)})`).join(", ")}.
            </p>
          ) : null}
          <p>
            <label>
              Ngày nhắc (so với hạn: số âm = trước hạn, 0 = đúng ngày hạn)
              <br />
              <input name="reminders" size={30} value={valueOf("reminders", schedule ? formatReminderSteps(schedule.reminderSteps) : "-7, -3, -1, 0, 1, 3")} />
            </label>
          </p>
          <p>
            Người báo cáo (không chọn = mọi cán bộ của đơn vị báo cáo):{" "}
            {REPORTING_ROLES.map((r) => (
              <>
                <label>
                  <input
                    type="checkbox"
                    name="roles"
                    value={r}
                    checked={fb ? (fb.values.roles ?? "").split(",").includes(r) : (schedule?.roles.includes(r) ?? false)}
                  />{" "}
                  {ROLE_LABELS[r]}
                </label>{" "}
              </>
            ))}
          </p>
          <p>
            <button>Lưu lịch</button>
          </p>
        </form>
        <script nonce={cspNonce()}>{CHAT_SCRIPT}</script>
      </AdminLayout>,
      status,
    );
  }

  web.get("/", (c) => listPage(c));

  const uploadLimit = bodyLimit({
    maxSize: MAX_TEMPLATE_BYTES + 64 * 1024,
    onError: (c) => refusedPage(c, `Tệp mẫu báo cáo quá lớn (tối đa ${MAX_TEMPLATE_BYTES / 1024 / 1024} MB).`),
  });
  web.post("/", uploadLimit, async (c) => {
    const s = c.var.supervisor;
    const form = await c.req.parseBody();
    const file = form.file;
    if (!(file instanceof File) || file.size === 0) return listPage(c, ["Chưa chọn tệp .xlsx."], 422);
    if (file.size > MAX_TEMPLATE_BYTES)
      return listPage(c, [`Tệp quá lớn (${Math.ceil(file.size / 1024)} KB; tối đa ${MAX_TEMPLATE_BYTES / 1024 / 1024} MB).`], 422, file.name);
    const isAdmin = s.officer.role === "admin";
    // A province officer's template is their province's, whatever the form says.
    const scope = isAdmin ? str(form.scope) || undefined : s.own.code;
    const scheme = s.own.scheme === "pre2025" || s.own.scheme === "post2025" ? s.own.scheme : undefined;
    try {
      const up = await uploadTemplate(ctxOf(s), tdeps, {
        file: new Uint8Array(await file.arrayBuffer()),
        fileName: file.name,
        ...(scope ? { scope } : {}),
        ...(scheme ? { scheme } : {}),
      });
      sessions.flash(
        c,
        `Đã nhận mẫu «${file.name}»: ${up.formId}, phiên bản ${up.version} (${STATUS_LABELS[up.status].toLowerCase()}). Xem lại rồi bấm «Xuất bản».`,
      );
      return c.redirect(versionPath(up.formId, up.version));
    } catch (err) {
      if (!isAppError(err) || err.code === "not_found") throw err;
      return listPage(c, err.issues.length > 0 ? err.issues : [err.message], 422, file.name);
    }
  });

  web.get("/:id/v/:version", async (c) => previewPage(c, await versionOf(c.var.supervisor, c)));

  web.get("/:id/v/:version/xlsx", async (c) => {
    const s = c.var.supervisor;
    const tv = await versionOf(s, c);
    const file = await exportTemplate(ctxOf(s), tdeps, { formId: tv.formId, version: tv.version });
    c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    c.header("content-disposition", `attachment; filename="${file.filename.replace(/[^A-Za-z0-9._-]/g, "_")}"`);
    return c.body(new Uint8Array(file.body));
  });

  web.post("/:id/v/:version/publish", async (c) => {
    const s = c.var.supervisor;
    const tv = await versionOf(s, c);
    try {
      const { version } = await publishTemplate(ctxOf(s), tdeps, { formId: tv.formId, version: tv.version });
      sessions.flash(c, `Đã xuất bản «${tv.form.title}» phiên bản ${version}. Kỳ báo cáo mới dùng phiên bản này; báo cáo đang làm giữ phiên bản cũ.`);
    } catch (err) {
      if (!isAppError(err) || err.code === "not_found") throw err;
      sessions.flash(c, err.issues.length ? `${err.message} ${err.issues.join("; ")}` : err.message, "error");
      return c.redirect(versionPath(tv.formId, tv.version));
    }
    return c.redirect("/templates");
  });

  web.post("/:id/archive", async (c) => {
    const s = c.var.supervisor;
    const formId = c.req.param("id");
    const tv = await getTemplateVersion(ctxOf(s), tdeps, { formId });
    try {
      await archiveTemplate(ctxOf(s), tdeps, { formId });
      sessions.flash(c, `Đã lưu trữ «${tv.form.title}». Mẫu không còn được dùng cho kỳ báo cáo mới; các báo cáo đã nộp vẫn xem được.`);
    } catch (err) {
      if (!isAppError(err) || err.code === "not_found") throw err;
      sessions.flash(c, err.message, "error");
    }
    return c.redirect("/templates");
  });

  web.post("/:id/schedule", async (c) => {
    const s = c.var.supervisor;
    const formId = c.req.param("id");
    const form = await c.req.parseBody({ all: true });
    const version = Number(str(form.version));
    const tv = await getTemplateVersion(ctxOf(s), tdeps, { formId, ...(Number.isInteger(version) && version > 0 ? { version } : {}) });
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(form)) if (k !== "roles" && typeof v === "string") values[k] = v.trim().slice(0, 100);
    const roles = all(form.roles)
      .map(String)
      .filter((r) => (REPORTING_ROLES as readonly string[]).includes(r));
    values.roles = roles.join(",");
    const refuse = (error: string) => previewPage(c, tv, { error, values }, 400);

    const periodicity = values.periodicity as Periodicity;
    if (!(periodicities as readonly string[]).includes(periodicity) || periodicity === "once") return refuse("Chu kỳ không hợp lệ.");
    const levels = levelsOfScheme(s.own.scheme) as readonly ReportingLevelName[];
    const slots = periodsOfYear(periodicity, Number(today().slice(0, 4))).map((p) => p.slot);
    const deadlines: TemplateSchedule["deadlines"] = [];
    const cutoff: Record<string, string> = {};
    const bad: string[] = [];
    for (const slot of slots) {
      for (const level of levels) {
        const typed = values[`due_${slot}_${level}`] ?? "";
        if (typed === "") continue;
        const day = parseDayMonth(typed);
        if (day) deadlines.push({ level, slot, deadline: day });
        else bad.push(`hạn của ${LEVEL_NAMES[level]} kỳ ${slotName(slot)} «${typed}»`);
      }
      const typed = values[`cutoff_${slot}`] ?? "";
      if (typed === "") continue;
      const day = parseDayMonth(typed);
      if (day) cutoff[slot] = day;
      else bad.push(`ngày số liệu kỳ ${slotName(slot)} «${typed}»`);
    }
    if (bad.length > 0) return refuse(`Không hiểu ngày: ${bad.join(", ")}. Viết ngày/tháng, ví dụ 15/05.`);
    const steps = parseReminderSteps(values.reminders ?? "");
    if ("error" in steps) return refuse(steps.error);
    // Year-specific deadlines (set by the CLI) are not on this form: they stay as they are.
    const kept = (tv.schedule?.deadlines ?? []).filter((x) => x.year !== undefined && slots.includes(x.slot));
    const schedule: TemplateSchedule = { periodicity, deadlines: [...deadlines, ...kept], cutoff, reminderSteps: steps.steps, roles };
    try {
      await setTemplateSchedule(ctxOf(s), tdeps, { formId, schedule });
    } catch (err) {
      if (!isAppError(err) || err.code === "not_found") throw err;
      return refuse(err.issues.length ? `${err.message} ${err.issues.join("; ")}` : err.message);
    }
    sessions.flash(c, `Đã lưu lịch của «${tv.form.title}»: ${scheduleWords(schedule)}.`);
    return c.redirect(`${versionPath(formId, tv.version)}#schedule`);
  });

  // The chat preview is called by the page's own script with JSON, which hono's csrf() does not
  // look at: the same-origin rule is checked here for every content type.
  const previewLimit = bodyLimit({ maxSize: MAX_PREVIEW_BODY, onError: (c) => c.json({ error: "Nội dung gửi lên quá lớn" }, 413) });
  web.post("/:id/v/:version/preview", previewLimit, async (c) => {
    const origin = c.req.header("origin");
    const site = c.req.header("sec-fetch-site");
    if (!(site === "same-origin" || (origin !== undefined && origin === new URL(c.req.url).origin)))
      return c.json({ error: "Yêu cầu từ trang khác bị từ chối" }, 403);
    if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "")) return c.json({ error: "Cần nội dung JSON" }, 415);
    const tv = await versionOf(c.var.supervisor, c);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "Nội dung JSON không hợp lệ" }, 400);
    }
    const req = previewRequest.safeParse(body);
    if (!req.success) return c.json({ error: "Trạng thái bản thử không hợp lệ; bấm «Làm lại»." }, 400);
    try {
      return c.json(previewStep(tv.form, tv.schedule?.periodicity, today(), req.data));
    } catch {
      // A state the engine cannot continue from (edited by hand, or of another version): start again.
      return c.json({ error: "Bản thử không tiếp tục được từ trạng thái này; bấm «Làm lại»." }, 400);
    }
  });

  return (app: OpenAPIHono) => {
    app.route("/templates", web);
  };
}
