/**
 * The phone web form's script (/assets/report-form.js), plain JavaScript with no framework: the
 * server sends the questions as data, this draws them with textContent (never as markup), keeps
 * every answer in localStorage as it is typed, and sends them — each with its own id, so a retry
 * is applied once — whenever the connection allows. Handwritten because a framework bundle would
 * weigh more than the report on a slow mountain connection.
 */
export const REPORT_FORM_SCRIPT = String.raw`"use strict";
(() => {
  const token = location.pathname.split("/")[2] || "";
  const base = "/f/" + token;
  // Opened as a Telegram Web App, Telegram puts initData in the address's fragment; kept for reloads.
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("tgWebAppData");
  if (fromHash) sessionStorage.setItem("baocao.tg." + token, fromHash);
  const initData = fromHash || sessionStorage.getItem("baocao.tg." + token) || "";
  const headers = { "content-type": "application/json" };
  if (initData) headers["x-telegram-init-data"] = initData;

  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c) e.append(c);
    return e;
  };
  const newId = () =>
    crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "") : Date.now().toString(36) + Math.random().toString(36).slice(2, 12);

  const viewKey = "baocao.f.view." + token;
  let view = null;
  try { view = JSON.parse(localStorage.getItem(viewKey) || "null"); } catch { view = null; }
  const pendingKey = () => "baocao.f.pending." + view.submissionId;
  const errorsKey = () => "baocao.f.errors." + view.submissionId;
  const load = (key, empty) => { try { return JSON.parse(localStorage.getItem(key) || "null") || empty; } catch { return empty; } };
  let pending = [];
  let errors = {};
  let inFlight = null;
  let online = navigator.onLine;
  let fatal = "";
  let notice = "";
  let shownKeys = "";
  let retry = null;

  function saveLocal() {
    localStorage.setItem(viewKey, JSON.stringify(view));
    localStorage.setItem(pendingKey(), JSON.stringify(pending));
    localStorage.setItem(errorsKey(), JSON.stringify(errors));
  }
  function adopt(next) {
    const first = !view || view.submissionId !== next.submissionId;
    view = next;
    if (first) { pending = load(pendingKey(), []); errors = load(errorsKey(), {}); }
    saveLocal();
  }
  const lastOp = (key) => { for (let i = pending.length - 1; i >= 0; i--) if (pending[i].key === key) return pending[i]; return undefined; };
  const editable = () => view && (view.status === "in_progress" || view.status === "returned");

  function record(key, payload) {
    // An answer not yet on its way is replaced; one being sent stays, and this one follows it.
    pending = pending.filter((op) => op.key !== key || (inFlight && inFlight.includes(op.id)));
    pending.push(Object.assign({ id: newId(), key }, payload));
    delete errors[key];
    saveLocal();
    status();
    fieldStatus(key);
    flush();
  }

  async function call(path, body) {
    const res = await fetch(base + path, body === undefined ? { headers, cache: "no-store" } : { method: "POST", headers, body: JSON.stringify(body) });
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    return { res, data };
  }

  function scheduleRetry() {
    if (retry) return;
    retry = setTimeout(() => { retry = null; flush(); }, 5000);
  }

  async function flush() {
    if (inFlight || pending.length === 0 || fatal) return;
    const batch = pending.slice(0, 50);
    inFlight = batch.map((op) => op.id);
    status();
    try {
      const { res, data } = await call("/answers", { ops: batch });
      if (!res.ok) {
        if (res.status === 404 || res.status === 403) fatal = (data && data.error) || "Đường dẫn không còn dùng được.";
        else scheduleRetry();
        return;
      }
      online = true;
      const done = new Set(batch.map((op) => op.id));
      pending = pending.filter((op) => !done.has(op.id));
      for (const r of data.results) {
        if (lastOp(r.key)) continue;
        if (r.ok) delete errors[r.key]; else errors[r.key] = r.message;
      }
      adopt(data.view);
      render();
    } catch {
      online = false;
      scheduleRetry();
    } finally {
      inFlight = null;
      status();
      if (pending.length > 0 && online && !fatal) setTimeout(flush, 0);
    }
  }

  async function refresh() {
    try {
      const { res, data } = await call("/state");
      if (!res.ok) { fatal = (data && data.error) || "Không mở được báo cáo."; render(); return; }
      online = true;
      adopt(data);
      render(true);
      // This page, and its script, kept on the phone: a reload without a connection still opens it.
      if (window.caches) caches.open("baocao-form").then((c) => c.addAll([location.pathname, "/assets/report-form.js"])).catch(() => {});
      flush();
    } catch {
      online = false;
      if (view) { pending = load(pendingKey(), []); errors = load(errorsKey(), {}); render(true); }
      else { fatal = "Chưa có kết nối mạng. Anh/chị mở lại trang khi có sóng."; render(); }
      scheduleRetry();
    }
  }

  function status() {
    const s = $("sync");
    if (!s) return;
    if (!view) { s.textContent = fatal || "Đang mở báo cáo…"; return; }
    const parts = ["Đã lưu " + view.answered + "/" + view.total];
    if (pending.length > 0) parts.push(pending.length + " câu chờ gửi");
    if (!online) parts.push("đang mất kết nối — câu trả lời được giữ trên máy");
    else if (inFlight) parts.push("đang gửi…");
    s.textContent = parts.join(" · ");
    s.className = pending.length > 0 ? "sync waiting" : "sync";
    const btn = $("submit");
    if (btn) {
      const ready = editable() && pending.length === 0 && !inFlight && view.missing.length === 0 && view.problems.length === 0;
      btn.disabled = !ready;
      $("submit-why").textContent = !editable()
        ? ""
        : pending.length > 0 || inFlight
          ? "Chờ gửi hết các câu trả lời rồi mới nộp được."
          : view.missing.length > 0
            ? "Còn " + view.missing.length + " câu chưa trả lời: " + view.missing.slice(0, 12).join(", ") + (view.missing.length > 12 ? ", …" : "") + "."
            : view.problems.length > 0
              ? "Cần sửa các số chưa khớp ở trên."
              : "";
    }
  }

  function fieldStatus(key) {
    const box = document.querySelector('[data-status="' + CSS.escape(key) + '"]');
    if (!box) return;
    const slot = findSlot(key);
    const op = lastOp(key);
    box.className = "status";
    if (errors[key]) { box.textContent = "⚠ " + errors[key]; box.className = "status error"; }
    else if (op) { box.textContent = "⏳ Chờ gửi"; box.className = "status waiting"; }
    else if (slot && slot.shown !== undefined) { box.textContent = "✓ Đã lưu: " + slot.shown; box.className = "status ok"; }
    else box.textContent = slot && slot.required ? "Chưa trả lời" : "Chưa trả lời (không bắt buộc)";
  }
  const findSlot = (key) => { for (const s of view.sections) for (const q of s.slots) if (q.key === key) return q; return undefined; };

  function input(q) {
    const id = "in-" + q.key;
    const op = lastOp(q.key);
    const disabled = !editable();
    if (q.options) {
      const multiple = q.type === "multiple";
      const chosen = op ? (op.values || (op.choice !== undefined ? [op.choice] : [])) : Array.isArray(q.value) ? q.value : q.value !== undefined ? [q.value] : [];
      const group = el("div", { class: "options", role: multiple ? "group" : "radiogroup", "aria-labelledby": "l-" + q.key });
      for (const o of q.options) {
        const box = el("input", { type: multiple ? "checkbox" : "radio", name: id, value: o.value, disabled });
        box.checked = chosen.includes(o.value);
        box.addEventListener("change", () => {
          if (!multiple) return record(q.key, { choice: o.value });
          const values = [...group.querySelectorAll("input:checked")].map((b) => b.value);
          if (values.length === 0 && !q.required) return record(q.key, { skip: true });
          if (values.length === 0) { errors[q.key] = "Chọn ít nhất một lựa chọn."; fieldStatus(q.key); return; }
          record(q.key, { values });
        });
        group.append(el("label", { class: "option" }, box, el("span", { text: o.label })));
      }
      return group;
    }
    const value = op ? (op.text !== undefined ? op.text : "") : q.value !== undefined ? q.value : "";
    const numeric = q.type === "integer" || q.type === "decimal";
    const field = q.type === "text"
      ? el("textarea", { id, rows: 2, disabled })
      : el("input", { id, type: q.type === "phone" ? "tel" : "text", inputmode: numeric ? "decimal" : q.type === "date" ? "numeric" : undefined, autocomplete: "off", disabled, placeholder: q.type === "date" ? "ngày/tháng/năm" : undefined });
    field.value = value;
    let timer = null;
    const send = () => {
      clearTimeout(timer);
      const text = field.value;
      const before = lastOp(q.key);
      if (before ? before.text === text : String(q.value === undefined ? "" : q.value) === text) return;
      if (text.trim() === "") return;
      record(q.key, { text });
    };
    field.addEventListener("change", send);
    field.addEventListener("blur", send);
    // Kept on the phone while typing, sent once the officer pauses.
    field.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(send, 1200); });
    const wrap = el("div", { class: "field" }, field, q.unit ? el("span", { class: "unit", text: q.unit }) : null);
    return wrap;
  }

  function question(q) {
    const box = el("div", { class: "q", id: "q-" + q.key, "data-key": q.key });
    for (const n of q.notes || []) box.append(el("p", { class: "notes", text: "ℹ️ " + n }));
    box.append(el("label", { id: "l-" + q.key, for: q.options ? undefined : "in-" + q.key, class: "label", text: "Câu " + q.number + ". " + q.label + (q.required ? "" : " (không bắt buộc)") }));
    if (q.hint) box.append(el("p", { class: "hint", text: q.hint }));
    if (q.help) box.append(el("details", {}, el("summary", { text: "Giải thích" }), el("p", { text: q.help })));
    if (q.previous && editable() && !lastOp(q.key)) {
      box.append(el("button", { type: "button", class: "skip", text: "↩️ Như kỳ trước: " + q.previous, onclick: () => record(q.key, { text: "như cũ" }) }));
    }
    box.append(input(q));
    if (!q.required && editable() && !q.options) {
      box.append(el("button", { type: "button", class: "skip", text: "Bỏ qua câu này", onclick: () => record(q.key, { skip: true }) }));
    }
    box.append(el("p", { class: "status", "data-status": q.key, "aria-live": "polite" }));
    return box;
  }

  function render(fromServer) {
    const main = $("form");
    if (fatal && !view) { main.textContent = ""; main.append(el("p", { class: "flash error", role: "alert", text: fatal })); status(); return; }
    if (!view) return;
    $("title").textContent = view.title;
    $("report").textContent = view.report + " — hạn nộp " + view.deadline + (view.late ? " (đã quá hạn, vẫn nộp được)" : "");
    $("report").className = view.late ? "late" : "";
    const banner = $("banner");
    banner.textContent = "";
    if (fatal) banner.append(el("p", { class: "flash error", role: "alert", text: fatal }));
    if (notice) banner.append(el("p", { class: notice.startsWith("✅") ? "flash" : "flash error", role: "status", text: notice }));
    if (view.status === "submitted" || view.status === "approved") banner.append(el("p", { class: "flash", text: "Báo cáo đã nộp" + (view.submittedAt ? " lúc " + view.submittedAt : "") + "." }));
    if (view.returned) banner.append(el("p", { class: "flash error", text: "Báo cáo được trả lại để sửa" + (view.returned.comment ? ": «" + view.returned.comment + "»" : "") + (view.returned.questions.length ? ". Các câu cần xem lại: " + view.returned.questions.join(", ") : "") + "." }));
    const keys = view.sections.map((s) => s.slots.map((q) => q.key).join("|")).join("||") + (editable() ? "" : "#closed");
    const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".q") : null;
    if (keys !== shownKeys) {
      // The questions changed (an answer opened or closed others): drawn again, the focus kept.
      const focusKey = focused ? focused.dataset.key : undefined;
      shownKeys = keys;
      main.textContent = "";
      for (const s of view.sections) {
        const set = el("fieldset", {}, el("legend", { text: s.title }));
        for (const q of s.slots) set.append(question(q));
        main.append(set);
      }
      if (focusKey) {
        const again = document.querySelector('[data-key="' + CSS.escape(focusKey) + '"] input, [data-key="' + CSS.escape(focusKey) + '"] textarea');
        if (again) again.focus();
      }
    } else if (fromServer) {
      // Answers given meanwhile in chat: shown in every field the officer is not typing in.
      for (const s of view.sections) for (const q of s.slots) {
        const box = document.querySelector('[data-key="' + CSS.escape(q.key) + '"]');
        if (!box || box === focused || lastOp(q.key)) continue;
        box.replaceWith(question(q));
      }
    }
    for (const s of view.sections) for (const q of s.slots) fieldStatus(q.key);
    const problems = $("problems");
    problems.textContent = "";
    for (const p of view.problems) problems.append(el("li", { text: p.message }));
    $("problems-box").hidden = view.problems.length === 0;
    const computed = $("computed");
    computed.textContent = "";
    for (const c of view.computed) computed.append(el("li", { text: c.label + ": " + c.value }));
    $("computed-box").hidden = view.computed.length === 0;
    $("submit-box").hidden = !editable();
    status();
  }

  $("submit").addEventListener("click", async () => {
    if (pending.length > 0 || inFlight) return;
    $("submit").disabled = true;
    try {
      const { res, data } = await call("/submit", {});
      if (!res.ok) { notice = (data && data.error) || "Chưa nộp được."; }
      else { notice = data.message; adopt(data.view); }
    } catch {
      online = false;
      notice = "Chưa nộp được vì mất kết nối. Câu trả lời vẫn được giữ; anh/chị bấm nộp lại khi có sóng.";
    }
    render(true);
    window.scrollTo(0, 0);
  });

  window.addEventListener("online", () => { online = true; status(); flush(); });
  window.addEventListener("offline", () => { online = false; status(); });
  // Back from the chat: what was answered there is shown here.
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
  if (navigator.serviceWorker) navigator.serviceWorker.register("/f/sw.js", { scope: "/f/" }).catch(() => {});
  if (view) render(true);
  refresh();
})();
`;

/**
 * The form's service worker (/f/sw.js): the page and its script from the network when there is one,
 * from the phone's cache when there is not. Answers never pass through it: they are sent by the page.
 */
export const REPORT_FORM_WORKER = String.raw`"use strict";
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (e) => e.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (e) => {
  const url = new URL(e.request.url);
  if (e.request.method !== "GET" || url.origin !== location.origin) return;
  const page = /^\/f\/[A-Za-z0-9_-]{43}$/.test(url.pathname);
  if (!page && url.pathname !== "/assets/report-form.js") return;
  e.respondWith(
    fetch(e.request).then(
      (res) => {
        if (res.ok) { const copy = res.clone(); caches.open("baocao-form").then((c) => c.put(url.pathname, copy)); }
        return res;
      },
      () => caches.match(url.pathname).then((hit) => hit || Response.error()),
    ),
  );
});
`;
