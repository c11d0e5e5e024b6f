/**
 * Where to send a browser after sign-in: the asked path only when, resolved against this site's
 * origin, it stays on this site. "//evil.example", "/\evil.example" (browsers read "\" as "/"),
 * "https://evil.example" and "javascript:…" all resolve elsewhere and fall back to the dashboard.
 */
export function safeNextPath(asked: unknown, origin: string, fallback = "/dashboard"): string {
  if (typeof asked !== "string" || !asked.startsWith("/") || asked.length > 2000) return fallback;
  let url: URL;
  try {
    url = new URL(asked, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== new URL(origin).origin) return fallback;
  // Backslashes and control characters have no business in a path we send a browser to.
  if (/[\\\u0000-\u001f]/.test(asked)) return fallback;
  return `${url.pathname}${url.search}`;
}
