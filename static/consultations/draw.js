/* Draw forecast regions on a Leaflet map with plain clicks: each click adds a vertex,
 * "Finish polygon" closes the ring; the finished polygons are written to a hidden input
 * as a GeoJSON MultiPolygon (empty when none). The server validates the geometry again. */
(function () {
  "use strict";
  window.ISPECDraw = function (node, input, options) {
    options = options || {};
    var map = ISPEC.baseMap(node, { fit: true });
    var polygons = [];   // finished: arrays of [lon, lat]
    var current = [];    // vertices of the polygon being drawn
    var finished = L.featureGroup().addTo(map);
    var sketch = L.featureGroup().addTo(map);

    function write() {
      input.value = polygons.length ? JSON.stringify({
        type: "MultiPolygon",
        coordinates: polygons.map(function (ring) { return [ring.concat([ring[0]])]; })
      }) : "";
      node.setAttribute("data-polygons", polygons.length);
      node.setAttribute("data-vertices", current.length);
    }
    function redraw() {
      finished.clearLayers(); sketch.clearLayers();
      polygons.forEach(function (ring) {
        L.polygon(ring.map(function (p) { return [p[1], p[0]]; }), { color: options.color || "#c0392b", weight: 2, fillOpacity: 0.25 }).addTo(finished);
      });
      if (current.length) {
        L.polyline(current.map(function (p) { return [p[1], p[0]]; }), { color: "#555", dashArray: "4 4" }).addTo(sketch);
        current.forEach(function (p) { L.circleMarker([p[1], p[0]], { radius: 4, color: "#333" }).addTo(sketch); });
      }
      write();
    }
    map.on("click", function (e) {
      current.push([Math.round(e.latlng.lng * 1e4) / 1e4, Math.round(e.latlng.lat * 1e4) / 1e4]);
      redraw();
    });
    var api = {
      map: map,
      finish: function () { if (current.length >= 3) { polygons.push(current); current = []; redraw(); } },
      undo: function () { if (current.length) current.pop(); else polygons.pop(); redraw(); },
      clear: function () { polygons = []; current = []; redraw(); },
      // a region typed or pasted as GeoJSON (Polygon or MultiPolygon)
      load: function (geojson) {
        var g = typeof geojson === "string" ? JSON.parse(geojson) : geojson;
        var list = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
        polygons = list.map(function (poly) { return poly[0].slice(0, -1); });
        current = []; redraw();
        if (polygons.length) map.fitBounds(finished.getBounds(), { padding: [20, 20], maxZoom: 7 });
      }
    };
    if (input.value) { try { api.load(input.value); } catch (e) { console.error(e); } }
    write();
    var form = input.form;
    if (form) form.addEventListener("submit", function () { api.finish(); });  // a ring left open counts
    return api;
  };
})();
