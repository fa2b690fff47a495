/* Trend report page: while the report's data are compiling, poll the small status JSON and
 * show the progress; when the compilation ends, reload so the sections show the new data.
 * The page also follows the report's state live (another person submitted, returned or signed
 * it: the page reloads, so the badge, the buttons and the history are those of the new state). */
(function () {
  "use strict";
  var badge = document.getElementById("report-status");
  if (badge) {
    var id = parseInt(badge.getAttribute("data-report"), 10);
    document.addEventListener("ispec:event", function (ev) {
      var d = ev.detail || {};
      if (d.kind !== "trend_report" || d.id !== id) return;
      if (d.status === badge.getAttribute("data-status")) return;
      badge.textContent = d.state_label || d.status;
      badge.setAttribute("data-status", d.status);
      badge.setAttribute("data-live", "1");
      window.location.reload();
    });
  }

  var box = document.getElementById("compile-box");
  if (!box) return;
  var url = box.getAttribute("data-status-url");
  var state = box.getAttribute("data-compile-status");
  if (state !== "queued" && state !== "running") return;
  var label = document.getElementById("compile-label");
  var note = document.getElementById("compile-note");
  var bar = document.getElementById("compile-progress");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        label.textContent = d.compile_status_label;
        note.textContent = d.compile_note || "";
        if (bar) {
          bar.setAttribute("aria-valuenow", d.compile_progress);
          bar.firstElementChild.style.width = d.compile_progress + "%";
        }
        box.setAttribute("data-compile-status", d.compile_status);
        if (d.compile_status === "done" || d.compile_status === "failed") {
          window.location.reload();
        } else {
          window.setTimeout(poll, 2000);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1500);
})();
