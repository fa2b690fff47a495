/* Special-topic reports: the report's interactive map, waiting for a build, layer previews. */
(function () {
  "use strict";
  var ISPEC = (window.ISPEC = window.ISPEC || {});

  function magRadius(m) { return Math.max(3, 3 * Math.pow(1.6, (m || 4) - 4)); }

  ISPEC.topicReportMap = function (node) {
    var source = document.getElementById(node.getAttribute("data-map-source"));
    var data = source ? JSON.parse(source.textContent) : {};
    if (!data || !data.event) return null;
    var e = data.event, opts = data.options || {};
    var map = ISPEC.baseMap(node, { center: [e.latitude, e.longitude], zoom: 8, fit: false });
    var history = L.layerGroup(), towns = L.layerGroup(), layers = L.layerGroup();
    (data.history || []).forEach(function (p) {
      L.circleMarker([p[1], p[0]], { radius: magRadius(p[2]), color: "#d35400", weight: 1, fillColor: "#f39c12", fillOpacity: 0.6 })
        .bindTooltip("M" + (p[2] != null ? p[2].toFixed(1) : "?")).addTo(history);
    });
    (data.towns || []).forEach(function (t) {
      L.circleMarker([t.latitude, t.longitude], { radius: 4, color: "#2c3e50", weight: 1, fillColor: "#ffffff", fillOpacity: 1 })
        .bindTooltip((t.name_zh || t.name) + " · " + t.distance_km + " km" + (t.population ? " · " + t.population : "")).addTo(towns);
    });
    var colours = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22"];
    (data.layers || []).forEach(function (l, i) {
      (l.nearest || []).forEach(function (n) {
        L.circleMarker([n.latitude, n.longitude], { radius: 6, color: colours[i % colours.length], weight: 2, fillOpacity: 0.8 })
          .bindTooltip(l.name + ": " + n.name + " · " + n.distance_km + " km").addTo(layers);
      });
    });
    history.addTo(map); towns.addTo(map); layers.addTo(map);
    var ring = L.circle([e.latitude, e.longitude], { radius: (opts.town_radius_km || 50) * 1000, color: "#555", weight: 1, dashArray: "4 4", fill: false }).addTo(map);
    L.circle([e.latitude, e.longitude], { radius: (opts.history_radius_km || 200) * 1000, color: "#aaa", weight: 1, dashArray: "2 6", fill: false }).addTo(map);
    L.marker([e.latitude, e.longitude], {
      icon: L.divIcon({ className: "topic-epicentre", html: '<span style="color:#e60000;font-size:28px;line-height:28px;text-shadow:0 0 2px #fff">★</span>', iconSize: [28, 28], iconAnchor: [14, 14] }),
      zIndexOffset: 1000
    }).bindTooltip(e.magnitude_type + (e.magnitude != null ? e.magnitude.toFixed(1) : "") + " " + e.location_name).addTo(map);
    L.control.layers(null, { "Towns 乡镇": towns, "History 历史地震": history, "Layers 图层": layers }, { collapsed: true }).addTo(map);
    map.fitBounds(ring.getBounds(), { padding: [6, 6] });
    node.setAttribute("data-map-ready", "1");
    return map;
  };

  /* A queued or building report: reload when the build ends (live notice or a poll). */
  ISPEC.topicReportWait = function (reportId) {
    var done = false;
    function reload() { if (!done) { done = true; window.location.reload(); } }
    document.addEventListener("ispec:event", function (ev) {
      var d = ev.detail || {};
      if (d.url && d.url.indexOf("/reports/topic/" + reportId + "/") !== -1) reload();
    });
    function poll() {
      fetch("/api/v1/topic-reports/" + reportId + "/", { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (body) {
          if (body && (body.status === "ready" || body.status === "failed")) reload();
          else setTimeout(poll, 3000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, 3000);
  };

  ISPEC.layerPreview = function (node) {
    var map = ISPEC.baseMap(node, { fit: false });
    fetch(node.getAttribute("data-geojson"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        var layer = L.geoJSON(fc, {
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 5, color: "#1f4e79", weight: 1, fillOpacity: 0.8 }); },
          style: function () { return { color: "#c0392b", weight: 2 }; },
          onEachFeature: function (f, l) { if (f.properties && f.properties._name) l.bindTooltip(f.properties._name); }
        }).addTo(map);
        if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [10, 10], maxZoom: 11 });
        node.setAttribute("data-feature-count", layer.getLayers().length);
        node.setAttribute("data-map-ready", "1");
      });
    return map;
  };

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("topic-map");
    if (node) ISPEC.topicReportMap(node);
  });
})();
