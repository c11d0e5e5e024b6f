import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import { validator } from "hono/validator";
import { z } from "zod";
import type { ServiceContext } from "../../directory/actor.js";
import { ROLE_LABELS } from "../../directory/labels.js";
import { isAppError } from "../../domain/app-error.js";
import { addDays, formatDate, formatDateTime, localDate } from "../../domain/dates.js";
import { formatVietnameseNumber } from "../../domain/numbers.js";
import { optionsOf } from "../../forms/form-runtime.js";
import { createRequest, MAX_REQUEST_NOTE, type RequestInput } from "../../requests/create-request.js";
import { exportRequest } from "../../requests/export-request.js";
import { remindRequest } from "../../requests/remind-request.js";
import { listRequests, REQUEST_STATUS_LABELS, requestStatus, type RequestStatus, type RequestUnitStatus } from "../../requests/request-status.js";
import {
  MAX_QUICK_CHOICES,
  MAX_QUICK_QUESTIONS,
  QUICK_TYPE_LABELS,
  quickQuestionTypes,
  requestRoles,
  type RequestRole,
} from "../../requests/request-template.js";
import { requestableTemplates, type RequestableTemplate } from "../../requests/requestable-templates.js";
import { AdminLayout } from "./admin-layout.js";
import { all, first, Problems } from "./form-fields.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { UnitOptions, unitOptionsOf, type UnitOption } from "./unit-select.js";

/** One quick-question row of the form, as typed (choices one per line). */
interface QuestionDraft {
  label: string;
  type: string;
  choices: string;
}

/** What the request form carries, exactly as typed, so a refused form comes back filled in. */
interface Draft {
  title: string;
  note: string;
  unit: string;
  roles: RequestRole[];
  deadline: string;
  template: string;
  questions: QuestionDraft[];
}

const DraftForm = z.record(z.string(), z.unknown()).transform((form): Draft => ({
  title: first(form.title).trim(),
  note: first(form.note).replace(/\r\n/g, "\n").trim(),
  unit: first(form.unit),
  roles: all(form.roles)
    .map(String)
    .filter((r): r is RequestRole => (requestRoles as readonly string[]).includes(r)),
  deadline: first(form.deadline).trim(),
  template: first(form.template),
  questions: Array.from({ length: MAX_QUICK_QUESTIONS }, (_, i) => ({
    label: first(form[`q${i + 1}_label`]).trim(),
    type: first(form[`q${i + 1}_type`]) || "integer",
    choices: first(form[`q${i + 1}_choices`]).replace(/\r\n/g, "\n"),
  })),
}));

const draftValidator = validator("form", (value) => DraftForm.parse(value));

/** The service's input from the form: the rows with a question typed, in order; choices one per line. */
function inputOf(s: Supervisor, d: Draft): RequestInput {
  const questions = d.questions
    .filter((q) => q.label !== "")
    .map((q) => {
      const choices = q.choices
        .split("\n")
        .map((c) => c.trim())
        .filter(Boolean);
      return { label: q.label, type: q.type as never, ...(q.type === "single" || choices.length ? { choices } : {}) };
    });
  return {
    title: d.title,
    ...(d.note ? { note: d.note } : {}),
    ...(d.template ? { template: d.template } : {}),
    ...(questions.length ? { questions } : {}),
    audience: { unit: d.unit || s.own.code, scheme: s.own.scheme as "pre2025", ...(d.roles.length ? { roles: d.roles } : {}) },
    deadline: d.deadline,
  };
}

function RequestForm(props: { draft: Draft; units: UnitOption[]; templates: RequestableTemplate[]; errors: string[]; today: string }) {
  const d = props.draft;
  return (
    <>
      <Problems errors={props.errors} />
      <form method="post" action="/requests">
        <p>
          <label>
            Tên yêu cầu
            <br />
            <input name="title" value={d.title} maxlength={200} size={70} required />
          </label>
        </p>
        <p>
          <label>
            Nội dung, hướng dẫn (không bắt buộc)
            <br />
            <textarea name="note" rows={3} cols={70} maxlength={MAX_REQUEST_NOTE}>
              {d.note}
            </textarea>
          </label>
        </p>
        <p>
          <label>
            Hỏi các đơn vị trực thuộc của
            <br />
            <select name="unit">
              <UnitOptions options={props.units} selected={d.unit} />
            </select>
          </label>
        </p>
        <p>
          Ai trả lời (không chọn = cán bộ xã):{" "}
          {requestRoles.map((r) => (
            <>
              <label>
                <input type="checkbox" name="roles" value={r} checked={d.roles.includes(r)} /> {ROLE_LABELS[r]}
              </label>{" "}
            </>
          ))}
        </p>
        <p>
          <label>
            Hạn trả lời
            <br />
            <input type="date" name="deadline" value={d.deadline} min={props.today} max={addDays(props.today, 366)} required />
          </label>
        </p>
        <fieldset>
          <legend>Mẫu báo cáo có sẵn…</legend>
          <select name="template">
            <option value="" selected={d.template === ""}>
              — không dùng: hỏi các câu dưới đây —
            </option>
            {props.templates.map((t) => (
              <option value={t.id} selected={t.id === d.template}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </fieldset>
        <fieldset>
          <legend>…hoặc tối đa {MAX_QUICK_QUESTIONS} câu hỏi nhanh (để trống những dòng không dùng)</legend>
          <table>
            <thead>
              <tr>
                <th>Câu</th>
                <th>Câu hỏi</th>
                <th>Loại</th>
                <th>Lựa chọn (mỗi dòng một lựa chọn, chỉ cho «Chọn một», tối đa {MAX_QUICK_CHOICES})</th>
              </tr>
            </thead>
            <tbody>
              {d.questions.map((q, i) => (
                <tr>
                  <td>{i + 1}</td>
                  <td>
                    <input name={`q${i + 1}_label`} value={q.label} maxlength={300} size={40} aria-label={`Câu hỏi ${i + 1}`} />
                  </td>
                  <td>
                    <select name={`q${i + 1}_type`} aria-label={`Loại câu ${i + 1}`}>
                      {quickQuestionTypes.map((t) => (
                        <option value={t} selected={q.type === t}>
                          {QUICK_TYPE_LABELS[t]}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <textarea name={`q${i + 1}_choices`} rows={2} cols={24} aria-label={`Lựa chọn của câu ${i + 1}`}>
                      {q.choices}
                    </textarea>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </fieldset>
        <p>
          <button>Gửi yêu cầu</button> <span class="note">Cán bộ được báo ngay (ngoài giờ yên tĩnh), được nhắc trước hạn và khi trễ hạn.</span>
        </p>
      </form>
    </>
  );
}

const STATUS_CLASS: Record<RequestUnitStatus, string> = { on_time: "ok", late: "late", in_progress: "", not_started: "missing" };

function StatusBody(props: { s: RequestStatus; timeZone: string; today: string }) {
  const { s } = props;
  const r = s.request;
  const c = s.counts;
  const waiting = c.inProgress + c.notStarted;
  const questions = s.form.sections.flatMap((sec) => sec.questions.filter((q) => q.type !== "note"));
  return (
    <>
      {r.note ? <div class="quote">{r.note}</div> : null}
      <p class="note">
        Hỏi: <b>{s.root.name}</b> ({r.roles.map((x) => ROLE_LABELS[x as RequestRole] ?? x).join(", ")}) · hạn trả lời <b>{formatDate(r.deadline)}</b>
        {props.today > r.deadline ? <span class="late"> (đã quá hạn)</span> : null} · tạo lúc {formatDateTime(r.createdAt, props.timeZone)}
        {r.baseFormId ? ` · theo mẫu ${r.baseFormId}` : ""}
      </p>
      <p id="counts">
        Đã trả lời <b data-count="answered">{c.answered}</b>/{c.units} (đúng hạn {c.onTime}, trễ {c.late}) · đang trả lời {c.inProgress} · chưa trả lời{" "}
        {c.notStarted}
        {c.overdue ? (
          <>
            {" · "}
            <span class="late">quá hạn {c.overdue}</span>
          </>
        ) : null}
      </p>
      {waiting > 0 ? (
        <form method="post" action={`/requests/${r.id}/remind`}>
          <button>Nhắc những đơn vị chưa trả lời ({waiting})</button>
        </form>
      ) : null}
      <p>
        <a href={`/requests/${r.id}/export.xlsx`}>⬇ Tải các câu trả lời (XLSX)</a>
      </p>
      <h2>Số liệu</h2>
      <table id="figures">
        <thead>
          <tr>
            <th>Câu hỏi</th>
            <th>Tổng hợp {c.answered} đơn vị đã trả lời</th>
          </tr>
        </thead>
        <tbody>
          {questions.map((q) => {
            const counts = s.choiceCounts[q.id];
            const options = optionsOf(q) ?? [];
            return (
              <tr>
                <td>{q.label}</td>
                <td data-question={q.id}>
                  {q.id in s.sums
                    ? formatVietnameseNumber(s.sums[q.id]!)
                    : counts || options.length
                      ? options.map((o) => `${o.label}: ${counts?.[o.value] ?? 0}`).join(" · ")
                      : q.type === "text"
                        ? "xem trong tệp tải về"
                        : "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <h2>Các đơn vị</h2>
      <table id="units">
        <thead>
          <tr>
            <th>Mã</th>
            <th>Đơn vị</th>
            <th>Tình trạng</th>
            <th>Trả lời lúc</th>
            <th>Cán bộ</th>
          </tr>
        </thead>
        <tbody>
          {s.units.map((u) => (
            <tr data-unit={u.code}>
              <td>{u.code}</td>
              <td>{u.name}</td>
              <td class={STATUS_CLASS[u.status]}>{REQUEST_STATUS_LABELS[u.status]}</td>
              <td>{u.submittedAt ? formatDateTime(new Date(u.submittedAt), props.timeZone) : "—"}</td>
              <td>{u.officers || <span class="missing">chưa có cán bộ</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <a href="/requests">← Yêu cầu báo cáo</a>
      </p>
    </>
  );
}

/**
 * Ad-hoc report requests (yêu cầu báo cáo đột xuất) in the browser: a district or province asks a
 * subtree for a one-off report — an existing template or up to ten quick questions — by a date,
 * then follows who answered, reads the figures, reminds the units that have not, and exports.
 */
export function mountRequestPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock });
  const today = () => localDate(clock(), timeZone);

  const formPage = async (c: Context<AdminEnv>, d: Draft, errors: string[] = [], status: 200 | 400 = 200) => {
    const s = c.var.supervisor;
    const [units, templates] = await Promise.all([unitOptionsOf(db, s.own, "district"), requestableTemplates(ctxOf(s))]);
    return c.html(
      <AdminLayout title="Yêu cầu báo cáo đột xuất" supervisor={s} flash={c.var.flash}>
        <RequestForm draft={d} units={units} templates={templates} errors={errors} today={today()} />
      </AdminLayout>,
      status,
    );
  };

  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, deps.sessions));

  web.get("/", async (c) => {
    const s = c.var.supervisor;
    const items = await listRequests(ctxOf(s));
    const t = today();
    return c.html(
      <AdminLayout title="Yêu cầu báo cáo đột xuất" supervisor={s} flash={c.var.flash}>
        <p>
          <a href="/requests/new">📋 Tạo yêu cầu mới</a>
        </p>
        <table>
          <thead>
            <tr>
              <th>Số</th>
              <th>Yêu cầu</th>
              <th>Đơn vị được hỏi</th>
              <th>Hạn</th>
              <th>Đã trả lời</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 ? (
              <tr>
                <td colspan={5}>Chưa có yêu cầu báo cáo nào.</td>
              </tr>
            ) : (
              items.map((r) => (
                <tr>
                  <td>
                    <a href={`/requests/${r.id}`}>#{r.id}</a>
                  </td>
                  <td>
                    <a href={`/requests/${r.id}`}>{r.title}</a>
                  </td>
                  <td>{r.root.name}</td>
                  <td class={t > r.deadline && r.answered < r.units ? "late" : ""}>{formatDate(r.deadline)}</td>
                  <td>
                    {r.answered}/{r.units}
                  </td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </AdminLayout>,
    );
  });

  web.get("/new", (c) =>
    formPage(c, {
      title: "",
      note: "",
      unit: c.var.supervisor.own.code,
      roles: [],
      deadline: addDays(today(), 7),
      template: "",
      questions: Array.from({ length: MAX_QUICK_QUESTIONS }, () => ({ label: "", type: "integer", choices: "" })),
    }),
  );

  web.post("/", draftValidator, async (c) => {
    const s = c.var.supervisor;
    const d = c.req.valid("form");
    let made;
    try {
      made = await createRequest(ctxOf(s), { outbox: deps.outbox, forms: deps.forms, timeZone }, inputOf(s, d));
    } catch (err) {
      if (!isAppError(err) || (err.code !== "invalid_input" && err.code !== "not_found")) throw err;
      return formPage(c, d, err.issues.length ? [...err.issues] : [err.message], 400);
    }
    void deps.track(deps.outbox.drainOnce()).catch(() => undefined);
    const unreachable = made.unreachable ? ` ${made.unreachable} cán bộ chưa liên kết kênh chat nên chưa nhận được.` : "";
    deps.sessions.flash(c, `Đã gửi yêu cầu tới ${made.units} đơn vị, báo cho ${made.notified} cán bộ.${unreachable}`);
    return c.redirect(`/requests/${made.id}`);
  });

  web.get("/:id{[0-9]{1,9}}", async (c) => {
    const s = c.var.supervisor;
    const st = await requestStatus(ctxOf(s), deps, { id: c.req.param("id") }, today());
    return c.html(
      <AdminLayout title={`Yêu cầu #${st.request.id}`} heading={`Yêu cầu #${st.request.id}: ${st.request.title}`} supervisor={s} flash={c.var.flash}>
        <StatusBody s={st} timeZone={timeZone} today={today()} />
      </AdminLayout>,
    );
  });

  web.post("/:id{[0-9]{1,9}}/remind", async (c) => {
    const s = c.var.supervisor;
    const id = c.req.param("id");
    const r = await remindRequest(ctxOf(s), { outbox: deps.outbox }, { id }, today());
    deps.sessions.flash(
      c,
      r.reminded > 0
        ? `Đã nhắc ${r.reminded} cán bộ của ${r.units} đơn vị chưa trả lời.${r.unreachable ? ` ${r.unreachable} cán bộ chưa liên kết kênh chat.` : ""}`
        : r.reachable > 0
          ? "Không nhắc thêm ai: các đơn vị chưa trả lời vừa được nhắc."
          : r.units > 0
            ? `${r.units} đơn vị chưa trả lời nhưng chưa có cán bộ nào liên kết Telegram/Zalo: chưa gửi được lời nhắc.`
            : "Mọi đơn vị đã trả lời, không cần nhắc.",
      r.reminded > 0 || r.reachable > 0 || r.units === 0 ? undefined : "error",
    );
    return c.redirect(`/requests/${id}`);
  });

  web.get("/:id{[0-9]{1,9}}/export.xlsx", async (c) => {
    const { file, fileName } = await exportRequest(ctxOf(c.var.supervisor), deps, { id: c.req.param("id") }, today());
    c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    c.header("content-disposition", `attachment; filename="${fileName}"`);
    return c.body(new Uint8Array(file));
  });

  return (app: OpenAPIHono) => {
    app.route("/requests", web);
  };
}
