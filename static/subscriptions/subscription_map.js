/* A subscription's region drawn on the map with Leaflet-Geoman (as the bureau form's
 * jurisdiction, static/portal/bureau_map.js). The last shape drawn is the region: a polygon
 * or rectangle is written to the hidden field as GeoJSON, a circle as
 * {"center": [lon, lat], "radius_km": r}; the server validates it (subscriptions/services.py). */
(function () {
  "use strict";
  var node = document.getElementById("subscription-map");
  var input = document.getElementById("id_region");
  var form = document.getElementById("subscription-form");
  var kind = document.getElementById("id_region_kind");
  if (!node || !input || !form || !window.L || !L.PM) return;

  var map = ISPEC.baseMap(node, { fit: false });
  var shapes = L.featureGroup().addTo(map);
  var style = { color: "#1f6feb", weight: 2, fillColor: "#9ec5fe", fillOpacity: 0.3 };

  try {
    var given = input.value ? JSON.parse(input.value) : null;
    if (given && given.center) {
      shapes.addLayer(L.circle([given.center[1], given.center[0]], { radius: given.radius_km * 1000 }).setStyle(style));
    } else if (given && given.type) {
      L.geoJSON(given, { style: function () { return style; } }).eachLayer(function (l) { shapes.addLayer(l); });
    }
  } catch (e) { /* the server's message under the map says what is wrong */ }

  if ((document.documentElement.lang || "").indexOf("zh") === 0) map.pm.setLang("zh");
  map.pm.setGlobalOptions({ layerGroup: shapes, pathOptions: style, allowSelfIntersection: false });
  map.pm.addControls({
    position: "topleft",
    drawMarker: false, drawCircleMarker: false, drawPolyline: false, drawText: false,
    drawPolygon: true, drawRectangle: true, drawCircle: true, editMode: true, dragMode: true,
    cutPolygon: false, removalMode: true, rotateMode: false
  });
  map.on("pm:create", function (e) {
    shapes.eachLayer(function (l) { if (l !== e.layer) shapes.removeLayer(l); });
    shapes.addLayer(e.layer);
    if (kind) kind.value = "drawn";
  });
  map.on("pm:remove", function (e) { shapes.removeLayer(e.layer); });
  map.whenBoundariesReady.then(function (layer) {
    layer.eachLayer(function (l) { l.options.pmIgnore = true; });
    if (shapes.getLayers().length) map.fitBounds(shapes.getBounds().pad(0.2));
    node.setAttribute("data-editor-ready", "1");
  });

  function collect() {
    var value = "";
    shapes.eachLayer(function (l) {
      if (l instanceof L.Circle) {
        var c = l.getLatLng();
        value = JSON.stringify({ center: [c.lng, c.lat], radius_km: l.getRadius() / 1000 });
      } else if (l.toGeoJSON) {
        value = JSON.stringify(l.toGeoJSON(8).geometry);
      }
    });
    return value;
  }
  form.addEventListener("submit", function () { input.value = collect(); });
})();
