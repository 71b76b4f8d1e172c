/* The agents pages: a run's timeline refreshed while the run goes on (it polls the page's partial,
   which stops once the run is finished), the runs list refreshed, and the super chat sending without a
   reload. Every page works without it. */
(function () {
  "use strict";
  var body = document.body;
  var csrf = body.getAttribute("data-csrf") || "";
  var fr = (body.getAttribute("data-locale") || "fr") !== "en";
  var words = fr ? { you: "Vous", assistant: "Assistant", sending: "Envoi…", open: "Voir l'exécution", down: "Le service des agents ne répond pas ; réessayez.", status: "Statut : " }
                 : { you: "You", assistant: "Assistant", sending: "Sending…", open: "Open the run", down: "The agents service is not answering; try again.", status: "Status: " };
  var status = document.getElementById("live-status");
  function say(text) { if (status) { status.textContent = ""; setTimeout(function () { status.textContent = text; }, 30); } }
  function busy() {  /* never replace what the owner is typing or reading in an open editor */
    var active = document.activeElement;
    return active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT") && active.closest("#run-live");
  }
  function fetchText(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (r.ok && r.url.indexOf("/admin/login") < 0) return r.text();
      throw new Error("stale");
    });
  }

  /* ---- the navigation's badge: approvals waiting for the owner (every owner page) --------------- */
  var badge = document.getElementById("approvals-badge");
  function refreshBadge() {
    if (!badge || !window.fetch) return;
    fetch("/admin/agents/pending.json", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        badge.hidden = d.pending < 1;
        badge.style.display = d.pending < 1 ? "none" : "";  /* .badge sets display, which beats [hidden] */
        badge.textContent = String(d.pending);
        badge.setAttribute("aria-label", (fr ? "{n} approbation(s) en attente" : "{n} approval(s) waiting").replace("{n}", String(d.pending)));
      }).catch(function () {});
  }
  if (badge) { badge.style.display = "none"; refreshBadge(); setInterval(refreshBadge, 10000); }

  /* ---- one run: poll while it runs or waits ---------------------------------------------------- */
  var live = document.getElementById("run-live");
  if (live && window.fetch) {
    var finished = function (s) { return s !== "running" && s !== "paused"; };
    var tick = function () {
      if (finished(live.getAttribute("data-status"))) return;
      if (busy()) { setTimeout(tick, 1500); return; }
      fetchText(live.getAttribute("data-live-run")).then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var head = holder.querySelector(".run-head");
        var next = head ? head.getAttribute("data-status") : null;
        if (next && next !== live.getAttribute("data-status")) {
          var pill = holder.querySelector("#run-state .pill");
          say(words.status + (pill ? pill.textContent : next));
        }
        if (!busy()) {
          live.innerHTML = html;
          if (next) live.setAttribute("data-status", next);
        }
        setTimeout(tick, 1500);
      }).catch(function () { setTimeout(tick, 5000); });
    };
    setTimeout(tick, 1500);
  }

  /* ---- the runs list ----------------------------------------------------------------------------- */
  var list = document.getElementById("run-list");
  if (list && window.fetch) {
    setInterval(function () {
      fetchText(list.getAttribute("data-live-list")).then(function (html) { list.innerHTML = html; }).catch(function () {});
    }, 4000);
  }

  /* ---- the super chat ---------------------------------------------------------------------------- */
  var form = document.getElementById("chat-form");
  var messages = document.getElementById("chat-messages");
  function add(role, text) {
    var li = document.createElement("li");
    li.className = "m " + role;
    var who = document.createElement("span"); who.className = "who"; who.textContent = role === "user" ? words.you : words.assistant;
    var time = document.createElement("time"); var now = new Date().toISOString();
    time.setAttribute("datetime", now); time.textContent = now.slice(0, 16).replace("T", " ");
    var t = document.createElement("div"); t.className = "text"; t.textContent = text;
    li.appendChild(who); li.appendChild(time); li.appendChild(t);
    messages.appendChild(li);
    li.scrollIntoView({ block: "nearest" });
    return li;
  }
  function newId() { return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : ""; }
  if (form && messages && window.fetch) {
    form.addEventListener("submit", function (ev) {
      var area = form.querySelector("textarea");
      var text = area.value.trim();
      if (!text) return;  /* the server explains the empty field */
      ev.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      add("user", text);
      var waiting = add("assistant", words.sending);
      waiting.classList.add("pending");
      var data = new URLSearchParams(new FormData(form));
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf } }).then(function (r) {
        if (r.redirected || r.status === 403) { form.submit(); return null; }  /* expired: the login page */
        return r.json().then(function (d) { return { ok: r.ok, d: d }; });
      }).then(function (res) {
        if (!res) return;
        button.disabled = false;
        if (!res.ok) { waiting.querySelector(".text").textContent = words.down; waiting.classList.remove("pending"); return; }
        waiting.querySelector(".text").textContent = res.d.reply;
        waiting.classList.remove("pending");
        if (res.d.run_id) {
          var link = document.createElement("a");
          link.className = "run-link"; link.href = "/admin/agents/runs/" + encodeURIComponent(res.d.run_id);
          link.textContent = words.open; waiting.appendChild(link);
        }
        say(res.d.reply.slice(0, 200));
        form.querySelector('[name="conversation_id"]').value = res.d.conversation_id;
        form.querySelector('[name="request_id"]').value = newId();
        localStorage.removeItem("comptoir:draft:" + area.getAttribute("data-draft"));
        area.value = ""; area.focus();
        if (history.replaceState) history.replaceState(null, "", "/admin/agents/chat?c=" + encodeURIComponent(res.d.conversation_id));
      }).catch(function () { button.disabled = false; form.submit(); });
    });
  }
})();
