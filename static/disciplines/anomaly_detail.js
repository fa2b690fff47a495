/* Anomaly page: where the anomaly is, in the colour of its state. The location (JSON [lat, lon])
 * and the colour come in data- attributes of this script's own tag. */
(function () {
  var me = document.currentScript;
  var node = document.getElementById("anomaly-map");
  var at = JSON.parse(me.getAttribute("data-location"));
  var map = ISPEC.baseMap(node, { center: at, zoom: 7, fit: false });
  L.circleMarker(at, { radius: 9, color: "#222", weight: 1, fillColor: me.getAttribute("data-colour"), fillOpacity: 0.9 }).addTo(map);
})();
