/* Trend report page: while the report's data are compiling, poll the small status JSON and
 * show the progress; when the compilation ends, reload so the sections show the new data. */
(function () {
  "use strict";
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
