/* Maps of danger zones: every element .zones-map reads its zones (a GeoJSON
 * FeatureCollection) from the json_script element named by data-geojson, draws them over
 * the offline outlines (ISPEC.baseMap), coloured by level, each linking to its page. */
(function () {
  "use strict";
  var COLOURS = { high: "#c0392b", medium: "#e67e22", low: "#d4ac0d" };
  function draw(node) {
    if (node.getAttribute("data-drawn") || !window.L || !window.ISPEC) return;
    node.setAttribute("data-drawn", "1");
    var source = document.getElementById(node.getAttribute("data-geojson"));
    var data = source ? JSON.parse(source.textContent) : { type: "FeatureCollection", features: [] };
    var map = ISPEC.baseMap(node, { fit: false });
    var layer = L.geoJSON(data, {
      style: function (f) {
        var c = COLOURS[f.properties.level] || "#c0392b";
        return { color: c, weight: 2, fillColor: c, fillOpacity: f.properties.status === "draft" ? 0.1 : 0.3, dashArray: f.properties.status === "draft" ? "4 4" : null };
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        var a = document.createElement("a");
        a.href = p.url; a.textContent = p.name;
        var box = document.createElement("div");
        box.appendChild(a);
        box.appendChild(document.createTextNode(" " + p.magnitude + " · " + p.level_label));
        l.bindPopup(box);
      }
    }).addTo(map);
    node.setAttribute("data-zones", String(data.features.length));
    if (data.features.length) map.fitBounds(layer.getBounds().pad(0.3), { maxZoom: 7 });
  }
  function all() { document.querySelectorAll(".zones-map").forEach(draw); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", all); else all();
})();
