import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { cspNonce } from "../html.js";

/**
 * The pages' one stylesheet. raw(): a constant of this file, no value from a request in it (the
 * JSX escaper would turn its `>` selectors into `&gt;`).
 */
const STYLE = raw(`
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
.flash{background:#e7f5ec;border-left:4px solid #0b6b3a;padding:.5rem .75rem;margin:.5rem 0}
.flash.error{background:#fdecec;border-left-color:#a40000}
`);

/** A green check in a circle, baocao's colour: drawn here so the favicon needs no file or CDN. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#0b6b3a"/><path d="M9 16.5l4.5 4.5L23 11" stroke="#fff" stroke-width="3.5" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

/** Any page of the site: Vietnamese, phone-sized, the CSP nonce on its own style, the one script. */
export function Page(props: { title: string; children?: Child }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <title>{props.title} — baocao</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <style nonce={cspNonce()}>{STYLE}</style>
          <script src="/assets/baocao.js" defer></script>
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}

/** The message after an action ("Đã trả lại báo cáo cho Xã …"), or why it was refused. */
export function Flash(props: { flash?: { text: string; kind?: "ok" | "error" } | undefined }) {
  if (!props.flash) return null;
  return (
    <p class={props.flash.kind === "error" ? "flash error" : "flash"} role={props.flash.kind === "error" ? "alert" : "status"}>
      {props.flash.text}
    </p>
  );
}
