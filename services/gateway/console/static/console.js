/* Comptoir console: a little progressive enhancement over server-rendered pages.
   Live updates (SSE /admin/live), handoff badge and optional sound, replies without reloading,
   drafts kept in localStorage so an expired session never loses typed text. No dependencies. */
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.getAttribute("data-csrf") || "";
  var fr = (body.getAttribute("data-locale") || "fr") !== "en";
  var words = fr
    ? { visitor: "Visiteur", handoff: "Nouvelle demande de conseiller", off: "Mises à jour en direct interrompues ; rechargez la page.", held: "Tenue par ", waitingCount: "{n} en attente d'un humain", waiting: "En attente d'un humain", bot: "Assistant" }
    : { visitor: "Visitor", handoff: "New request for an adviser", off: "Live updates stopped; reload the page.", held: "Held by ", waitingCount: "{n} waiting for a human", waiting: "Waiting for a human", bot: "Assistant" };
  var status = document.getElementById("live-status");
  function say(text) { if (status) { status.textContent = ""; setTimeout(function () { status.textContent = text; }, 30); } }

  /* ---- drafts ------------------------------------------------------------------------------ */
  var params = new URLSearchParams(location.search);
  document.querySelectorAll("[data-draft]").forEach(function (field) {
    var key = "comptoir:draft:" + field.getAttribute("data-draft");
    if (params.get("sent") === "1") { localStorage.removeItem(key); }
    else if (!field.value && localStorage.getItem(key)) { field.value = localStorage.getItem(key); }
    field.addEventListener("input", function () { localStorage.setItem(key, field.value); });
  });

  /* ---- sound ------------------------------------------------------------------------------- */
  var sound = document.getElementById("sound-toggle");
  if (sound) {
    sound.checked = localStorage.getItem("comptoir:sound") === "1";
    sound.addEventListener("change", function () { localStorage.setItem("comptoir:sound", sound.checked ? "1" : "0"); });
  }
  function beep() {
    if (localStorage.getItem("comptoir:sound") !== "1") return;
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(); osc.frequency.value = 880; osc.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.15);
    } catch (e) { /* no audio: the badge is enough */ }
  }

  /* ---- the conversation list --------------------------------------------------------------- */
  var list = document.getElementById("conversation-list");
  var refreshTimer = null;
  function refreshList() {
    if (!list || refreshTimer) return;
    refreshTimer = setTimeout(function () {
      refreshTimer = null;
      fetch(list.getAttribute("data-live-list"), { credentials: "same-origin" }).then(function (r) {
        if (r.ok && r.url.indexOf("/admin/login") < 0) return r.text();
        throw new Error("reload");
      }).then(function (html) { list.innerHTML = html; }).catch(function () {});
    }, 150);
  }
  if (list) setInterval(refreshList, 5000);  /* new conversations without events arrive too */

  var badge = document.getElementById("waiting-badge");
  function showBadge(n) {
    if (!badge) return;
    badge.hidden = n < 1;
    badge.textContent = String(n);
    badge.setAttribute("aria-label", words.waitingCount.replace("{n}", String(n)));
  }
  function refreshBadge() {
    if (!badge || !window.fetch) return;
    fetch("/admin/waiting.json", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) { if (d) showBadge(d.waiting); }).catch(function () {});
  }
  function bumpBadge() { refreshBadge(); }
  refreshBadge();

  /* ---- one conversation -------------------------------------------------------------------- */
  var convo = document.querySelector(".conversation[data-session]");
  var sessionId = convo ? convo.getAttribute("data-session") : null;
  var messages = document.getElementById("messages");
  function addMessage(role, who, text, at, id) {
    if (!messages) return;
    if (id && messages.querySelector('[data-id="' + id + '"]')) return;
    var li = document.createElement("li");
    li.className = "m " + role;
    if (id) li.setAttribute("data-id", id);
    var w = document.createElement("span"); w.className = "who"; w.textContent = who;
    var time = document.createElement("time"); time.setAttribute("datetime", at || ""); time.textContent = (at || "").slice(0, 16).replace("T", " ");
    var t = document.createElement("div"); t.className = "text"; t.textContent = text;
    li.appendChild(w); li.appendChild(time); li.appendChild(t);
    messages.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
  }
  function setState(state, adviser) {
    var line = document.getElementById("state-line");
    if (!line || !convo) return;
    convo.setAttribute("data-state", state);
    var pill = document.createElement("span");
    pill.className = "pill " + (state === "waiting_human" ? "waiting" : state);
    pill.textContent = state === "human" ? words.held + (adviser || "?") : state === "waiting_human" ? words.waiting : words.bot;
    line.textContent = ""; line.appendChild(pill);
  }
  var form = document.getElementById("reply-form");
  if (form && window.fetch) {
    form.addEventListener("submit", function (ev) {
      var area = form.querySelector("textarea");
      if (!area.value.trim()) return;  /* the server explains the empty field */
      ev.preventDefault();
      var id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
      form.querySelector('[name="message_id"]').value = id;
      var data = new URLSearchParams(new FormData(form));
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf } }).then(function (r) {
        if (!r.ok || r.redirected) { form.submit(); return null; }  /* expired: the server's login page */
        return r.json();
      }).then(function (changed) {
        if (!changed) return;
        addMessage("human", changed.adviser || "", area.value.trim(), new Date().toISOString(), id);
        localStorage.removeItem("comptoir:draft:" + area.getAttribute("data-draft"));
        area.value = ""; area.focus();
        setState(changed.state, changed.adviser);
      }).catch(function () { form.submit(); });
    });
  }

  /* ---- uploads with progress --------------------------------------------------------------- */
  document.querySelectorAll('form[enctype="multipart/form-data"]').forEach(function (up) {
    if (!window.XMLHttpRequest || !window.FormData) return;
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0; bar.hidden = true;
    bar.setAttribute("aria-label", fr ? "Envoi du fichier" : "Uploading the file");
    up.appendChild(bar);
    up.addEventListener("submit", function (ev) {
      var file = up.querySelector('input[type="file"]');
      if (!file || !file.files.length) return;  /* the server explains the missing file */
      ev.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", up.action);
      xhr.upload.onprogress = function (p) { if (p.lengthComputable) { bar.hidden = false; bar.value = Math.round(p.loaded * 100 / p.total); } };
      xhr.onload = function () {
        if (xhr.status < 400 && xhr.responseURL) { location.href = xhr.responseURL; return; }
        document.open(); document.write(xhr.responseText); document.close();  /* the server's page with the reason */
      };
      xhr.onerror = function () { up.submit(); };
      xhr.send(new FormData(up));
    });
  });

  /* ---- live events ------------------------------------------------------------------------- */
  if (window.EventSource && (list || convo || badge)) {
    var source = new EventSource("/admin/live");
    source.addEventListener("chat.handoff.requested", function (e) {
      bumpBadge(); beep(); say(words.handoff); refreshList();
      var d = JSON.parse(e.data);
      if (sessionId && d.session_id === sessionId) setState("waiting_human");
    });
    source.addEventListener("chat.conversation.updated", function (e) {
      var d = JSON.parse(e.data); refreshList(); refreshBadge();
      if (sessionId && d.session_id === sessionId) setState(d.state, d.adviser);
    });
    source.addEventListener("chat.visitor_message.received", function (e) {
      var d = JSON.parse(e.data); refreshList();
      if (sessionId && d.session_id === sessionId) { addMessage("user", words.visitor, d.content, d.at); say(words.visitor + " : " + d.content); }
    });
    source.addEventListener("chat.human_message.posted", function (e) {
      var d = JSON.parse(e.data); refreshList();
      if (sessionId && d.session_id === sessionId) addMessage("human", d.author, d.content, d.at, d.message_id);
    });
    var opened = 0;
    source.onopen = function () {  /* a reconnect: catch up on what happened meanwhile */
      opened += 1;
      if (opened < 2) return;
      var area = document.getElementById("reply");
      if (convo && (!area || !area.value)) location.reload(); else refreshList();
    };
    source.onerror = function () { if (source.readyState === 2) say(words.off); };
  }
})();
