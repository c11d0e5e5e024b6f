/**
 * What can go wrong in a use case, as a closed set of codes. Every surface maps a code once: the
 * web to a status and a page (src/http/app-error-response.ts), the JSON API to a status and
 * `{error, message}`, chat to the message. `message` is Vietnamese, written for the person who
 * asked, and says what to do; it never carries a stack or a system name.
 */
export const APP_ERROR_CODES = [
  /** Does not exist, or lies outside the actor's subtree: the same answer for both (404, never 403). */
  "not_found",
  /** The input broke a rule (a field, a file row); `issues` lists each. */
  "invalid_input",
  /** The thing moved on since it was shown (already approved, closed, decided). */
  "conflict",
  /** Visible to the actor, but their role may not do this (a commune officer approving). */
  "forbidden",
  /** Nobody to send to: the officer has no linked chat. */
  "unreachable",
  /** Too many attempts in a window. */
  "too_many",
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

export class AppError extends Error {
  override name = "AppError";
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly issues: readonly string[] = [],
  ) {
    super(message);
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
