/* A dataset's coverage (a station's point, the stations of an item, a jurisdiction) on a small map. */
(function () {
  "use strict";
  var node = document.getElementById("dataset-map");
  var data = document.getElementById("dataset-coverage");
  if (!node || !data || !window.L || !window.ISPEC) return;
  var geometry = JSON.parse(data.textContent);
  var map = ISPEC.baseMap(node, { fit: false });
  var layer = L.geoJSON(geometry, {
    style: function () { return { color: "#c0392b", weight: 2, fillColor: "#f5b7b1", fillOpacity: 0.3 }; },
    pointToLayer: function (f, latlng) {
      return L.circleMarker(latlng, { radius: 6, weight: 1, color: "#222", fillColor: "#2c7fb8", fillOpacity: 0.9 });
    }
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) map.fitBounds(bounds.pad(0.5), { maxZoom: 8 });
})();
