/* Stations on the map, coloured by their mean availability over the last 7 UTC days (the same
 * classes and figure as the list beside it; computed by observations.availability_selectors).
 * Points come from the page (json_script "station-points"); the popup gives the figure and a
 * link to the station. */
(function () {
  "use strict";
  var node = document.getElementById("station-map");
  var data = document.getElementById("station-points");
  if (!node || !data || !window.L || !window.ISPEC) return;
  var COLOURS = { "av-good": "#2ecc71", "av-fair": "#a9dfbf", "av-poor": "#f39c12", "av-none": "#adb5bd" };
  var points = JSON.parse(data.textContent);
  var map = ISPEC.baseMap(node, { fit: points.length !== 1 });
  var group = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    var figure = p.availability === null || p.availability === undefined ? "—" : p.availability.toFixed(1) + " %";
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;
    popup.appendChild(link);
    popup.appendChild(document.createElement("br"));
    var line = document.createElement("span");
    line.className = "station-availability";
    line.textContent = (node.getAttribute("data-label") || "") + " " + figure;
    popup.appendChild(line);
    var marker = L.circleMarker([p.lat, p.lon], {
      radius: 6, weight: 1, color: "#222", fillColor: COLOURS[p.css] || COLOURS["av-none"], fillOpacity: 0.9
    }).bindTooltip(p.name + " · " + figure).bindPopup(popup);
    group.addLayer(marker);
  });
  if (points.length === 1) map.setView([points[0].lat, points[0].lon], 8);
  node.setAttribute("data-station-count", String(points.length));
})();
