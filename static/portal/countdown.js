/* Live countdowns to deadlines (a post-quake case's first opinion, on its page, its list and the
 * dashboard). Markup, drawn by the server with a fallback text:
 *   <span data-countdown="<ISO deadline>" data-left="{t} left" data-overdue="overdue by {n} min"
 *         data-reload-on="/the/page/of/the/work/">due 12:30</span>
 * Before the deadline {t} is the time left (h:mm:ss or m:ss; red in its last 10 minutes); after
 * it {n} is the whole minutes past. When a live event about the work's state (ispec:event with
 * that url, e.g. its opinion issued) arrives, the page reloads to show what the server now says. */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function fill(pattern, key, value) { return (pattern || "{" + key + "}").split("{" + key + "}").join(value); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-countdown")) - now) / 1000);
      if (isNaN(left)) return;
      if (left <= 0) {
        el.textContent = fill(el.getAttribute("data-overdue"), "n", String(Math.floor(-left / 60)));
        el.classList.add("text-danger", "fw-semibold");
        el.setAttribute("data-countdown-state", "overdue");
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = fill(el.getAttribute("data-left"), "t", (h ? h + ":" + pad(m) : m) + ":" + pad(s));
      el.classList.toggle("text-danger", left < 600);
      el.setAttribute("data-countdown-state", "running");
    });
  }
  document.addEventListener("ispec:event", function (ev) {
    var detail = ev.detail || {}, url = detail.url;
    // A notification about the work (a reminder) is a toast and the bell, not a new state.
    if (!url || detail.kind === "notification") return;
    var watched = Array.prototype.some.call(document.querySelectorAll("[data-reload-on]"), function (el) {
      return el.getAttribute("data-reload-on") === url;
    });
    if (watched) window.location.reload();
  });
  tick();
  window.setInterval(tick, 1000);
})();
