import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { eq } from "drizzle-orm";
import { units } from "../../db/schema/index.js";
import { INCIDENT_FIELD_LABELS, incidentActionLabel, incidentSubtypeLabel, incidentTypeLabel } from "../../incidents/incident-flow.js";
import type { IncidentCase, IncidentListRow } from "../../incidents/incident-service.js";
import { clocksOf } from "../../incidents/incident-clocks.js";
import { formatDateTime } from "../../domain/dates.js";
import { AppError, isAppError } from "../../domain/app-error.js";
import { officerActor, type ServiceContext } from "../../directory/actor.js";
import { OfficerLayout } from "../web/officer-layout.js";
import { AdminLayout } from "./admin-layout.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";

const STATUS_LABEL: Record<string, string> = { new: "Mới — chưa tiếp nhận", acknowledged: "Đã tiếp nhận", in_progress: "Đang xử lý", closed: "Đã đóng" };
const EVENT_LABEL: Record<string, string> = {
  reported: "Báo cáo",
  alerted: "Đã báo cấp trên",
  unalerted: "Chưa báo được cấp trên: chưa cán bộ nào liên kết kênh chat",
  escalated: "Nhắc lại, mở rộng người nhận",
  acknowledged: "Tiếp nhận",
  assigned: "Phân công",
  note: "Ghi chú",
  updated: "Bổ sung thông tin",
  attachment: "Đính kèm",
  closed: "Đóng hồ sơ",
  retention_erased: "Xoá chi tiết theo thời hạn lưu trữ",
};

/** What the reporter wrote of the child, leaving out what is not known: "9 tuổi, nữ", "nam", or nothing. */
export function childLine(age: number | null, sex: string | null): string | undefined {
  const parts = [age === null ? undefined : `${age} tuổi`, sex === "nu" ? "nữ" : sex === "nam" ? "nam" : undefined].filter((p): p is string => !!p);
  return parts.length ? parts.join(", ") : undefined;
}

/** One step of the timeline in words: its label, and what it adds ("Tuổi của trẻ", the note, the assignee). */
export function eventText(kind: string, detail: Record<string, unknown>): { label: string; extra: string } {
  const label = EVENT_LABEL[kind] ?? kind;
  const str = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "");
  if (kind === "note") return { label, extra: `: ${str(detail.text)}` };
  if (kind === "assigned") return { label, extra: `: ${str(detail.name)}` };
  if (kind === "updated") return { label, extra: ` (${INCIDENT_FIELD_LABELS[str(detail.field)] ?? str(detail.field)})` };
  if (kind === "escalated") return { label, extra: ` (lần ${str(detail.level)})` };
  return { label, extra: "" };
}

const AssignForm = z.object({ officer: z.coerce.number({ message: "Chọn cán bộ được phân công." }).int().positive("Chọn cán bộ được phân công.") });
const NoteForm = z.object({ text: z.string({ message: "Ghi chú đang trống." }).trim().min(1, "Ghi chú đang trống.").max(20_000) });
const CloseForm = z.object({
  outcome: z.string({ message: "Cần ghi kết quả xử lý trước khi đóng hồ sơ." }).trim().min(1, "Cần ghi kết quả xử lý trước khi đóng hồ sơ.").max(20_000),
});

function Inbox(props: { rows: IncidentListRow[]; closed: boolean; timeZone: string }) {
  const { rows, closed, timeZone } = props;
  return (
    <>
      <p>
        {closed ? (
          <>
            <a href="/incidents">Đang mở</a> · <b>Đã đóng</b>
          </>
        ) : (
          <>
            <b>Đang mở ({rows.length})</b> · <a href="/incidents?closed=1">Đã đóng</a>
          </>
        )}
      </p>
      <table>
        <thead>
          <tr>
            <th>Mã</th>
            <th>Loại</th>
            <th>Đơn vị</th>
            <th>Báo lúc</th>
            <th>Tình trạng</th>
            <th>Thời hạn gần nhất</th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colspan={6}>Không có vụ việc nào.</td>
            </tr>
          ) : (
            rows.map(({ incident: i, unit, clocks, next }) => {
              // Once taken in, the 12-hour emergency clock is no longer the case's alarm.
              const overdue = clocks.filter((k) => k.left.overdue && !(i.status !== "new" && k === clocks[0]));
              return (
                <tr data-ref={i.ref}>
                  <td>
                    <a href={`/incidents/${i.ref}`}>{i.ref}</a>
                  </td>
                  <td>{incidentTypeLabel(i.type)}</td>
                  <td>{unit}</td>
                  <td>{formatDateTime(i.createdAt, timeZone)}</td>
                  <td class={i.status === "new" ? "missing" : undefined}>{STATUS_LABEL[i.status] ?? i.status}</td>
                  <td>
                    {closed ? (
                      "—"
                    ) : (
                      <>
                        {next.name}: <b class={next.left.overdue ? "missing" : undefined}>{next.left.text}</b>
                        {overdue.length > 0 ? (
                          <>
                            <br />
                            <span class="missing">quá hạn: {overdue.map((k) => k.name).join(", ")}</span>
                          </>
                        ) : null}
                      </>
                    )}
                  </td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </>
  );
}

function CaseBody(props: { found: IncidentCase; now: Date; timeZone: string }) {
  const { found, now, timeZone } = props;
  const x = found.incident;
  const who = (id: number | null) => (id === null ? "" : (found.names[id] ?? ""));
  const open = x.status !== "closed";
  const child = childLine(x.childAge, x.childSex);
  const base = `/incidents/${x.ref}`;
  return (
    <>
      <p>
        Loại: <b>{incidentTypeLabel(x.type)}</b>
        {x.subtype ? ` — ${incidentSubtypeLabel(x.type, x.subtype)}` : ""} · Đơn vị: {found.unit.name} · Trạng thái:{" "}
        <b id="status">{STATUS_LABEL[x.status] ?? x.status}</b>
        {x.assignedTo ? (
          <>
            {" "}
            · Người theo dõi: <b id="assignee">{who(x.assignedTo)}</b>
          </>
        ) : null}
      </p>
      <p>
        Người báo: {who(x.reporterId)} · Xảy ra: {formatDateTime(x.occurredAt, timeZone)}
        {x.place ? ` · Nơi: ${x.place}` : ""}
      </p>
      {child ? <p id="child">Trẻ: {child}</p> : null}
      {x.description ? <p>Mô tả: {x.description}</p> : null}
      {x.actions && x.actions.length > 0 ? <p id="actions">Đã làm gì: {x.actions.map(incidentActionLabel).join("; ")}</p> : null}
      {open ? (
        <table>
          <thead>
            <tr>
              <th>Thời hạn</th>
              <th>Hạn</th>
              <th>Còn lại</th>
            </tr>
          </thead>
          <tbody>
            {clocksOf(x, now, timeZone).map((k) => (
              <tr>
                <td>{k.name}</td>
                <td>{k.label}</td>
                <td class={k.left.overdue ? "missing" : undefined}>{k.left.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <h2>Diễn biến</h2>
      <ol id="timeline">
        {found.timeline.map((e) => {
          const t = eventText(e.kind, e.detail);
          return (
            <li>
              {formatDateTime(e.at, timeZone)} — <b>{t.label}</b>
              {e.officerId ? ` · ${who(e.officerId)}` : ""}
              {t.extra}
            </li>
          );
        })}
      </ol>
      {open ? (
        <>
          <h2>Xử lý</h2>
          {found.mayAcknowledge ? (
            <form method="post" action={`${base}/acknowledge`}>
              <button>Tiếp nhận</button>
            </form>
          ) : null}
          {found.assignable ? (
            <form method="post" action={`${base}/assign`}>
              <label>
                Phân công theo dõi{" "}
                <select name="officer">
                  {found.assignable.map((p) => (
                    <option value={String(p.id)} selected={p.id === x.assignedTo}>
                      {p.name} — {p.unit}
                    </option>
                  ))}
                </select>
              </label>{" "}
              <button>Phân công</button>
            </form>
          ) : null}
          <form method="post" action={`${base}/note`}>
            <p>
              <label>
                Ghi chú diễn biến
                <br />
                <textarea name="text" rows={2} cols={60} required maxlength={2000}></textarea>
              </label>
            </p>
            <button>Ghi chú</button>
          </form>
          <form method="post" action={`${base}/close`}>
            <p>
              <label>
                Kết quả xử lý
                <br />
                <textarea name="outcome" rows={2} cols={60} required maxlength={1000}></textarea>
              </label>
            </p>
            <button>Đóng hồ sơ</button>
          </form>
        </>
      ) : x.outcome ? (
        <p>Kết quả: {x.outcome}</p>
      ) : null}
      <p>
        <a href="/incidents">← Báo cáo khẩn</a>
      </p>
    </>
  );
}

/**
 * The urgent cases (báo cáo khẩn) of the signed-in subtree: an inbox ordered by urgency with the
 * legal clocks as time left, and the case page where a supervisor acknowledges, assigns, notes and
 * closes — each step recorded on the timeline and told to the reporter on chat. Every view is
 * audited, by the use cases of src/incidents/incident-service.ts.
 */
export function mountIncidentInbox(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone, incidents, sessions } = deps;
  const deliver = () => void deps.track(deps.outbox.drainOnce(50, "alert")).catch(() => undefined);
  const ctxOf = (c: Context<AdminEnv>): ServiceContext => ({ actor: c.var.supervisor.actor, db, clock });

  /**
   * The case page and its forms are for any signed-in officer — a commune officer opens their own
   * unit's case — so not behind `supervisorsOnly`: the use cases decide who may see and do what.
   */
  const signedIn: MiddlewareHandler<AdminEnv> = async (c, next) => {
    const officer = await sessions.officer(c);
    if (!officer) return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`);
    const [own] = await db.select().from(units).where(eq(units.id, officer.unitId));
    if (!own) throw new AppError("not_found", "Không tìm thấy báo cáo khẩn này.");
    const actor = officerActor(officer, own);
    c.set("supervisor", { officer, own, actor, scope: actor.scope });
    c.set("flash", c.req.method === "GET" ? sessions.takeFlash(c) : undefined);
    await next();
  };

  /** A form that does not parse: back to the case with why. */
  const backWith = (c: Context, message: string) => {
    sessions.flash(c, message, "error");
    return c.redirect(`/incidents/${encodeURIComponent(c.req.param("ref") ?? "")}`);
  };
  const formHook = (result: { success: boolean; error?: { issues: { message: string }[] } }, c: Context) => {
    if (!result.success) return backWith(c, result.error?.issues[0]?.message ?? "Dữ liệu không hợp lệ.");
    return undefined;
  };
  /**
   * Runs an action's use case; a refusal other than not_found (which stays a 404, like a case that
   * does not exist) goes back to the case page as an error flash.
   */
  async function act(c: Context<AdminEnv>, run: () => Promise<{ ref: string; flash: string }>) {
    try {
      const done = await run();
      sessions.flash(c, done.flash);
      deliver();
      return c.redirect(`/incidents/${done.ref}`);
    } catch (err) {
      if (isAppError(err) && err.code !== "not_found") return backWith(c, err.message);
      throw err;
    }
  }

  const web = new Hono<AdminEnv>();

  web.get("/", supervisorsOnly(kit, sessions), async (c) => {
    const closed = c.req.query("closed") === "1";
    const rows = await incidents.listIncidents(ctxOf(c), { closed });
    const title = closed ? "Báo cáo khẩn đã đóng" : "Báo cáo khẩn đang mở";
    return c.html(
      <AdminLayout title={title} supervisor={c.var.supervisor} flash={c.var.flash}>
        <Inbox rows={rows} closed={closed} timeZone={timeZone} />
      </AdminLayout>,
    );
  });

  web.get("/:ref", signedIn, async (c) => {
    // The read and its audit row (or the refused look-up's) are one transaction in the use case.
    const found = await incidents.readIncident(ctxOf(c), { ref: c.req.param("ref"), via: "web" });
    const x = found.incident;
    const title = `${x.ref} — ${incidentTypeLabel(x.type)}`;
    const body = <CaseBody found={found} now={clock()} timeZone={timeZone} />;
    if (c.var.supervisor.officer.role === "commune") {
      // A commune officer's own case: the officers' layout without the admin menu (the pages behind it are not theirs).
      const { officer, own, actor } = c.var.supervisor;
      return c.html(
        <OfficerLayout title={x.ref} heading={title} who={{ officer, own, actor, flash: c.var.flash }} flash={c.var.flash}>
          {body}
        </OfficerLayout>,
      );
    }
    return c.html(
      <AdminLayout title={title} supervisor={c.var.supervisor} flash={c.var.flash}>
        {body}
      </AdminLayout>,
    );
  });

  web.post("/:ref/acknowledge", signedIn, (c) =>
    act(c, async () => {
      const r = await incidents.acknowledgeIncident(ctxOf(c), { ref: c.req.param("ref"), via: "acknowledge" });
      const ref = r.incident.ref;
      return {
        ref,
        flash: r.already
          ? `Báo cáo khẩn ${ref} đã được ${r.already.by ?? "cán bộ khác"} tiếp nhận lúc ${formatDateTime(r.already.at, timeZone)}.`
          : `Đã tiếp nhận báo cáo khẩn ${ref}.`,
      };
    }),
  );

  web.post("/:ref/assign", signedIn, zValidator("form", AssignForm, formHook), (c) =>
    act(c, async () => {
      const r = await incidents.assignIncident(ctxOf(c), { ref: c.req.param("ref"), officerId: c.req.valid("form").officer, via: "assign" });
      return { ref: r.incident.ref, flash: `Đã phân công ${r.assignee.name} theo dõi báo cáo khẩn ${r.incident.ref}.` };
    }),
  );

  web.post("/:ref/note", signedIn, zValidator("form", NoteForm, formHook), (c) =>
    act(c, async () => {
      const r = await incidents.noteIncident(ctxOf(c), { ref: c.req.param("ref"), text: c.req.valid("form").text, via: "note" });
      return { ref: r.incident.ref, flash: `Đã ghi chú vào báo cáo khẩn ${r.incident.ref}.` };
    }),
  );

  web.post("/:ref/close", signedIn, zValidator("form", CloseForm, formHook), (c) =>
    act(c, async () => {
      const r = await incidents.closeIncident(ctxOf(c), { ref: c.req.param("ref"), outcome: c.req.valid("form").outcome, via: "close" });
      const ref = r.incident.ref;
      return { ref, flash: r.alreadyClosed ? `Báo cáo khẩn ${ref} đã đóng trước đó.` : `Đã đóng báo cáo khẩn ${ref}.` };
    }),
  );

  return (app: OpenAPIHono) => {
    app.route("/incidents", web);
  };
}
