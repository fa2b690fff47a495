/* Reporting units: the stations on the map, coloured by discipline. */
(function () {
  var colours = { seismology: "#c0392b", deformation: "#2980b9", fluid: "#16a085", electromagnetism: "#8e44ad" };
  var map = ISPEC.baseMap(document.getElementById("unit-map"), { fit: true });
  JSON.parse(document.getElementById("unit-points").textContent).forEach(function (p) {
    L.circleMarker([p.lat, p.lon], { radius: 5, weight: 1, color: "#222", fillColor: colours[p.discipline] || "#555", fillOpacity: 0.85 })
      .bindTooltip(p.name).addTo(map);
  });
})();
