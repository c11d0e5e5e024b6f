import { Hono, type Context } from "hono";
import { zValidator } from "@hono/zod-validator";
import { raw } from "hono/html";
import { z } from "zod";
import { NATIONAL_CODE } from "../../directory/units.js";
import { AppError } from "../../domain/app-error.js";
import { formatDate, formatDateTime, localDate } from "../../domain/dates.js";
import { periodLabel } from "../../domain/periods.js";
import { formatVietnameseNumber } from "../../domain/numbers.js";
import { readDashboard, type DashboardWithPeriod } from "../../reporting/dashboard.js";
import { exportPeriod, readConsolidation } from "../../reporting/export-period.js";
import { periodShort, periodTitle } from "../../reporting/labels.js";
import { remindUnit } from "../../reporting/remind-unit.js";
import { listRequests, type RequestSummary } from "../../requests/request-status.js";
import type { ChildStatus } from "../../reporting/period-status.js";
import { cspNonce } from "../html.js";
import type { WebDeps } from "./deps.js";
import { OfficerLayout } from "./officer-layout.js";
import { serviceContext, signedIn, type WebEnv } from "./signed-in.js";

const CHANNEL_NAME: Record<string, string> = { telegram: "Telegram", zalo_bot: "Zalo", zalo_oa: "Zalo OA", simulator: "mô phỏng" };

/** JSON for inside a <script>: no "</script>" or "<!--" can close or bend it. */
const scriptJson = (v: unknown) => JSON.stringify(v).replace(/</g, "\\u003c");

const dashboardHref = (unit: string, period: string) => `/dashboard?unit=${encodeURIComponent(unit)}&period=${encodeURIComponent(period)}`;

function StatusCell(props: { child: ChildStatus }) {
  const ch = props.child;
  const state =
    ch.status === "submitted" ? (
      <span class={ch.late ? "late" : "ok"}>{ch.late ? "Nộp trễ" : "Đúng hạn"}</span>
    ) : ch.status === "in_progress" ? (
      "Đang làm"
    ) : ch.status ? (
      <span class="missing">Chưa bắt đầu</span>
    ) : (
      ""
    );
  return (
    <td>
      {state}
      {ch.reviewStatus === "approved" ? " ✔ đã duyệt" : ch.reviewStatus === "returned" ? " ↩ trả lại" : ""}
      {ch.deadline ? (
        <>
          {" "}
          <span class="note">hạn {formatDate(ch.deadline)}</span>
        </>
      ) : null}
    </td>
  );
}

/**
 * The dashboard: how the unit's communes stand in a period (a chart, the trend of the last
 * periods, one row per child unit with its officers and the last reminder), the figures and their
 * export, and «Nhắc ngay» for a supervisor; past periods one click away, the whole country one
 * click away for admins.
 */
export function dashboardApp(deps: WebDeps) {
  const web = new Hono<WebEnv>();
  const today = () => localDate(deps.clock(), deps.timeZone);

  web.get("/", signedIn(deps), async (c) => {
    const ctx = serviceContext(c, deps);
    const { officer } = c.var;
    const d = await readDashboard(ctx, { unitCode: c.req.query("unit") || undefined, periodKey: c.req.query("period") || undefined, today: today() });
    if (!d.periods) {
      return c.html(
        <OfficerLayout title="Tổng quan" heading="Chưa có kỳ báo cáo" who={c.var} flash={c.var.flash}>
          <p>
            <a href="/calendars">Lịch báo cáo</a>
          </p>
        </OfficerLayout>,
      );
    }
    const banners = officer.role === "admin" ? ((await deps.adminBanners?.().catch(() => [])) ?? []) : [];
    const requests = officer.role === "commune" ? [] : openRequests(await listRequests(ctx, { limit: 50 }), today());
    return c.html(<DashboardPage d={d} who={c.var} banners={banners} timeZone={deps.timeZone} requests={requests} today={today()} />);
  });

  web.post(
    "/remind",
    signedIn(deps),
    zValidator("form", z.object({ unit: z.string().max(40) }), (result) => {
      // A form without a unit names none: the same 404 as a unit outside one's subtree.
      if (!result.success) throw new AppError("not_found", "Không tìm thấy đơn vị.");
    }),
    async (c) => {
      const r = await remindUnit(serviceContext(c, deps), { send: deps.send }, { unitCode: c.req.valid("form").unit, today: today() });
      if (r.kind === "no_period") {
        deps.sessions.flash(c, "Chưa có kỳ báo cáo đang mở: chưa gửi lời nhắc.", "error");
        return c.redirect("/dashboard");
      }
      if (r.reminded === 0) deps.sessions.flash(c, `${r.unit.name} chưa có cán bộ nào liên kết Telegram/Zalo: chưa gửi được lời nhắc.`, "error");
      else deps.sessions.flash(c, `Đã gửi nhắc ${r.reminded} cán bộ của ${r.unit.name}.`);
      return c.redirect(`/dashboard?unit=${encodeURIComponent(r.unit.parentCode ?? "")}`);
    },
  );

  const asked = (c: Context<WebEnv>) => ({ unitCode: c.req.query("unit") || undefined, periodKey: c.req.query("period") || undefined, today: today() });

  web.get("/export.xlsx", signedIn(deps, "/dashboard"), async (c) => {
    const { file, fileName } = await exportPeriod(serviceContext(c, deps), { forms: deps.forms }, asked(c));
    c.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    c.header("content-disposition", `attachment; filename="${fileName}"`);
    return c.body(new Uint8Array(file));
  });

  web.get("/figures", signedIn(deps, "/dashboard"), async (c) => {
    const { unit, period, result: r } = await readConsolidation(serviceContext(c, deps), { forms: deps.forms }, asked(c));
    const heading = `${r.form.title} — ${unit.name}, ${periodLabel(period.key)}${r.cutoff ? ` (số liệu tính đến ngày ${r.cutoff.split("-").reverse().join("/")})` : ""}`;
    let section = "";
    return c.html(
      <OfficerLayout title="Số liệu tổng hợp" heading={heading} who={c.var} flash={c.var.flash}>
        <p>
          Số xã đã nộp:{" "}
          <b>
            {r.included}/{r.communes}
          </b>
          {r.communes > r.included ? ` (còn thiếu ${r.communes - r.included})` : ""}; đã duyệt {r.approved}
          {r.included > r.approved ? (
            <>
              , <span class="late">chưa duyệt {r.included - r.approved} (*) — số liệu gồm cả báo cáo chưa duyệt</span>
            </>
          ) : null}
        </p>
        <p>
          <a href={`/dashboard/export.xlsx?unit=${encodeURIComponent(unit.code)}&period=${encodeURIComponent(period.key)}`}>⬇ XLSX</a> ·{" "}
          <a href={dashboardHref(unit.code, period.key)}>← Tổng quan</a>
        </p>
        <table>
          <thead>
            <tr>
              <th>STT</th>
              <th>Chỉ tiêu</th>
              <th>ĐVT</th>
              <th>{periodTitle(period.key)}</th>
              <th>{r.previous ? periodTitle(r.previous.key) : "Kỳ trước"}</th>
            </tr>
          </thead>
          <tbody>
            {r.items.map((i) => (
              <>
                {i.section !== section ? (
                  <tr>
                    <th colspan={5}>{(section = i.section)}</th>
                  </tr>
                ) : null}
                <tr>
                  <td>{i.no}</td>
                  <td>{i.label}</td>
                  <td>{i.unit}</td>
                  <td>{formatVietnameseNumber(i.total)}</td>
                  <td>{i.previous === null ? "—" : formatVietnameseNumber(i.previous)}</td>
                </tr>
              </>
            ))}
          </tbody>
        </table>
      </OfficerLayout>,
    );
  });

  return web;
}

/** The requests still worth a look beside the periodic report: not all answered, or due in the last 30 days. */
function openRequests(list: RequestSummary[], today: string): RequestSummary[] {
  const month = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * 86_400_000).toISOString().slice(0, 10);
  return list.filter((r) => r.deadline >= month && (r.answered < r.units || r.deadline >= today)).slice(0, 10);
}

/** Ad-hoc requests (yêu cầu báo cáo đột xuất) open in the officer's part, beside the periodic report. */
function OpenRequests(props: { requests: RequestSummary[]; today: string }) {
  return (
    <section id="requests">
      <h2>Yêu cầu báo cáo đột xuất</h2>
      {props.requests.length === 0 ? (
        <p class="note">Không có yêu cầu nào đang mở.</p>
      ) : (
        <ul>
          {props.requests.map((r) => (
            <li>
              <a href={`/requests/${r.id}`}>{r.title}</a> — {r.root.name}, hạn {formatDate(r.deadline)}:{" "}
              <b class={props.today > r.deadline && r.answered < r.units ? "late" : ""}>
                {r.answered}/{r.units}
              </b>{" "}
              đơn vị đã trả lời
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href="/requests">Tất cả yêu cầu</a> · <a href="/requests/new">Tạo yêu cầu mới</a>
      </p>
    </section>
  );
}

function DashboardPage(props: {
  d: DashboardWithPeriod;
  who: WebEnv["Variables"];
  banners: string[];
  timeZone: string;
  requests: RequestSummary[];
  today: string;
}) {
  const { d, who } = props;
  const { root, status: s, trend, people } = d;
  const { period, current, opened } = d.periods;
  const { officer } = who;
  const supervises = officer.role !== "commune";
  const isAdmin = officer.role === "admin";
  const charts = `new Chart(document.getElementById('chart'),{type:'bar',data:{labels:['Đúng hạn','Trễ hạn','Đang làm','Chưa bắt đầu'],datasets:[{label:'Số xã',data:${scriptJson([s.counts.onTime, s.counts.late, s.counts.inProgress, s.counts.notStarted])},backgroundColor:['#0b6b3a','#b35c00','#5b7fa6','#a40000']}]},options:{animation:false,plugins:{legend:{display:false}}}});
new Chart(document.getElementById('trend'),{type:'line',data:{labels:${scriptJson(trend.map((x) => periodShort(x.key)))},datasets:[{label:'% đã nộp',data:${scriptJson(trend.map((x) => x.rate))},borderColor:'#0b6b3a'}]},options:{animation:false,scales:{y:{min:0,max:100}}}});`;
  return (
    <OfficerLayout title="Tổng quan" heading={`${root.name} — ${periodTitle(period.key)}`} who={who} flash={who.flash}>
      {props.banners.map((b) => (
        <p class="missing" role="alert">
          ⚠ {b}
        </p>
      ))}
      {isAdmin ? (
        <p>
          {root.code === NATIONAL_CODE ? (
            <b>🌐 Toàn quốc</b>
          ) : (
            <a href={dashboardHref(NATIONAL_CODE, period.key)}>
              <b>🌐 Toàn quốc</b>
            </a>
          )}{" "}
          <span class="note">— mọi tỉnh, thành phố</span>
        </p>
      ) : null}
      <p class="note">
        Kỳ báo cáo:{" "}
        {opened.map((p, i) => (
          <>
            {i > 0 ? " · " : ""}
            {p.id === period.id ? <b>{periodTitle(p.key)}</b> : <a href={dashboardHref(root.code, p.key)}>{periodTitle(p.key)}</a>}
          </>
        ))}
      </p>
      <p>
        {officer.name} · Đã nộp <b>{s.counts.submitted}</b>/{s.counts.units} (đúng hạn {s.counts.onTime}, trễ {s.counts.late}) · đang làm {s.counts.inProgress}{" "}
        · chưa bắt đầu {s.counts.notStarted} · quá hạn {s.counts.overdue}
      </p>
      <p>
        <a href={`/dashboard/figures?unit=${encodeURIComponent(root.code)}&period=${encodeURIComponent(period.key)}`}>📊 Số liệu tổng hợp</a> ·{" "}
        <a href={`/dashboard/export.xlsx?unit=${encodeURIComponent(root.code)}&period=${encodeURIComponent(period.key)}`}>⬇ Tải báo cáo tổng hợp (XLSX)</a>
      </p>
      {supervises ? <OpenRequests requests={props.requests} today={props.today} /> : null}
      <div class="row">
        <div class="w30">
          <canvas id="chart" aria-label="Tình hình nộp báo cáo"></canvas>
        </div>
        <div class="w30">
          <canvas id="trend" aria-label="Tỷ lệ nộp qua các kỳ"></canvas>
        </div>
      </div>
      <script src="/assets/chart.js"></script>
      {/* raw(): the charts' script, built here from numbers and period names (server text), its JSON kept from closing the tag. */}
      <script nonce={cspNonce()}>{raw(charts)}</script>
      <table>
        <thead>
          <tr>
            <th>Mã</th>
            <th>Đơn vị</th>
            <th>Đã nộp</th>
            <th>Tình trạng</th>
            <th>Cán bộ (kênh)</th>
            <th>Nhắc gần nhất</th>
          </tr>
        </thead>
        <tbody>
          {s.children.map((ch) => {
            const mine = people.filter((p) => p.code === ch.code);
            const names = [...new Set(mine.map((p) => p.name))];
            const unitId = mine[0]?.unitId;
            const canRemind = supervises && period.id === current.id && ch.level === "commune" && ch.status !== "submitted" && unitId !== undefined;
            const last = d.lastReminder(unitId);
            return (
              <tr>
                <td>{ch.code}</td>
                <td>
                  {ch.level === "commune" ? (
                    ch.submissionId ? (
                      <a href={`/submissions/${ch.submissionId}`}>{ch.name}</a>
                    ) : (
                      ch.name
                    )
                  ) : (
                    <a href={dashboardHref(ch.code, period.key)}>{ch.name}</a>
                  )}
                </td>
                <td>
                  {ch.counts.submitted}/{ch.counts.units}
                </td>
                <StatusCell child={ch} />
                <td>
                  {names.map((n, i) => (
                    <>
                      {i > 0 ? <br /> : null}
                      {n}{" "}
                      <span class="note">
                        {mine
                          .filter((p) => p.name === n && p.channel)
                          .map((p) => CHANNEL_NAME[p.channel!] ?? p.channel)
                          .join(", ") || "chưa liên kết"}
                      </span>
                    </>
                  ))}
                </td>
                <td>
                  {ch.level === "commune" ? (last ? formatDateTime(last, props.timeZone) : "—") : ""}{" "}
                  {canRemind ? (
                    <form method="post" action="/dashboard/remind" class="inline">
                      <input type="hidden" name="unit" value={ch.code} />
                      <button>Nhắc ngay</button>
                    </form>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </OfficerLayout>
  );
}
