/* Dashboard: the map of the bureaus' jurisdictions. */
(function () {
  "use strict";
  ISPEC.jurisdictionMap(document.getElementById("jurisdiction-map"));
})();
