/* Stations on the map, coloured by status (the series pages may colour by availability later).
 * Points come from the page (json_script "station-points"); a click opens the station. */
(function () {
  "use strict";
  var node = document.getElementById("station-map");
  var data = document.getElementById("station-points");
  if (!node || !data || !window.L || !window.ISPEC) return;
  var points = JSON.parse(data.textContent);
  var map = ISPEC.baseMap(node, { fit: points.length !== 1 });
  var group = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    var marker = L.circleMarker([p.lat, p.lon], { radius: 6, weight: 1, color: "#222", fillColor: p.colour || "#555", fillOpacity: 0.9 })
      .bindTooltip(p.name);
    if (p.url) marker.on("click", function () { window.location.href = p.url; });
    group.addLayer(marker);
  });
  if (points.length === 1) map.setView([points[0].lat, points[0].lon], 8);
  node.setAttribute("data-station-count", String(points.length));
})();
