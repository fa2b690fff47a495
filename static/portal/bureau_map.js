/* The bureau form's jurisdiction, drawn and edited on the map with Leaflet-Geoman
 * (static/vendor/leaflet-geoman). The shapes are written to the hidden GeoJSON field as one
 * MultiPolygon when they change, so an untouched map sends back the stored geometry as it was
 * (not re-rounded by the browser). The server validates it (portal/geo.py). */
(function () {
  "use strict";
  var node = document.getElementById("bureau-map");
  var input = document.getElementById("id_jurisdiction");
  var form = document.getElementById("bureau-form");
  if (!node || !input || !form || !window.L || !L.PM) return;

  var map = ISPEC.baseMap(node, { fit: false });
  var shapes = L.featureGroup().addTo(map);
  var style = { color: "#c0392b", weight: 2, fillColor: "#f5b7b1", fillOpacity: 0.35 };
  var changed = false;

  function polygonsOf(text) {
    try {
      var g = JSON.parse(text);
      if (g && g.type === "Feature") g = g.geometry;
      if (g && g.type === "Polygon") return [g.coordinates];
      if (g && g.type === "MultiPolygon") return g.coordinates;
    } catch (e) { /* the server's message under the map says what is wrong */ }
    return [];
  }
  // One Leaflet polygon per part, so each can be edited, dragged or removed on its own.
  polygonsOf(input.value).forEach(function (rings) {
    L.geoJSON({ type: "Polygon", coordinates: rings }, { style: function () { return style; } })
      .eachLayer(function (l) { shapes.addLayer(l); });
  });

  function markChanged() { changed = true; node.setAttribute("data-changed", "1"); }
  shapes.on("layeradd", function (e) { e.layer.on("pm:edit pm:update pm:dragend pm:rotateend", markChanged); });
  shapes.eachLayer(function (l) { l.on("pm:edit pm:update pm:dragend pm:rotateend", markChanged); });

  if ((document.documentElement.lang || "").indexOf("zh") === 0) map.pm.setLang("zh");
  map.pm.setGlobalOptions({ layerGroup: shapes, pathOptions: style, allowSelfIntersection: false });
  map.pm.addControls({
    position: "topleft",
    drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawCircle: false, drawText: false,
    drawPolygon: true, drawRectangle: true, editMode: true, dragMode: true, cutPolygon: true,
    removalMode: true, rotateMode: false
  });
  map.on("pm:create", function (e) { shapes.addLayer(e.layer); markChanged(); });
  map.on("pm:remove", function (e) { shapes.removeLayer(e.layer); markChanged(); });
  map.on("pm:cut", function (e) {
    shapes.removeLayer(e.originalLayer);
    if (e.layer && map.hasLayer(e.layer)) shapes.addLayer(e.layer);
    markChanged();
  });

  map.whenBoundariesReady.then(function (layer) {
    // The provinces are the backdrop: not editable, not removable, not cut.
    layer.eachLayer(function (l) { l.options.pmIgnore = true; });
    if (shapes.getLayers().length) map.fitBounds(shapes.getBounds().pad(0.2));
    else if (node.getAttribute("data-highlight")) {
      layer.eachLayer(function (l) { if (l.feature.properties.code === node.getAttribute("data-highlight")) map.fitBounds(l.getBounds().pad(0.2)); });
    }
    node.setAttribute("data-editor-ready", "1");
  });

  function collect() {
    var parts = [];
    shapes.eachLayer(function (l) {
      if (!l.toGeoJSON) return;
      var g = l.toGeoJSON(8).geometry;
      if (g.type === "Polygon") parts.push(g.coordinates);
      else if (g.type === "MultiPolygon") parts = parts.concat(g.coordinates);
    });
    return parts.length ? JSON.stringify({ type: "MultiPolygon", coordinates: parts }) : "";
  }
  form.addEventListener("submit", function () { if (changed) input.value = collect(); });
})();
