/* Consultation report page: the forecast regions on a map, and the page follows the report's
 * state live (another person submitted, returned or signed it: the page reloads, so the badge,
 * the buttons and the history are the ones of the new state). */
(function () {
  "use strict";
  var COLOURS = { high: "#c0392b", medium: "#e67e22", low: "#f1c40f" };
  var node = document.getElementById("report-map");
  var data = document.getElementById("report-regions");
  if (node && data && window.L) {
    var regions = JSON.parse(data.textContent);
    var map = ISPEC.baseMap(node, { fit: false });
    var layer = L.geoJSON(regions, {
      style: function (f) { var c = COLOURS[f.properties.likelihood] || "#c0392b"; return { color: c, weight: 2, fillColor: c, fillOpacity: 0.3 }; },
      onEachFeature: function (f, l) { l.bindTooltip(String(f.properties.n), { permanent: true, direction: "center" }); }
    }).addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds().pad(0.6));
    node.setAttribute("data-map-ready", "1");
  }

  var badge = document.getElementById("report-status");
  if (!badge) return;
  var id = parseInt(badge.getAttribute("data-report"), 10);
  document.addEventListener("ispec:event", function (ev) {
    var d = ev.detail || {};
    if (d.kind !== "consultation_report" || d.id !== id) return;
    if (d.status === badge.getAttribute("data-status")) return;
    badge.textContent = d.state_label || d.status;
    badge.setAttribute("data-status", d.status);
    badge.setAttribute("data-live", "1");
    window.location.reload();
  });
})();
