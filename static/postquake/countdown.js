/* Post-quake cases: the countdown to each open case's first-opinion deadline
 * (elements with data-countdown="<ISO time>"; data-overdue is the word shown once it passed). */
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Math.round((Date.parse(el.getAttribute("data-countdown")) - now) / 1000);
      if (isNaN(left)) return;
      if (left <= 0) {
        el.textContent = el.getAttribute("data-overdue") || "";
        el.classList.add("text-danger", "fw-semibold");
        return;
      }
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      el.classList.toggle("text-danger", left < 600);
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
