import { raw } from "hono/html";
import { cspNonce } from "./html.js";

/** raw(): a constant of this file, no value from a request in it (the JSX escaper would break its `>` selectors). */
const STYLE = raw(`
*{box-sizing:border-box}body{margin:0;font-family:system-ui,sans-serif;background:#e9eef3;color:#1d2733;display:flex;flex-direction:column;height:100vh;height:100dvh}
header{flex:none;background:#0b6b3a;color:#fff;padding:.5rem .75rem;display:flex;gap:.3rem .8rem;align-items:center;flex-wrap:wrap}
header h1{font-size:1.05rem;margin:0;white-space:nowrap}header label{display:flex;gap:.4rem;align-items:center;min-width:0;flex:1 1 14rem}
select{font-size:1rem;padding:.3rem;min-width:0;width:100%;text-overflow:ellipsis}
#chat{width:100%;max-width:40rem;margin:0 auto;padding:1rem;flex:1;min-height:0;overflow-y:auto}
.msg{white-space:pre-wrap;overflow-wrap:anywhere;padding:.55rem .8rem;border-radius:12px;margin:.4rem 0;max-width:85%;line-height:1.35}
.bot{background:#fff}.me{background:#d7f5e3;margin-left:auto}
.choices{display:flex;flex-wrap:wrap;gap:.4rem;margin:.2rem 0 .6rem}
.weblink{border:1px solid #0b6b3a;background:#0b6b3a;color:#fff;border-radius:16px;padding:.35rem .8rem;text-decoration:none}
.choices button{border:1px solid #0b6b3a;background:#fff;color:#0b6b3a;border-radius:16px;padding:.35rem .8rem;font-size:.95rem;cursor:pointer}
form{background:#fff;padding:.6rem;display:flex;gap:.5rem;justify-content:center;border-top:1px solid #ccd}
form input{flex:1;max-width:34rem;font-size:1rem;padding:.55rem;border:1px solid #aab;border-radius:8px}
form button{font-size:1rem;padding:.5rem 1rem;background:#0b6b3a;color:#fff;border:0;border-radius:8px}
.note{color:#556;font-size:.9rem;text-align:center}.hint{font-size:.8rem;opacity:.9;flex-basis:100%}.hint:empty{display:none}
form{flex:none}
`);

/**
 * The chat's script: it shows every message with textContent, never as markup. raw(): a constant
 * of this file, no value from a request in it (escaping would break its quotes and arrows).
 */
const SCRIPT = raw(`
const chat=document.getElementById('chat'),sel=document.getElementById('officer'),input=document.getElementById('text');
let after=0,officerId=null,timer=null,mine=[],shownMine=0;
// The officer's own messages are kept on this device (the server keeps only what the bot sent), so a reload shows both, in order.
const mineKey=()=>'baocao.sim.me.'+officerId;
function loadMine(){try{mine=JSON.parse(localStorage.getItem(mineKey())||'[]');}catch{mine=[];}shownMine=0;}
function me(text){mine.push({after,text});mine=mine.slice(-200);shownMine=Math.min(shownMine,mine.length-1);localStorage.setItem(mineKey(),JSON.stringify(mine));flushMine(Infinity);}
function flushMine(before){while(shownMine<mine.length&&mine[shownMine].after<before){add(mine[shownMine].text,'me');shownMine++;}}
function add(text,who){const d=document.createElement('div');d.className='msg '+who;d.textContent=text;chat.append(d);chat.scrollTop=chat.scrollHeight;return d;}
function addChoices(choices){const box=document.createElement('div');box.className='choices';
  for(const c of choices){const b=document.createElement('button');b.type='button';b.textContent=c.label;
    b.onclick=()=>{me(c.label);send({choice:c.value});};box.append(b);}
  chat.append(box);chat.scrollTop=chat.scrollHeight;}
// Polls can overlap (the timer and a send): a message already shown is skipped by its id.
async function poll(){if(!officerId)return;
  const r=await fetch('/simulator/api/messages?officerId='+officerId+'&after='+after);if(!r.ok)return;
  const {messages}=await r.json();
  for(const m of messages){if(m.id<=after)continue;flushMine(m.id);after=m.id;add(m.text,'bot');if(m.choices&&m.choices.length)addChoices(m.choices);if(m.link)addLink(m.link);}
  flushMine(Infinity);}
// The web form's link, as a button that opens it beside the chat (only http(s) addresses, which baocao makes).
function addLink(l){if(!l.url.startsWith('https://')&&!l.url.startsWith('http://'))return;const box=document.createElement('div');box.className='choices';
  const a=document.createElement('a');a.href=l.url;a.target='_blank';a.rel='noopener';a.textContent=l.label;a.className='weblink';box.append(a);chat.append(box);chat.scrollTop=chat.scrollHeight;}
async function send(body){const clientId=(crypto.randomUUID?crypto.randomUUID():String(Date.now())+Math.random());
  const r=await fetch('/simulator/api/messages',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({officerId,clientId,...body})});
  if(!r.ok){add('Không gửi được tin nhắn ('+r.status+').','bot');}await poll();}
document.getElementById('send').onsubmit=e=>{e.preventDefault();const t=input.value;if(!t.trim()||!officerId)return;me(t);input.value='';send({text:t});};
const ROLES={commune:'cán bộ xã',district:'cán bộ huyện',province:'cán bộ tỉnh',admin:'quản trị'};let list=[];
// Supervisors also have web pages: the sign-in link for their number is delivered to this chat.
function hint(){const o=list.find(x=>x.id===officerId);const h=document.getElementById('hint');
  h.textContent=o&&o.role!=='commune'?'Trang web của '+ROLES[o.role]+': mở /login, nhập số '+o.phone+' — đường dẫn đăng nhập sẽ hiện trong khung chat này.':'';}
sel.onchange=()=>{officerId=Number(sel.value);after=0;chat.textContent='';loadMine();hint();poll();};
fetch('/simulator/api/officers').then(r=>r.json()).then(({officers})=>{
  if(!officers.length){const p=document.createElement('p');p.className='note';p.textContent='Chưa có cán bộ mẫu. Chạy: npm run cli -- demo seed';chat.textContent='';chat.append(p);return;}
  list=officers;
  for(const o of officers){const op=document.createElement('option');op.value=o.id;op.textContent=o.name+' — '+(ROLES[o.role]||o.role)+' — '+o.unit;sel.append(op);}
  officerId=officers[0].id;loadMine();hint();poll();timer=setInterval(poll,1500);});
`);

/** The web simulator: a chat page that talks to the same engine as Telegram and Zalo. */
export function simulatorPage() {
  return (
    <>
      {/* raw(): the doctype, a constant; JSX has no element for it. */}
      {raw("<!doctype html>")}
      <html lang="vi">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width,initial-scale=1" />
          <title>baocao — Mô phỏng trò chuyện</title>
          <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
          <style nonce={cspNonce()}>{STYLE}</style>
        </head>
        <body>
          <header>
            <h1>baocao · mô phỏng</h1>
            <label>
              Cán bộ mẫu: <select id="officer" aria-label="Cán bộ mẫu"></select>
            </label>
            <span class="hint" id="hint"></span>
            <span class="hint">Dữ liệu thử, tách khỏi mọi đơn vị thật.</span>
          </header>
          <div id="chat" aria-live="polite">
            <p class="note">Chọn một cán bộ mẫu rồi gõ "báo cáo" để bắt đầu.</p>
          </div>
          <form id="send">
            <input id="text" autocomplete="off" placeholder="Nhập câu trả lời…" aria-label="Tin nhắn" />
            <button>Gửi</button>
          </form>
          <script nonce={cspNonce()}>{SCRIPT}</script>
        </body>
      </html>
    </>
  );
}
