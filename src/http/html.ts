/** Escapes text for HTML: whatever an officer typed is shown as text, never as markup. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} — baocao</title>
<style>
body{font-family:system-ui,sans-serif;max-width:64rem;margin:0 auto;padding:1rem;color:#1d2733}
header{display:flex;justify-content:space-between;align-items:center;border-bottom:2px solid #0b6b3a;margin-bottom:1rem}
h1{font-size:1.3rem}table{border-collapse:collapse;width:100%}td,th{border:1px solid #d5dde5;padding:.35rem .5rem;text-align:left}
th{background:#eef3f0}.ok{color:#0b6b3a}.late{color:#b35c00}.missing{color:#a40000}
input,button{font-size:1rem;padding:.45rem}button{background:#0b6b3a;color:#fff;border:0;border-radius:6px}
.note{color:#556}
</style></head><body>${body}</body></html>`;
}
