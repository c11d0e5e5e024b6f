/**
 * What the database layer's errors mean to the rest of the service. Drizzle wraps driver errors
 * in an error whose message carries the statement's parameters — officer-typed text and phone
 * numbers — so nothing here ever repeats that message.
 */

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  query?: string;
}

/** The driver's own error under Drizzle's (and grammY's) wrappers. */
export function rootCause(err: unknown): unknown {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    const inner = (e as { error?: unknown }).error ?? e.cause;
    if (!inner || typeof inner !== "object") break;
    e = inner as ErrorLike;
  }
  return e;
}

// SQLSTATE class 08 (connection exception), 57P01–57P03 (shutting down, cannot connect now),
// 53300 (too many connections), and the socket errors of a server that is down or restarting.
const UNAVAILABLE_CODES = new Set(["57P01", "57P02", "57P03", "53300", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"]);

/** true when the database could not be reached at all: worth a retry later, not a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = rootCause(err) as ErrorLike | undefined;
  if (!e || typeof e !== "object") return false;
  if (e.code && (UNAVAILABLE_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connect ECONNREFUSED|Cannot use a pool after calling end/i.test(
    e.message ?? "",
  );
}

/** A loggable description of a failure that never includes the statement's parameters. */
export function describeFailure(err: unknown): { name: string; message: string; code?: string; query?: string; stack?: string } {
  const outer = err as ErrorLike;
  const root = rootCause(err) as ErrorLike & { stack?: string };
  const query = findQuery(err);
  return {
    name: root?.name ?? "Error",
    message: query ? String(root?.message ?? "query failed") : String(root?.message ?? outer?.message ?? err),
    ...(root?.code ? { code: root.code } : {}),
    ...(query ? { query } : {}),
    ...(root?.stack ? { stack: root.stack } : {}),
  };
}

function findQuery(err: unknown): string | undefined {
  let e = err as ErrorLike | undefined;
  for (let depth = 0; depth < 5 && e && typeof e === "object"; depth++) {
    if (typeof e.query === "string") return e.query.slice(0, 500);
    e = ((e as { error?: unknown }).error ?? e.cause) as ErrorLike | undefined;
  }
  return undefined;
}
