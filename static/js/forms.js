// Small progressive enhancements; every form works without JavaScript.
(function () {
  "use strict";

  // A double click must not send a form twice (the server also de-duplicates).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent === "1") { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("is-busy");
        button.dataset.label = button.textContent;
        button.textContent = "Sending…";
      });
    });
  });

  // Show the postal address only when a printed copy is wanted.
  document.querySelectorAll("[data-shown-by]").forEach(function (panel) {
    var toggle = document.getElementById(panel.dataset.shownBy);
    if (!toggle) { return; }
    var sync = function () {
      panel.hidden = !toggle.checked;
      toggle.setAttribute("aria-expanded", toggle.checked ? "true" : "false");
    };
    toggle.addEventListener("change", sync);
    sync();
  });

  // Bring the error summary into view and focus so screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
})();
