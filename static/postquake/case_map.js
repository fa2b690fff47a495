/* A post-quake case's map (postquake.charts.case_map, in the json_script named by
 * data-map-source): the epicentre, the sequence zone, the aftershocks and foreshocks, the
 * nearby faults and the focal mechanisms as beach balls (their SVG paths come from the server). */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function radius(m) { return Math.max(2.5, Math.min(12, 2.5 + 1.6 * ((m || 2) - 2))); }

  function ball(path, size) {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "-1.05 -1.05 2.1 2.1");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    var back = document.createElementNS(SVG, "circle");
    back.setAttribute("r", "1"); back.setAttribute("fill", "#fff");
    var shade = document.createElementNS(SVG, "path");
    shade.setAttribute("d", path); shade.setAttribute("fill", "#dc3545"); shade.setAttribute("fill-rule", "evenodd");
    var rim = document.createElementNS(SVG, "circle");
    rim.setAttribute("r", "1"); rim.setAttribute("fill", "none"); rim.setAttribute("stroke", "#212529"); rim.setAttribute("stroke-width", "0.08");
    svg.appendChild(back); svg.appendChild(shade); svg.appendChild(rim);
    var box = document.createElement("div");
    box.className = "postquake-beachball";
    box.appendChild(svg);
    return box;
  }

  function draw(node) {
    var source = document.getElementById(node.getAttribute("data-map-source"));
    var data = source ? JSON.parse(source.textContent) : null;
    if (!data || !data.event) return;
    var e = data.event, label = function (k) { return node.getAttribute("data-label-" + k) || k; };
    var map = ISPEC.baseMap(node, { center: [e.lat, e.lon], zoom: 9, fit: false });
    var after = L.layerGroup(), before = L.layerGroup(), faults = L.layerGroup(), mechanisms = L.layerGroup();
    (data.foreshocks || []).forEach(function (p) {
      L.circleMarker([p[1], p[0]], { radius: radius(p[2]), color: "#6c757d", weight: 1, fillColor: "#adb5bd", fillOpacity: 0.6 })
        .bindTooltip("M" + p[2]).addTo(before);
    });
    (data.aftershocks || []).forEach(function (p) {
      L.circleMarker([p[1], p[0]], { radius: radius(p[2]), color: "#0a58ca", weight: 1, fillColor: "#3d8bfd", fillOpacity: 0.5 })
        .bindTooltip("M" + p[2]).addTo(after);
    });
    (data.faults || []).forEach(function (f) {
      L.geoJSON(f.geometry, { style: function () { return { color: "#8b4513", weight: 2.5 }; } })
        .bindTooltip(f.layer + ": " + f.name).addTo(faults);
    });
    (data.mechanisms || []).forEach(function (m) {
      // Up and to the right of its epicentre, which stays visible (the mainshock's star).
      L.marker([m.lat, m.lon], { icon: L.divIcon({ className: "", html: ball(m.path, 26), iconSize: [26, 26], iconAnchor: [-6, 32] }), zIndexOffset: 1100 })
        .bindTooltip("M" + m.magnitude + " " + m.strike + "/" + m.dip + "/" + m.rake).addTo(mechanisms);
    });
    var zone = L.circle([e.lat, e.lon], { radius: (data.zone_km || 10) * 1000, color: "#dc3545", weight: 1.5, dashArray: "5 4", fill: false })
      .bindTooltip(label("zone") + " " + data.zone_km + " km");
    faults.addTo(map); before.addTo(map); after.addTo(map); zone.addTo(map); mechanisms.addTo(map);
    var star = document.createElement("span");
    star.className = "postquake-epicentre";
    star.textContent = "★";
    L.marker([e.lat, e.lon], { icon: L.divIcon({ className: "", html: star, iconSize: [26, 26], iconAnchor: [13, 13] }), zIndexOffset: 1000 })
      .bindTooltip(label("epicentre") + " M" + e.magnitude + " " + (e.place || "")).addTo(map);
    var overlays = {};
    overlays[label("aftershocks")] = after;
    overlays[label("foreshocks")] = before;
    overlays[label("faults")] = faults;
    overlays[label("mechanisms")] = mechanisms;
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    map.fitBounds(zone.getBounds(), { padding: [8, 8] });
    map.whenBoundariesReady.then(function () { node.setAttribute("data-case-map-ready", "1"); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("case-map");
    if (node) draw(node);
  });
})();
