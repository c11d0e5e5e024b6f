import { Hono, type Context } from "hono";
import { raw } from "hono/html";
import { csrf } from "hono/csrf";
import { isAppError } from "../../domain/app-error.js";
import { AnswerOps, type WebReportService } from "../../web-form/web-report.js";
import { appErrorJson } from "../app-error-response.js";
import { cspNonce } from "../html.js";
import { REPORT_FORM_WORKER } from "./report-form-script.js";

/**
 * The phone's stylesheet: big tap targets, one column, readable at 360 px. raw(): a constant of
 * this file, no value from a request in it.
 */
const STYLE = raw(`
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f8f7;font-size:17px;line-height:1.4}
header{position:sticky;top:0;background:#0b6b3a;color:#fff;padding:.5rem .75rem;z-index:1}
header h1{font-size:1.05rem;margin:0}header p{margin:.15rem 0;font-size:.9rem}
.sync{font-weight:600}.sync.waiting{color:#ffe08a}.late{color:#ffd0a0}
main,#after{padding:.5rem .75rem;max-width:40rem;margin:0 auto}
fieldset{border:0;border-top:2px solid #0b6b3a;margin:1rem 0 0;padding:.25rem 0}legend{font-weight:700;padding:0 .25rem;color:#0b6b3a}
.q{background:#fff;border-radius:10px;padding:.6rem .7rem;margin:.6rem 0;box-shadow:0 1px 2px #0002}
.label{display:block;font-weight:600;margin-bottom:.35rem;overflow-wrap:anywhere}
.hint,.notes{font-size:.88rem;color:#556;margin:.2rem 0}
.field{display:flex;gap:.4rem;align-items:center}.unit{color:#556;white-space:nowrap}
input[type=text],input[type=tel],textarea{width:100%;font-size:1.05rem;padding:.6rem;border:1px solid #9ab;border-radius:8px}
.options{display:flex;flex-direction:column;gap:.3rem}
.option{display:flex;gap:.6rem;align-items:center;padding:.55rem .6rem;border:1px solid #cdd8d2;border-radius:8px;min-height:2.9rem}
.option input{width:1.4rem;height:1.4rem;flex:none}
.status{font-size:.88rem;margin:.35rem 0 0;color:#556}.status.ok{color:#0b6b3a}.status.waiting{color:#8a5a00}.status.error{color:#a40000;font-weight:600}
button{font-size:1.05rem;padding:.75rem 1rem;border-radius:8px;border:0;background:#0b6b3a;color:#fff;width:100%}
button:disabled{background:#9aa9a0}button.skip{background:#fff;color:#0b6b3a;border:1px solid #0b6b3a;margin-top:.4rem;padding:.5rem}
.flash{background:#e7f5ec;border-left:4px solid #0b6b3a;padding:.5rem .75rem;margin:.5rem 0;white-space:pre-wrap}
.flash.error{background:#fdecec;border-left-color:#a40000}
.box{background:#fff;border-radius:10px;padding:.6rem .7rem;margin:.8rem 0}.box h2{font-size:1rem;margin:.2rem 0}
#problems li{color:#a40000}
`);

function FormShell() {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <title>Điền báo cáo — baocao</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <style nonce={cspNonce()}>{STYLE}</style>
          <script src="/assets/report-form.js" defer></script>
        </head>
        <body>
          <header>
            <h1 id="title">Báo cáo</h1>
            <p id="report"></p>
            <p id="sync" class="sync" role="status" aria-live="polite">
              Đang mở báo cáo…
            </p>
          </header>
          <div id="after">
            <div id="banner"></div>
          </div>
          <main id="form">
            <noscript>
              <p class="flash error">Trang này cần JavaScript. Anh/chị vẫn làm báo cáo được trong khung chat với baocao.</p>
            </noscript>
          </main>
          <div id="after-form" class="box-wrap">
            <main>
              <section id="computed-box" class="box" hidden>
                <h2>Số tự tính</h2>
                <ul id="computed"></ul>
              </section>
              <section id="problems-box" class="box" hidden>
                <h2>Cần sửa trước khi nộp</h2>
                <ul id="problems"></ul>
              </section>
              <section id="submit-box" class="box">
                <p id="submit-why" class="hint"></p>
                <button id="submit" type="button" disabled>
                  ✅ Nộp báo cáo
                </button>
              </section>
            </main>
          </div>
        </body>
      </html>
    </>
  );
}

function GonePage() {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <title>Đường dẫn không còn dùng được — baocao</title>
          <style nonce={cspNonce()}>{STYLE}</style>
        </head>
        <body>
          <main>
            <h1>Đường dẫn không còn dùng được</h1>
            <p class="flash error" role="alert">
              Đường dẫn này không còn mở được báo cáo (đã hết hạn hoặc không đúng). Gõ «web» trong khung chat với baocao để nhận đường dẫn mới.
            </p>
          </main>
        </body>
      </html>
    </>
  );
}

// Its length is checked by the service (LINK_TOKEN); a brace-free pattern keeps the route listable.
const TOKEN = "{[A-Za-z0-9_-]+}";
const initDataOf = (c: Context) => c.req.header("x-telegram-init-data") || undefined;

/**
 * The phone web form at /f/{link}: the page (a shell the script fills), its questions and answers
 * as JSON, answers sent in batches, submission. The link is the credential (no cookie), bound to
 * one officer and report; opened as a Telegram Web App the initData must be Telegram's too.
 */
export function reportFormApp(deps: { webReport: WebReportService }) {
  const app = new Hono();
  app.use("*", csrf());
  const fail = (c: Context, err: unknown) => {
    if (isAppError(err)) return appErrorJson(c, err);
    throw err;
  };

  app.get("/sw.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "no-cache");
    return c.body(REPORT_FORM_WORKER);
  });
  app.get(`/:token${TOKEN}`, async (c) => {
    if (!(await deps.webReport.exists(c.req.param("token")))) return c.html(<GonePage />, 404);
    return c.html(<FormShell />);
  });
  app.get(`/:token${TOKEN}/state`, async (c) => {
    try {
      return c.json(await deps.webReport.state(c.req.param("token"), initDataOf(c)));
    } catch (err) {
      return fail(c, err);
    }
  });
  app.post(`/:token${TOKEN}/answers`, async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "Nội dung gửi lên không phải JSON.", code: "invalid_input" }, 400);
    }
    const parsed = AnswerOps.safeParse(body);
    if (!parsed.success) return c.json({ error: "Câu trả lời gửi lên không đúng dạng (tối đa 100 câu mỗi lần).", code: "invalid_input" }, 400);
    try {
      return c.json(await deps.webReport.apply(c.req.param("token"), initDataOf(c), parsed.data));
    } catch (err) {
      return fail(c, err);
    }
  });
  app.post(`/:token${TOKEN}/submit`, async (c) => {
    try {
      return c.json(await deps.webReport.submit(c.req.param("token"), initDataOf(c)));
    } catch (err) {
      return fail(c, err);
    }
  });
  return app;
}
