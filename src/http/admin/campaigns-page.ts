import { randomUUID } from "node:crypto";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { and, asc, eq } from "drizzle-orm";
import { campaigns, campaignSteps, type OfficerRole } from "../../db/schema/index.js";
import { DEMO_SCHEME, findUnit, type Unit } from "../../directory/units.js";
import { demoRefusal, isDemoAccount } from "../../demo/demo-world.js";
import { campaignText, datesOfRule, describeRule, type StepRule } from "../../domain/campaign-dates.js";
import { formatDate, isValidDate, localDate } from "../../domain/dates.js";
import { fold } from "../../domain/text.js";
import type { Audience } from "../../delivery/audience.js";
import { esc, nonceAttr } from "../html.js";
import { adminPage, inSubtree, notFoundPage, refusedPage, unitOptions, type Supervisor } from "./kit.js";
import type { AdminPageDeps } from "./deps.js";

type Campaign = typeof campaigns.$inferSelect;
type Step = typeof campaignSteps.$inferSelect;

const MAX_TEXT = 2000;
const MAX_NAME = 200;
const MAX_THEME = 300;
const NATIONAL = "toan-quoc";
const WEEKDAYS = ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"];
const AUDIENCE_ROLES = ["commune", "district", "province"] as const satisfies readonly OfficerRole[];
const ROLE_LABEL: Record<OfficerRole, string> = { commune: "Cán bộ xã", district: "Cấp huyện", province: "Cấp tỉnh", admin: "Quản trị" };
const KIND_LABEL: Record<StepRule["kind"], string> = {
  solar: "Dương lịch",
  lunar: "Âm lịch",
  relative: "Trước/sau một ngày (dương hoặc âm lịch)",
  "last-weekday": "Thứ … cuối cùng của tháng",
  weekly: "Hằng tuần trong khoảng",
};
const KINDS = Object.keys(KIND_LABEL) as StepRule["kind"][];

// ——— The step form: pure parsing, so that the rules of what an officer may type are testable alone ———

/** The step form exactly as typed: strings, so that a refused form comes back as it was. */
export interface StepForm {
  kind: string;
  day: string;
  month: string;
  /** Calendar of the date a relative step counts from: "solar" or "lunar". */
  base: string;
  /** Days from that date; negative = before. */
  days: string;
  weekday: string;
  fromDay: string;
  fromMonth: string;
  toDay: string;
  toMonth: string;
  sendAt: string;
  text: string;
}

export const EMPTY_STEP_FORM: StepForm = { kind: "solar", day: "", month: "", base: "lunar", days: "-7", weekday: "1", fromDay: "", fromMonth: "", toDay: "", toMonth: "", sendAt: "08:00", text: "" };

export function readStepForm(body: Record<string, unknown>): StepForm {
  const field = (k: keyof StepForm) => (typeof body[k] === "string" ? (body[k] as string) : "");
  const out = { ...EMPTY_STEP_FORM };
  for (const k of Object.keys(EMPTY_STEP_FORM) as (keyof StepForm)[]) out[k] = k === "text" ? field(k) : field(k).trim();
  return out;
}

/** The form that shows a stored step; a rule the editor cannot express leaves its fields blank. */
export function stepFormOf(step: Pick<Step, "rule" | "sendAt" | "text">): StepForm {
  const r = step.rule;
  const f: StepForm = { ...EMPTY_STEP_FORM, kind: r.kind, sendAt: step.sendAt, text: step.text };
  switch (r.kind) {
    case "solar":
    case "lunar":
      return { ...f, day: String(r.day), month: String(r.month) };
    case "relative":
      return r.to.kind === "solar" || r.to.kind === "lunar" ? { ...f, base: r.to.kind, day: String(r.to.day), month: String(r.to.month), days: String(r.days) } : { ...f, days: String(r.days) };
    case "last-weekday":
      return { ...f, month: String(r.month), weekday: String(r.weekday) };
    case "weekly":
      return { ...f, weekday: String(r.weekday), fromDay: String(r.from.day), fromMonth: String(r.from.month), toDay: String(r.to.day), toMonth: String(r.to.month) };
  }
}

export type ParsedStep = { ok: true; rule: StepRule; sendAt: string; text: string } | { ok: false; errors: string[] };

/** The rule, send time and text of a step form, or every problem with it in Vietnamese. */
export function parseStepForm(f: StepForm): ParsedStep {
  const errors: string[] = [];
  const int = (value: string, label: string, min: number, max: number): number | undefined => {
    const n = /^[-+]?\d{1,4}$/.test(value) ? Number(value) : NaN;
    if (Number.isInteger(n) && n >= min && n <= max) return n;
    errors.push(value === "" ? `Chưa nhập ${label}.` : `${label.charAt(0).toUpperCase()}${label.slice(1)} phải là số nguyên từ ${min} đến ${max}.`);
    return undefined;
  };
  // A yearly solar date must exist every year: 29/2 would send nothing three years out of four.
  const solarDate = (dayText: string, monthText: string, what = "") => {
    const day = int(dayText, `ngày${what}`, 1, 31);
    const month = int(monthText, `tháng${what}`, 1, 12);
    if (day === undefined || month === undefined) return undefined;
    if (day === 29 && month === 2) errors.push(`Ngày 29/2 chỉ có trong năm nhuận; hãy chọn 28/2 hoặc 1/3.`);
    else if (!isValidDate(2023, month, day)) errors.push(`Tháng ${month} không có ngày ${day}.`);
    else return { day, month };
    return undefined;
  };
  // The lunar calendar has months of 29 or 30 days: "30" falls back to the 29th (datesOfRule).
  const lunarDate = (dayText: string, monthText: string) => {
    const day = int(dayText, "ngày âm lịch", 1, 30);
    const month = int(monthText, "tháng âm lịch", 1, 12);
    return day === undefined || month === undefined ? undefined : { day, month };
  };
  const weekday = () => int(f.weekday, "thứ trong tuần (0 = Chủ nhật … 6 = Thứ bảy)", 0, 6);

  let rule: StepRule | undefined;
  switch (f.kind) {
    case "solar": {
      const d = solarDate(f.day, f.month);
      if (d) rule = { kind: "solar", ...d };
      break;
    }
    case "lunar": {
      const d = lunarDate(f.day, f.month);
      if (d) rule = { kind: "lunar", ...d };
      break;
    }
    case "relative": {
      const base = f.base === "lunar" || f.base === "solar" ? f.base : undefined;
      if (!base) errors.push("Chọn ngày gốc theo dương lịch hay âm lịch.");
      const to = base === "lunar" ? lunarDate(f.day, f.month) : base === "solar" ? solarDate(f.day, f.month) : undefined;
      const days = int(f.days, "số ngày trước/sau", -365, 365);
      if (days === 0) errors.push("Số ngày trước/sau phải khác 0 (đúng ngày đó: chọn Dương lịch hoặc Âm lịch).");
      if (base && to && days) rule = { kind: "relative", to: { kind: base, ...to }, days };
      break;
    }
    case "last-weekday": {
      const month = int(f.month, "tháng", 1, 12);
      const wd = weekday();
      if (month !== undefined && wd !== undefined) rule = { kind: "last-weekday", month, weekday: wd };
      break;
    }
    case "weekly": {
      const from = solarDate(f.fromDay, f.fromMonth, " bắt đầu");
      const to = solarDate(f.toDay, f.toMonth, " kết thúc");
      const wd = weekday();
      if (from && to && wd !== undefined) rule = { kind: "weekly", from, to, weekday: wd };
      break;
    }
    default:
      errors.push("Chọn loại lịch gửi.");
  }

  const time = /^(\d{1,2}):(\d{2})$/.exec(f.sendAt);
  const sendAt = time && Number(time[1]) <= 23 && Number(time[2]) <= 59 ? `${time[1]!.padStart(2, "0")}:${time[2]}` : undefined;
  if (!sendAt) errors.push("Giờ gửi phải theo dạng HH:MM, ví dụ 08:00.");

  const text = f.text.normalize("NFC").replace(/\r\n?/g, "\n").trim();
  if (!text) errors.push("Chưa có nội dung tin nhắn.");
  else if (text.length > MAX_TEXT) errors.push(`Nội dung dài ${text.length} ký tự, tối đa ${MAX_TEXT}.`);

  return rule && sendAt && errors.length === 0 ? { ok: true, rule, sendAt, text } : { ok: false, errors };
}

// ——— Dates and texts as the planner will produce them ———

/** The dates a rule gives in a year; a malformed stored rule gives none rather than a broken page. */
function safeDates(rule: StepRule, year: number): string[] {
  try {
    return datesOfRule(rule, year).filter((d) => isValidDate(Number(d.slice(0, 4)), Number(d.slice(5, 7)), Number(d.slice(8, 10))));
  } catch {
    return [];
  }
}

const weekdayName = (date: string) => WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()]!;

/** The next date and time any step of the campaign sends, from today on. */
function nextSend(steps: Pick<Step, "rule" | "sendAt">[], today: string): { date: string; sendAt: string } | undefined {
  const year = Number(today.slice(0, 4));
  const upcoming = steps
    .flatMap((s) => [...safeDates(s.rule, year), ...safeDates(s.rule, year + 1)].map((date) => ({ date, sendAt: s.sendAt })))
    .filter((x) => x.date >= today)
    .sort((a, b) => (a.date + a.sendAt).localeCompare(b.date + b.sendAt));
  return upcoming[0];
}

/** "Ong Cong ong Tao" → "ong-cong-ong-tao": campaign keys are stable ASCII identifiers. */
function keyOf(name: string): string {
  return (
    fold(name)
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "") || "chien-dich"
  );
}

const errorList = (errors: string[]) => (errors.length ? `<div role="alert" class="missing"><ul>${errors.map((e) => `<li>${esc(e)}</li>`).join("")}</ul></div>` : "");

/**
 * Campaigns (chiến dịch) in the browser: what each sends and when, the yearly theme, the steps
 * with their solar, lunar, relative or weekly dates, a calendar of a whole year, and pause/resume.
 * National campaigns are the admins' to edit; a province or district edits its own.
 */
export function mountCampaignPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;
  const today = () => localDate(clock(), timeZone);

  interface Access {
    campaign: Campaign;
    root?: Unit;
    canEdit: boolean;
  }

  /** What the officer may do with a campaign; undefined when it is not theirs to see (a 404, as if missing). */
  async function accessTo(s: Supervisor, campaign: Campaign): Promise<Access | undefined> {
    if (campaign.audience.rootCode === undefined) {
      // National campaigns belong to one world: the official one's are not a demo account's to see or edit.
      const demo = isDemoAccount(s.officer, s.own);
      if ((campaign.audience.scheme === DEMO_SCHEME) !== demo) return undefined;
      return { campaign, canEdit: s.officer.role === "admin" && !demo };
    }
    const root = await findUnit(db, campaign.audience.scheme, campaign.audience.rootCode);
    return root && inSubtree(s.own, root) ? { campaign, root, canEdit: true } : undefined;
  }

  async function accessById(s: Supervisor, idParam: string | undefined): Promise<Access | undefined> {
    // Ids beyond int4 would be a database error, not a missing campaign.
    if (!idParam || !/^\d{1,9}$/.test(idParam)) return undefined;
    const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, Number(idParam)));
    return campaign ? accessTo(s, campaign) : undefined;
  }

  /** The signed-in supervisor and a campaign they may change, or the response that refuses. */
  async function forEditing(c: Context): Promise<{ s: Supervisor; a: Access } | Response> {
    const s = await kit.supervisor(c);
    if (s instanceof Response) return s;
    const a = await accessById(s, c.req.param("id"));
    if (!a) return notFoundPage(c);
    if (!a.canEdit) return refusedPage(c, isDemoAccount(s.officer, s.own) ? demoRefusal("chiến dịch toàn quốc") : "Chiến dịch toàn quốc chỉ quản trị viên được sửa.");
    return { s, a };
  }

  const audienceText = (audience: Audience, root: Unit | undefined) => {
    const where = audience.rootCode === undefined ? "Toàn quốc" : (root?.name ?? audience.rootCode);
    const roles = audience.roles?.length ? audience.roles.map((r) => ROLE_LABEL[r]).join(", ") : "mọi cán bộ";
    return `${esc(where)} — ${esc(roles)}`;
  };

  const stepsOf = (campaignId: number) => db.select().from(campaignSteps).where(eq(campaignSteps.campaignId, campaignId)).orderBy(asc(campaignSteps.id));

  // ——— Pages ———

  interface CreateDraft {
    name: string;
    root: string;
    roles: OfficerRole[];
  }

  async function listPage(s: Supervisor, draft: CreateDraft = { name: "", root: "", roles: ["commune"] }, errors: string[] = []): Promise<string> {
    const day = today();
    const rows: string[] = [];
    for (const campaign of await db.select().from(campaigns).orderBy(asc(campaigns.id))) {
      const a = await accessTo(s, campaign);
      if (!a) continue;
      const steps = await stepsOf(campaign.id);
      const next = campaign.active ? nextSend(steps, day) : undefined;
      rows.push(`<tr data-campaign="${campaign.id}"><td><a href="/campaigns/${campaign.id}">${esc(campaign.name)}</a></td><td>${audienceText(campaign.audience, a.root)}</td>
<td class="${campaign.active ? "ok" : "late"}">${campaign.active ? "Đang chạy" : "Tạm dừng"}</td><td>${steps.length}</td>
<td>${next ? `${esc(formatDate(next.date))} (${esc(weekdayName(next.date))}) ${esc(next.sendAt)}` : "—"}</td></tr>`);
    }
    const national = s.officer.role === "admin" && !isDemoAccount(s.officer, s.own) ? `<option value="${NATIONAL}"${draft.root === NATIONAL ? " selected" : ""}>Toàn quốc</option>` : "";
    const roles = AUDIENCE_ROLES.map((r) => `<label><input type="checkbox" name="roles" value="${r}"${draft.roles.includes(r) ? " checked" : ""}> ${esc(ROLE_LABEL[r])}</label>`).join(" ");
    return adminPage(
      "Chiến dịch",
      s,
      `<table><thead><tr><th>Chiến dịch</th><th>Đối tượng</th><th>Trạng thái</th><th>Số bước</th><th>Lần gửi tới</th></tr></thead>
<tbody>${rows.join("\n") || `<tr><td colspan="5">Chưa có chiến dịch.</td></tr>`}</tbody></table>
<h2>Tạo chiến dịch</h2>
${errorList(errors)}
<form method="post" action="/campaigns">
<p><label>Tên chiến dịch<br><input name="name" size="60" maxlength="${MAX_NAME}" value="${esc(draft.name)}" required></label></p>
<p><label>Gửi tới đơn vị (và các đơn vị trực thuộc)<br><select name="root">${national}${await unitOptions(db, s.own, draft.root || s.own.code)}</select></label></p>
<p>Người nhận: ${roles}</p>
<p><button>Tạo chiến dịch</button></p>
<p class="note">Chiến dịch mới chưa có bước nào; thêm các bước gửi ở trang của chiến dịch.</p></form>`,
    );
  }

  function stepFields(f: StepForm): string {
    const num = (name: keyof StepForm, label: string, kinds: string, min: number, max: number) =>
      `<label data-kinds="${kinds}">${esc(label)} <input type="number" name="${name}" min="${min}" max="${max}" value="${esc(f[name])}" class="w5"></label>`;
    const kindOptions = KINDS.map((k) => `<option value="${k}"${f.kind === k ? " selected" : ""}>${esc(KIND_LABEL[k])}</option>`).join("");
    const weekdayOptions = [1, 2, 3, 4, 5, 6, 0].map((d) => `<option value="${d}"${f.weekday === String(d) ? " selected" : ""}>${esc(WEEKDAYS[d])}</option>`).join("");
    return `<p><label>Loại lịch <select name="kind" class="rule-kind">${kindOptions}</select></label></p>
<p class="rule-fields">
<label data-kinds="relative">Tính từ ngày <select name="base"><option value="solar"${f.base === "solar" ? " selected" : ""}>dương lịch</option><option value="lunar"${f.base === "lunar" ? " selected" : ""}>âm lịch</option></select></label>
${num("day", "Ngày", "solar lunar relative", 1, 31)}
${num("month", "Tháng", "solar lunar relative last-weekday", 1, 12)}
${num("days", "Số ngày (âm = trước, dương = sau)", "relative", -365, 365)}
<label data-kinds="last-weekday weekly">Thứ <select name="weekday">${weekdayOptions}</select></label>
<span data-kinds="weekly">Từ ${num("fromDay", "ngày", "weekly", 1, 31)} ${num("fromMonth", "tháng", "weekly", 1, 12)} đến ${num("toDay", "ngày", "weekly", 1, 31)} ${num("toMonth", "tháng", "weekly", 1, 12)}</span>
</p>
<p><label>Giờ gửi <input type="time" name="sendAt" value="${esc(f.sendAt)}"></label> <span class="note">(giờ yên tĩnh vẫn được tôn trọng)</span></p>
<p><label>Nội dung tin nhắn<br><textarea name="text" rows="4" cols="80" maxlength="${MAX_TEXT}">${esc(f.text)}</textarea></label><br>
<span class="note">{theme} = chủ đề của năm, {year} = năm, {name} = tên cán bộ nhận.</span></p>`;
  }

  // Without JavaScript every field shows and only those of the chosen kind are read.
  const ruleScript = () => `<script${nonceAttr()}>
for(const form of document.querySelectorAll('form.step-form')){const kind=form.querySelector('.rule-kind');
const show=()=>{for(const el of form.querySelectorAll('[data-kinds]'))el.hidden=!el.dataset.kinds.split(' ').includes(kind.value);};
kind.addEventListener('change',show);show();}
</script>`;

  interface PageState {
    year: number;
    stepDraft?: StepForm;
    stepErrors?: string[];
    themeDraft?: Record<string, string>;
    themeErrors?: string[];
  }

  async function campaignPage(s: Supervisor, a: Access, state: PageState): Promise<string> {
    const { campaign, canEdit } = a;
    const steps = await stepsOf(campaign.id);
    const { year } = state;
    const thisYear = Number(today().slice(0, 4));

    const status = campaign.active
      ? `<span class="ok" id="state">Đang chạy</span>${canEdit ? ` <form method="post" action="/campaigns/${campaign.id}/pause" class="inline"><button>Tạm dừng</button></form>` : ""}`
      : `<span class="late" id="state">Tạm dừng</span>${canEdit ? ` <form method="post" action="/campaigns/${campaign.id}/resume" class="inline"><button>Tiếp tục</button></form>` : ""}`;

    const themes = state.themeDraft ?? campaign.themes;
    const years = [...new Set([thisYear + 1, thisYear, ...Object.keys(campaign.themes).map(Number)])].sort((x, y) => y - x);
    const themeSection = canEdit
      ? `${errorList(state.themeErrors ?? [])}<form method="post" action="/campaigns/${campaign.id}/themes"><table><tbody>
${years.map((y) => `<tr><th><label for="theme_${y}">${y}</label></th><td><input id="theme_${y}" name="theme_${y}" size="80" maxlength="${MAX_THEME}" value="${esc(themes[String(y)] ?? "")}"></td></tr>`).join("\n")}
</tbody></table><p><button>Lưu chủ đề</button> <span class="note">Để trống để xoá chủ đề của năm đó.</span></p></form>`
      : Object.keys(campaign.themes).length
        ? `<ul>${Object.entries(campaign.themes)
            .sort(([x], [y]) => y.localeCompare(x))
            .map(([y, t]) => `<li>${esc(y)}: ${esc(t)}</li>`)
            .join("")}</ul>`
        : `<p class="note">Chưa có chủ đề.</p>`;

    const stepRows = steps
      .map(
        (st) => `<tr data-step="${st.id}"><td>${esc(describeRule(st.rule))}</td><td>${esc(st.sendAt)}</td><td>${esc(st.text)}</td>${
          canEdit
            ? `<td><a href="/campaigns/${campaign.id}/steps/${st.id}">Sửa</a> <form method="post" action="/campaigns/${campaign.id}/steps/${st.id}/delete" class="inline" data-confirm="Xoá bước này?"><button>Xoá</button></form></td>`
            : ""
        }</tr>`,
      )
      .join("\n");

    const addStep = canEdit
      ? `<h2>Thêm bước</h2>${errorList(state.stepErrors ?? [])}<form method="post" action="/campaigns/${campaign.id}/steps" class="step-form" id="add-step">${stepFields(state.stepDraft ?? EMPTY_STEP_FORM)}<p><button>Thêm bước</button></p></form>`
      : `<p class="note">Anh/chị chỉ được xem chiến dịch này.</p>`;

    const calendar = steps
      .flatMap((st) => safeDates(st.rule, year).map((date) => ({ date, sendAt: st.sendAt, text: campaignText(st.text, campaign.themes, year) })))
      .sort((x, y) => (x.date + x.sendAt).localeCompare(y.date + y.sendAt));
    const needsTheme = steps.some((st) => st.text.includes("{theme}")) && !campaign.themes[String(year)];

    return adminPage(
      campaign.name,
      s,
      `<p><a href="/campaigns">← Chiến dịch</a></p>
<p>Đối tượng: ${audienceText(campaign.audience, a.root)}</p>
<p>Trạng thái: ${status}</p>
<h2>Chủ đề năm</h2>
${themeSection}
<h2>Các bước</h2>
<table id="steps"><thead><tr><th>Ngày gửi</th><th>Giờ</th><th>Nội dung</th>${canEdit ? "<th></th>" : ""}</tr></thead>
<tbody>${stepRows || `<tr><td colspan="${canEdit ? 4 : 3}">Chưa có bước nào.</td></tr>`}</tbody></table>
${addStep}
<h2 id="calendar">Lịch gửi năm ${year}</h2>
<p><a href="/campaigns/${campaign.id}?year=${year - 1}#calendar">← ${year - 1}</a> · <a href="/campaigns/${campaign.id}?year=${year + 1}#calendar">${year + 1} →</a></p>
${needsTheme ? `<p class="late">Chưa có chủ đề năm ${year}: tin nhắn sẽ gửi với chủ đề trống.</p>` : ""}
${campaign.active ? "" : `<p class="late">Chiến dịch đang tạm dừng: không tin nào được gửi cho tới khi tiếp tục.</p>`}
<table id="preview"><thead><tr><th>Ngày</th><th>Thứ</th><th>Giờ</th><th>Tin nhắn</th></tr></thead>
<tbody>${calendar.map((r) => `<tr><td>${esc(formatDate(r.date))}</td><td>${esc(weekdayName(r.date))}</td><td>${esc(r.sendAt)}</td><td>${esc(r.text)}</td></tr>`).join("\n") || `<tr><td colspan="4">Không có ngày gửi nào trong năm ${year}.</td></tr>`}</tbody></table>
${canEdit ? ruleScript() : ""}`,
    );
  }

  async function stepPage(s: Supervisor, a: Access, step: Step, draft: StepForm, errors: string[] = []): Promise<string> {
    return adminPage(
      `Sửa bước — ${a.campaign.name}`,
      s,
      `<p><a href="/campaigns/${a.campaign.id}">← ${esc(a.campaign.name)}</a></p>
<p>Hiện tại: ${esc(describeRule(step.rule))}, ${esc(step.sendAt)}</p>
${errorList(errors)}
<form method="post" action="/campaigns/${a.campaign.id}/steps/${step.id}" class="step-form" id="edit-step">${stepFields(draft)}<p><button>Lưu bước</button></p></form>
${ruleScript()}`,
    );
  }

  /** The preview year asked for, else this year (the lunar calendar is computed only for sensible years). */
  const yearOf = (q: string | undefined) => (q && /^\d{4}$/.test(q) && Number(q) >= 1901 && Number(q) <= 2199 ? Number(q) : Number(today().slice(0, 4)));

  async function stepOf(a: Access, stepParam: string | undefined): Promise<Step | undefined> {
    if (!stepParam || !/^\d{1,9}$/.test(stepParam)) return undefined;
    const [step] = await db
      .select()
      .from(campaignSteps)
      .where(and(eq(campaignSteps.id, Number(stepParam)), eq(campaignSteps.campaignId, a.campaign.id)));
    return step;
  }

  return (app: OpenAPIHono) => {
    app.get("/campaigns", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      return c.html(await listPage(s));
    });

    app.post("/campaigns", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const body = await c.req.parseBody({ all: true });
      const one = (v: unknown) => String(Array.isArray(v) ? v[0] : (v ?? ""));
      const draft: CreateDraft = {
        name: one(body.name).normalize("NFC").replace(/\s+/g, " ").trim(),
        root: one(body.root).trim(),
        roles: ([] as unknown[])
          .concat(body.roles ?? [])
          .map(String)
          .filter((r): r is OfficerRole => (AUDIENCE_ROLES as readonly string[]).includes(r)),
      };
      const errors: string[] = [];
      if (!draft.name) errors.push("Chưa có tên chiến dịch.");
      if (draft.name.length > MAX_NAME) errors.push(`Tên dài ${draft.name.length} ký tự, tối đa ${MAX_NAME}.`);
      if (draft.roles.length === 0) errors.push("Chọn ít nhất một nhóm người nhận.");
      const national = draft.root === NATIONAL;
      const root = national ? undefined : await kit.unitBelow(s, draft.root || undefined);
      if (national && s.officer.role !== "admin") errors.push("Chỉ quản trị viên được tạo chiến dịch toàn quốc.");
      else if (national && isDemoAccount(s.officer, s.own)) errors.push(demoRefusal("chiến dịch toàn quốc"));
      if (!national && !root) errors.push("Đơn vị nhận không thuộc phạm vi của anh/chị.");
      if (errors.length) return c.html(await listPage(s, draft, errors), 400);

      const audience: Audience = { scheme: root?.scheme ?? s.own.scheme, ...(root ? { rootCode: root.code } : {}), roles: draft.roles };
      const id = await db.transaction(async (tx) => {
        // Two campaigns may share a name; their keys differ by a number.
        const base = keyOf(draft.name);
        for (let n = 1; ; n++) {
          const key = n === 1 ? base : `${base}-${n}`;
          const [row] = await tx.insert(campaigns).values({ key, name: draft.name, audience }).onConflictDoNothing().returning({ id: campaigns.id });
          if (!row) continue;
          await kit.audit(tx, s, "campaign.create", `campaign:${row.id}`, { key, name: draft.name, audience });
          return row.id;
        }
      });
      return c.redirect(`/campaigns/${id}`);
    });

    app.get("/campaigns/:id", async (c) => {
      const s = await kit.supervisor(c);
      if (s instanceof Response) return s;
      const a = await accessById(s, c.req.param("id"));
      if (!a) return notFoundPage(c);
      return c.html(await campaignPage(s, a, { year: yearOf(c.req.query("year")) }));
    });

    for (const [action, active] of [
      ["pause", false],
      ["resume", true],
    ] as const) {
      app.post(`/campaigns/:id/${action}`, async (c) => {
        const r = await forEditing(c);
        if (r instanceof Response) return r;
        const id = r.a.campaign.id;
        await db.transaction(async (tx) => {
          const changed = await tx
            .update(campaigns)
            .set({ active })
            .where(and(eq(campaigns.id, id), eq(campaigns.active, !active)))
            .returning({ id: campaigns.id });
          // A second click (or a stale page) changes nothing and is not a new event.
          if (changed.length) await kit.audit(tx, r.s, `campaign.${action}`, `campaign:${id}`, { name: r.a.campaign.name });
        });
        return c.redirect(`/campaigns/${id}`);
      });
    }

    app.post("/campaigns/:id/themes", async (c) => {
      const r = await forEditing(c);
      if (r instanceof Response) return r;
      const { campaign } = r.a;
      const body = await c.req.parseBody();
      const themes = { ...campaign.themes };
      const errors: string[] = [];
      for (const [field, value] of Object.entries(body)) {
        const year = /^theme_(\d{4})$/.exec(field)?.[1];
        if (!year || typeof value !== "string") continue;
        const theme = value.normalize("NFC").replace(/\s+/g, " ").trim();
        if (theme.length > MAX_THEME) errors.push(`Chủ đề năm ${year} dài ${theme.length} ký tự, tối đa ${MAX_THEME}.`);
        if (theme) themes[year] = theme;
        else delete themes[year];
      }
      if (errors.length) return c.html(await campaignPage(r.s, r.a, { year: yearOf(undefined), themeDraft: themes, themeErrors: errors }), 400);
      const changes = Object.fromEntries(
        [...new Set([...Object.keys(campaign.themes), ...Object.keys(themes)])]
          .filter((y) => campaign.themes[y] !== themes[y])
          .map((y) => [y, { from: campaign.themes[y] ?? null, to: themes[y] ?? null }]),
      );
      if (Object.keys(changes).length) {
        await db.transaction(async (tx) => {
          await tx.update(campaigns).set({ themes }).where(eq(campaigns.id, campaign.id));
          await kit.audit(tx, r.s, "campaign.theme", `campaign:${campaign.id}`, { changes });
        });
      }
      return c.redirect(`/campaigns/${campaign.id}`);
    });

    app.post("/campaigns/:id/steps", async (c) => {
      const r = await forEditing(c);
      if (r instanceof Response) return r;
      const { campaign } = r.a;
      const form = readStepForm(await c.req.parseBody());
      const parsed = parseStepForm(form);
      if (!parsed.ok) return c.html(await campaignPage(r.s, r.a, { year: yearOf(undefined), stepDraft: form, stepErrors: parsed.errors }), 400);
      await db.transaction(async (tx) => {
        // Step keys are never reused: the planner's dedupe key contains it, and a deleted step's
        // key reused on the same day would silently swallow the new step's messages.
        const [row] = await tx
          .insert(campaignSteps)
          .values({ campaignId: campaign.id, key: `new-${randomUUID()}`, rule: parsed.rule, sendAt: parsed.sendAt, text: parsed.text })
          .returning({ id: campaignSteps.id });
        const key = `step-${row!.id}`;
        await tx.update(campaignSteps).set({ key }).where(eq(campaignSteps.id, row!.id));
        await kit.audit(tx, r.s, "campaign.step.add", `campaign:${campaign.id}`, { stepId: row!.id, key, rule: parsed.rule, sendAt: parsed.sendAt, text: parsed.text });
      });
      return c.redirect(`/campaigns/${campaign.id}`);
    });

    app.get("/campaigns/:id/steps/:stepId", async (c) => {
      const r = await forEditing(c);
      if (r instanceof Response) return r;
      const step = await stepOf(r.a, c.req.param("stepId"));
      if (!step) return notFoundPage(c);
      return c.html(await stepPage(r.s, r.a, step, stepFormOf(step)));
    });

    app.post("/campaigns/:id/steps/:stepId", async (c) => {
      const r = await forEditing(c);
      if (r instanceof Response) return r;
      const step = await stepOf(r.a, c.req.param("stepId"));
      if (!step) return notFoundPage(c);
      const form = readStepForm(await c.req.parseBody());
      const parsed = parseStepForm(form);
      if (!parsed.ok) return c.html(await stepPage(r.s, r.a, step, form, parsed.errors), 400);
      await db.transaction(async (tx) => {
        await tx.update(campaignSteps).set({ rule: parsed.rule, sendAt: parsed.sendAt, text: parsed.text }).where(eq(campaignSteps.id, step.id));
        await kit.audit(tx, r.s, "campaign.step.edit", `campaign:${r.a.campaign.id}`, {
          stepId: step.id,
          before: { rule: step.rule, sendAt: step.sendAt, text: step.text },
          after: { rule: parsed.rule, sendAt: parsed.sendAt, text: parsed.text },
        });
      });
      return c.redirect(`/campaigns/${r.a.campaign.id}`);
    });

    app.post("/campaigns/:id/steps/:stepId/delete", async (c) => {
      const r = await forEditing(c);
      if (r instanceof Response) return r;
      const step = await stepOf(r.a, c.req.param("stepId"));
      if (!step) return notFoundPage(c);
      await db.transaction(async (tx) => {
        await tx.delete(campaignSteps).where(eq(campaignSteps.id, step.id));
        await kit.audit(tx, r.s, "campaign.step.delete", `campaign:${r.a.campaign.id}`, { stepId: step.id, key: step.key, rule: step.rule, sendAt: step.sendAt, text: step.text });
      });
      return c.redirect(`/campaigns/${r.a.campaign.id}`);
    });
  };
}
