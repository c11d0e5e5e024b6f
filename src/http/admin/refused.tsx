import type { Context } from "hono";
import { AppError } from "../../domain/app-error.js";
import { Page } from "../components/layout.js";

/**
 * A refusal the officers, units and calendars pages have always answered with 400 and their
 * reason (an admin's account, a demo account, a file that cannot be read). A not_found is thrown
 * on, for app.onError's 404.
 */
/** The page for what does not exist or is not the reader's to see (the same 404 for both). */
export function notFoundPage(c: Context) {
  return c.html(
    <Page title="Không tìm thấy">
      <h1>Không tìm thấy</h1>
      <p>
        <a href="/dashboard">← Tổng quan</a>
      </p>
    </Page>,
    404,
  );
}

export function refusedPage(c: Context, why: string) {
  return c.html(
    <Page title="Không thực hiện được">
      <h1>Không thực hiện được</h1>
      <p>{why}</p>
      <p>
        <a href="/dashboard">← Tổng quan</a>
      </p>
    </Page>,
    400,
  );
}

/** Runs a use case; its refusals other than not_found become `refusedPage`. */
export async function orRefused<T>(c: Context, run: () => Promise<T>): Promise<T | Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AppError && err.code !== "not_found") return refusedPage(c, err.message);
    throw err;
  }
}
