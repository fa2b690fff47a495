/* Event list: the map of the listed events; live updates only when the list is unfiltered. */
(function () {
  "use strict";
  var live = document.getElementById("live-status").getAttribute("data-live") === "1";
  ISPEC.catalogList(document.getElementById("event-map"), JSON.parse(document.getElementById("event-markers").textContent), live);
})();
