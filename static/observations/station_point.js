/* One station on a small map (its page). */
(function () {
  "use strict";
  var node = document.getElementById("station-map");
  var data = document.getElementById("station-point");
  if (!node || !data || !window.L || !window.ISPEC) return;
  var p = JSON.parse(data.textContent);
  var map = ISPEC.baseMap(node, { fit: false });
  L.circleMarker([p.lat, p.lon], { radius: 7, weight: 1, color: "#222", fillColor: p.colour || "#555", fillOpacity: 0.9 })
    .bindTooltip(p.name).addTo(map);
  map.setView([p.lat, p.lon], 7);
})();
