/* The zone form's polygon, drawn and edited on the map with Leaflet-Geoman
 * (static/vendor/leaflet-geoman), as the bureau page draws a jurisdiction: one polygon,
 * written to the hidden GeoJSON field as a Polygon when it changes. The server validates it
 * again (zones.services.parse_polygon). */
(function () {
  "use strict";
  var node = document.getElementById("zone-map");
  var input = document.getElementById("id_polygon");
  var form = document.getElementById("zone-form");
  if (!node || !input || !form || !window.L || !L.PM) return;
  var map = ISPEC.baseMap(node, { fit: false });
  var shapes = L.featureGroup().addTo(map);
  var style = { color: "#c0392b", weight: 2, fillColor: "#f5b7b1", fillOpacity: 0.35 };
  var changed = false;
  var editable = node.getAttribute("data-editable") === "1";

  function polygonsOf(text) {
    try {
      var g = JSON.parse(text);
      if (g && g.type === "Feature") g = g.geometry;
      if (g && g.type === "Polygon") return [g.coordinates];
      if (g && g.type === "MultiPolygon") return g.coordinates;
    } catch (e) { /* the server's message says what is wrong */ }
    return [];
  }
  polygonsOf(input.value).forEach(function (rings) {
    L.geoJSON({ type: "Polygon", coordinates: rings }, { style: function () { return style; } })
      .eachLayer(function (l) { shapes.addLayer(l); });
  });
  function collect() {
    var last = null;
    shapes.eachLayer(function (l) { if (l.toGeoJSON) last = l.toGeoJSON(6).geometry; });
    return last ? JSON.stringify(last) : "";
  }
  function markChanged() { changed = true; node.setAttribute("data-changed", "1"); input.value = collect(); }
  shapes.on("layeradd", function (e) { e.layer.on("pm:edit pm:update pm:dragend", markChanged); });
  shapes.eachLayer(function (l) { l.on("pm:edit pm:update pm:dragend", markChanged); });
  if (editable) {
    if ((document.documentElement.lang || "").indexOf("zh") === 0) map.pm.setLang("zh");
    map.pm.setGlobalOptions({ layerGroup: shapes, pathOptions: style, allowSelfIntersection: false });
    map.pm.addControls({
      position: "topleft",
      drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false, drawText: false,
      drawPolygon: true, drawRectangle: true, editMode: true, dragMode: true, cutPolygon: false,
      removalMode: true, rotateMode: false
    });
    // one zone is one polygon: a new drawing replaces the old one
    map.on("pm:create", function (e) {
      shapes.eachLayer(function (l) { if (l !== e.layer) shapes.removeLayer(l); });
      shapes.addLayer(e.layer); markChanged();
    });
    map.on("pm:remove", function (e) { shapes.removeLayer(e.layer); markChanged(); });
  }
  map.whenBoundariesReady.then(function (layer) {
    layer.eachLayer(function (l) { l.options.pmIgnore = true; });
    if (shapes.getLayers().length) map.fitBounds(shapes.getBounds().pad(0.3));
    node.setAttribute("data-editor-ready", "1");
  });
  form.addEventListener("submit", function () { if (changed) input.value = collect(); });
})();
