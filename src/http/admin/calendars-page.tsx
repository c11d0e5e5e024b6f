import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import type { Unit } from "../../directory/units.js";
import { DEMO_SCHEME } from "../../directory/units.js";
import type { ServiceContext } from "../../directory/actor.js";
import { demoRefusal, isDemoAccount } from "../../directory/demo-accounts.js";
import { AppError } from "../../domain/app-error.js";
import { formatDate, localDate } from "../../domain/dates.js";
import { contains } from "../../domain/scope.js";
import { periodsOfYear, type PeriodSpec, type Periodicity, type ReportingLevel } from "../../domain/periods.js";
import { dueField, editCalendar, loadCalendarRows, setQuietHours, setReminderSteps, type CalendarRow } from "../../reporting/calendar-edits.js";
import {
  deadlineOrderProblem,
  describeReminderSteps,
  effectiveDeadline,
  formatReminderSteps,
  LEVEL_NAMES,
  levelsOfScheme,
  nextYearsDate,
  REPORTING_LEVELS,
  slotName,
  type LevelDates,
} from "../../reporting/deadline-rules.js";
import { inheritanceText, orderRuleText } from "../../reporting/calendar-wording.js";
import { getTemplate, listTemplates, type ReportTemplate } from "../../reporting/reporting-calendar.js";
import { DEFAULT_TEMPLATE_ID } from "../../reporting/reporting-defaults.js";
import { AdminLayout } from "./admin-layout.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { refusedPage } from "./refused.js";
import { unitOptionsOf, UnitOptions } from "./unit-select.js";

/**
 * «Lịch báo cáo»: per report template, scope unit (a province or district in the officer's
 * subtree) and year, the deadline each level reports by — as the reporting calendar computes it
 * (nearest scope wins) and where it comes from — and a form to set that scope's own deadlines for
 * the year. Reminder steps and quiet hours are national settings: shown to all, edited by admins.
 */

const PERIODICITY_NAMES: Record<Periodicity, string> = {
  monthly: "hằng tháng",
  quarterly: "hằng quý",
  "half-yearly": "6 tháng một lần",
  yearly: "hằng năm",
  "six-month-and-yearly": "6 tháng đầu năm và cả năm",
  once: "một lần (yêu cầu đột xuất)",
};

/** "Xã nộp trước": the column of the deadline a level must submit by. */
const levelHeader = (level: ReportingLevel) => `${LEVEL_NAMES[level][0]!.toUpperCase()}${LEVEL_NAMES[level].slice(1)} nộp trước`;
const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");

/** What a calendar row is: "Huyện Tam Đường (hằng năm) — Huyện Tam Đường 2020: …". */
function originText(from: CalendarRow | undefined): string {
  if (!from) return "mặc định của hệ thống (vài ngày sau khi kỳ kết thúc)";
  const when = from.rawYear === 0 ? "hằng năm" : `năm ${from.rawYear}`;
  if (!from.scope)
    return from.source && from.source !== "Mặc định toàn quốc" ? `Mặc định toàn quốc (${when}) — ${from.source}` : `Mặc định toàn quốc (${when})`;
  return `${from.scope.name} (${when})${from.source ? ` — ${from.source}` : ""}`;
}

/** The slots, levels and effective deadlines of one scope and year. */
function effectiveTable(entries: CalendarRow[], specs: PeriodSpec[], unit: Unit, levels: readonly ReportingLevel[]) {
  return specs.map((spec) => {
    const cells = levels.map((level) => ({ level, ...effectiveDeadline(entries, spec, unit.path, level) }));
    const dates: LevelDates = Object.fromEntries(cells.map((c) => [c.level, c.deadline]));
    return { spec, cells, problem: deadlineOrderProblem(spec.slot, dates, {}, levels) };
  });
}

interface Selection {
  template: ReportTemplate;
  unit: Unit;
  year: number;
}

/** Messages and typed values of a form that was refused, shown again with the page. */
interface Feedback {
  calendar?: { error: string; values: Record<string, string>; source: string };
  reminders?: { error: string; value: string };
  quiet?: { error: string; start: string; end: string };
}

function HiddenSelection(props: { sel: Selection }) {
  return (
    <>
      <input type="hidden" name="template" value={props.sel.template.id} />
      <input type="hidden" name="unit" value={props.sel.unit.code} />
      <input type="hidden" name="year" value={String(props.sel.year)} />
    </>
  );
}

const Alert = (props: { error?: string | undefined }) =>
  props.error ? (
    <p class="missing" role="alert">
      {props.error}
    </p>
  ) : null;

export function mountCalendarPages(deps: AdminPageDeps) {
  const { db, kit, sessions } = deps;
  const currentYear = () => Number(localDate(deps.clock(), deps.timeZone).slice(0, 4));
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock: deps.clock });
  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, sessions));

  /**
   * Template, scope and year asked for (query or form). Undefined — answered with a 404, as for a
   * unit that does not exist — when the template is unknown or the scope is not a province or
   * district inside the officer's subtree.
   */
  async function select(s: Supervisor, q: { template?: string | undefined; unit?: string | undefined; year?: string | undefined }): Promise<Selection> {
    const template = q.template ? await getTemplate(db, q.template) : ((await getTemplate(db, DEFAULT_TEMPLATE_ID)) ?? (await listTemplates(db))[0]);
    const unit = await kit.unitBelow(s, q.unit || undefined);
    if (!template || !unit || unit.level === "commune") throw new AppError("not_found", "Không tìm thấy lịch báo cáo.");
    const y = Number(q.year);
    const year = /^\d{4}$/.test(q.year ?? "") && y >= 2000 && y <= 2100 ? y : currentYear();
    return { template, unit, year };
  }

  const selectionQuery = (sel: Selection) => `template=${encodeURIComponent(sel.template.id)}&unit=${encodeURIComponent(sel.unit.code)}&year=${sel.year}`;

  async function render(c: Context<AdminEnv>, s: Supervisor, sel: Selection, fb: Feedback = {}, status: 200 | 400 = 200, copy = false) {
    const { template, unit, year } = sel;
    const isAdmin = s.officer.role === "admin";
    // Reminder steps and quiet hours are shared by every official unit: never a demo account's to change.
    const demo = isDemoAccount(s.officer, s.own);
    const sharedNote = <p class="note">{demo ? demoRefusal("cài đặt này") : "Áp dụng toàn quốc; chỉ quản trị viên thay đổi được."}</p>;
    const levels = levelsOfScheme(unit.scheme);
    const specs = periodsOfYear(template.periodicity as Periodicity, year);
    const entries = await loadCalendarRows(db, template.id);
    const templates = await listTemplates(db);
    const options = await unitOptionsOf(db, s.own, "district");
    await deps.settings.load();
    const quiet = deps.settings.quietHours;

    // The form: this scope's own rows for this year (blank = follow the wider scope).
    const own = entries.filter((e) => e.scopeUnitId === unit.id && e.rawYear === year);
    // A letter written for one year (Quảng Bình 2024) is offered as a copy for the next: the form
    // prefilled with its dates a year on, saved (and checked) only when the officer saves it.
    const lastYears = own.length === 0 ? entries.filter((e) => e.scopeUnitId === unit.id && e.rawYear === year - 1) : [];
    const copying = copy && lastYears.length > 0 && !fb.calendar;
    const copied = (slot: string, level: ReportingLevel) => {
      const row = lastYears.find((e) => e.slot === slot && e.level === level);
      return row ? nextYearsDate(row.deadline) : "";
    };
    const valueOf = (slot: string, level: ReportingLevel) =>
      fb.calendar
        ? (fb.calendar.values[dueField(slot, level)] ?? "")
        : copying
          ? copied(slot, level)
          : (own.find((e) => e.slot === slot && e.level === level)?.deadline ?? "");
    const lastSource = lastYears.find((e) => e.source)?.source ?? "";
    const source = fb.calendar
      ? fb.calendar.source
      : copying
        ? `Chép từ lịch năm ${year - 1}: ${lastSource}`.slice(0, 300)
        : (own.find((e) => e.source)?.source ?? "");

    // Every scoped calendar (the seed letters among them), as examples.
    const slotOrder = (slot: string) => {
      const i = specs.findIndex((x) => x.slot === slot);
      return i === -1 ? specs.length : i;
    };
    const groups = new Map<string, CalendarRow[]>();
    // Examples come from one's own world: the demo tree's calendar for demo accounts, the official ones otherwise.
    const sameWorld = (scope: Pick<Unit, "scheme">) => (scope.scheme === DEMO_SCHEME) === (s.own.scheme === DEMO_SCHEME);
    for (const e of entries
      .filter((x) => x.scope && sameWorld(x.scope))
      .sort((a, b) => a.scope!.scheme.localeCompare(b.scope!.scheme) || a.scope!.path.localeCompare(b.scope!.path) || a.rawYear - b.rawYear)) {
      const key = `${e.scopeUnitId}|${e.rawYear}|${e.source ?? ""}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const examples = [...groups.values()].map((rows) => {
      const first = rows[0]!;
      const scope = first.scope!;
      const bySlot = [...new Set(rows.map((r) => r.slot))]
        .sort((a, b) => slotOrder(a) - slotOrder(b))
        .map((slot) => {
          const dates = rows
            .filter((r) => r.slot === slot)
            .sort((a, b) => REPORTING_LEVELS.indexOf(a.level) - REPORTING_LEVELS.indexOf(b.level))
            .map((r) => `${LEVEL_NAMES[r.level]} ${first.rawYear === 0 ? formatDate(r.deadline).slice(0, 5) : formatDate(r.deadline)}`);
          return `${slotName(slot)}: ${dates.join(", ")}`;
        })
        .join("; ");
      return { first, scope, bySlot, canView: contains(s.own, scope) && scope.level !== "commune" };
    });

    const steps = template.reminderSteps;
    const head = (
      <tr>
        <th>Kỳ</th>
        {levels.map((l) => (
          <th>{levelHeader(l)}</th>
        ))}
      </tr>
    );

    return c.html(
      <AdminLayout title="Lịch báo cáo" supervisor={s} flash={c.var.flash}>
        <form method="get" action="/calendars" class="note">
          <label>
            Mẫu báo cáo{" "}
            <select name="template">
              {templates.map((t) => (
                <option value={t.id} selected={t.id === template.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>{" "}
          <label>
            Phạm vi{" "}
            <select name="unit">
              <UnitOptions options={options} selected={unit.code} />
            </select>
          </label>{" "}
          <label>
            Năm <input name="year" type="number" min="2000" max="2100" value={String(year)} class="w6" />
          </label>{" "}
          <button>Xem</button>
        </form>
        <p class="note">
          {template.name} — báo cáo {PERIODICITY_NAMES[template.periodicity as Periodicity] ?? template.periodicity}; kỳ báo cáo mở {template.opensDaysBefore}{" "}
          ngày trước hạn của xã.
        </p>
        <h2>
          Hạn đang áp dụng cho {unit.name} — năm {year}
        </h2>
        <p class="note">
          Mỗi đơn vị theo lịch của đơn vị gần nhất có lịch ({inheritanceText(levels)}), nếu không có thì theo mặc định toàn quốc; lịch riêng của một năm được ưu
          tiên hơn lịch hằng năm.
        </p>
        <table id="effective">
          <thead>{head}</thead>
          <tbody>
            {effectiveTable(entries, specs, unit, levels).map((r) => (
              <>
                <tr>
                  <td>{slotName(r.spec.slot)}</td>
                  {r.cells.map((cell) => (
                    <td data-slot={r.spec.slot} data-level={cell.level}>
                      <b>{formatDate(cell.deadline)}</b>
                      <br />
                      <span class="note">{originText(cell.from)}</span>
                    </td>
                  ))}
                </tr>
                {r.problem ? (
                  <tr>
                    <td colspan={levels.length + 1} class="late">
                      ⚠ Chưa hợp lý: {r.problem}
                    </td>
                  </tr>
                ) : null}
              </>
            ))}
          </tbody>
        </table>

        <h2 id="edit">
          Đặt hạn riêng của {unit.name} cho năm {year}
        </h2>
        <p class="note">
          Ô để trống theo hạn đang áp dụng ở trên (lịch của cấp trên hoặc mặc định toàn quốc). Trong một kỳ, {orderRuleText(levels)}. Hạn của xã có thể trước
          ngày kỳ kết thúc (ví dụ số liệu chốt ngày 14/6).
        </p>
        <Alert error={fb.calendar?.error} />
        {lastYears.length > 0 && !copying ? (
          <p class="flash" id="copy-offer">
            {unit.name} có lịch riêng cho năm {year - 1}
            {lastSource ? ` (${lastSource})` : ""}, chưa có cho năm {year}.{" "}
            <a href={`/calendars?${selectionQuery(sel)}&copy=1#edit`}>
              Chép lịch năm {year - 1} sang năm {year}
            </a>
          </p>
        ) : null}
        {copying ? (
          <p class="flash" id="copy-offer">
            Đã điền các hạn của năm {year - 1}, lùi một năm. Kiểm tra rồi bấm «Lưu lịch» (chưa có gì được lưu).
          </p>
        ) : null}
        <form method="post" action="/calendars">
          <HiddenSelection sel={sel} />
          <table>
            <thead>{head}</thead>
            <tbody>
              {specs.map((spec) => (
                <tr>
                  <td>{slotName(spec.slot)}</td>
                  {levels.map((l) => (
                    <td>
                      <input
                        type="date"
                        name={dueField(spec.slot, l)}
                        value={valueOf(spec.slot, l)}
                        aria-label={`${levelHeader(l)} — kỳ ${slotName(spec.slot)}`}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <label>
              Căn cứ (văn bản, ví dụ «Công văn 123/SLĐTBXH ngày 02/01/2026»)
              <br />
              <input name="source" size={70} maxlength={300} value={source} />
            </label>
          </p>
          <p>
            <button>Lưu lịch</button>
          </p>
        </form>

        <h2>Lịch riêng đã có (ví dụ)</h2>
        <table id="examples">
          <thead>
            <tr>
              <th>Đơn vị</th>
              <th>Áp dụng</th>
              <th>Hạn</th>
              <th>Căn cứ</th>
            </tr>
          </thead>
          <tbody>
            {examples.length === 0 ? (
              <tr>
                <td colspan={4} class="note">
                  Chưa có lịch riêng nào.
                </td>
              </tr>
            ) : (
              examples.map(({ first, scope, bySlot, canView }) => (
                <tr>
                  <td>
                    {canView ? (
                      <a href={`/calendars?template=${encodeURIComponent(template.id)}&unit=${encodeURIComponent(scope.code)}&year=${first.rawYear || year}`}>
                        {scope.name}
                      </a>
                    ) : (
                      scope.name
                    )}{" "}
                    <span class="note">
                      ({scope.code}, {scope.scheme === "pre2025" ? "trước 1/7/2025" : scope.scheme === DEMO_SCHEME ? "dữ liệu thử" : "từ 1/7/2025"})
                    </span>
                  </td>
                  <td>{first.rawYear === 0 ? "hằng năm" : `năm ${first.rawYear}`}</td>
                  <td>{bySlot}</td>
                  <td>{first.source ?? ""}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>

        <h2 id="reminders">Nhắc hạn</h2>
        <p>
          Baocao nhắc các xã chưa nộp vào những ngày (so với hạn của xã): <b id="reminder-steps">{formatReminderSteps(steps)}</b>{" "}
          <span class="note">— {describeReminderSteps(steps)}.</span>
        </p>
        <Alert error={fb.reminders?.error} />
        {isAdmin && !demo ? (
          <form method="post" action="/calendars/reminders">
            <HiddenSelection sel={sel} />
            <label>
              Ngày nhắc (số âm = trước hạn, 0 = đúng ngày hạn, dương = sau hạn; từ -60 đến 30)
              <br />
              <input name="steps" size={40} value={fb.reminders?.value ?? formatReminderSteps(steps)} />
            </label>{" "}
            <button>Lưu ngày nhắc</button>
          </form>
        ) : (
          sharedNote
        )}

        <h2 id="quiet">Giờ yên tĩnh</h2>
        <p>
          Không gửi tin nhắc và văn bản từ{" "}
          <b id="quiet-hours">
            {quiet.start}–{quiet.end}
          </b>{" "}
          (giờ Việt Nam); tin đến hạn trong khoảng này được gửi khi hết giờ yên tĩnh. Báo cáo khẩn và tin trả lời vẫn gửi ngay.
        </p>
        <Alert error={fb.quiet?.error} />
        {isAdmin && !demo ? (
          <form method="post" action="/calendars/quiet-hours">
            <HiddenSelection sel={sel} />
            <label>
              Từ <input name="start" type="time" value={fb.quiet?.start ?? quiet.start} />
            </label>{" "}
            <label>
              đến <input name="end" type="time" value={fb.quiet?.end ?? quiet.end} />
            </label>{" "}
            <button>Lưu giờ yên tĩnh</button>
          </form>
        ) : (
          sharedNote
        )}
      </AdminLayout>,
      status,
    );
  }

  /** A use case's invalid_input shown on the page again (with what was typed); anything else thrown on. */
  const inputError = (err: unknown): string => {
    if (err instanceof AppError && err.code === "invalid_input") return err.message;
    throw err;
  };

  web.get("/", async (c) => {
    const s = c.var.supervisor;
    return render(c, s, await select(s, c.req.query()), {}, 200, c.req.query("copy") === "1");
  });

  web.post("/", async (c) => {
    const s = c.var.supervisor;
    const form = await c.req.parseBody();
    // Re-checked here, whatever the page showed: the scope must be the officer's province or district, or below.
    const sel = await select(s, { template: str(form.template), unit: str(form.unit), year: str(form.year) });
    if (str(form.year) !== String(sel.year)) return refusedPage(c, "Năm không hợp lệ (từ 2000 đến 2100).");
    const levels = levelsOfScheme(sel.unit.scheme);
    const values: Record<string, string> = {};
    for (const spec of periodsOfYear(sel.template.periodicity as Periodicity, sel.year))
      for (const l of levels) values[dueField(spec.slot, l)] = str(form[dueField(spec.slot, l)]);
    const source = str(form.source).slice(0, 300);
    try {
      const saved = await editCalendar(ctxOf(s), { templateId: sel.template.id, unitCode: sel.unit.code, year: sel.year, dates: values, source });
      const n = saved.changes.length;
      sessions.flash(c, `Đã lưu lịch. Hạn nộp của ${saved.unit.name} năm ${saved.year}: ${n === 0 ? "không có gì thay đổi" : `${n} hạn đã thay đổi`}.`);
    } catch (err) {
      return render(c, s, sel, { calendar: { error: inputError(err), values, source } }, 400);
    }
    return c.redirect(`/calendars?${selectionQuery(sel)}&saved=calendar`);
  });

  web.post("/reminders", async (c) => {
    const s = c.var.supervisor;
    if (s.officer.role !== "admin") return refusedPage(c, "Chỉ quản trị viên được thay đổi ngày nhắc (áp dụng toàn quốc).");
    if (isDemoAccount(s.officer, s.own)) return refusedPage(c, demoRefusal("ngày nhắc hạn"));
    const form = await c.req.parseBody();
    const sel = await select(s, { template: str(form.template), unit: str(form.unit), year: str(form.year) });
    const value = str(form.steps);
    try {
      const { steps } = await setReminderSteps(ctxOf(s), { templateId: sel.template.id, steps: value });
      sessions.flash(c, `Đã lưu ngày nhắc. ${sel.template.name}: nhắc vào các ngày ${formatReminderSteps(steps)} so với hạn của xã.`);
    } catch (err) {
      return render(c, s, sel, { reminders: { error: inputError(err), value } }, 400);
    }
    return c.redirect(`/calendars?${selectionQuery(sel)}&saved=reminders#reminders`);
  });

  web.post("/quiet-hours", async (c) => {
    const s = c.var.supervisor;
    if (s.officer.role !== "admin") return refusedPage(c, "Chỉ quản trị viên được thay đổi giờ yên tĩnh (áp dụng toàn quốc).");
    if (isDemoAccount(s.officer, s.own)) return refusedPage(c, demoRefusal("giờ yên tĩnh"));
    const form = await c.req.parseBody();
    const sel = await select(s, { template: str(form.template), unit: str(form.unit), year: str(form.year) });
    const start = str(form.start);
    const end = str(form.end);
    try {
      await setQuietHours(ctxOf(s), { start, end }, deps.settings.quietHours);
      sessions.flash(c, `Đã lưu giờ yên tĩnh. Từ ${start} đến ${end} không gửi tin nhắc và văn bản.`);
    } catch (err) {
      return render(c, s, sel, { quiet: { error: inputError(err), start, end } }, 400);
    }
    return c.redirect(`/calendars?${selectionQuery(sel)}&saved=quiet#quiet`);
  });

  return (app: OpenAPIHono) => {
    app.route("/calendars", web);
  };
}
