/* Catalog pages: the live event map and table, the event page's maps, import progress.
 * Live events come from /ws/events/ as {"action": "create"|"update", "data": <GeoJSON Feature>}. */
(function () {
  "use strict";
  var ISPEC = (window.ISPEC = window.ISPEC || {});
  var DAY = 86400000;

  function ageColour(ms) {
    var age = Date.now() - ms;
    if (age < DAY) return "#d7191c";
    if (age < 7 * DAY) return "#fd8d3c";
    if (age < 30 * DAY) return "#fecc5c";
    return "#9aa5b1";
  }
  /* Radius in pixels grows with magnitude (energy-like, but kept readable). */
  function radius(mag) {
    if (mag === null || mag === undefined) return 3;
    return Math.max(2, 1.2 * Math.pow(Math.max(mag, 0) + 1, 1.25));
  }
  function beijing(ms) { return ISPEC.beijing(ms, 19); }
  function fromFeature(f) {
    var p = f.properties, c = f.geometry.coordinates;
    return { id: f.id, lat: c[1], lon: c[0], depth: c[2], mag: p.mag, type: p.magType, time: p.time,
             place: p.place_name || p.place || "", url: p.url, published: p.published, kind: p.report_kind, bureau: p.bureau };
  }
  function marker(m, highlight) {
    var circle = L.circleMarker([m.lat, m.lon], {
      radius: radius(m.mag), color: m.published === false ? "#555" : "#333", weight: highlight ? 3 : 1,
      dashArray: m.published === false ? "3 3" : null, fillColor: ageColour(m.time), fillOpacity: 0.8
    });
    var text = (m.mag !== null && m.mag !== undefined ? (m.type || "M") + " " + m.mag.toFixed(1) + " · " : "") + (m.place || "") + " · " + beijing(m.time);
    circle.bindTooltip(text);
    if (m.url) circle.on("click", function () { location.href = m.url; });
    circle.eventId = m.id;
    return circle;
  }

  ISPEC.catalogList = function (node, markers, live) {
    var map = ISPEC.baseMap(node, { fit: false });
    var layer = L.featureGroup().addTo(map);
    var byId = {};
    markers.slice().reverse().forEach(function (m) { byId[m.id] = marker(m).addTo(layer); });
    if (markers.length) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 8 });
    node.setAttribute("data-markers-count", String(markers.length));
    if (!live) return map;
    var table = document.querySelector("#event-table tbody");
    ISPEC.eventStream = ISPEC.socket("/ws/events/", function (message) {
      var m = fromFeature(message.data);
      if (byId[m.id]) layer.removeLayer(byId[m.id]);
      byId[m.id] = marker(m, true).addTo(layer);
      node.setAttribute("data-markers-count", String(Object.keys(byId).length));
      node.setAttribute("data-last-event", m.id);
      if (table) {
        var old = table.querySelector('tr[data-event="' + m.id + '"]');
        var empty = table.querySelector(".js-empty"); if (empty) empty.remove();
        var row = ISPEC.el("tr", { "data-event": m.id, class: "event-flash" + (m.published === false ? " table-warning" : "") });
        var cell = ISPEC.el("td", { class: "text-nowrap" }); cell.appendChild(ISPEC.el("a", { href: m.url }, beijing(m.time))); row.appendChild(cell);
        row.appendChild(ISPEC.el("td", { class: "text-nowrap" }, m.mag === null ? "—" : (m.type || "M") + " " + m.mag.toFixed(1)));
        row.appendChild(ISPEC.el("td", { class: "d-none d-sm-table-cell" }, m.depth === null ? "—" : String(m.depth)));
        row.appendChild(ISPEC.el("td", {}, m.place + " " + (m.bureau || "")));
        if (old) table.replaceChild(row, old); else table.insertBefore(row, table.firstChild);
      }
      if (message.action === "create") {
        map.setView([m.lat, m.lon], Math.max(map.getZoom(), 6));
        ISPEC.toast((m.type || "M") + " " + (m.mag === null ? "?" : m.mag.toFixed(1)) + " " + m.place, beijing(m.time), m.url, m.mag >= 5 ? "urgent" : "info");
      }
    }, function () { node.setAttribute("data-live-ready", "1"); });
    return map;
  };

  ISPEC.catalogEvent = function (node, event, nearby) {
    var map = ISPEC.baseMap(node, { fit: false, center: [event.lat, event.lon], zoom: 7 });
    var layer = L.featureGroup().addTo(map);
    nearby.forEach(function (m) { marker(m).addTo(layer); });
    L.circle([event.lat, event.lon], { radius: 200000, color: "#1f4e79", weight: 1, fill: false, dashArray: "4 4" }).addTo(map);
    L.marker([event.lat, event.lon], { icon: L.divIcon({ className: "catalog-star", html: "★", iconSize: [26, 26], iconAnchor: [13, 13] }) })
      .bindTooltip(event.place || "").addTo(map);
    map.setView([event.lat, event.lon], 7);
    node.setAttribute("data-nearby-count", String(nearby.length));
    return map;
  };

  function format(template, data) {
    return template.replace(/\{(\w+)\}/g, function (_, k) { return data[k] === undefined ? "" : data[k]; });
  }
  function showImport(list, data) {
    var item = document.getElementById("import-" + data.id);
    if (!item) return;
    item.setAttribute("data-status", data.status);
    item.querySelector(".js-status").textContent = data.status;
    var bar = item.querySelector(".js-bar");
    bar.style.width = Math.round((data.progress || 0) * 100) + "%";
    var running = data.status === "running" || data.status === "queued";
    bar.classList.toggle("progress-bar-animated", running);
    bar.classList.toggle("progress-bar-striped", running);
    bar.classList.toggle("bg-danger", data.status === "failed");
    item.querySelector(".js-counts").textContent = format(list.getAttribute("data-template"), data);
    item.querySelector(".js-error").textContent = data.error || "";
    if (data.errors) {
      var ul = item.querySelector(".js-errors"); ul.textContent = "";
      data.errors.slice(0, 20).forEach(function (e) { ul.appendChild(ISPEC.el("li", {}, format(list.getAttribute("data-line"), e) + ": " + e.reason)); });
    }
  }
  /* Progress is pushed over /ws/catalog/; polling the API is the fallback. */
  ISPEC.catalogImports = function (list) {
    if (!list) return;
    ISPEC.socket("/ws/catalog/", function (message) { if (message.kind === "catalog.import") showImport(list, message); });
    function poll() {
      var pending = list.querySelectorAll('[data-status="queued"], [data-status="running"]');
      pending.forEach(function (item) {
        fetch("/api/v1/events/imports/" + item.getAttribute("data-import") + "/", { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; }).then(function (d) { if (d) showImport(list, d); });
      });
      if (pending.length) setTimeout(poll, 3000);
    }
    setTimeout(poll, 2000);
  };
})();
