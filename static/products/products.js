/* Product pages: live progress over websockets, a zoomable b(t) chart (plain SVG) and
 * Leaflet grids for bvalue_grid / rate_change with the values of each cell on hover. */
(function () {
  "use strict";
  var ISPEC = (window.ISPEC = window.ISPEC || {});
  var P = (ISPEC.products = {});
  var FINISHED = { succeeded: 1, failed: 1 };

  function label(node, status) {
    try { return JSON.parse(node.getAttribute("data-labels"))[status] || status; } catch (e) { return status; }
  }

  function setProgress(node, event) {
    var bar = node.querySelector(".progress-bar");
    node.setAttribute("aria-valuenow", event.progress);
    node.setAttribute("data-status", event.status);
    bar.style.width = event.progress + "%";
    bar.textContent = event.progress + "%";
    bar.classList.toggle("bg-danger", event.status === "failed");
    bar.classList.toggle("progress-bar-animated", !FINISHED[event.status]);
    bar.classList.toggle("progress-bar-striped", !FINISHED[event.status]);
    var note = document.getElementById("run-note");
    if (note) note.textContent = event.note || "";
    var badge = document.querySelector("#run-status [data-status]");
    if (badge) { badge.setAttribute("data-status", event.status); badge.textContent = label(node, event.status); }
  }

  P.runPage = function (node) {
    if (!node) return;
    var id = node.getAttribute("data-run");
    var initial = node.getAttribute("data-status");
    var reloaded = false;
    function handle(event) {
      if (event.kind !== "product.progress" || String(event.id) !== id) return;
      setProgress(node, event);
      // The page was drawn before the result existed: reload once to show figure and result.
      if (FINISHED[event.status] && !FINISHED[initial] && !reloaded) {
        reloaded = true;
        setTimeout(function () { location.reload(); }, 300);
      }
    }
    if (!FINISHED[initial]) {
      ISPEC.socket(node.getAttribute("data-ws"), handle);
      // Fallback when websockets are blocked by a proxy: ask the API now and then.
      var poll = setInterval(function () {
        if (reloaded) { clearInterval(poll); return; }
        fetch("/api/v1/products/" + id + "/", { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (run) { if (run) handle({ kind: "product.progress", id: run.id, status: run.status, progress: run.progress, note: "" }); })
          .catch(function () {});
      }, 5000);
    }
    var data = document.getElementById("run-result");
    if (!data) return;
    var result = JSON.parse(data.textContent);
    var chart = document.getElementById("series-chart");
    if (chart) P.seriesChart(chart, result);
    var map = document.getElementById("grid-map");
    if (map) P.gridMap(map, result, map.getAttribute("data-value"));
  };

  P.liveTable = function (table) {
    if (!table) return;
    ISPEC.socket("/ws/products/", function (event) {
      if (event.kind !== "product.progress") return;
      var row = table.querySelector('tr[data-run="' + event.id + '"]');
      if (!row) return;
      row.querySelector(".js-progress").textContent = event.progress + "%";
      var badge = row.querySelector("[data-status]");
      if (badge) { badge.setAttribute("data-status", event.status); badge.textContent = label(table, event.status); }
    });
  };

  /* b(t): line with the ±1σ band; drag across to zoom into a time range, double-click resets. */
  var NS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    var n = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    return n;
  }
  P.seriesChart = function (node, result) {
    var t = result.t.map(function (v) { return typeof v === "string" ? Date.parse(v + (v.endsWith("Z") ? "" : "Z")) : v; });
    var isTime = typeof result.t[0] === "string";
    var pts = [];
    for (var i = 0; i < t.length; i++) if (result.b[i] !== null) pts.push([t[i], result.b[i], result.b_err[i] || 0]);
    if (!pts.length) return;
    var full = [pts[0][0], pts[pts.length - 1][0]], view = full.slice();
    var el = svg("svg", { width: "100%", height: "100%", role: "img", "aria-label": "b(t)", style: "touch-action: pan-y" });
    node.appendChild(el);
    var tip = ISPEC.el("div", { class: "small text-body-secondary px-2", id: "series-tip" });
    node.parentNode.appendChild(tip);
    function fmt(x) { return isTime ? ISPEC.beijing(x, 10) : x.toFixed(1); }
    function draw() {
      while (el.firstChild) el.removeChild(el.firstChild);
      var W = node.clientWidth || 600, H = node.clientHeight || 320, L = 44, R = 10, T = 10, B = 28;
      var vis = pts.filter(function (p) { return p[0] >= view[0] && p[0] <= view[1]; });
      if (!vis.length) vis = pts;
      var lo = Infinity, hi = -Infinity;
      vis.forEach(function (p) { lo = Math.min(lo, p[1] - p[2]); hi = Math.max(hi, p[1] + p[2]); });
      var pad = (hi - lo) * 0.08 || 0.1; lo -= pad; hi += pad;
      var span = (view[1] - view[0]) || 1;
      function x(v) { return L + (v - view[0]) / span * (W - L - R); }
      function y(v) { return T + (hi - v) / (hi - lo) * (H - T - B); }
      var band = vis.map(function (p) { return x(p[0]) + "," + y(p[1] + p[2]); })
        .concat(vis.slice().reverse().map(function (p) { return x(p[0]) + "," + y(p[1] - p[2]); }));
      el.appendChild(svg("polygon", { points: band.join(" "), fill: "#adb5bd", "fill-opacity": "0.45" }));
      el.appendChild(svg("polyline", { points: vis.map(function (p) { return x(p[0]) + "," + y(p[1]); }).join(" "), fill: "none", stroke: "#111", "stroke-width": "1.4" }));
      for (var k = 0; k <= 4; k++) {
        var bv = lo + (hi - lo) * k / 4;
        var gy = svg("text", { x: 4, y: y(bv) + 4, "font-size": "11" }); gy.textContent = bv.toFixed(2); el.appendChild(gy);
        el.appendChild(svg("line", { x1: L, x2: W - R, y1: y(bv), y2: y(bv), stroke: "#dee2e6" }));
      }
      var ticks = Math.max(1, Math.min(4, Math.floor((W - L - R) / 110)));  // no overlap on a phone
      for (var j = 0; j <= ticks; j++) {
        var tv = view[0] + span * j / ticks;
        var gx = svg("text", { x: x(tv), y: H - 8, "font-size": "11", "text-anchor": j === 0 ? "start" : j === ticks ? "end" : "middle" });
        gx.textContent = fmt(tv); el.appendChild(gx);
      }
      el._scale = { x: x, inv: function (px) { return view[0] + (px - L) / (W - L - R) * span; } };
    }
    var start = null, rect = null;
    el.addEventListener("pointerdown", function (e) { start = e.offsetX; el.setPointerCapture(e.pointerId); rect = svg("rect", { x: start, y: 0, width: 0, height: "100%", fill: "#0d6efd", "fill-opacity": "0.15" }); el.appendChild(rect); });
    el.addEventListener("pointermove", function (e) {
      var tv = el._scale.inv(e.offsetX), best = null;
      pts.forEach(function (p) { if (!best || Math.abs(p[0] - tv) < Math.abs(best[0] - tv)) best = p; });
      if (best) tip.textContent = fmt(best[0]) + "  b = " + best[1].toFixed(3) + " ± " + best[2].toFixed(3);
      if (start !== null && rect) { rect.setAttribute("x", Math.min(start, e.offsetX)); rect.setAttribute("width", Math.abs(e.offsetX - start)); }
    });
    el.addEventListener("pointerup", function (e) {
      if (start !== null && Math.abs(e.offsetX - start) > 5) {
        var a = el._scale.inv(Math.min(start, e.offsetX)), b = el._scale.inv(Math.max(start, e.offsetX));
        view = [a, b];
      }
      start = null; rect = null; draw();
    });
    el.addEventListener("dblclick", function () { view = full.slice(); draw(); });
    window.addEventListener("resize", draw);
    draw();
    node.setAttribute("data-chart-ready", "1");
  };

  /* Grid cells coloured by b (viridis-like) or Z (red quiescence, blue activation). */
  function ramp(v, lo, hi, colours) {
    var f = Math.max(0, Math.min(1, (v - lo) / ((hi - lo) || 1)));
    return colours[Math.min(colours.length - 1, Math.floor(f * colours.length))];
  }
  var VIRIDIS = ["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e", "#3e4989", "#482878", "#440154"];
  P.gridMap = function (node, result, key) {
    var map = ISPEC.baseMap(node, { fit: false });
    var values = result.features.map(function (f) { return f.properties[key]; }).filter(function (v) { return v !== null; });
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values), top = Math.max(Math.abs(lo), Math.abs(hi), 2);
    var layer = L.geoJSON(result, {
      style: function (f) {
        var v = f.properties[key];
        var colour = key === "z" ? (v > 0 ? ramp(v, 0, top, ["#fee5d9", "#fcae91", "#fb6a4a", "#cb181d"]) : ramp(-v, 0, top, ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"])) : ramp(v, lo, hi, VIRIDIS);
        return { stroke: false, fillColor: colour, fillOpacity: 0.75 };
      },
      onEachFeature: function (f, l) {
        var p = f.properties, text = key === "z"
          ? "z = " + (p.z === null ? "—" : p.z.toFixed(2)) + ", n = " + p.n
          : "b = " + p.b.toFixed(2) + " ± " + (p.b_err || 0).toFixed(2) + ", n = " + p.n + ", Mc = " + p.mc;
        l.bindTooltip(text + " (" + p.lat.toFixed(2) + "°N " + p.lon.toFixed(2) + "°E)", { sticky: true });
      }
    }).addTo(map);
    if (result.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var box = L.DomUtil.create("div", "leaflet-bar bg-white px-2 py-1 small");
      var stops = key === "z" ? ["#2171b5", "#bdd7e7", "#fee5d9", "#cb181d"] : VIRIDIS;
      var bar = ISPEC.el("div", { style: "width:140px;height:10px;background:linear-gradient(to right," + stops.join(",") + ")" });
      var ends = ISPEC.el("div", { class: "d-flex justify-content-between" });
      ends.appendChild(ISPEC.el("span", {}, key === "z" ? (-top).toFixed(1) : lo.toFixed(2)));
      ends.appendChild(ISPEC.el("span", {}, key === "z" ? "z" : "b"));
      ends.appendChild(ISPEC.el("span", {}, key === "z" ? top.toFixed(1) : hi.toFixed(2)));
      box.appendChild(bar); box.appendChild(ends);
      return box;
    };
    legend.addTo(map);
    node.setAttribute("data-cells", result.features.length);
  };
})();
