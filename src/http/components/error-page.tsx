import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppError } from "../../domain/app-error.js";
import { STATUS_OF } from "../app-error-response.js";
import { Page } from "./layout.js";

const TITLE = { not_found: "Không tìm thấy", too_many: "Thử lại sau" } as const;

/** A use case's refusal as a page: its Vietnamese message, each problem, and the way back. */
export function errorPage(c: Context, err: AppError, back: { href: string; label: string } = { href: "/dashboard", label: "Tổng quan" }) {
  const title = TITLE[err.code as keyof typeof TITLE] ?? "Không thực hiện được";
  return c.html(
    <Page title={title}>
      <h1>{title}</h1>
      <p>{err.message}</p>
      {err.issues.length > 0 ? (
        <ul>
          {err.issues.map((i) => (
            <li>{i}</li>
          ))}
        </ul>
      ) : null}
      <p>
        <a href={back.href}>← {back.label}</a>
      </p>
    </Page>,
    STATUS_OF[err.code],
  );
}

/** A page that only says something (a body too large): its heading and one paragraph. */
export function messagePage(c: Context, status: ContentfulStatusCode, title: string, text: string) {
  return c.html(
    <Page title={title}>
      <h1>{title}</h1>
      <p>{text}</p>
    </Page>,
    status,
  );
}
