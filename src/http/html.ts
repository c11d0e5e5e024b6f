import { tryGetContext } from "hono/context-storage";

/**
 * The nonce of this response's Content-Security-Policy (set by secureHeaders, read through
 * hono's context storage): only the page's own <script> and <style> elements carry it, so markup
 * that ever slipped through escaping could not run. Empty outside a request.
 */
export function cspNonce(): string {
  return tryGetContext<{ Variables: { secureHeadersNonce?: string } }>()?.get("secureHeadersNonce") ?? "";
}
