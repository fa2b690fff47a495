/* ISPEC portal: live notifications over websockets, toasts, and the shared Leaflet maps.
 * Apps listen for live events with document.addEventListener("ispec:event", e => e.detail). */
(function () {
  "use strict";
  var ISPEC = (window.ISPEC = window.ISPEC || {});

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }
  ISPEC.el = el;

  /* The one way JS shows a time: Beijing time in ISO order (2026-12-01 07:30), whatever the
     browser's zone and locale, like portal/timefmt.py on the server. Takes ms or an ISO string
     (a string without a zone is UTC, as the server sends it); parts: 10 date, 16 minutes, 19 seconds. */
  var BEIJING = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai", hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  ISPEC.beijing = function (value, length) {
    if (value === null || value === undefined || value === "") return "";
    if (typeof value === "string" && !/(Z|[+-]\d{2}:?\d{2})$/.test(value)) value += "Z";
    var d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    var p = {};
    BEIJING.formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    var text = p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second;
    return text.slice(0, length || 16);
  };

  ISPEC.toast = function (title, body, url, level) {
    var box = document.getElementById("toasts");
    if (!box || !window.bootstrap) return;
    var toast = el("div", { class: "toast", role: "status", "data-level": level || "info" });
    var header = el("div", { class: "toast-header" + (level === "urgent" ? " text-bg-danger" : "") });
    var strong = el("strong", { class: "me-auto" }, title);
    header.appendChild(strong);
    header.appendChild(el("button", { type: "button", class: "btn-close", "data-bs-dismiss": "toast", "aria-label": "close" }));
    toast.appendChild(header);
    var bodyNode = el("div", { class: "toast-body" });
    if (url) { var a = el("a", { href: url }, body || title); bodyNode.appendChild(a); } else { bodyNode.textContent = body || ""; }
    toast.appendChild(bodyNode);
    box.appendChild(toast);
    new window.bootstrap.Toast(toast, { delay: level === "urgent" ? 20000 : 8000 }).show();
  };

  function setUnread(n) {
    document.querySelectorAll(".js-unread-count").forEach(function (b) {
      b.textContent = n; b.classList.toggle("d-none", !n);
    });
    document.querySelectorAll('[data-panel-count="notifications"]').forEach(function (b) { b.textContent = n; });
  }
  function bumpUnread() {
    var badge = document.querySelector(".js-unread-count");
    setUnread((parseInt(badge && badge.textContent, 10) || 0) + 1);
  }

  /* A notification sent for another bureau of the person leads to that bureau's work, which the
     bureau acted in now may not open (404): no link then (the notifications page offers the
     switch), as portal.selectors.notification_link decides on the server. */
  function linkHere(event) {
    var body = document.body;
    if (!event.url || !event.bureau || body.hasAttribute("data-reads-every-bureau")) return event.url || "";
    return event.bureau === body.getAttribute("data-acting-bureau") ? event.url : "";
  }

  function prependNotification(event) {
    var list = document.getElementById("notification-list");
    if (list) {
      var empty = list.querySelector(".js-empty"); if (empty) empty.remove();
      var li = el("li", { class: "list-group-item fw-semibold", "data-live": "1" });
      if (linkHere(event)) li.appendChild(el("a", { href: event.url }, event.title)); else li.textContent = event.title;
      list.insertBefore(li, list.firstChild);
    }
    var items = document.querySelector('[data-panel-items="notifications"]');
    if (items) {
      var row = el("li", { class: "list-group-item", "data-live": "1" });
      if (linkHere(event)) row.appendChild(el("a", { href: event.url }, event.title)); else row.textContent = event.title;
      items.insertBefore(row, items.firstChild);
    }
  }

  /* A websocket that reconnects with backoff; onmessage gets parsed JSON. path: a string, or
     a function called at each (re)connect (e.g. to say in the URL what the page already has). */
  ISPEC.socket = function (path, onmessage, onopen) {
    var delay = 500, ws, closed = false;
    function connect() {
      var proto = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(proto + location.host + (typeof path === "function" ? path() : path));
      ws.onopen = function () { delay = 500; if (onopen) onopen(ws); };
      ws.onmessage = function (m) { try { onmessage(JSON.parse(m.data), ws); } catch (e) { console.error(e); } };
      ws.onclose = function (e) {
        if (closed || e.code === 4401 || e.code === 4403) return;  // refused: do not hammer
        setTimeout(connect, delay); delay = Math.min(delay * 2, 15000);
      };
    }
    connect();
    return { close: function () { closed = true; ws.close(); }, send: function (d) { ws.send(JSON.stringify(d)); }, raw: function () { return ws; } };
  };

  var path = document.body.getAttribute("data-ws-notifications");
  if (path) {
    ISPEC.notifications = ISPEC.socket(path, function (event) {
      if (event.kind === "hello") { setUnread(event.unread); document.body.setAttribute("data-ws-ready", "1"); return; }
      if (event.kind === "notification") {
        bumpUnread(); prependNotification(event); ISPEC.toast(event.title, event.body, linkHere(event), event.level);
      }
      document.dispatchEvent(new CustomEvent("ispec:event", { detail: event }));
    });
  }

  /* Maps: an offline basemap drawn from the bureaus' jurisdictions; tiles only when configured. */
  var boundaries = null;
  ISPEC.boundaries = function () {
    if (!boundaries) boundaries = fetch("/bureaus.geojson", { credentials: "same-origin" }).then(function (r) { return r.json(); });
    return boundaries;
  };

  ISPEC.baseMap = function (node, options) {
    options = options || {};
    var map = L.map(node, { zoomSnap: 0.25, worldCopyJump: true }).setView(options.center || [35, 105], options.zoom || 4);
    var tiles = node.getAttribute("data-tile-url");
    if (tiles) L.tileLayer(tiles, { attribution: node.getAttribute("data-tile-attribution") || "" }).addTo(map);
    map.attributionControl.addAttribution("Boundaries: Apache ECharts 4.9 (Apache-2.0)");
    var highlight = node.getAttribute("data-highlight");
    var only = node.getAttribute("data-only");
    map.whenBoundariesReady = ISPEC.boundaries().then(function (fc) {
      var layer = L.geoJSON(fc, {
        filter: function (f) { return !only || f.properties.code === only; },
        style: function (f) {
          var mine = highlight && f.properties.code === highlight;
          var national = f.properties.kind !== "provincial";
          return national ? { opacity: 0, fillOpacity: 0 } : { color: mine ? "#c0392b" : "#5b7fa6", weight: mine ? 2.5 : 1, fillColor: mine ? "#f5b7b1" : "#ffffff", fillOpacity: mine ? 0.45 : 0.7 };
        },
        onEachFeature: function (f, l) { if (f.properties.kind === "provincial") l.bindTooltip(f.properties.code + " " + f.properties.name, { sticky: true }); }
      }).addTo(map);
      layer.bringToBack();
      map.boundaryLayer = layer;
      if (options.fit !== false) {
        var target = null;
        layer.eachLayer(function (l) { if (highlight && l.feature.properties.code === highlight && l.feature.properties.kind === "provincial") target = l; });
        if (target) map.fitBounds(target.getBounds().pad(0.35));
        else if (only) map.fitBounds(layer.getBounds());
      }
      node.setAttribute("data-map-ready", "1");
      return layer;
    });
    return map;
  };

  ISPEC.jurisdictionMap = function (node) {
    var map = ISPEC.baseMap(node, { fit: true });
    map.whenBoundariesReady.then(function (layer) {
      node.setAttribute("data-feature-count", layer.getLayers().length);
    });
    return map;
  };

  /* Behaviour that pages declare in markup, since the Content-Security-Policy admits no inline
   * script and no on*= attributes: <select data-autosubmit> submits its form when changed;
   * <form data-confirm="question"> asks before it submits, and so does a submit button with
   * data-confirm (a form of several actions, where only the irreversible ones ask). */
  document.addEventListener("change", function (e) {
    var t = e.target;
    if (t.matches && t.matches("select[data-autosubmit]") && t.form) t.form.submit();
  });
  document.addEventListener("submit", function (e) {
    var f = e.target, b = e.submitter;
    var question = (b && b.getAttribute && b.getAttribute("data-confirm")) || (f.matches && f.matches("form[data-confirm]") && f.getAttribute("data-confirm"));
    if (question && !window.confirm(question)) e.preventDefault();
  });

  /* A server-side message under a field stays until the next save unless it is cleared here:
   * once the person edits a field marked invalid, the mark and its message go, so what is still
   * shown is what is still wrong. Django marks such fields aria-invalid; Bootstrap, is-invalid. */
  function clearInvalid(e) {
    var t = e.target;
    if (!t.matches || !t.matches(".is-invalid, [aria-invalid=true]")) return;
    t.classList.remove("is-invalid");
    t.removeAttribute("aria-invalid");
    var box = t.closest(".mb-3, .col, [class*='col-'], .form-group") || t.parentNode;
    box.querySelectorAll(".invalid-feedback").forEach(function (m) { m.classList.remove("d-block"); m.classList.add("d-none"); });
  }
  document.querySelectorAll("[aria-invalid=true]").forEach(function (f) { f.classList.add("is-invalid"); });
  document.addEventListener("input", clearInvalid);
  document.addEventListener("change", clearInvalid);
})();
