import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { eq } from "drizzle-orm";
import type { DbOrTx } from "../../db/client.js";
import { deadlineCalendars, reportTemplates, units } from "../../db/schema/index.js";
import { DEMO_SCHEME, type Unit } from "../../directory/units.js";
import { demoRefusal, isDemoAccount } from "../../demo/demo-world.js";
import { formatDate, localDate } from "../../domain/dates.js";
import { periodsOfYear, type CalendarEntry, type Periodicity, type PeriodSpec, type ReportingLevel } from "../../domain/periods.js";
import {
  deadlineOrderProblem,
  describeReminderSteps,
  effectiveDeadline,
  formatReminderSteps,
  LEVEL_NAMES,
  levelsOfScheme,
  parseDeadline,
  parseReminderSteps,
  REPORTING_LEVELS,
  slotName,
  type LevelDates,
} from "../../reporting/deadline-rules.js";
import { getTemplate, listTemplates, type ReportTemplate } from "../../reporting/reporting-calendar.js";
import { DEFAULT_TEMPLATE_ID } from "../../reporting/reporting-defaults.js";
import { esc } from "../html.js";
import type { AdminPageDeps } from "./deps.js";
import { adminPage, inSubtree, notFoundPage, refusedPage, unitOptions, type Supervisor } from "./kit.js";

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
};

/** "Xã nộp trước": the column of the deadline a level must submit by. */
const levelHeader = (level: ReportingLevel) => `${LEVEL_NAMES[level][0]!.toUpperCase()}${LEVEL_NAMES[level].slice(1)} nộp trước`;
const fieldName = (slot: string, level: ReportingLevel) => `due_${slot}_${level}`;
const str = (v: unknown) => (typeof v === "string" ? v.trim() : "");

/** A calendar row with its scope unit, shaped for `deadlineFor` (scopePath, year undefined = every year). */
interface Entry extends CalendarEntry {
  id: number;
  scopeUnitId: number | null;
  scope?: Pick<Unit, "code" | "name" | "scheme" | "path" | "level">;
  rawYear: number;
  source: string | null;
}

async function loadEntries(db: DbOrTx, templateId: string): Promise<Entry[]> {
  const rows = await db
    .select({ row: deadlineCalendars, code: units.code, name: units.name, scheme: units.scheme, path: units.path, level: units.level })
    .from(deadlineCalendars)
    .leftJoin(units, eq(units.id, deadlineCalendars.scopeUnitId))
    .where(eq(deadlineCalendars.templateId, templateId));
  return rows.map(({ row, ...u }) => ({
    id: row.id,
    scopeUnitId: row.scopeUnitId,
    ...(u.path !== null ? { scope: { code: u.code!, name: u.name!, scheme: u.scheme!, path: u.path, level: u.level! }, scopePath: u.path } : {}),
    ...(row.year !== 0 ? { year: row.year } : {}),
    rawYear: row.year,
    slot: row.slot,
    level: row.level,
    deadline: row.deadline,
    source: row.source,
  }));
}

/** What a calendar row is: "Huyện Tam Đường (hằng năm) — Huyện Tam Đường 2020: …". */
function originText(from: Entry | undefined): string {
  if (!from) return "mặc định của hệ thống (vài ngày sau khi kỳ kết thúc)";
  const when = from.rawYear === 0 ? "hằng năm" : `năm ${from.rawYear}`;
  if (!from.scope) return from.source && from.source !== "Mặc định toàn quốc" ? `Mặc định toàn quốc (${when}) — ${from.source}` : `Mặc định toàn quốc (${when})`;
  return `${from.scope.name} (${when})${from.source ? ` — ${from.source}` : ""}`;
}

/** The slots, levels and effective deadlines of one scope and year. */
function effectiveTable(entries: Entry[], specs: PeriodSpec[], unit: Unit, levels: readonly ReportingLevel[]) {
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
  notice?: string;
  calendar?: { error: string; values: Record<string, string>; source: string };
  reminders?: { error: string; value: string };
  quiet?: { error: string; start: string; end: string };
}

export function mountCalendarPages(deps: AdminPageDeps) {
  const { db, kit } = deps;
  const currentYear = () => Number(localDate(deps.clock(), deps.timeZone).slice(0, 4));

  /**
   * Template, scope and year asked for (query or form). Undefined — answered with a 404, as for a
   * unit that does not exist — when the template is unknown or the scope is not a province or
   * district inside the officer's subtree.
   */
  async function select(s: Supervisor, q: { template?: string; unit?: string; year?: string }): Promise<Selection | undefined> {
    const template = q.template ? await getTemplate(db, q.template) : ((await getTemplate(db, DEFAULT_TEMPLATE_ID)) ?? (await listTemplates(db))[0]);
    const unit = await kit.unitBelow(s, q.unit || undefined);
    if (!template || !unit || unit.level === "commune") return undefined;
    const y = Number(q.year);
    const year = /^\d{4}$/.test(q.year ?? "") && y >= 2000 && y <= 2100 ? y : currentYear();
    return { template, unit, year };
  }

  const selectionQuery = (sel: Selection) => `template=${encodeURIComponent(sel.template.id)}&unit=${encodeURIComponent(sel.unit.code)}&year=${sel.year}`;
  const hiddenSelection = (sel: Selection) =>
    `<input type="hidden" name="template" value="${esc(sel.template.id)}"><input type="hidden" name="unit" value="${esc(sel.unit.code)}"><input type="hidden" name="year" value="${sel.year}">`;

  async function render(c: Context, s: Supervisor, sel: Selection, fb: Feedback = {}, status: 200 | 400 = 200) {
    const { template, unit, year } = sel;
    const isAdmin = s.officer.role === "admin";
    // Reminder steps and quiet hours are shared by every official unit: never a demo account's to change.
    const demo = isDemoAccount(s.officer, s.own);
    const sharedNote = demo ? `<p class="note">${esc(demoRefusal("cài đặt này"))}</p>` : `<p class="note">Áp dụng toàn quốc; chỉ quản trị viên thay đổi được.</p>`;
    const levels = levelsOfScheme(unit.scheme);
    const specs = periodsOfYear(template.periodicity as Periodicity, year);
    const entries = await loadEntries(db, template.id);
    const templates = await listTemplates(db);
    await deps.settings.load();
    const quiet = deps.settings.quietHours;

    const chooser = `<form method="get" action="/calendars" class="note">
<label>Mẫu báo cáo <select name="template">${templates.map((t) => `<option value="${esc(t.id)}"${t.id === template.id ? " selected" : ""}>${esc(t.name)}</option>`).join("")}</select></label>
<label>Phạm vi <select name="unit">${await unitOptions(db, s.own, unit.code, "district")}</select></label>
<label>Năm <input name="year" type="number" min="2000" max="2100" value="${year}" class="w6"></label>
<button>Xem</button></form>`;

    const head = `<tr><th>Kỳ</th>${levels.map((l) => `<th>${esc(levelHeader(l))}</th>`).join("")}</tr>`;
    const effective = effectiveTable(entries, specs, unit, levels)
      .map(
        (r) =>
          `<tr><td>${esc(slotName(r.spec.slot))}</td>${r.cells
            .map((cell) => `<td data-slot="${esc(r.spec.slot)}" data-level="${cell.level}"><b>${esc(formatDate(cell.deadline))}</b><br><span class="note">${esc(originText(cell.from))}</span></td>`)
            .join("")}</tr>${r.problem ? `<tr><td colspan="${levels.length + 1}" class="late">⚠ Chưa hợp lý: ${esc(r.problem)}</td></tr>` : ""}`,
      )
      .join("");

    // The form: this scope's own rows for this year (blank = follow the wider scope).
    const own = entries.filter((e) => e.scopeUnitId === unit.id && e.rawYear === year);
    const valueOf = (slot: string, level: ReportingLevel) =>
      fb.calendar ? (fb.calendar.values[fieldName(slot, level)] ?? "") : (own.find((e) => e.slot === slot && e.level === level)?.deadline ?? "");
    const inputs = specs
      .map(
        (spec) =>
          `<tr><td>${esc(slotName(spec.slot))}</td>${levels
            .map(
              (l) =>
                `<td><input type="date" name="${esc(fieldName(spec.slot, l))}" value="${esc(valueOf(spec.slot, l))}" aria-label="${esc(`${levelHeader(l)} — kỳ ${slotName(spec.slot)}`)}"></td>`,
            )
            .join("")}</tr>`,
      )
      .join("");
    const source = fb.calendar ? fb.calendar.source : (own.find((e) => e.source)?.source ?? "");
    const editForm = `<h2 id="edit">Đặt hạn riêng của ${esc(unit.name)} cho năm ${year}</h2>
<p class="note">Ô để trống theo hạn đang áp dụng ở trên (lịch của cấp trên hoặc mặc định toàn quốc). Trong một kỳ, hạn của xã phải trước hạn của huyện, hạn của huyện trước hạn của tỉnh. Hạn của xã có thể trước ngày kỳ kết thúc (ví dụ số liệu chốt ngày 14/6).</p>
${fb.calendar ? `<p class="missing" role="alert">${esc(fb.calendar.error)}</p>` : ""}
<form method="post" action="/calendars">${hiddenSelection(sel)}
<table><thead>${head}</thead><tbody>${inputs}</tbody></table>
<p><label>Căn cứ (văn bản, ví dụ «Công văn 123/SLĐTBXH ngày 02/01/2026»)<br><input name="source" size="70" maxlength="300" value="${esc(source)}"></label></p>
<p><button>Lưu lịch</button></p></form>`;

    // Every scoped calendar (the seed letters among them), as examples.
    const slotOrder = (slot: string) => {
      const i = specs.findIndex((x) => x.slot === slot);
      return i === -1 ? specs.length : i;
    };
    const groups = new Map<string, Entry[]>();
    // Examples come from one's own world: the demo tree's calendar for demo accounts, the official ones otherwise.
    const sameWorld = (scope: Pick<Unit, "scheme">) => (scope.scheme === DEMO_SCHEME) === (s.own.scheme === DEMO_SCHEME);
    for (const e of entries.filter((x) => x.scope && sameWorld(x.scope)).sort((a, b) => a.scope!.scheme.localeCompare(b.scope!.scheme) || a.scope!.path.localeCompare(b.scope!.path) || a.rawYear - b.rawYear)) {
      const key = `${e.scopeUnitId}|${e.rawYear}|${e.source ?? ""}`;
      groups.set(key, [...(groups.get(key) ?? []), e]);
    }
    const examples = [...groups.values()]
      .map((rows) => {
        const first = rows[0]!;
        const scope = first.scope!;
        const canView = inSubtree(s.own, scope) && scope.level !== "commune";
        const name = canView ? `<a href="/calendars?template=${encodeURIComponent(template.id)}&unit=${encodeURIComponent(scope.code)}&year=${first.rawYear || year}">${esc(scope.name)}</a>` : esc(scope.name);
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
        return `<tr><td>${name} <span class="note">(${esc(scope.code)}, ${scope.scheme === "pre2025" ? "trước 1/7/2025" : scope.scheme === DEMO_SCHEME ? "dữ liệu thử" : "từ 1/7/2025"})</span></td><td>${first.rawYear === 0 ? "hằng năm" : `năm ${first.rawYear}`}</td><td>${esc(bySlot)}</td><td>${esc(first.source ?? "")}</td></tr>`;
      })
      .join("");

    const steps = template.reminderSteps;
    const reminderValue = fb.reminders?.value ?? formatReminderSteps(steps);
    const reminders = `<h2 id="reminders">Nhắc hạn</h2>
<p>Baocao nhắc các xã chưa nộp vào những ngày (so với hạn của xã): <b id="reminder-steps">${esc(formatReminderSteps(steps))}</b> <span class="note">— ${esc(describeReminderSteps(steps))}.</span></p>
${fb.reminders ? `<p class="missing" role="alert">${esc(fb.reminders.error)}</p>` : ""}
${
  isAdmin && !demo
    ? `<form method="post" action="/calendars/reminders">${hiddenSelection(sel)}<label>Ngày nhắc (số âm = trước hạn, 0 = đúng ngày hạn, dương = sau hạn; từ -60 đến 30)<br><input name="steps" size="40" value="${esc(reminderValue)}"></label> <button>Lưu ngày nhắc</button></form>`
    : sharedNote
}`;

    const quietForm = `<h2 id="quiet">Giờ yên tĩnh</h2>
<p>Không gửi tin nhắc và văn bản từ <b id="quiet-hours">${esc(quiet.start)}–${esc(quiet.end)}</b> (giờ Việt Nam); tin đến hạn trong khoảng này được gửi khi hết giờ yên tĩnh. Báo cáo khẩn và tin trả lời vẫn gửi ngay.</p>
${fb.quiet ? `<p class="missing" role="alert">${esc(fb.quiet.error)}</p>` : ""}
${
  isAdmin && !demo
    ? `<form method="post" action="/calendars/quiet-hours">${hiddenSelection(sel)}<label>Từ <input name="start" type="time" value="${esc(fb.quiet?.start ?? quiet.start)}"></label> <label>đến <input name="end" type="time" value="${esc(fb.quiet?.end ?? quiet.end)}"></label> <button>Lưu giờ yên tĩnh</button></form>`
    : sharedNote
}`;

    const body = `${chooser}
${fb.notice ? `<p class="ok" role="status">${esc(fb.notice)}</p>` : ""}
<p class="note">${esc(template.name)} — báo cáo ${esc(PERIODICITY_NAMES[template.periodicity as Periodicity] ?? template.periodicity)}; kỳ báo cáo mở ${template.opensDaysBefore} ngày trước hạn của xã.</p>
<h2>Hạn đang áp dụng cho ${esc(unit.name)} — năm ${year}</h2>
<p class="note">Mỗi đơn vị theo lịch của đơn vị gần nhất có lịch (huyện, rồi tỉnh), nếu không có thì theo mặc định toàn quốc; lịch riêng của một năm được ưu tiên hơn lịch hằng năm.</p>
<table id="effective"><thead>${head}</thead><tbody>${effective}</tbody></table>
${editForm}
<h2>Lịch riêng đã có (ví dụ)</h2>
<table id="examples"><thead><tr><th>Đơn vị</th><th>Áp dụng</th><th>Hạn</th><th>Căn cứ</th></tr></thead><tbody>${examples || `<tr><td colspan="4" class="note">Chưa có lịch riêng nào.</td></tr>`}</tbody></table>
${reminders}
${quietForm}`;
    return c.html(adminPage("Lịch báo cáo", s, body), status);
  }

  return (app: OpenAPIHono) => {
    app.get("/calendars", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const sel = await select(s, c.req.query());
      if (!sel) return notFoundPage(c);
      const saved = c.req.query("saved");
      const notice = saved === "calendar" ? "Đã lưu lịch." : saved === "reminders" ? "Đã lưu ngày nhắc." : saved === "quiet" ? "Đã lưu giờ yên tĩnh." : undefined;
      return render(c, s, sel, notice ? { notice } : {});
    });

    app.post("/calendars", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const form = await c.req.parseBody();
      // Re-checked here, whatever the page showed: the scope must be the officer's province or district, or below.
      const sel = await select(s, { template: str(form.template), unit: str(form.unit), year: str(form.year) });
      if (!sel) return notFoundPage(c);
      if (str(form.year) !== String(sel.year)) return refusedPage(c, "Năm không hợp lệ (từ 2000 đến 2100).");
      const { template, unit, year } = sel;
      const levels = levelsOfScheme(unit.scheme);
      const specs = periodsOfYear(template.periodicity as Periodicity, year);
      const source = str(form.source).slice(0, 300);
      const values: Record<string, string> = {};
      const refuse = (error: string) => render(c, s, sel, { calendar: { error, values, source } }, 400);

      // Read every field, then check the dates, then their order per slot.
      for (const spec of specs) for (const l of levels) values[fieldName(spec.slot, l)] = str(form[fieldName(spec.slot, l)]);
      const entered = new Map<string, LevelDates>();
      for (const spec of specs) {
        const dates: LevelDates = {};
        for (const l of levels) {
          const raw = values[fieldName(spec.slot, l)]!;
          if (!raw) continue;
          const date = parseDeadline(raw);
          const what = `hạn ${LEVEL_NAMES[l]} nộp — kỳ ${slotName(spec.slot)}`;
          if (!date) return refuse(`Ngày «${raw}» không hợp lệ (${what}).`);
          if (date < `${year}-01-01` || date > `${year + 1}-12-31`) return refuse(`Ngày ${formatDate(date)} không thuộc năm ${year} hoặc ${year + 1} (${what}).`);
          dates[l] = date;
        }
        entered.set(spec.slot, dates);
      }
      // What the blank levels would follow once this scope's rows for the year are replaced.
      const entries = await loadEntries(db, template.id);
      const others = entries.filter((e) => !(e.scopeUnitId === unit.id && e.rawYear === year));
      for (const spec of specs) {
        const inherited = Object.fromEntries(levels.map((l) => [l, effectiveDeadline(others, spec, unit.path, l).deadline])) as LevelDates;
        const problem = deadlineOrderProblem(spec.slot, entered.get(spec.slot)!, inherited, levels);
        if (problem) return refuse(`${problem}.`);
      }

      const before = entries.filter((e) => e.scopeUnitId === unit.id && e.rawYear === year);
      const rowSource = source || `Lịch của ${unit.name} năm ${year}`;
      const changes: { slot: string; level: ReportingLevel; from: string | null; to: string | null }[] = [];
      await db.transaction(async (tx) => {
        for (const spec of specs) {
          for (const level of levels) {
            const to = entered.get(spec.slot)![level];
            const old = before.find((e) => e.slot === spec.slot && e.level === level);
            if (to) {
              await tx
                .insert(deadlineCalendars)
                .values({ templateId: template.id, scopeUnitId: unit.id, year, slot: spec.slot, level, deadline: to, source: rowSource })
                .onConflictDoUpdate({
                  target: [deadlineCalendars.templateId, deadlineCalendars.scopeUnitId, deadlineCalendars.year, deadlineCalendars.slot, deadlineCalendars.level],
                  set: { deadline: to, source: rowSource },
                });
            } else if (old) {
              await tx.delete(deadlineCalendars).where(eq(deadlineCalendars.id, old.id));
            }
            if ((old?.deadline ?? null) !== (to ?? null)) changes.push({ slot: spec.slot, level, from: old?.deadline ?? null, to: to ?? null });
          }
        }
        await kit.audit(tx, s, "calendar.edit", `calendar:${template.id}:${unit.scheme}:${unit.code}:${year}`, { changes, source: rowSource });
      });
      return c.redirect(`/calendars?${selectionQuery(sel)}&saved=calendar`);
    });

    app.post("/calendars/reminders", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      if (s.officer.role !== "admin") return refusedPage(c, "Chỉ quản trị viên được thay đổi ngày nhắc (áp dụng toàn quốc).");
      if (isDemoAccount(s.officer, s.own)) return refusedPage(c, demoRefusal("ngày nhắc hạn"));
      const form = await c.req.parseBody();
      const sel = await select(s, { template: str(form.template), unit: str(form.unit), year: str(form.year) });
      if (!sel) return notFoundPage(c);
      const value = str(form.steps);
      const parsed = parseReminderSteps(value);
      if ("error" in parsed) return render(c, s, sel, { reminders: { error: parsed.error, value } }, 400);
      await db.transaction(async (tx) => {
        await tx.update(reportTemplates).set({ reminderSteps: parsed.steps }).where(eq(reportTemplates.id, sel.template.id));
        await kit.audit(tx, s, "template.reminders", `template:${sel.template.id}`, { from: sel.template.reminderSteps, to: parsed.steps });
      });
      return c.redirect(`/calendars?${selectionQuery(sel)}&saved=reminders#reminders`);
    });

    app.post("/calendars/quiet-hours", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      if (s.officer.role !== "admin") return refusedPage(c, "Chỉ quản trị viên được thay đổi giờ yên tĩnh (áp dụng toàn quốc).");
      if (isDemoAccount(s.officer, s.own)) return refusedPage(c, demoRefusal("giờ yên tĩnh"));
      const form = await c.req.parseBody();
      const sel = await select(s, { template: str(form.template), unit: str(form.unit), year: str(form.year) });
      if (!sel) return notFoundPage(c);
      const start = str(form.start);
      const end = str(form.end);
      const from = { start: deps.settings.quietHours.start, end: deps.settings.quietHours.end };
      const error = await deps.settings.setQuietHours(start, end, s.officer.id);
      if (error) return render(c, s, sel, { quiet: { error, start, end } }, 400);
      await kit.audit(db, s, "settings.quiet_hours", "settings:quiet_hours", { from, to: { start, end } });
      return c.redirect(`/calendars?${selectionQuery(sel)}&saved=quiet#quiet`);
    });
  };
}
