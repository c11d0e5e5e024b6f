import { raw } from "hono/html";
import { cspNonce } from "./html.js";

// raw(): constants of this file (no request value in them); the escaper would break their `>` and quotes.
const STYLE = raw(`
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
.op{border:1px solid #d5dde5;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
.m{font-weight:700;text-transform:uppercase;color:#0b6b3a;margin-right:.5rem}
code,pre{background:#f3f6f9;border-radius:4px;padding:.1rem .3rem}pre{padding:.6rem;overflow:auto}
`);
const SCRIPT = raw(`
fetch('/api/openapi.json').then(r=>r.json()).then(doc=>{
  const root=document.getElementById('ops');root.textContent='';
  for(const [path,item] of Object.entries(doc.paths||{})){
    for(const [method,op] of Object.entries(item)){
      const d=document.createElement('div');d.className='op';
      const h=document.createElement('div');
      const m=document.createElement('span');m.className='m';m.textContent=method;
      const p=document.createElement('code');p.textContent=path;
      h.append(m,p);d.append(h);
      const s=document.createElement('p');s.textContent=op.summary||'';d.append(s);
      const params=(op.parameters||[]).map(x=>x.name+' ('+x.in+(x.required?', bắt buộc':'')+')');
      if(params.length){const ps=document.createElement('p');ps.textContent='Tham số: '+params.join(', ');d.append(ps);}
      const codes=Object.entries(op.responses||{}).map(([k,v])=>k+' '+(v.description||''));
      const rs=document.createElement('p');rs.textContent='Trả về: '+codes.join(' · ');d.append(rs);
      root.append(d);
    }
  }
});
`);

/**
 * A small, dependency-free reader for /api/openapi.json. Hand-written because the usual viewers
 * (Swagger UI, Scalar) load from a CDN by default and deployments may be offline.
 */
export function ApiDocs() {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <title>baocao — API</title>
          <style nonce={cspNonce()}>{STYLE}</style>
        </head>
        <body>
          <h1>baocao — API quản trị</h1>
          <p>
            Tài liệu sinh từ <a href="/api/openapi.json">/api/openapi.json</a>. Gửi kèm <code>Authorization: Bearer &lt;ADMIN_API_TOKEN&gt;</code>.
          </p>
          <div id="ops">Đang tải…</div>
          <script nonce={cspNonce()}>{SCRIPT}</script>
        </body>
      </html>
    </>
  );
}
