/* Staff pages: keep the server-side session alive while the person is working, warn two
   minutes before the idle sign-out, and leave the page when it comes (nothing personal stays
   on an unattended screen).  Activity here is a key, a click, a touch or a scroll. */
(function () {
  "use strict";
  var root = document.getElementById("session-timeout");
  if (!root || !window.fetch) { return; }
  var idle = Number(root.dataset.idleSeconds) * 1000;
  var warnBefore = Number(root.dataset.warnSeconds) * 1000;
  var token = root.dataset.csrf;
  var lastActivity = Date.now();
  var lastKeepalive = Date.now();

  function keepalive() {
    lastKeepalive = Date.now();
    var body = new URLSearchParams();
    body.set("csrf_token", token);
    fetch(root.dataset.keepalive, { method: "POST", credentials: "same-origin", body: body })
      .then(function (response) { if (response.status !== 204) { leave(); } })
      .catch(function () { /* offline for a moment: the next activity tries again */ });
  }

  function leave() {
    window.location.assign(root.dataset.signin);
  }

  function active() {
    lastActivity = Date.now();
    if (!root.hidden) { root.hidden = true; }
    if (Date.now() - lastKeepalive > 30000) { keepalive(); }
  }

  ["keydown", "click", "touchstart", "scroll"].forEach(function (name) {
    document.addEventListener(name, active, { passive: true, capture: true });
  });
  root.querySelector("button").addEventListener("click", function () {
    active();
    keepalive();
  });

  setInterval(function () {
    var quiet = Date.now() - lastActivity;
    if (quiet >= idle) {
      leave();
    } else if (quiet >= idle - warnBefore && root.hidden) {
      root.hidden = false;
      root.querySelector("button").focus();
    }
  }, 5000);
}());
