import { tryGetContext } from "hono/context-storage";

/** Escapes text for HTML: whatever an officer typed is shown as text, never as markup. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * The nonce of this response's Content-Security-Policy (set by secureHeaders, read through
 * hono's context storage): only the page's own <script> and <style> elements carry it, so markup
 * that ever slipped through escaping could not run. Empty outside a request.
 */
export function cspNonce(): string {
  return tryGetContext<{ Variables: { secureHeadersNonce?: string } }>()?.get("secureHeadersNonce") ?? "";
}

/** ` nonce="…"` for a page's own <script> or <style> tag. */
export const nonceAttr = (): string => ` nonce="${esc(cspNonce())}"`;

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} — baocao</title>
<style${nonceAttr()}>
body{font-family:system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem;color:#1d2733}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:2px solid #0b6b3a;margin-bottom:1rem}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #d5dde5;padding:.35rem .5rem;text-align:left}
th{background:#eef3f0}.ok{color:#0b6b3a}.late{color:#b35c00}.missing{color:#a40000}
input,button{font-size:1rem;padding:.45rem}button{background:#0b6b3a;color:#fff;border:0;border-radius:6px}
.note{color:#556}.inline{display:inline}.danger{background:#a40000}.muted{background:#556}
.row{display:flex;gap:2rem;flex-wrap:wrap}.w30{width:30rem}.w6{width:6rem}.w5{width:5rem}.w14{width:14rem}
.tg-bubble{white-space:pre-wrap;overflow-wrap:anywhere;background:#eef6ff;border-radius:10px;padding:.6rem;margin:.3rem 0;max-width:28rem}
.tg-button{border:1px solid #9ab;border-radius:6px;padding:.3rem;text-align:center;max-width:28rem}
.quote{white-space:pre-wrap;border-left:4px solid #0b6b3a;padding-left:.6rem}
</style><script src="/assets/baocao.js" defer></script></head><body>${body}</body></html>`;
}
