import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono, type Context } from "hono";
import { raw } from "hono/html";
import { validator } from "hono/validator";
import { z } from "zod";
import {
  campaignInScope,
  editableCampaign,
  editableStep,
  listCampaigns,
  mayRunNational,
  stepsOf,
  type CampaignAccess,
  type CampaignStep,
} from "../../campaigns/campaign-access.js";
import { addCampaignStep, deleteCampaignStep, editCampaignStep } from "../../campaigns/campaign-steps.js";
import { MAX_THEME, setCampaignThemes, themesAfter } from "../../campaigns/campaign-themes.js";
import { CAMPAIGN_ROLES, createCampaign, MAX_CAMPAIGN_NAME } from "../../campaigns/create-campaign.js";
import { audienceLabel, campaignStatusLabel, RULE_KIND_LABELS, WEEKDAYS, weekdayName } from "../../campaigns/labels.js";
import { setCampaignActive } from "../../campaigns/pause-campaign.js";
import { nextSend, yearCalendar } from "../../campaigns/schedule.js";
import { EMPTY_STEP_FORM, MAX_STEP_TEXT, parseStepForm, readStepForm, stepFormOf, type StepForm } from "../../campaigns/step-form.js";
import { describeRule, THEME_WAIT_DAYS, type StepRule } from "../../domain/campaign-dates.js";
import { isAppError, type AppError } from "../../domain/app-error.js";
import { formatDate, localDate } from "../../domain/dates.js";
import type { ServiceContext } from "../../directory/actor.js";
import { ROLE_LABELS } from "../../directory/labels.js";
import { cspNonce } from "../html.js";
import { AdminLayout } from "./admin-layout.js";
import { all, first, Problems } from "./form-fields.js";
import { supervisorsOnly, type AdminEnv } from "./auth.js";
import type { AdminPageDeps } from "./deps.js";
import type { Supervisor } from "./kit.js";
import { refusedPage } from "./refused.js";
import { UnitOptions, unitOptionsOf } from "./unit-select.js";

const NATIONAL = "toan-quoc";
const KINDS = Object.keys(RULE_KIND_LABELS) as StepRule["kind"][];

/** A path id as the database takes it: digits that fit int4, else 0 (no such row: a 404 like a missing one). */
const idOf = (param: string | undefined): number => (param && /^\d{1,9}$/.test(param) ? Number(param) : 0);

type CampaignRole = (typeof CAMPAIGN_ROLES)[number];

interface CreateDraft {
  name: string;
  root: string;
  roles: CampaignRole[];
}

/** The "Tạo chiến dịch" form, read leniently: what was typed comes back when refused. */
const CreateForm = z.record(z.string(), z.unknown()).transform((body): CreateDraft => ({
  name: first(body.name),
  root: first(body.root).trim(),
  roles: all(body.roles)
    .map(String)
    .filter((r): r is CampaignRole => (CAMPAIGN_ROLES as readonly string[]).includes(r)),
}));

/** The theme fields ("theme_2027"), year → text as typed. */
const ThemesForm = z.record(z.string(), z.unknown()).transform((body) => {
  const themes: Record<string, string> = {};
  for (const [field, value] of Object.entries(body)) {
    const year = /^theme_(\d{4})$/.exec(field)?.[1];
    if (year && typeof value === "string") themes[year] = value;
  }
  return themes;
});

const createValidator = validator("form", (value) => CreateForm.parse(value));
const themesValidator = validator("form", (value) => ThemesForm.parse(value));
const stepValidator = validator("form", (value) => {
  const form = readStepForm(value as Record<string, unknown>);
  return { form, parsed: parseStepForm(form) };
});

// raw(): a constant script of this file, nothing from a request in it (the JSX escaper would break its `=>`).
// Without JavaScript every field shows and only those of the chosen kind are read.
const RULE_SCRIPT = raw(`
for(const form of document.querySelectorAll('form.step-form')){const kind=form.querySelector('.rule-kind');
const show=()=>{for(const el of form.querySelectorAll('[data-kinds]'))el.hidden=!el.dataset.kinds.split(' ').includes(kind.value);};
kind.addEventListener('change',show);show();}
`);

function StepFields(props: { form: StepForm }) {
  const f = props.form;
  const num = (name: keyof StepForm, label: string, kinds: string, min: number, max: number) => (
    <label data-kinds={kinds}>
      {label} <input type="number" name={name} min={min} max={max} value={f[name]} class="w5" />
    </label>
  );
  return (
    <>
      <p>
        <label>
          Loại lịch{" "}
          <select name="kind" class="rule-kind">
            {KINDS.map((k) => (
              <option value={k} selected={f.kind === k}>
                {RULE_KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </label>
      </p>
      <p class="rule-fields">
        <label data-kinds="relative">
          Tính từ ngày{" "}
          <select name="base">
            <option value="solar" selected={f.base === "solar"}>
              dương lịch
            </option>
            <option value="lunar" selected={f.base === "lunar"}>
              âm lịch
            </option>
          </select>
        </label>{" "}
        {num("day", "Ngày", "solar lunar relative", 1, 31)} {num("month", "Tháng", "solar lunar relative last-weekday", 1, 12)}{" "}
        {num("days", "Số ngày (âm = trước, dương = sau)", "relative", -365, 365)}{" "}
        <label data-kinds="last-weekday weekly">
          Thứ{" "}
          <select name="weekday">
            {[1, 2, 3, 4, 5, 6, 0].map((d) => (
              <option value={String(d)} selected={f.weekday === String(d)}>
                {WEEKDAYS[d]}
              </option>
            ))}
          </select>
        </label>{" "}
        <span data-kinds="weekly">
          Từ {num("fromDay", "ngày", "weekly", 1, 31)} {num("fromMonth", "tháng", "weekly", 1, 12)} đến {num("toDay", "ngày", "weekly", 1, 31)}{" "}
          {num("toMonth", "tháng", "weekly", 1, 12)}
        </span>
      </p>
      <p>
        <label>
          Giờ gửi <input type="time" name="sendAt" value={f.sendAt} />
        </label>{" "}
        <span class="note">(giờ yên tĩnh vẫn được tôn trọng)</span>
      </p>
      <p>
        <label>
          Nội dung tin nhắn
          <br />
          <textarea name="text" rows={4} cols={80} maxlength={MAX_STEP_TEXT}>
            {f.text}
          </textarea>
        </label>
        <br />
        <span class="note">{"{theme} = chủ đề của năm, {year} = năm, {name} = tên cán bộ nhận."}</span>
      </p>
    </>
  );
}

const RuleScript = () => <script nonce={cspNonce()}>{RULE_SCRIPT}</script>;

interface PageState {
  year: number;
  stepDraft?: StepForm;
  stepErrors?: string[];
  themeDraft?: Record<string, string>;
  themeErrors?: string[];
}

function CampaignBody(props: { access: CampaignAccess; steps: CampaignStep[]; state: PageState; thisYear: number }) {
  const { campaign, canEdit, root } = props.access;
  const { steps, state, thisYear } = props;
  const { year } = state;
  const themes = state.themeDraft ?? campaign.themes;
  const years = [...new Set([thisYear + 1, thisYear, ...Object.keys(campaign.themes).map(Number)])].sort((x, y) => y - x);
  const calendar = yearCalendar(steps, campaign.themes, year);
  const needsTheme = steps.some((st) => st.text.includes("{theme}")) && !campaign.themes[String(year)];
  const stored = Object.entries(campaign.themes).sort(([x], [y]) => y.localeCompare(x));
  return (
    <>
      <p>
        <a href="/campaigns">← Chiến dịch</a>
      </p>
      <p>Đối tượng: {audienceLabel(campaign.audience, root?.name)}</p>
      <p>
        Trạng thái:{" "}
        <span class={campaign.active ? "ok" : "late"} id="state">
          {campaignStatusLabel(campaign.active)}
        </span>
        {canEdit ? (
          <>
            {" "}
            <form method="post" action={`/campaigns/${campaign.id}/${campaign.active ? "pause" : "resume"}`} class="inline">
              <button>{campaign.active ? "Tạm dừng" : "Tiếp tục"}</button>
            </form>
          </>
        ) : null}
      </p>
      <h2>Chủ đề năm</h2>
      {canEdit ? (
        <>
          <Problems errors={state.themeErrors} />
          <form method="post" action={`/campaigns/${campaign.id}/themes`}>
            <table>
              <tbody>
                {years.map((y) => (
                  <tr>
                    <th>
                      <label for={`theme_${y}`}>{y}</label>
                    </th>
                    <td>
                      <input id={`theme_${y}`} name={`theme_${y}`} size={80} maxlength={MAX_THEME} value={themes[String(y)] ?? ""} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p>
              <button>Lưu chủ đề</button> <span class="note">Để trống để xoá chủ đề của năm đó.</span>
            </p>
          </form>
        </>
      ) : stored.length ? (
        <ul>
          {stored.map(([y, t]) => (
            <li>
              {y}: {t}
            </li>
          ))}
        </ul>
      ) : (
        <p class="note">Chưa có chủ đề.</p>
      )}
      <h2>Các bước</h2>
      <table id="steps">
        <thead>
          <tr>
            <th>Ngày gửi</th>
            <th>Giờ</th>
            <th>Nội dung</th>
            {canEdit ? <th></th> : null}
          </tr>
        </thead>
        <tbody>
          {steps.length === 0 ? (
            <tr>
              <td colspan={canEdit ? 4 : 3}>Chưa có bước nào.</td>
            </tr>
          ) : (
            steps.map((st) => (
              <tr data-step={String(st.id)}>
                <td>{describeRule(st.rule)}</td>
                <td>{st.sendAt}</td>
                <td>{st.text}</td>
                {canEdit ? (
                  <td>
                    <a href={`/campaigns/${campaign.id}/steps/${st.id}`}>Sửa</a>{" "}
                    <form method="post" action={`/campaigns/${campaign.id}/steps/${st.id}/delete`} class="inline" data-confirm="Xoá bước này?">
                      <button>Xoá</button>
                    </form>
                  </td>
                ) : null}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {canEdit ? (
        <>
          <h2>Thêm bước</h2>
          <Problems errors={state.stepErrors} />
          <form method="post" action={`/campaigns/${campaign.id}/steps`} class="step-form" id="add-step">
            <StepFields form={state.stepDraft ?? EMPTY_STEP_FORM} />
            <p>
              <button>Thêm bước</button>
            </p>
          </form>
        </>
      ) : (
        <p class="note">Anh/chị chỉ được xem chiến dịch này.</p>
      )}
      <h2 id="calendar">Lịch gửi năm {year}</h2>
      <p>
        <a href={`/campaigns/${campaign.id}?year=${year - 1}#calendar`}>← {year - 1}</a> ·{" "}
        <a href={`/campaigns/${campaign.id}?year=${year + 1}#calendar`}>{year + 1} →</a>
      </p>
      {needsTheme ? (
        <p class="late" id="theme-missing">
          Chưa có chủ đề năm {year}: các tin nhắc đến chủ đề (đánh dấu «chờ chủ đề») chưa được gửi, không bao giờ gửi với chủ đề trống. Nhập chủ đề ở trên: tin
          sẽ gửi ngay khi có chủ đề, nếu chưa quá {THEME_WAIT_DAYS} ngày sau ngày gửi.
        </p>
      ) : null}
      {campaign.active ? null : <p class="late">Chiến dịch đang tạm dừng: không tin nào được gửi cho tới khi tiếp tục.</p>}
      <table id="preview">
        <thead>
          <tr>
            <th>Ngày</th>
            <th>Thứ</th>
            <th>Giờ</th>
            <th>Tin nhắn</th>
          </tr>
        </thead>
        <tbody>
          {calendar.length === 0 ? (
            <tr>
              <td colspan={4}>Không có ngày gửi nào trong năm {year}.</td>
            </tr>
          ) : (
            calendar.map((r) => (
              <tr>
                <td>{formatDate(r.date)}</td>
                <td>{weekdayName(r.date)}</td>
                <td>{r.sendAt}</td>
                <td>
                  {r.waiting ? (
                    <>
                      <b class="late">⏸ chờ chủ đề</b>{" "}
                    </>
                  ) : null}
                  {r.text}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
      {canEdit ? <RuleScript /> : null}
    </>
  );
}

/**
 * Campaigns (chiến dịch) in the browser: what each sends and when, the yearly theme, the steps
 * with their solar, lunar, relative or weekly dates, a calendar of a whole year, and pause/resume.
 * National campaigns are the admins' to edit; a province or district edits its own.
 */
export function mountCampaignPages(deps: AdminPageDeps) {
  const { db, kit, clock, timeZone } = deps;
  const today = () => localDate(clock(), timeZone);
  const ctxOf = (s: Supervisor): ServiceContext => ({ actor: s.actor, db, clock });
  /** The preview year asked for, else this year (the lunar calendar is computed only for sensible years). */
  const yearOf = (q: string | undefined) => (q && /^\d{4}$/.test(q) && Number(q) >= 1901 && Number(q) <= 2199 ? Number(q) : Number(today().slice(0, 4)));

  /** A campaign that is the supervisor's to see but only to read: refused as before (400), with why. */
  const refusedEdit = (c: Context, err: unknown) => {
    if (isAppError(err) && err.code === "forbidden") return refusedPage(c, err.message);
    throw err;
  };
  const issuesOf = (err: AppError) => (err.issues.length ? [...err.issues] : [err.message]);

  const listPage = async (
    c: Context<AdminEnv>,
    draft: CreateDraft = { name: "", root: "", roles: ["commune"] },
    errors: string[] = [],
    status: 200 | 400 = 200,
  ) => {
    const s = c.var.supervisor;
    const day = today();
    const rows = await listCampaigns(ctxOf(s));
    const units = await unitOptionsOf(db, s.own);
    return c.html(
      <AdminLayout title="Chiến dịch" supervisor={s} flash={c.var.flash}>
        <table>
          <thead>
            <tr>
              <th>Chiến dịch</th>
              <th>Đối tượng</th>
              <th>Trạng thái</th>
              <th>Số bước</th>
              <th>Lần gửi tới</th>
            </tr>
          </thead>
          <tbody>
            {rows.length === 0 ? (
              <tr>
                <td colspan={5}>Chưa có chiến dịch.</td>
              </tr>
            ) : (
              rows.map(({ campaign, root, steps }) => {
                const next = campaign.active ? nextSend(steps, day) : undefined;
                return (
                  <tr data-campaign={String(campaign.id)}>
                    <td>
                      <a href={`/campaigns/${campaign.id}`}>{campaign.name}</a>
                    </td>
                    <td>{audienceLabel(campaign.audience, root?.name)}</td>
                    <td class={campaign.active ? "ok" : "late"}>{campaignStatusLabel(campaign.active)}</td>
                    <td>{steps.length}</td>
                    <td>{next ? `${formatDate(next.date)} (${weekdayName(next.date)}) ${next.sendAt}` : "—"}</td>
                  </tr>
                );
              })
            )}
          </tbody>
        </table>
        <h2>Tạo chiến dịch</h2>
        <Problems errors={errors} />
        <form method="post" action="/campaigns">
          <p>
            <label>
              Tên chiến dịch
              <br />
              <input name="name" size={60} maxlength={MAX_CAMPAIGN_NAME} value={draft.name} required />
            </label>
          </p>
          <p>
            <label>
              Gửi tới đơn vị (và các đơn vị trực thuộc)
              <br />
              <select name="root">
                {mayRunNational(s.actor) ? (
                  <option value={NATIONAL} selected={draft.root === NATIONAL}>
                    Toàn quốc
                  </option>
                ) : null}
                <UnitOptions options={units} selected={draft.root || s.own.code} />
              </select>
            </label>
          </p>
          <p>
            Người nhận:{" "}
            {CAMPAIGN_ROLES.map((r) => (
              <>
                <label>
                  <input type="checkbox" name="roles" value={r} checked={draft.roles.includes(r)} /> {ROLE_LABELS[r]}
                </label>{" "}
              </>
            ))}
          </p>
          <p>
            <button>Tạo chiến dịch</button>
          </p>
          <p class="note">Chiến dịch mới chưa có bước nào; thêm các bước gửi ở trang của chiến dịch.</p>
        </form>
      </AdminLayout>,
      status,
    );
  };

  const campaignPage = async (c: Context<AdminEnv>, access: CampaignAccess, state: PageState, status: 200 | 400 = 200) => {
    const s = c.var.supervisor;
    const steps = await stepsOf(ctxOf(s), access.campaign.id);
    return c.html(
      <AdminLayout title={access.campaign.name} supervisor={s} flash={c.var.flash}>
        <CampaignBody access={access} steps={steps} state={state} thisYear={Number(today().slice(0, 4))} />
      </AdminLayout>,
      status,
    );
  };

  const stepPage = (c: Context<AdminEnv>, access: CampaignAccess, step: CampaignStep, draft: StepForm, errors: string[] = [], status: 200 | 400 = 200) =>
    c.html(
      <AdminLayout title={`Sửa bước — ${access.campaign.name}`} supervisor={c.var.supervisor} flash={c.var.flash}>
        <p>
          <a href={`/campaigns/${access.campaign.id}`}>← {access.campaign.name}</a>
        </p>
        <p>
          Hiện tại: {describeRule(step.rule)}, {step.sendAt}
        </p>
        <Problems errors={errors} />
        <form method="post" action={`/campaigns/${access.campaign.id}/steps/${step.id}`} class="step-form" id="edit-step">
          <StepFields form={draft} />
          <p>
            <button>Lưu bước</button>
          </p>
        </form>
        <RuleScript />
      </AdminLayout>,
      status,
    );

  const web = new Hono<AdminEnv>();
  web.use("*", supervisorsOnly(kit, deps.sessions));

  web.get("/", (c) => listPage(c));

  web.post("/", createValidator, async (c) => {
    const draft = c.req.valid("form");
    try {
      const created = await createCampaign(ctxOf(c.var.supervisor), {
        name: draft.name,
        rootCode: draft.root === NATIONAL ? null : draft.root || c.var.supervisor.own.code,
        roles: draft.roles,
      });
      deps.sessions.flash(c, `Đã tạo chiến dịch «${created.name}». Hãy thêm các bước gửi.`);
      return c.redirect(`/campaigns/${created.id}`);
    } catch (err) {
      if (isAppError(err) && err.code === "invalid_input") return listPage(c, draft, issuesOf(err), 400);
      throw err;
    }
  });

  web.get("/:id", async (c) => {
    const access = await campaignInScope(ctxOf(c.var.supervisor), idOf(c.req.param("id")));
    return campaignPage(c, access, { year: yearOf(c.req.query("year")) });
  });

  for (const [action, active] of [
    ["pause", false],
    ["resume", true],
  ] as const) {
    web.post(`/:id/${action}`, async (c) => {
      try {
        const r = await setCampaignActive(ctxOf(c.var.supervisor), { campaignId: idOf(c.req.param("id")), active });
        const done = active
          ? `Đã tiếp tục chiến dịch «${r.name}»: các tin sẽ được gửi theo lịch.`
          : `Đã tạm dừng chiến dịch «${r.name}»: không tin nào được gửi cho tới khi tiếp tục.`;
        deps.sessions.flash(c, r.changed ? done : `Chiến dịch «${r.name}» đã ${active ? "đang chạy" : "tạm dừng"} từ trước.`);
        return c.redirect(`/campaigns/${r.campaignId}`);
      } catch (err) {
        return refusedEdit(c, err);
      }
    });
  }

  web.post("/:id/themes", themesValidator, async (c) => {
    const ctx = ctxOf(c.var.supervisor);
    const typed = c.req.valid("form");
    try {
      const r = await setCampaignThemes(ctx, { campaignId: idOf(c.req.param("id")), themes: typed });
      deps.sessions.flash(c, r.changedYears.length ? `Đã lưu chủ đề năm ${r.changedYears.join(", ")}.` : "Không có chủ đề nào thay đổi.");
      return c.redirect(`/campaigns/${r.campaignId}`);
    } catch (err) {
      if (!isAppError(err) || err.code !== "invalid_input") return refusedEdit(c, err);
      const access = await editableCampaign(ctx, idOf(c.req.param("id")));
      return campaignPage(c, access, { year: yearOf(undefined), themeDraft: themesAfter(access.campaign.themes, typed), themeErrors: issuesOf(err) }, 400);
    }
  });

  web.post("/:id/steps", stepValidator, async (c) => {
    const ctx = ctxOf(c.var.supervisor);
    const campaignId = idOf(c.req.param("id"));
    const { form, parsed } = c.req.valid("form");
    try {
      const access = await editableCampaign(ctx, campaignId);
      if (!parsed.ok) return await campaignPage(c, access, { year: yearOf(undefined), stepDraft: form, stepErrors: parsed.errors }, 400);
      const r = await addCampaignStep(ctx, { campaignId, rule: parsed.rule, sendAt: parsed.sendAt, text: parsed.text });
      deps.sessions.flash(c, `Đã thêm bước «${r.when}, ${r.step.sendAt}».`);
      return c.redirect(`/campaigns/${r.campaignId}`);
    } catch (err) {
      return refusedEdit(c, err);
    }
  });

  web.get("/:id/steps/:stepId", async (c) => {
    try {
      const { access, step } = await editableStep(ctxOf(c.var.supervisor), idOf(c.req.param("id")), idOf(c.req.param("stepId")));
      return await stepPage(c, access, step, stepFormOf(step));
    } catch (err) {
      return refusedEdit(c, err);
    }
  });

  web.post("/:id/steps/:stepId", stepValidator, async (c) => {
    const ctx = ctxOf(c.var.supervisor);
    const campaignId = idOf(c.req.param("id"));
    const stepId = idOf(c.req.param("stepId"));
    const { form, parsed } = c.req.valid("form");
    try {
      const { access, step } = await editableStep(ctx, campaignId, stepId);
      if (!parsed.ok) return await stepPage(c, access, step, form, parsed.errors, 400);
      const r = await editCampaignStep(ctx, { campaignId, stepId, rule: parsed.rule, sendAt: parsed.sendAt, text: parsed.text });
      deps.sessions.flash(c, `Đã sửa bước «${r.when}, ${r.step.sendAt}».`);
      return c.redirect(`/campaigns/${r.campaignId}`);
    } catch (err) {
      return refusedEdit(c, err);
    }
  });

  web.post("/:id/steps/:stepId/delete", async (c) => {
    try {
      const r = await deleteCampaignStep(ctxOf(c.var.supervisor), { campaignId: idOf(c.req.param("id")), stepId: idOf(c.req.param("stepId")) });
      deps.sessions.flash(c, `Đã xoá bước «${r.when}, ${r.step.sendAt}».`);
      return c.redirect(`/campaigns/${r.campaignId}`);
    } catch (err) {
      return refusedEdit(c, err);
    }
  });

  return (app: OpenAPIHono) => {
    app.route("/campaigns", web);
  };
}
