/*! Comptoir chat widget — dependency-free, embeddable.
 * <script src="https://shop.example/widget.js" data-endpoint="https://api.example" data-locale="fr" defer></script>
 * Options (data-*): endpoint (default: the script's origin), locale (fr|en, default fr),
 * title, position (right|left), open ("true" to start opened), color (#rrggbb brand colour),
 * label (launcher text). Colour and label default to the shop's facts (GET /v1/widget/config).
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
      empty: "Écrivez un message d'abord.", log: "Conversation", greeting: "Bonjour ! Comment puis-je vous aider ?",
      human: "Parler à un conseiller", humanAsk: "Je voudrais parler à un conseiller.",
      adviser: "{name}, conseillère, vous répond", adviserRole: "conseillère", retry: "Réessayer",
      interrupted: "La réponse a été interrompue.", quote: "Devis", total: "Total", pdf: "Télécharger le PDF",
      noPdf: "Le PDF de ce devis n'est pas encore disponible ; nous vous l'enverrons.", pay: "Payer en ligne",
      excerpt: "Extrait", offline: "Nos conseillers ne sont pas disponibles pour le moment{when}. Laissez votre e-mail : ils vous répondront.",
      offlineWhen: " (retour {at})", email: "Votre e-mail", emailSend: "Envoyer mon e-mail",
      emailSays: "Mon e-mail : {email}", emailBad: "Cette adresse e-mail semble incomplète.",
      newMessage: "Nouveau message de {name}"
    },
    en: {
      open: "Open chat", close: "Close chat", title: "Assistant", send: "Send",
      placeholder: "Ask your question…", label: "Your message", you: "You", bot: "Assistant",
      sources: "Sources", reset: "New conversation", thinking: "The assistant is typing…",
      error: "Sorry, something went wrong. Please try again in a moment.",
      tooMany: "Too many messages. Try again in {s} s.", tooLong: "Message too long.",
      empty: "Type a message first.", log: "Conversation", greeting: "Hello! How can I help you?",
      human: "Talk to an adviser", humanAsk: "I would like to talk to a human adviser.",
      adviser: "{name}, adviser, is answering you", adviserRole: "adviser", retry: "Try again",
      interrupted: "The answer was interrupted.", quote: "Quote", total: "Total", pdf: "Download the PDF",
      noPdf: "This quote's PDF is not available yet; we will send it to you.", pay: "Pay online",
      excerpt: "Excerpt", offline: "Our advisers are not available right now{when}. Leave your e-mail: they will answer you.",
      offlineWhen: " (back {at})", email: "Your e-mail", emailSend: "Send my e-mail",
      emailSays: "My e-mail: {email}", emailBad: "This e-mail address looks incomplete.",
      newMessage: "New message from {name}"
    }
  };
  var t = STRINGS[locale];
  var storageKey = "comptoir:session:" + endpoint;
  // kept across conversations (a reset starts a new session, not a new visitor)
  var visitorKey = "comptoir:visitor:" + endpoint;

  var CSS = [
    ":host{all:initial;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d1d1f}",
    ".right,.left{--c:#1f5eff}",
    ".bubble{position:fixed;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;border:0;display:flex;align-items:center;justify-content:center;",
    "background:var(--c);color:#fff;font-size:26px;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}",
    ".left .bubble,.left .panel{right:auto;left:20px}",
    ".bubble:focus-visible,button:focus-visible,textarea:focus-visible{outline:3px solid #ffb400;outline-offset:2px}",
    ".panel{position:fixed;bottom:88px;right:20px;width:min(380px,calc(100vw - 40px));height:min(560px,calc(100vh - 120px));",
    "display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);",
    "overflow:hidden;z-index:2147483000}",
    ".panel[hidden]{display:none}",
    ".head{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:10px 12px;background:var(--c);color:#fff}",
    ".head h2{flex:1;margin:0;font-size:16px}",
    ".head button{background:transparent;border:1px solid rgba(255,255,255,.6);color:#fff;border-radius:6px;cursor:pointer;padding:3px 8px;font:inherit;font-size:13px}",
    ".log{flex:1;overflow-y:auto;background:#f6f7f9}",
    ".log ol{padding:12px;margin:0;list-style:none}",
    ".bubble.labelled{width:auto;padding:0 18px 0 14px;gap:8px;border-radius:28px;font:600 15px system-ui,sans-serif}",
    ".human{background:#eaf7ee;border:1px solid #b8e0c4}",
    ".bubble.unread::after{content:'';position:absolute;top:4px;right:4px;width:12px;height:12px;border-radius:50%;background:#d92d20;border:2px solid #fff}",
    ".author{display:block;font-size:12px;font-weight:600;color:#1d5a2c;margin-bottom:2px}",
    ".banner{padding:6px 12px;background:#eaf7ee;color:#1d5a2c;font-size:13px;font-weight:600}",
    ".banner[hidden]{display:none}",
    ".note{margin:6px 0 0;font-size:13px}",
    ".retry{margin-top:6px;background:#fff;color:var(--c);border:1px solid var(--c);border-radius:6px;padding:3px 10px;font:inherit;cursor:pointer}",
    ".card{margin-top:8px;padding:8px;border:1px solid #d5d9e0;border-radius:8px;background:#fbfcff;white-space:normal}",
    ".card h3{margin:0 0 4px;font-size:14px}",
    ".card table{width:100%;border-collapse:collapse;font-size:13px}",
    ".card td{padding:2px 0}.card td.n{text-align:right}",
    ".card .total{font-weight:700;margin:4px 0}",
    ".card a.btn{display:inline-block;margin:4px 6px 0 0;padding:5px 10px;border-radius:6px;background:var(--c);color:#fff;text-decoration:none}",
    ".card a.plain{display:inline-block;margin:4px 6px 0 0;color:var(--c)}",
    ".mail{display:flex;gap:6px;margin-top:6px}.mail input{flex:1;font:inherit;font-size:16px;padding:5px;border:1px solid #8a8f98;border-radius:6px}",
    ".mail button{background:var(--c);color:#fff;border:0;border-radius:6px;padding:0 10px;font:inherit;cursor:pointer}",
    ".text a{color:inherit;text-decoration:underline}",
    ".cites details{display:inline}.cites summary{cursor:pointer;color:var(--c);display:inline;margin-left:4px}",
    ".cites .snip{display:block;margin:2px 0 4px;color:#333}",
    ".msg{margin:0 0 10px;max-width:85%;padding:8px 11px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}",
    ".user{margin-left:auto;background:var(--c);color:#fff}",
    ".assistant{background:#fff;border:1px solid #e2e4e8}",
    ".error{background:#fff1f0;border:1px solid #f3b7b2;color:#8a1c12}",
    ".who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    ".cites{margin:6px 0 0;padding:6px 0 0;border-top:1px solid #e2e4e8;font-size:12px;color:#555}",
    ".cites ol{margin:2px 0 0;padding-left:18px}",
    ".cites a{color:var(--c)}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e2e4e8}",
    "textarea{flex:1;resize:none;font:inherit;font-size:16px;padding:8px;border:1px solid #c9ccd1;border-radius:8px;min-height:40px;max-height:120px}",
    "form button{background:var(--c);color:#fff;border:0;border-radius:8px;padding:0 14px;font:inherit;cursor:pointer}",
    "form button[disabled]{opacity:.6;cursor:default}",
    ".status{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    "@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-height:none;border-radius:0}",
    ".left .panel{left:0}.msg{max-width:92%}}"
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
  var bubbleLabel = el("span", { class: "label", "aria-hidden": "true" });
  var panel = el("section", { class: "panel", id: "comptoir-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "comptoir-title" });
  panel.hidden = true;
  // a plain div, not <header>: the host page has its own banner landmark
  var header = el("div", { class: "head" });
  var title = el("h2", { id: "comptoir-title" }, data.title || t.title);
  var humanBtn = el("button", { type: "button", class: "ask-human" }, t.human);
  var resetBtn = el("button", { type: "button", class: "reset" }, t.reset);
  var closeBtn = el("button", { type: "button", class: "close", "aria-label": t.close }, "✕");
  header.append(title, humanBtn, resetBtn, closeBtn);
  var banner = el("div", { class: "banner", role: "status" });
  banner.hidden = true;
  // role="log" on a wrapper: on the <ol> itself it would strip the list's semantics
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.log,
    "aria-relevant": "additions text", tabindex: "0" });
  var list = el("ol");
  log.append(list);
  var status = el("div", { class: "status", role: "status", "aria-live": "polite" });
  var form = el("form", { "aria-label": t.label });
  var input = el("textarea", { rows: "1", placeholder: t.placeholder, "aria-label": t.label, name: "message",
    maxlength: "4000" });
  var sendBtn = el("button", { type: "submit" }, t.send);
  form.append(input, sendBtn);
  panel.append(header, banner, log, status, form);
  wrap.append(bubble, panel);
  root.append(style, wrap);

  var session = loadSession();
  var historyLoaded = false;
  var busy = false;
  var shop = { human_available: true };
  var live = null;  // the AbortController of the live stream of adviser messages
  var liveDelay = 1000;
  var liveOpened = 0;
  var shownHuman = {};  // author|at of the adviser messages on screen (a reconnect catches up on the others)

  function brand(colour, label) {
    if (colour && /^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$/.test(colour)) { wrap.style.setProperty("--c", colour); }
    if (label) {
      bubbleLabel.textContent = String(label).slice(0, 60);
      if (!bubbleLabel.parentNode) { bubble.append(bubbleLabel); }
      bubble.classList.add("labelled");
      bubble.setAttribute("aria-label", t.open + " — " + bubbleLabel.textContent);
    }
  }
  brand(data.color, data.label);

  function loadSession() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }
  function saveSession(id, token) {
    if (!id || !token) { return; }
    var changed = !session || session.id !== id;
    session = { id: id, token: token };
    try { localStorage.setItem(storageKey, JSON.stringify(session)); } catch (e) { /* private mode */ }
    if (changed) { connectLive(); }
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
    if (live) { live.abort(); live = null; }
    showAdviser(null);
    try { localStorage.removeItem(storageKey); } catch (e) { /* private mode */ }
  }

  // Text with markdown links ([label](https://…)) and bare URLs made into links, built as DOM nodes:
  // nothing from the model, the knowledge base or an adviser is ever parsed as HTML.
  var LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]{1,2000})\)|(https?:\/\/[^\s<>()]{2,2000}[^\s<>().,;:!?'"])/g;
  function rich(node, text) {
    node.textContent = "";
    var last = 0, m;
    text = text || "";
    LINK.lastIndex = 0;
    while ((m = LINK.exec(text)) !== null) {
      if (m.index > last) { node.append(document.createTextNode(text.slice(last, m.index))); }
      var href = m[2] || m[3];
      var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow" }, m[1] || m[3]);
      node.append(a);
      last = LINK.lastIndex;
    }
    if (last < text.length) { node.append(document.createTextNode(text.slice(last))); }
  }

  function addMessage(role, text, author) {
    var item = el("li", { class: "msg " + role });
    var whoText = role === "user" ? t.you : role === "human" ? (author || "") : t.bot;
    var who = el("span", { class: "who" }, whoText + " : ");
    item.append(who);
    if (role === "human" && author) {
      item.append(el("span", { class: "author", "aria-hidden": "true" }, author + ", " + t.adviserRole));
    }
    var body = el("span", { class: "text" });
    rich(body, text);
    item.append(body);
    list.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }
  function setText(item, text) {
    rich(item.querySelector(".text"), text);
    log.scrollTop = log.scrollHeight;
  }
  // one source per document (several passages of one page are one source), its excerpt on demand
  function addCitations(item, citations) {
    if (!citations || !citations.length || item.querySelector(".cites")) { return; }
    var seen = {}, unique = [];
    citations.forEach(function (c) {
      var key = c.doc_id || c.source || c.title;
      if (!seen[key]) { seen[key] = true; unique.push(c); }
    });
    var box = el("div", { class: "cites" }, t.sources + " :");
    var ol = el("ol");
    unique.forEach(function (c) {
      var label = c.title || c.source || c.url || "?";
      var li = el("li");
      var url = c.url || c.source;
      if (url && /^https?:\/\//i.test(url)) {
        li.append(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, label));
      } else {
        li.append(document.createTextNode(label));
      }
      if (c.snippet) {
        var d = el("details");
        d.append(el("summary", {}, t.excerpt), el("span", { class: "snip" }, c.snippet));
        li.append(d);
      }
      ol.append(li);
    });
    box.append(ol);
    item.append(box);
  }
  function money(value, currency) {
    var n = Number(value);
    if (!isFinite(n)) { return String(value) + " " + (currency || ""); }
    try { return new Intl.NumberFormat(locale === "en" ? "en-GB" : "fr-FR", { style: "currency", currency: currency || "EUR" }).format(n); }
    catch (e) { return n.toFixed(2) + " " + (currency || ""); }
  }
  function addQuote(item, quote) {
    if (!quote || item.querySelector(".card")) { return; }
    var card = el("div", { class: "card" });
    card.append(el("h3", {}, t.quote + " " + String(quote.quote_id || "").slice(0, 8)));
    if (quote.lines && quote.lines.length) {
      var table = el("table");
      quote.lines.forEach(function (line) {
        var tr = el("tr");
        tr.append(el("td", {}, (line.quantity ? line.quantity + " × " : "") + (line.label || line.name || "")),
          el("td", { class: "n" }, money(line.total || line.unit_price, quote.currency)));
        table.append(tr);
      });
      card.append(table);
    }
    card.append(el("p", { class: "total" }, t.total + " : " + money(quote.total, quote.currency)));
    if (quote.pdf_url && /^(https?:\/\/|\/)/.test(quote.pdf_url)) {
      card.append(el("a", { class: "plain", href: new URL(quote.pdf_url, endpoint).href, target: "_blank", rel: "noopener" }, t.pdf));
    } else {
      card.append(el("p", { class: "note" }, quote.pdf_unavailable_reason || t.noPdf));
    }
    if (quote.checkout_url && /^https?:\/\//.test(quote.checkout_url)) {
      card.append(el("a", { class: "btn", href: quote.checkout_url, target: "_blank", rel: "noopener" }, t.pay));
    }
    item.append(card);
  }

  function showAdviser(name) {
    if (name) { banner.textContent = t.adviser.replace("{name}", name); banner.hidden = false; }
    else { banner.hidden = true; banner.textContent = ""; }
  }

  function offerEmail(item) {
    var when = "";
    if (shop.next_human_at) {
      try {
        when = t.offlineWhen.replace("{at}", new Date(shop.next_human_at).toLocaleString(locale === "en" ? "en-GB" : "fr-FR",
          { weekday: "long", hour: "2-digit", minute: "2-digit" }));
      } catch (e) { when = ""; }
    }
    item.append(el("p", { class: "note" }, t.offline.replace("{when}", when)));
    var mail = el("form", { class: "mail" });
    var field = el("input", { type: "email", autocomplete: "email", "aria-label": t.email, placeholder: t.email });
    var go = el("button", { type: "submit" }, t.emailSend);
    mail.append(field, go);
    mail.addEventListener("submit", function (e) {
      e.preventDefault();
      var value = field.value.trim();
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/.test(value)) { status.textContent = t.emailBad; field.focus(); return; }
      mail.remove();
      send(t.emailSays.replace("{email}", value));
    });
    item.append(mail);
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
    if (status === 409) { return t.error; }  // the same message is still being answered: try again shortly
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

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
  }

  // One attempt per message: a retry resends the very same request under the same Idempotency-Key,
  // so the gateway answers it once (the first answer again, or 409 while it is still running).
  function newAttempt(message) {
    var body = { message: message, locale: locale };
    if (session) { body.session_id = session.id; }
    var visitor = loadVisitor();
    if (visitor) { body.visitor = visitor; }
    var h = headers();
    h["Idempotency-Key"] = newKey();
    return { headers: h, body: JSON.stringify(body) };
  }

  async function streamTurn(attempt, item, progress) {
    var res = await fetch(endpoint + "/v1/chat/messages/stream", {
      method: "POST", headers: attempt.headers, body: attempt.body
    });
    if (!res.ok || !res.body) {
      var err = null;
      try { err = await res.json(); } catch (e) { /* not JSON */ }
      if (res.status === 403 || res.status === 404) { clearSession(); }
      throw { display: errorText(res.status, err, res.headers), final: res.status < 500 && res.status !== 409 };
    }
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "", text = "", failed = null, done = false;
    function onEvent(name, payload) {
      if (name === "session") {
        saveSession(payload.session_id, payload.session_token);
        saveVisitor(payload.visitor);
      }
      else if (name === "token") { text += payload.text || ""; progress.text = text; setText(item, text); }
      else if (name === "citations") { addCitations(item, payload.citations); }
      else if (name === "done") {
        done = true;
        saveSession(payload.session_id, payload.session_token);
        if (payload.mode === "human") { item.remove(); return; }  // an adviser holds it: they answer live
        if (payload.reply) { text = payload.reply; setText(item, text); }
        addCitations(item, payload.citations);
        addQuote(item, payload.quote);
        if (payload.handoff && shop.human_available === false) { offerEmail(item); }
        if (payload.handoff) { connectLive(); }
        item.setAttribute("data-done", "true");
      } else if (name === "error") { failed = payload.detail || t.error; }
    }
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) { break; }
      buffer = parseFrames(buffer + decoder.decode(chunk.value, { stream: true }), onEvent);
    }
    parseFrames(buffer + "\n\n", onEvent);
    if (failed || !done) { throw { display: failed || t.interrupted }; }
  }

  async function send(message, retryOf) {
    if (busy) { return; }
    if (!message.trim()) { status.textContent = t.empty; return; }
    busy = true;
    sendBtn.disabled = true;
    if (!retryOf) { addMessage("user", message); }
    var attempt = retryOf || newAttempt(message);
    var item = addMessage("assistant", "");
    item.setAttribute("aria-busy", "true");
    status.textContent = t.thinking;
    var progress = { text: "" };
    try {
      await streamTurn(attempt, item, progress);
    } catch (e) {
      if (progress.text) {
        // keep what arrived, say it was cut, offer to ask again
        item.append(el("p", { class: "note" }, (e && e.display) || t.interrupted));
      } else {
        item.className = "msg error";
        setText(item, (e && e.display) || t.error);
      }
      if (!(e && e.final)) {
        var again = el("button", { type: "button", class: "retry" }, t.retry);
        again.addEventListener("click", function () { again.remove(); send(message, attempt); });
        item.append(again);
      }
    } finally {
      item.removeAttribute("aria-busy");
      status.textContent = "";
      busy = false;
      sendBtn.disabled = false;
      if (!panel.hidden) { input.focus(); }
    }
  }

  // ---- an adviser's messages, live (GET /v1/chat/sessions/{id}/live), reconnecting with back-off ----
  function onLive(name, payload) {
    if (name === "human_message") {
      if (shownHuman[payload.author + "|" + payload.at]) { return; }
      shownHuman[payload.author + "|" + payload.at] = true;
      var item = addMessage("human", payload.content, payload.author);
      item.setAttribute("data-id", payload.message_id || "");
      showAdviser(payload.author);
      if (panel.hidden) {
        status.textContent = t.newMessage.replace("{name}", payload.author);
        bubble.classList.add("unread");
        bubble.setAttribute("aria-label", t.open + " — " + t.newMessage.replace("{name}", payload.author));
      }
    } else if (name === "state") {
      showAdviser(payload.state === "human" ? payload.adviser : null);
    }
  }
  async function connectLive() {
    if (!session || live || !window.AbortController) { return; }
    var mine = new AbortController();
    live = mine;
    var current = session;
    try {
      var res = await fetch(endpoint + "/v1/chat/sessions/" + encodeURIComponent(current.id) + "/live", {
        headers: { "X-Session-Token": current.token, "Accept": "text/event-stream" }, signal: mine.signal
      });
      if (!res.ok || !res.body) {
        if (res.status >= 400 && res.status < 500) { if (live === mine) { live = null; } return; }
        throw new Error("live " + res.status);
      }
      liveOpened += 1;
      if (liveOpened > 1) { catchUp(current); }  // what an adviser wrote while we were reconnecting
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "";
      for (;;) {
        var chunk = await reader.read();
        if (chunk.done) { break; }
        buffer = parseFrames(buffer + decoder.decode(chunk.value, { stream: true }), onLive);
      }
      liveDelay = 250;  // the server ends each stream after a while: come straight back
    } catch (e) {
      liveDelay = Math.min(liveDelay * 2, 30000);  // dropped: back off
    }
    if (live !== mine) { return; }  // reset or replaced meanwhile
    live = null;
    if (mine.signal.aborted || !session || session.id !== current.id) { return; }
    setTimeout(connectLive, liveDelay);
  }

  async function catchUp(current) {
    try {
      var res = await fetch(endpoint + "/v1/chat/sessions/" + encodeURIComponent(current.id), {
        headers: { "X-Session-Token": current.token }
      });
      if (!res.ok) { return; }
      var history = await res.json();
      (history.messages || []).forEach(function (m) {
        if (m.author) { onLive("human_message", { author: m.author, content: m.content, at: m.at }); }
      });
      showAdviser(history.state === "human" ? history.adviser : null);
    } catch (e) { /* next time */ }
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
        if (m.author) { shownHuman[m.author + "|" + m.at] = true; }
        var item = addMessage(m.author ? "human" : m.role, m.content, m.author);
        addCitations(item, m.citations);
      });
      if (!(history.messages || []).length) { addMessage("assistant", t.greeting); }
      showAdviser(history.state === "human" ? history.adviser : null);
      connectLive();
    } catch (e) { /* offline: start empty */ }
  }

  async function reset() {
    var old = session;
    clearSession();
    if (old) {
      try {
        await fetch(endpoint + "/v1/chat/sessions/" + encodeURIComponent(old.id) + "/reset", {
          method: "POST", headers: { "X-Session-Token": old.token }
        });
      } catch (e) { /* the server forgets it later anyway */ }
    }
    list.textContent = "";
    addMessage("assistant", t.greeting);
    input.focus();
  }

  function openPanel() {
    panel.hidden = false;
    bubble.classList.remove("unread");
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", t.close);
    restore();
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", bubbleLabel.textContent ? t.open + " — " + bubbleLabel.textContent : t.open);
    bubble.focus();
  }

  bubble.addEventListener("click", function () { if (panel.hidden) { openPanel(); } else { closePanel(); } });
  closeBtn.addEventListener("click", closePanel);
  resetBtn.addEventListener("click", reset);
  humanBtn.addEventListener("click", function () { send(t.humanAsk); });
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

  function loadShop() {
    fetch(endpoint + "/v1/widget/config").then(function (r) { return r.ok ? r.json() : null; }).then(function (c) {
      if (!c) { return; }
      shop = c;
      brand(data.color ? null : c.brand_color, data.label ? null : c.launcher_label);
    }).catch(function () { /* defaults */ });
  }

  function mount() {
    document.body.appendChild(host);
    loadShop();
    if (data.open === "true" || (session && sessionStorage.getItem(storageKey + ":open") === "1")) { openPanel(); }
  }
  window.addEventListener("beforeunload", function () {
    try { sessionStorage.setItem(storageKey + ":open", panel.hidden ? "0" : "1"); } catch (e) { /* ignore */ }
  });
  window.Comptoir = { open: openPanel, close: closePanel, send: send, reset: reset };
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
