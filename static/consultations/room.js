/* The live meeting room: presence, opinions, the conclusion draft, forecasts, votes, comments.
 * Every room event carries a per-meeting sequence number; each (re)connect opens the socket
 * with ?since=lastSeq and the server replays what was missed, then says "caught_up". */
(function () {
  "use strict";
  var room = document.getElementById("room");
  if (!room) return;
  var el = ISPEC.el;
  var data = JSON.parse(document.getElementById("room-map-data").textContent);
  var labels = data.labels;
  var lastSeq = parseInt(room.getAttribute("data-last-seq"), 10) || 0;
  var api = room.getAttribute("data-api");
  var csrf = room.querySelector("input[name=csrfmiddlewaretoken]").value;
  var liveState = document.getElementById("live-state");

  function call(method, path, body) {
    return fetch(api + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { ISPEC.toast(j.detail || r.statusText, "", "", "warning"); throw new Error(j.detail); }
        return j;
      });
    });
  }

  /* map of forecasts and opinion regions */
  var mapNode = document.getElementById("room-map");
  var map = ISPEC.baseMap(mapNode, { fit: false });
  var forecastLayer = L.featureGroup().addTo(map);
  var opinionLayer = L.featureGroup().addTo(map);
  var forecastShapes = {};
  // the same colours as the printed report's map: likelihood high / medium / low
  var LIKELIHOOD_COLOURS = { high: "#c0392b", medium: "#e67e22", low: "#d4ac0d" };
  function drawForecast(id, geometry, label, likelihood) {
    var colour = LIKELIHOOD_COLOURS[likelihood] || "#c0392b";
    var shape = L.geoJSON(geometry, { style: { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.35 } }).bindTooltip(label || "");
    forecastShapes[id] = shape; shape.addTo(forecastLayer); fit();
  }
  var opinionShapes = {};
  function drawOpinion(key, geometry, label) {
    if (opinionShapes[key]) opinionLayer.removeLayer(opinionShapes[key]);
    if (!geometry) return;
    opinionShapes[key] = L.geoJSON(geometry, { style: { color: "#2c7fb8", weight: 1.5, dashArray: "5 4", fillOpacity: 0.08 } }).bindTooltip(label || "");
    opinionShapes[key].addTo(opinionLayer); fit();
  }
  function fit() {
    var all = L.featureGroup([forecastLayer, opinionLayer]);
    var b = all.getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [20, 20], maxZoom: 7 });
  }
  (data.forecasts || []).forEach(function (f) { drawForecast(f.id, f.geometry, f.label, f.likelihood); });
  (data.opinions || []).forEach(function (o) { drawOpinion(o.discipline, o.geometry, o.discipline); });

  function flash(node) { node.classList.remove("flash"); void node.offsetWidth; node.classList.add("flash"); }
  function clearEmpty(list) { var e = list.querySelector(".js-empty"); if (e) e.remove(); }

  function trendText(p) {
    var parts = [];
    if (p.window_start) parts.push(p.window_start + " – " + p.window_end);
    if (p.min_magnitude) parts.push("M" + p.min_magnitude + (p.max_magnitude ? "–" + p.max_magnitude : ""));
    if (p.likelihood) parts.push(labels.likelihood[p.likelihood] || p.likelihood);
    return parts.join(" · ");
  }

  var handlers = {
    opinion: function (p) {
      var list = document.getElementById("opinion-list"); clearEmpty(list);
      var node = list.querySelector('[data-opinion="' + p.id + '"]');
      if (!node) {
        node = el("div", { class: "list-group-item", "data-opinion": p.id, "data-discipline": p.discipline });
        var head = el("div", { class: "d-flex justify-content-between" });
        head.appendChild(el("b", {}, p.discipline_name + (p.bureau && p.bureau !== room.getAttribute("data-bureau") ? "" : "")));
        var meta = el("span", { class: "small text-body-secondary" });
        meta.appendChild(document.createTextNode(p.author + " · " + labels.revision + " "));
        meta.appendChild(el("span", { class: "js-rev" }));
        head.appendChild(meta); node.appendChild(head);
        node.appendChild(el("div", { class: "pre-wrap js-summary" }));
        node.appendChild(el("div", { class: "small text-body-secondary js-trend" }));
        list.appendChild(node);
      }
      node.querySelector(".js-rev").textContent = p.revision;
      node.querySelector(".js-summary").textContent = p.summary;
      node.querySelector(".js-trend").textContent = trendText(p);
      drawOpinion(p.discipline + ":" + p.bureau, p.regions, p.discipline_name);
      flash(node);
    },
    conclusion: function (p) {
      var text = document.getElementById("conclusion-text");
      text.textContent = p.text; text.setAttribute("data-revision", p.revision);
      var editor = document.getElementById("conclusion-editor");
      if (editor && document.activeElement !== editor) editor.value = p.text;
      if (!editor) flash(text);
    },
    forecast: function (p) {
      var list = document.getElementById("forecast-list"); clearEmpty(list);
      var li = el("li", { class: "list-group-item", "data-forecast": p.id },
        p.window_start + " – " + p.window_end + " · M" + p.min_magnitude + (p.max_magnitude ? "–" + p.max_magnitude : "") +
        " · " + (labels.likelihood[p.likelihood] || p.likelihood) + (p.note ? " · " + p.note : ""));
      list.appendChild(li); flash(li);
      drawForecast(p.id, p.region, li.textContent, p.likelihood);
    },
    forecast_removed: function (p) {
      var li = document.querySelector('[data-forecast="' + p.id + '"]'); if (li) li.remove();
      if (forecastShapes[p.id]) forecastLayer.removeLayer(forecastShapes[p.id]);
    },
    vote: function (p) {
      Object.keys(p.counts).forEach(function (k) {
        var b = document.querySelector('[data-count="' + k + '"]'); if (b) b.textContent = p.counts[k];
      });
      var list = document.getElementById("vote-list");
      var li = list.querySelector('[data-voter="' + CSS.escape(p.user) + '"]');
      if (!li) { li = el("li", { "data-voter": p.user }); list.appendChild(li); }
      li.textContent = p.user + ": " + (labels.vote[p.choice] || p.choice) + (p.remark ? " — " + p.remark : "");
      flash(li);
    },
    comment: function (p) {
      var list = document.getElementById("comment-list");
      var li = el("li", { class: "list-group-item" });
      li.appendChild(el("b", {}, p.author)); li.appendChild(document.createTextNode(": "));
      li.appendChild(el("span", { class: "pre-wrap" }, p.text));
      list.appendChild(li); list.scrollTop = list.scrollHeight;
    },
    status: function (p) {
      document.getElementById("meeting-status").textContent = p.label;
      room.setAttribute("data-status", p.status);
      if (p.status === "closed") document.querySelectorAll("#vote-form, #comment-form, #conclusion-editor").forEach(function (n) { n.setAttribute("disabled", "disabled"); n.classList.add("opacity-50"); });
    },
    material: function (p) {
      var list = document.getElementById("material-list"); clearEmpty(list);
      var li = el("li", { class: "list-group-item", "data-kind": p.kind });
      if (p.url) li.appendChild(el("a", { href: p.url }, p.title)); else li.textContent = p.title;
      list.appendChild(li); flash(li);
    },
    meeting: function (p) {
      document.getElementById("agenda").textContent = p.agenda || "—";
      document.getElementById("meeting-title").textContent = p.title;
    }
  };

  var present = {};
  function renderPresence() {
    var box = document.getElementById("presence"); box.textContent = "";
    var ids = Object.keys(present);
    ids.sort(function (a, b) { return present[a].localeCompare(present[b]); });
    ids.forEach(function (id) { box.appendChild(el("span", { class: "presence-chip", "data-user": id }, present[id])); });
    box.setAttribute("data-count", ids.length);
  }

  function onEvent(msg) {
    if (msg.kind === "welcome") {  // everyone present; the missed events follow (?since= in the URL)
      present = {};
      msg.present.forEach(function (p) { present[p.id] = p.name; });
      renderPresence();
      return;
    }
    if (msg.kind === "presence") {  // who came and went in the last moment, several at once
      (msg.joined || []).forEach(function (p) { present[p.id] = p.name; });
      (msg.left || []).forEach(function (id) { delete present[id]; });
      renderPresence(); return;
    }
    if (msg.kind === "caught_up") {
      liveState.textContent = labels.live; liveState.className = "badge text-bg-success";
      room.setAttribute("data-live", "1"); return;
    }
    if (msg.kind !== "room" || msg.seq <= lastSeq) return;  // already applied (live and replay can overlap)
    lastSeq = msg.seq; room.setAttribute("data-last-seq", lastSeq);
    var handler = handlers[msg.type]; if (handler) handler(msg.payload);
  }

  // each (re)connect asks for the events after the last one applied, in the URL: the join
  // then costs the server one database call (issue 18)
  var socket = ISPEC.socket(function () { return room.getAttribute("data-ws") + "?since=" + lastSeq; }, onEvent, function () {});
  // the socket helper reconnects; mark the room offline until the next catch-up
  setInterval(function () {
    var ws = socket.raw();
    if (ws && ws.readyState !== 1 && room.getAttribute("data-live") === "1") {
      room.setAttribute("data-live", "0"); liveState.textContent = labels.offline; liveState.className = "badge text-bg-warning";
    }
  }, 1000);

  var editor = document.getElementById("conclusion-editor");
  if (editor) {
    var timer = null;
    editor.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        call("PUT", "conclusion/", { text: editor.value }).then(function () {
          document.getElementById("conclusion-saved").textContent = labels.saved;
        });
      }, 350);
    });
  }
  var voteForm = document.getElementById("vote-form");
  if (voteForm) voteForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var choice = (e.submitter && e.submitter.value) || "abstain";
    call("POST", "votes/", { choice: choice, remark: voteForm.elements.remark.value });
  });
  var commentForm = document.getElementById("comment-form");
  if (commentForm) commentForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var input = document.getElementById("comment-input");
    call("POST", "comments/", { text: input.value }).then(function () { input.value = ""; });
  });
})();
