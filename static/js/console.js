// The advocate console: live queue, keyboard shortcuts, keeping a claim while the lead is open.
// Everything here is an enhancement: every page and form works without JavaScript.
(function () {
  "use strict";

  function typing(event) {
    var tag = (event.target && event.target.tagName) || "";
    return /^(INPUT|TEXTAREA|SELECT)$/.test(tag) || event.target.isContentEditable;
  }

  // Keyboard shortcuts: N claims the next call; 1 to 7 pick an outcome on a lead's page.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
    var key = event.key.toLowerCase();
    var target = document.querySelector('[data-shortcut="' + key + '"]');
    if (!target) { return; }
    event.preventDefault();
    if (target.type === "radio") {
      target.checked = true;
      target.focus();
    } else {
      target.click();
    }
  });

  // The queue's lists refresh every 20 seconds without a full reload.
  var panel = document.getElementById("queue-panel");
  if (panel && window.fetch) {
    setInterval(function () {
      if (document.hidden) { return; }
      fetch(panel.dataset.refresh, { credentials: "same-origin", headers: { "Accept": "text/html", "X-Background": "1" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { panel.innerHTML = html; } })
        .catch(function () { /* a missed refresh is fine; the next one tries again */ });
    }, 20000);
  }

  // While a lead's page is open, keep the claim (its lease is 20 minutes).
  var lead = document.querySelector("[data-renew]");
  var token = document.querySelector('input[name="csrf_token"]');
  if (lead && token && window.fetch) {
    setInterval(function () {
      var body = new URLSearchParams();
      body.set("csrf_token", token.value);
      fetch(lead.dataset.renew, { method: "POST", credentials: "same-origin", body: body,
                                 headers: { "X-Background": "1" } })
        .catch(function () { /* the next renewal tries again */ });
    }, 240000);
  }
}());
