/* kasir payment page: live status over Server-Sent Events, polling when they fail.
   Served by kasir itself (CSP script-src 'self'); no inline script, no third party.
   <body data-status> is the state shown; data-live says how it is kept current
   ("stream" or "polling"). */
(function () {
  "use strict";
  var POLL_MS = 3000;
  var STATES = ["awaiting_payment", "paid", "expired", "cancelled"];
  var body = document.body;
  var lang = document.documentElement.lang || "id";
  var source = null;
  var pollTimer = null;
  var finished = false;

  function byId(id) { return document.getElementById(id); }
  function show(id, visible) { var el = byId(id); if (el) { el.hidden = !visible; } }

  function localTime(el) {
    var iso = el && el.getAttribute("datetime");
    if (!iso) { return; }
    var moment = new Date(iso);
    if (!isNaN(moment.getTime())) {
      el.textContent = moment.toLocaleString(lang === "en" ? "en-GB" : "id-ID",
        { dateStyle: "medium", timeStyle: "short" });
    }
  }

  function render(view) {
    body.dataset.status = view.status;
    STATES.forEach(function (state) { show(state, state === view.status); });
    var img = byId("qr");
    if (view.qr) {
      if (body.dataset.qrUid !== view.qr.order_uid) { img.src = view.qr.svg_url; }
      body.dataset.qrUid = view.qr.order_uid;
      body.dataset.expiresAt = view.qr.expires_at || "";
      show("qr-box", true);
    } else {
      /* A closed QR is never shown: drop the image itself, not only its box. */
      img.removeAttribute("src");
      body.dataset.qrUid = "";
      body.dataset.expiresAt = "";
      show("qr-box", false);
    }
    show("preparing", view.preparing);
    show("first-qr", view.status === "awaiting_payment" && view.may_request_qr);
    if (view.status === "paid") {
      var paidAt = byId("paid-at");
      paidAt.setAttribute("datetime", view.paid_at || "");
      paidAt.textContent = view.paid_at || "";
      localTime(paidAt);
      byId("reference").textContent = view.reference || "";
    }
    if (view.status === "paid" || view.status === "cancelled") { finish(); }
    tick();
  }

  function finish() {
    finished = true;
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  function poll() {
    fetch(body.dataset.statusUrl, { cache: "no-store", credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (view) { if (view && !finished) { render(view); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ });
  }

  function startPolling() {
    if (pollTimer || finished) { return; }
    body.dataset.live = "polling";
    poll();
    pollTimer = setInterval(poll, POLL_MS);
  }

  function stopPolling() {
    if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  }

  function startStream() {
    if (!window.EventSource || !body.dataset.eventsUrl) { startPolling(); return; }
    source = new EventSource(body.dataset.eventsUrl);
    source.addEventListener("status", function (message) {
      stopPolling();
      body.dataset.live = "stream";
      render(JSON.parse(message.data));
    });
    source.addEventListener("end", function (message) {
      /* settled: nothing will change again. idle or restart: the EventSource reconnects
         by itself (retry), to another process if this one is stopping. */
      if (message.data === "settled" && source) { source.close(); source = null; }
    });
    source.onerror = function () {
      if (finished) { return; }
      if (source && source.readyState === EventSource.CLOSED) { source = null; }
      startPolling();
    };
  }

  var expiryPolled = "";
  function tick() {
    var el = byId("countdown");
    var expires = body.dataset.expiresAt;
    if (!el || !expires) { return; }
    var left = Math.floor((new Date(expires).getTime() - Date.now()) / 1000);
    if (isNaN(left)) { return; }
    left = Math.max(0, left);
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    el.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    if (left === 0 && expiryPolled !== body.dataset.qrUid) {
      /* The QR just ran out: ask the server, which shows the expired state. */
      expiryPolled = body.dataset.qrUid;
      poll();
    }
  }

  localTime(byId("paid-at"));
  tick();
  setInterval(tick, 1000);
  if (body.dataset.status === "awaiting_payment" || body.dataset.status === "expired") {
    startStream();
  }
}());
