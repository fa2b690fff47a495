/* Zero-reports and anomalies, live: the submission matrix, the anomaly list, the anomaly page
 * and the dashboard panels follow /ws/disciplines/ events of the person's bureau. */
(function () {
  "use strict";
  var ISPEC = (window.ISPEC = window.ISPEC || {});
  var nav = document.getElementById("disciplines-nav");
  var bureau = nav ? nav.getAttribute("data-bureau") : "";

  var matrix = document.getElementById("zero-matrix");
  var list = document.getElementById("anomaly-rows");
  var detail = document.getElementById("anomaly-detail");
  var panels = document.querySelectorAll('[data-panel-count^="disciplines-"]');
  if (!bureau || !(matrix || list || detail || panels.length)) return;

  function updateMatrix(event) {
    var discipline = matrix.getAttribute("data-discipline");
    if (discipline && discipline !== event.discipline) return;
    var row = matrix.querySelector('tr[data-unit="' + event.unit + '"]');
    var head = matrix.querySelector('thead th[data-day="' + event.period + '"]');
    if (!row || !head) return;
    var index = Array.prototype.indexOf.call(head.parentNode.children, head);
    var cell = row.children[index];
    if (!cell) return;
    var was = cell.className;
    cell.className = "z-" + event.cell + " z-flash";
    cell.setAttribute("data-live", "1");
    if (was === "z-m") {
      var count = row.querySelector(".z-count");
      var n = (parseInt(count.textContent, 10) || 0) - 1;
      count.textContent = n > 0 ? n : "";
    }
    var total = document.querySelector('[data-total="' + event.cell + '"]');
    if (total) total.textContent = (parseInt(total.textContent, 10) || 0) + 1;
  }

  function updateList(event) {
    var filter = list.getAttribute("data-discipline");
    if (filter && filter !== event.discipline) return;
    var row = list.querySelector('tr[data-anomaly="' + event.id + '"]');
    if (!row && event.action === "report") {
      var empty = list.querySelector(".js-empty"); if (empty) empty.remove();
      row = ISPEC.el("tr", { "data-anomaly": String(event.id), "data-live": "1", class: "table-warning" });
      var link = ISPEC.el("a", { href: event.url }, event.place + " · " + event.observation_item);
      var first = ISPEC.el("td"); first.appendChild(link); row.appendChild(first);
      row.appendChild(ISPEC.el("td", {}, event.discipline_name));
      row.appendChild(ISPEC.el("td", { class: "js-state" }, event.state_label));
      row.appendChild(ISPEC.el("td", { class: "d-none d-md-table-cell" }, ISPEC.beijing(event.onset_at, 16)));
      row.appendChild(ISPEC.el("td", { class: "d-none d-md-table-cell" }, ""));
      list.insertBefore(row, list.firstChild);
    } else if (row) {
      var state = row.querySelector(".js-state");
      if (state) state.textContent = event.state_label;
    }
  }

  function refreshPanels() {
    fetch("/api/v1/disciplines/counts/", { credentials: "same-origin", headers: { "X-Bureau": bureau } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) {
        if (!c) return;
        var values = {
          "disciplines-due": c.units_due,
          "disciplines-anomalies": c.to_assign + c.to_verify + c.to_assess,
          "disciplines-missing": c.missing_7d
        };
        panels.forEach(function (b) {
          var v = values[b.getAttribute("data-panel-count")];
          if (v !== undefined && v !== null) b.textContent = v;
        });
      });
  }

  ISPEC.disciplines = ISPEC.socket("/ws/disciplines/?bureau=" + encodeURIComponent(bureau), function (event) {
    if (event.kind === "zero_report" && matrix) updateMatrix(event);
    if (event.kind === "anomaly" && list) updateList(event);
    if (event.kind === "anomaly" && detail && String(event.id) === detail.getAttribute("data-anomaly")) {
      var banner = document.getElementById("anomaly-changed");
      if (banner) banner.classList.remove("d-none");
    }
    if (panels.length) refreshPanels();
    document.dispatchEvent(new CustomEvent("ispec:disciplines", { detail: event }));
  }, function () { document.body.setAttribute("data-disciplines-live", "1"); });
})();
