/* Anomaly map: open anomalies from the GeoJSON feed, reloaded on a live anomaly event. */
(function () {
  var node = document.getElementById("anomaly-map");
  var map = ISPEC.baseMap(node, { fit: true });
  var layer = L.layerGroup().addTo(map);
  var select = document.getElementById("map-discipline");
  function load() {
    var url = node.getAttribute("data-source") + (select.value ? "?discipline=" + encodeURIComponent(select.value) : "");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (fc) {
      layer.clearLayers();
      fc.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        var m = L.circleMarker([c[1], c[0]], { radius: 7, color: "#222", weight: 1, fillColor: p.colour, fillOpacity: 0.9 });
        var box = ISPEC.el("div");
        var a = ISPEC.el("a", { href: p.url }, p.place + " · " + p.item); box.appendChild(a);
        box.appendChild(ISPEC.el("div", { class: "small" }, p.discipline_name + " · " + p.state_label + " · " + p.onset));
        m.bindPopup(box); m.addTo(layer);
      });
      node.setAttribute("data-anomaly-count", fc.features.length);
    });
  }
  select.addEventListener("change", load);
  document.addEventListener("ispec:disciplines", function (e) { if (e.detail.kind === "anomaly") load(); });
  load();
})();
