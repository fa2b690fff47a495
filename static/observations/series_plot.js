/* Interactive series plots: station, channel and anomaly pages (templates/observations/_series_plots.html).
 *
 * Library: uPlot 1.6 (static/vendor/uplot, MIT), not ECharts: a station page stacks one plot per
 * channel, each up to a few thousand points with gaps, zoomed and refetched often; uPlot draws
 * that on one canvas in milliseconds, is 51 kB, syncs cursors between plots and has time-zone aware
 * time axes built in. ECharts (about 1 MB) would do it too, with a chart grammar we would not use.
 * Neither needs eval; uPlot sets styles through the DOM, which the CSP allows.
 *
 * Markup: a `.series-plots` group (data-lat, data-lon for quakes; optional data-start, data-end,
 * data-onset as ISO times) holding `.series-plot[data-channel]` elements (data-interval in
 * seconds, data-label, data-unit), a toolbar and a quake list; the words come translated in the
 * data- attributes of the group's `.series-words` element. No inline script (the page's CSP).
 *
 * Values: GET /api/v1/series/?channel=&start=&end=&resolution=&format=json (null = gap, drawn as a
 * gap). The resolution follows the visible span: the finest of raw, 1min, 1h, 1d that draws at most
 * MAX_POINTS points and is not finer than the channel's interval. Zoom (drag, Ctrl+wheel, presets),
 * pan (Shift+drag, buttons) and reset (double-click, button) move every plot of the group together
 * and refetch. Quakes >= M4 within the chosen radius come from /api/v1/events/ (maxradius in
 * degrees) and are drawn as vertical lines with their magnitude, and listed below.
 * Times on the axes and in the lists are Beijing time (UTC+8), whatever the browser's zone.
 */
(function () {
  "use strict";

  var MAX_POINTS = 3000;
  var DAY = 86400;
  var KM_PER_DEGREE = (Math.PI / 180) * 6371.0087714; // catalog.selectors.METRES_PER_DEGREE / 1000
  var RESOLUTIONS = [["raw", 0], ["1min", 60], ["1h", 3600], ["1d", DAY]];
  var PRESETS = { day: DAY, week: 7 * DAY, month: 30 * DAY, year: 365 * DAY };
  var QUAKE_COLOUR = "#c0392b";
  var ONSET_COLOUR = "#8e44ad";
  var LINE_COLOURS = ["#1f6fb2", "#16a085", "#d35400", "#2c3e50", "#7d3c98", "#b7950b"];

  /* Beijing time in ISO order, like portal/timefmt.py and ISPEC.beijing. */
  var BEIJING = new Intl.DateTimeFormat("en-CA", {
    timeZone: "Asia/Shanghai", hourCycle: "h23",
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  function parts(seconds) {
    var p = {};
    BEIJING.formatToParts(new Date(seconds * 1000)).forEach(function (x) { p[x.type] = x.value; });
    return p;
  }
  function beijing(seconds, length) {
    var p = parts(seconds);
    return (p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute + ":" + p.second).slice(0, length || 16);
  }
  function iso(seconds) { return new Date(Math.round(seconds) * 1000).toISOString().replace(".000Z", "Z"); }
  function now() { return Math.floor(Date.now() / 1000); }
  function parseTime(text) {
    if (!text) return null;
    var ms = Date.parse(text);
    return isNaN(ms) ? null : ms / 1000;
  }

  /* Axis labels by the axis' step: year, month, day or time of day (Beijing), in ISO order. */
  function axisValues(u, splits, axisIdx, space, incr) {
    var previous = null;
    return splits.map(function (t) {
      if (t === null || t === undefined) return "";
      var p = parts(t);
      var label;
      if (incr >= 365 * DAY) label = p.year;
      else if (incr >= 28 * DAY) label = p.year + "-" + p.month;
      else if (incr >= DAY) label = (previous === null || previous.year !== p.year ? p.year + "-" : "") + p.month + "-" + p.day;
      else {
        var time = p.hour + ":" + p.minute + (incr < 60 ? ":" + p.second : "");
        label = previous === null || previous.day !== p.day ? p.month + "-" + p.day + "\n" + time : time;
      }
      previous = p;
      return label;
    });
  }

  /* The finest resolution drawing at most MAX_POINTS over `span` seconds, never finer than the channel. */
  function resolutionFor(span, interval) {
    var usable = RESOLUTIONS.filter(function (r) { return (r[1] || interval) >= interval; });
    for (var i = 0; i < usable.length; i++) {
      var step = usable[i][1] || interval;
      if (usable[i][0] !== "raw" && step === interval) continue; // raw is the same values, unaggregated
      if (span / step <= MAX_POINTS) return { name: usable[i][0], step: step };
    }
    return { name: "1d", step: DAY };
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function errorText(response, body, words) {
    var detail = body && body.detail ? body.detail : "";
    if (response.status === 413) return words.tooMany + (detail ? " " + detail : "");
    if (response.status === 400) return words.badRequest + (detail ? " " + detail : "");
    if (response.status === 404) return words.notFound;
    return words.failed + " (" + response.status + ")";
  }

  function fetchJson(url, signal) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: signal })
      .then(function (response) {
        return response.json().catch(function () { return null; }).then(function (body) {
          return { response: response, body: body };
        });
      });
  }

  /* ---- one group: shared window, toolbar, quakes; one Plot per channel ---------------------- */

  function Group(root) {
    this.root = root;
    var wordsNode = root.querySelector(".series-words");
    this.words = wordsNode ? Object.assign({}, wordsNode.dataset) : {};
    this.lat = parseFloat(root.getAttribute("data-lat"));
    this.lon = parseFloat(root.getAttribute("data-lon"));
    this.onset = parseTime(root.getAttribute("data-onset"));
    var end = parseTime(root.getAttribute("data-end")) || now();
    var start = parseTime(root.getAttribute("data-start")) || end - PRESETS.month;
    this.initial = { min: start, max: end };
    this.range = { min: start, max: end };
    this.quakes = [];
    this.plots = [];
    this.syncKey = "series-" + Math.random().toString(36).slice(2);
    this.quakeList = root.querySelector(".series-quakes");
    this.quakeStatus = root.querySelector(".series-quakes-status");
    this.radius = root.querySelector(".series-radius");
    var self = this;
    root.querySelectorAll(".series-plot[data-channel]").forEach(function (node, i) {
      self.plots.push(new Plot(self, node, LINE_COLOURS[i % LINE_COLOURS.length]));
    });
    this.bindToolbar();
    this.setRange(start, end);
  }

  Group.prototype.bindToolbar = function () {
    var self = this;
    this.root.querySelectorAll("[data-preset]").forEach(function (button) {
      button.addEventListener("click", function () {
        var span = PRESETS[button.getAttribute("data-preset")];
        var end, start;
        if (self.onset !== null) { // around the onset, not past now
          end = Math.min(self.onset + span / 2, now());
          start = end - span;
        } else {
          end = self.initial.max;
          start = end - span;
        }
        self.setRange(start, end);
      });
    });
    this.root.querySelectorAll("[data-pan]").forEach(function (button) {
      button.addEventListener("click", function () {
        var shift = (self.range.max - self.range.min) / 2 * parseFloat(button.getAttribute("data-pan"));
        self.setRange(self.range.min + shift, self.range.max + shift);
      });
    });
    this.root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () { self.zoom(parseFloat(button.getAttribute("data-zoom")), 0.5); });
    });
    this.root.querySelectorAll("[data-reset]").forEach(function (button) {
      button.addEventListener("click", function () { self.reset(); });
    });
    if (this.radius) this.radius.addEventListener("change", function () { self.loadQuakes(); });
  };

  Group.prototype.reset = function () { this.setRange(this.initial.min, this.initial.max); };

  /* Zoom by `factor` (< 1 in, > 1 out) keeping the point at `at` (0..1 of the width) in place. */
  Group.prototype.zoom = function (factor, at) {
    var span = this.range.max - this.range.min;
    var pivot = this.range.min + span * at;
    this.setRange(pivot - (pivot - this.range.min) * factor, pivot + (this.range.max - pivot) * factor);
  };

  Group.prototype.setRange = function (min, max, from) {
    if (!(max > min)) return;
    if (max - min < 600) { var mid = (min + max) / 2; min = mid - 300; max = mid + 300; } // 10 minutes at least
    this.range = { min: min, max: max };
    this.root.setAttribute("data-range", iso(min) + "/" + iso(max));
    var self = this;
    this.plots.forEach(function (plot) { plot.show(min, max, plot === from); });
    clearTimeout(this.quakeTimer);
    this.quakeTimer = setTimeout(function () { self.loadQuakes(); }, 250);
  };

  Group.prototype.loadQuakes = function () {
    if (!this.quakeList || isNaN(this.lat) || isNaN(this.lon)) return;
    var words = this.words, self = this;
    var km = parseFloat(this.radius ? this.radius.value : "200");
    var query = new URLSearchParams({
      latitude: this.lat.toFixed(4),
      longitude: this.lon.toFixed(4),
      maxradius: (km / KM_PER_DEGREE).toFixed(4),
      minmagnitude: "4",
      starttime: iso(this.range.min),
      endtime: iso(this.range.max),
      page_size: "500"
    });
    if (this.quakeAbort) this.quakeAbort.abort();
    this.quakeAbort = new AbortController();
    this.quakeStatus.textContent = words.loading;
    this.root.setAttribute("data-quakes", "loading");
    fetchJson("/api/v1/events/?" + query.toString(), this.quakeAbort.signal).then(function (r) {
      if (!r.response.ok) {
        self.quakes = [];
        self.quakeStatus.textContent = errorText(r.response, r.body, words);
        self.root.setAttribute("data-quakes", "error");
      } else {
        self.quakes = (r.body.results || []).map(function (e) {
          return { t: Date.parse(e.origin_time) / 1000, m: e.magnitude, type: e.magnitude_type, place: e.location_name, url: e.url, lat: e.latitude, lon: e.longitude };
        }).sort(function (a, b) { return a.t - b.t; });
        var more = r.body.next ? " " + words.quakesMore : "";
        self.quakeStatus.textContent = (self.quakes.length ? words.quakesCount.replace("%(count)s", r.body.count) : words.quakesNone) + more;
        self.root.setAttribute("data-quakes", String(self.quakes.length));
      }
      self.listQuakes();
      self.plots.forEach(function (plot) { plot.redraw(); });
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      self.quakeStatus.textContent = words.failed;
      self.root.setAttribute("data-quakes", "error");
    });
  };

  function distanceKm(lat1, lon1, lat2, lon2) {
    var r = Math.PI / 180;
    var a = Math.pow(Math.sin((lat2 - lat1) * r / 2), 2) +
      Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.pow(Math.sin((lon2 - lon1) * r / 2), 2);
    return 2 * Math.asin(Math.min(1, Math.sqrt(a))) * KM_PER_DEGREE * 180 / Math.PI;
  }

  Group.prototype.listQuakes = function () {
    var list = this.quakeList, self = this;
    list.textContent = "";
    this.quakes.slice().reverse().forEach(function (q) {
      var row = el("li", { class: "list-group-item py-1 series-quake" });
      row.appendChild(el("span", { class: "font-monospace me-2" }, beijing(q.t, 19)));
      row.appendChild(el("b", { class: "me-2" }, (q.type || "M") + " " + (q.m === null ? "?" : q.m.toFixed(1))));
      var link = el("a", { href: q.url }, q.place || self.words.quake);
      row.appendChild(link);
      row.appendChild(el("span", { class: "text-body-secondary ms-2" },
        Math.round(distanceKm(self.lat, self.lon, q.lat, q.lon)) + " km"));
      list.appendChild(row);
    });
  };

  /* ---- one channel's plot --------------------------------------------------------------- */

  function Plot(group, node, colour) {
    this.group = group;
    this.node = node;
    this.channel = node.getAttribute("data-channel");
    this.interval = parseInt(node.getAttribute("data-interval"), 10) || 60;
    this.status = el("div", { class: "series-plot-status small text-body-secondary", "aria-live": "polite" });
    this.host = el("div", { class: "series-plot-canvas" });
    node.appendChild(this.host);
    node.appendChild(this.status);
    this.programmatic = true; // until built: uPlot's first scale settings are not the person's
    var self = this;
    var words = group.words;
    var label = node.getAttribute("data-label") || "";
    var unit = node.getAttribute("data-unit") || "";
    var panFrom = null;
    var opts = {
      width: Math.max(200, node.clientWidth || 600),
      height: window.innerWidth < 576 ? 180 : 220,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Asia/Shanghai"); },
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: {
        sync: { key: group.syncKey, setSeries: false },
        drag: { x: true, y: false, setScale: true },
        bind: {
          // Shift (or Alt) + drag pans the window instead of selecting a span to zoom into
          mousedown: function (u, targ, handler) {
            return function (e) {
              if (e.shiftKey || e.altKey) { panFrom = { x: e.clientX, min: group.range.min, max: group.range.max }; e.preventDefault(); return null; }
              return handler(e);
            };
          },
          dblclick: function () { return function () { group.reset(); return null; }; }
        }
      },
      axes: [
        { values: axisValues, space: 70 },
        { label: unit, size: 60 }
      ],
      series: [
        { label: words.timeBj, value: function (u, v) { return v === null || v === undefined ? "—" : beijing(v, 16); } },
        { label: label, stroke: colour, width: 1, spanGaps: false, points: { show: false },
          value: function (u, v) { return v === null || v === undefined ? "—" : (+v.toPrecision(7)) + " " + unit; } }
      ],
      hooks: {
        setScale: [function (u, key) {
          if (key === "x" && !self.programmatic) group.setRange(u.scales.x.min, u.scales.x.max, self);
        }],
        draw: [function (u) { self.drawMarks(u); }]
      }
    };
    this.u = new uPlot(opts, [[], []], this.host);
    this.programmatic = false;
    this.u.over.addEventListener("wheel", function (e) {
      if (!e.ctrlKey && !e.metaKey) return; // a plain wheel scrolls the page past the plots
      e.preventDefault();
      var rect = self.u.over.getBoundingClientRect();
      group.zoom(e.deltaY < 0 ? 0.75 : 1 / 0.75, Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width)));
    }, { passive: false });
    window.addEventListener("mousemove", function (e) {
      if (!panFrom) return;
      var width = self.u.over.clientWidth || 1;
      var shift = -(e.clientX - panFrom.x) / width * (panFrom.max - panFrom.min);
      group.setRange(panFrom.min + shift, panFrom.max + shift);
    });
    window.addEventListener("mouseup", function () { panFrom = null; });
    if (window.ResizeObserver) {
      new ResizeObserver(function () {
        var width = Math.max(200, node.clientWidth);
        if (width === self.u.width) return;
        self.programmatic = true;
        self.u.setSize({ width: width, height: self.u.height });
        self.programmatic = false;
      }).observe(node);
    }
  }

  Plot.prototype.setState = function (state, text) {
    this.node.setAttribute("data-state", state);
    this.status.textContent = text || "";
  };

  /* Show [min, max] at once (scale) and fetch its values at the span's resolution (debounced). */
  Plot.prototype.show = function (min, max, fromMe) {
    var self = this;
    if (!fromMe) {
      this.programmatic = true;
      this.u.setScale("x", { min: min, max: max });
      this.programmatic = false;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.load(min, max); }, 200);
  };

  Plot.prototype.load = function (min, max) {
    var words = this.group.words, self = this;
    var resolution = resolutionFor(max - min, this.interval);
    var query = new URLSearchParams({
      channel: this.channel,
      start: iso(Math.floor(min)),
      end: iso(Math.ceil(max)),
      resolution: resolution.name,
      format: "json"
    });
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    this.setState("loading", words.loading);
    this.node.setAttribute("data-resolution", resolution.name);
    fetchJson("/api/v1/series/?" + query.toString(), this.abort.signal).then(function (r) {
      if (!r.response.ok) {
        self.setData([], []);
        self.setState("error", errorText(r.response, r.body, words));
        return;
      }
      var start = Date.parse(r.body.start) / 1000, step = r.body.step_seconds;
      var xs = new Array(r.body.values.length);
      for (var i = 0; i < xs.length; i++) xs[i] = start + i * step;
      self.setData(xs, r.body.values);
      var present = r.body.values.some(function (v) { return v !== null; });
      self.setState(present ? "ready" : "empty",
        present ? words.resolution.replace("%(resolution)s", words["res" + r.body.resolution.charAt(0).toUpperCase() + r.body.resolution.slice(1)] || r.body.resolution) : words.empty);
    }).catch(function (error) {
      if (error.name === "AbortError") return;
      self.setData([], []);
      self.setState("error", words.failed);
    });
  };

  Plot.prototype.setData = function (xs, ys) {
    this.programmatic = true;
    this.u.setData([xs, ys], false);
    this.u.setScale("x", { min: this.group.range.min, max: this.group.range.max });
    this.programmatic = false;
  };

  Plot.prototype.redraw = function () { this.u.redraw(false, false); };

  /* Quakes as vertical lines with their magnitude; the anomaly's onset as a dashed line. */
  Plot.prototype.drawMarks = function (u) {
    var ctx = u.ctx, top = u.bbox.top, bottom = u.bbox.top + u.bbox.height;
    var left = u.bbox.left, right = u.bbox.left + u.bbox.width;
    var pxr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.font = Math.round(10 * pxr) + "px sans-serif";
    ctx.textBaseline = "top";
    function line(t, colour, dash, text) {
      var x = Math.round(u.valToPos(t, "x", true));
      if (x < left || x > right) return;
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = pxr;
      ctx.setLineDash(dash);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      if (text) ctx.fillText(text, Math.min(x + 2 * pxr, right - ctx.measureText(text).width), top + 2 * pxr);
    }
    this.group.quakes.forEach(function (q) {
      line(q.t, QUAKE_COLOUR, [], "M" + (q.m === null ? "?" : q.m.toFixed(1)));
    });
    if (this.group.onset !== null) line(this.group.onset, ONSET_COLOUR, [6 * pxr, 4 * pxr], this.group.words.onset);
    ctx.restore();
  };

  function start() {
    if (!window.uPlot) return;
    document.querySelectorAll(".series-plots").forEach(function (root) {
      if (!root.querySelector(".series-plot[data-channel]")) return;
      root.seriesGroup = new Group(root);
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
