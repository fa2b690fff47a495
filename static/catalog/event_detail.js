/* Event page: the epicentre and the seismicity around it. */
(function () {
  "use strict";
  ISPEC.catalogEvent(document.getElementById("event-map"),
    JSON.parse(document.getElementById("event-data").textContent),
    JSON.parse(document.getElementById("nearby-data").textContent));
})();
