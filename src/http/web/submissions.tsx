import { Hono, type Context } from "hono";
import { zValidator } from "@hono/zod-validator";
import { z } from "zod";
import { AppError, isAppError } from "../../domain/app-error.js";
import { formatDateTime } from "../../domain/dates.js";
import { periodTitle, submissionEventLabel, submissionStatusLabel } from "../../reporting/labels.js";
import type { SubmissionView } from "../../reporting/review.js";
import type { WebDeps } from "./deps.js";
import { OfficerLayout } from "./officer-layout.js";
import { serviceContext, signedIn, type WebEnv } from "./signed-in.js";

/** The return form as typed: the reason and the questions to correct ("3, 12"). Checked by the use case. */
const ReturnForm = z.object({ comment: z.string().default(""), questions: z.string().default("") });

/** "3, 12.2; x" → ["3", "12.2"]: what is not a question number is left out. */
const questionNumbers = (typed: string) =>
  typed
    .split(/[,;\s]+/)
    .map((x) => x.trim())
    .filter((x) => /^\d+(\.\d+)?$/.test(x))
    .slice(0, 200);

function SubmissionPage(props: {
  v: SubmissionView;
  who: WebEnv["Variables"];
  timeZone: string;
  error?: string;
  typed?: { comment: string; questions: string };
}) {
  const { v } = props;
  let section = "";
  return (
    <OfficerLayout title={`${v.unit.name} — ${periodTitle(v.period.key)}`} heading={`${v.form.title} — ${v.unit.name}`} who={props.who} flash={props.who.flash}>
      <p>
        {periodTitle(v.period.key)} · Trạng thái: <b id="status">{submissionStatusLabel(v.submission.status)}</b>
      </p>
      <table>
        <thead>
          <tr>
            <th>Câu</th>
            <th>Nội dung</th>
            <th>Trả lời</th>
          </tr>
        </thead>
        <tbody>
          {v.items.map((i) => (
            <>
              {i.section !== section ? (
                <tr>
                  <th colspan={3}>{(section = i.section)}</th>
                </tr>
              ) : null}
              <tr>
                <td>{i.number}</td>
                <td>{i.label}</td>
                <td>{i.answer}</td>
              </tr>
            </>
          ))}
        </tbody>
      </table>
      {v.decidable ? (
        <>
          <form method="post" action={`/submissions/${v.submission.id}/approve`}>
            <button>Duyệt báo cáo</button>
          </form>
          <form method="post" action={`/submissions/${v.submission.id}/return`}>
            {props.error ? (
              <p class="flash error" role="alert">
                {props.error}
              </p>
            ) : null}
            <p>
              <label>
                Lý do trả lại
                <br />
                <textarea name="comment" required rows={2} cols={60}>
                  {props.typed?.comment ?? ""}
                </textarea>
              </label>
            </p>
            <p>
              <label>
                Các câu cần sửa (ví dụ 3, 12)
                <br />
                <input name="questions" value={props.typed?.questions ?? ""} />
              </label>
            </p>
            <button>Trả lại để sửa</button>
          </form>
        </>
      ) : null}
      <h2>Lịch sử</h2>
      <ul>
        {v.history.map((h) => (
          <li>
            {`${formatDateTime(h.at, props.timeZone)} — ${submissionEventLabel(h.kind)}${h.by ? ` (${h.by})` : ""}${h.comment ? `: «${h.comment}»` : ""}${h.questions?.length ? ` — câu ${h.questions.join(", ")}` : ""}`}
          </li>
        ))}
      </ul>
      <p>
        <a href="/dashboard">← Tổng quan</a>
      </p>
    </OfficerLayout>
  );
}

/**
 * A commune's report for reading (every read audited), and for its supervisor to approve or to
 * return with a reason; after either, the page again with what was done.
 */
export function submissionsApp(deps: WebDeps) {
  const web = new Hono<WebEnv>();
  web.use("*", signedIn(deps));
  const idOf = (c: Context<WebEnv>) => Number(c.req.param("id")) || 0;

  web.get("/:id", async (c) => {
    const v = await deps.review.readSubmission(serviceContext(c, deps), { submissionId: idOf(c) });
    return c.html(<SubmissionPage v={v} who={c.var} timeZone={deps.timeZone} />);
  });

  web.post("/:id/approve", async (c) => {
    const r = await deps.review.approveSubmission(serviceContext(c, deps), { submissionId: idOf(c) });
    deps.sessions.flash(c, `Đã duyệt báo cáo của ${r.unit.name}.`);
    await deps.drainNotices();
    return c.redirect(`/submissions/${r.submissionId}`);
  });

  web.post(
    "/:id/return",
    zValidator("form", ReturnForm, (result) => {
      if (!result.success) throw new AppError("invalid_input", "Biểu mẫu không hợp lệ: vui lòng mở lại trang và nhập lại.");
    }),
    async (c) => {
      const typed = c.req.valid("form");
      const ctx = serviceContext(c, deps);
      try {
        const r = await deps.review.returnSubmission(ctx, {
          submissionId: idOf(c),
          comment: typed.comment.trim().slice(0, 1000),
          questions: questionNumbers(typed.questions),
        });
        deps.sessions.flash(c, `Đã trả lại báo cáo cho ${r.unit.name}.`);
        await deps.drainNotices();
        return c.redirect(`/submissions/${r.submissionId}`);
      } catch (err) {
        // A form the rule refused (no reason given): the page again, with why and what was typed.
        if (!isAppError(err) || err.code !== "invalid_input") throw err;
        const v = await deps.review.readSubmission(ctx, { submissionId: idOf(c) });
        return c.html(<SubmissionPage v={v} who={c.var} timeZone={deps.timeZone} error={err.message} typed={typed} />, 400);
      }
    },
  );

  return web;
}
