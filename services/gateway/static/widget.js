/*! Comptoir chat widget — dependency-free, embeddable.
 * <script src="https://shop.example/widget.js" data-endpoint="https://api.example" data-locale="fr" defer></script>
 * Options (data-*): endpoint (default: the script's origin), locale (fr|en, default fr),
 * title, position (right|left), open ("true" to start opened).
 */
(function () {
  "use strict";
  if (window.__comptoirWidget) { return; }
  window.__comptoirWidget = true;

  var script = document.currentScript || (function () {
    var all = document.querySelectorAll("script[src*='widget.js']");
    return all[all.length - 1];
  })();
  var data = (script && script.dataset) || {};
  var endpoint = (data.endpoint || (script ? new URL(script.src, location.href).origin : location.origin))
    .replace(/\/+$/, "");
  var locale = (data.locale || document.documentElement.lang || "fr").slice(0, 2).toLowerCase();
  if (locale !== "en") { locale = "fr"; }

  var STRINGS = {
    fr: {
      open: "Ouvrir le chat", close: "Fermer le chat", title: "Assistant", send: "Envoyer",
      placeholder: "Posez votre question…", label: "Votre message", you: "Vous", bot: "Assistant",
      sources: "Sources", reset: "Nouvelle conversation", thinking: "L'assistant écrit…",
      error: "Désolé, une erreur est survenue. Réessayez dans un instant.",
      tooMany: "Trop de messages. Réessayez dans {s} s.", tooLong: "Message trop long.",
      empty: "Écrivez un message d'abord.", log: "Conversation", greeting: "Bonjour ! Comment puis-je vous aider ?"
    },
    en: {
      open: "Open chat", close: "Close chat", title: "Assistant", send: "Send",
      placeholder: "Ask your question…", label: "Your message", you: "You", bot: "Assistant",
      sources: "Sources", reset: "New conversation", thinking: "The assistant is typing…",
      error: "Sorry, something went wrong. Please try again in a moment.",
      tooMany: "Too many messages. Try again in {s} s.", tooLong: "Message too long.",
      empty: "Type a message first.", log: "Conversation", greeting: "Hello! How can I help you?"
    }
  };
  var t = STRINGS[locale];
  var storageKey = "comptoir:session:" + endpoint;
  // kept across conversations (a reset starts a new session, not a new visitor)
  var visitorKey = "comptoir:visitor:" + endpoint;

  var CSS = [
    ":host{all:initial;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f}",
    ".bubble{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;border:0;display:flex;align-items:center;justify-content:center;",
    "background:#1f5eff;color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}",
    ".left .bubble,.left .panel{right:auto;left:20px}",
    ".bubble:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #ffb400;outline-offset:2px}",
    ".panel{position:fixed;bottom:88px;right:20px;width:min(380px,calc(100vw - 40px));height:min(560px,calc(100vh - 120px));",
    "display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);",
    "overflow:hidden;z-index:2147483000}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#1f5eff;color:#fff}",
    "header h2{flex:1;margin:0;font-size:16px}",
    "header button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:6px;cursor:pointer;padding:3px 8px;font:inherit;font-size:13px}",
    ".log{flex:1;overflow-y:auto;padding:12px;margin:0;list-style:none;background:#f6f7f9}",
    ".msg{margin:0 0 10px;max-width:85%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{margin-left:auto;background:#1f5eff;color:#fff}",
    ".assistant{background:#fff;border:1px solid #e2e4e8}",
    ".error{background:#fff1f0;border:1px solid #f3b7b2;color:#8a1c12}",
    ".who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    ".cites{margin:6px 0 0;padding:6px 0 0;border-top:1px solid #e2e4e8;font-size:12px;color:#555}",
    ".cites ol{margin:2px 0 0;padding-left:18px}",
    ".cites a{color:#1f5eff}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e4e8}",
    "textarea{flex:1;resize:none;font:inherit;padding:8px;border:1px solid #c9ccd1;border-radius:8px;min-height:40px;max-height:120px}",
    "form button{background:#1f5eff;color:#fff;border:0;border-radius:8px;padding:0 14px;font:inherit;cursor:pointer}",
    "form button[disabled]{opacity:.6;cursor:default}",
    ".status{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) { node.textContent = text; }
    return node;
  }

  var host = el("div", { id: "comptoir-widget" });
  var root = host.attachShadow({ mode: "open" });
  var style = el("style");
  style.textContent = CSS;
  var wrap = el("div", { class: data.position === "left" ? "left" : "right", lang: locale });
  var bubble = el("button", { class: "bubble", type: "button", "aria-label": t.open, "aria-expanded": "false",
    "aria-controls": "comptoir-panel" });
  // an inline icon, not an emoji: hosts without an emoji font would show a blank box
  bubble.innerHTML = '<svg width="26" height="26" viewBox="0 0 24 24" aria-hidden="true" focusable="false">' +
    '<path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 ' +
    '2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 ' +
    '0 3 1.5 1.5 0 0 0 0-3z"/></svg>';
  var panel = el("section", { class: "panel", id: "comptoir-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "comptoir-title" });
  panel.hidden = true;
  var header = el("header");
  var title = el("h2", { id: "comptoir-title" }, data.title || t.title);
  var resetBtn = el("button", { type: "button", class: "reset" }, t.reset);
  var closeBtn = el("button", { type: "button", class: "close", "aria-label": t.close }, "✕");
  header.append(title, resetBtn, closeBtn);
  var log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.log,
    "aria-relevant": "additions text", tabindex: "0" });
  var status = el("div", { class: "status", role: "status", "aria-live": "polite" });
  var form = el("form", { "aria-label": t.label });
  var input = el("textarea", { rows: "1", placeholder: t.placeholder, "aria-label": t.label, name: "message",
    maxlength: "4000" });
  var sendBtn = el("button", { type: "submit" }, t.send);
  form.append(input, sendBtn);
  panel.append(header, log, status, form);
  wrap.append(bubble, panel);
  root.append(style, wrap);

  var session = loadSession();
  var historyLoaded = false;
  var busy = false;

  function loadSession() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }
  function saveSession(id, token) {
    if (!id || !token) { return; }
    session = { id: id, token: token };
    try { localStorage.setItem(storageKey, JSON.stringify(session)); } catch (e) { /* private mode */ }
  }
  function saveVisitor(value) {
    if (!value) { return; }
    try { localStorage.setItem(visitorKey, value); } catch (e) { /* private mode */ }
  }
  function loadVisitor() {
    try { return localStorage.getItem(visitorKey); } catch (e) { return null; }
  }
  function clearSession() {
    session = null;
    try { localStorage.removeItem(storageKey); } catch (e) { /* private mode */ }
  }

  function addMessage(role, text) {
    var item = el("li", { class: "msg " + role });
    var who = el("span", { class: "who" }, (role === "user" ? t.you : t.bot) + " : ");
    var body = el("span", { class: "text" }, text || "");
    item.append(who, body);
    log.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }
  function setText(item, text) {
    item.querySelector(".text").textContent = text;
    log.scrollTop = log.scrollHeight;
  }
  function addCitations(item, citations) {
    if (!citations || !citations.length || item.querySelector(".cites")) { return; }
    var box = el("div", { class: "cites" }, t.sources + " :");
    var list = el("ol");
    citations.forEach(function (c) {
      var label = c.title || c.source || c.url || "?";
      var li = el("li", c.snippet ? { title: c.snippet } : {});
      if (c.url && /^https?:/i.test(c.url)) {
        var a = el("a", { href: c.url, target: "_blank", rel: "noopener noreferrer" }, label);
        li.append(a);
      } else {
        li.textContent = label;
      }
      list.append(li);
    });
    box.append(list);
    item.append(box);
  }

  function headers() {
    var h = { "Content-Type": "application/json", "Accept": "text/event-stream" };
    if (session) { h["X-Session-Token"] = session.token; }
    return h;
  }

  function errorText(status, body, headersObj) {
    if (status === 429) {
      var s = (headersObj && headersObj.get("Retry-After")) || "60";
      return t.tooMany.replace("{s}", s);
    }
    if (status === 413) { return t.tooLong; }
    return (body && body.detail && typeof body.detail === "string" && status < 500) ? body.detail : t.error;
  }

  function parseFrames(buffer, onEvent) {
    var frames = buffer.split(/\r?\n\r?\n/);
    var rest = frames.pop();
    frames.forEach(function (frame) {
      var name = "message", lines = [];
      frame.split(/\r?\n/).forEach(function (line) {
        if (line.indexOf("event:") === 0) { name = line.slice(6).trim(); }
        else if (line.indexOf("data:") === 0) { lines.push(line.slice(5).replace(/^ /, "")); }
      });
      if (!lines.length) { return; }
      var payload;
      try { payload = JSON.parse(lines.join("\n")); } catch (e) { payload = { text: lines.join("\n") }; }
      onEvent(name, payload);
    });
    return rest;
  }

  async function streamTurn(message, item) {
    var body = { message: message, locale: locale };
    if (session) { body.session_id = session.id; }
    var visitor = loadVisitor();
    if (visitor) { body.visitor = visitor; }
    var res = await fetch(endpoint + "/v1/chat/messages/stream", {
      method: "POST", headers: headers(), body: JSON.stringify(body)
    });
    if (!res.ok || !res.body) {
      var err = null;
      try { err = await res.json(); } catch (e) { /* not JSON */ }
      if (res.status === 403 || res.status === 404) { clearSession(); }
      throw { display: errorText(res.status, err, res.headers) };
    }
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "", text = "", failed = null;
    function onEvent(name, payload) {
      if (name === "session") {
        saveSession(payload.session_id, payload.session_token);
        saveVisitor(payload.visitor);
      }
      else if (name === "token") { text += payload.text || ""; setText(item, text); }
      else if (name === "citations") { addCitations(item, payload.citations); }
      else if (name === "done") {
        saveSession(payload.session_id, payload.session_token);
        if (payload.reply) { text = payload.reply; setText(item, text); }
        addCitations(item, payload.citations);
        item.setAttribute("data-done", "true");
      } else if (name === "error") { failed = payload.detail || t.error; }
    }
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) { break; }
      buffer = parseFrames(buffer + decoder.decode(chunk.value, { stream: true }), onEvent);
    }
    parseFrames(buffer + "\n\n", onEvent);
    if (failed) { throw { display: failed }; }
  }

  async function send(message) {
    if (busy) { return; }
    if (!message.trim()) { status.textContent = t.empty; return; }
    busy = true;
    sendBtn.disabled = true;
    addMessage("user", message);
    var item = addMessage("assistant", "");
    item.setAttribute("aria-busy", "true");
    status.textContent = t.thinking;
    try {
      await streamTurn(message, item);
    } catch (e) {
      item.className = "msg error";
      setText(item, (e && e.display) || t.error);
    } finally {
      item.removeAttribute("aria-busy");
      status.textContent = "";
      busy = false;
      sendBtn.disabled = false;
      input.focus();
    }
  }

  async function restore() {
    if (historyLoaded) { return; }
    historyLoaded = true;
    if (!session) { addMessage("assistant", t.greeting); return; }
    try {
      var res = await fetch(endpoint + "/v1/chat/sessions/" + encodeURIComponent(session.id), {
        headers: { "X-Session-Token": session.token }
      });
      if (res.status === 403 || res.status === 404) { clearSession(); addMessage("assistant", t.greeting); return; }
      if (!res.ok) { return; }
      var history = await res.json();
      (history.messages || []).forEach(function (m) {
        if (m.role !== "user" && m.role !== "assistant") { return; }
        var item = addMessage(m.role, m.content);
        addCitations(item, m.citations);
      });
      if (!(history.messages || []).length) { addMessage("assistant", t.greeting); }
    } catch (e) { /* offline: start empty */ }
  }

  async function reset() {
    if (session) {
      try {
        await fetch(endpoint + "/v1/chat/sessions/" + encodeURIComponent(session.id) + "/reset", {
          method: "POST", headers: { "X-Session-Token": session.token }
        });
      } catch (e) { /* the server forgets it later anyway */ }
    }
    clearSession();
    log.textContent = "";
    addMessage("assistant", t.greeting);
    input.focus();
  }

  function openPanel() {
    panel.hidden = false;
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", t.close);
    restore();
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", t.open);
    bubble.focus();
  }

  bubble.addEventListener("click", function () { if (panel.hidden) { openPanel(); } else { closePanel(); } });
  closeBtn.addEventListener("click", closePanel);
  resetBtn.addEventListener("click", reset);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { closePanel(); } });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var message = input.value;
    if (message.trim()) { input.value = ""; }
    send(message);
  });

  function mount() {
    document.body.appendChild(host);
    if (data.open === "true" || (session && sessionStorage.getItem(storageKey + ":open") === "1")) { openPanel(); }
  }
  window.addEventListener("beforeunload", function () {
    try { sessionStorage.setItem(storageKey + ":open", panel.hidden ? "0" : "1"); } catch (e) { /* ignore */ }
  });
  window.Comptoir = { open: openPanel, close: closePanel, send: send, reset: reset };
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
