/* Run page: progress, then the result, live. */
(function () {
  "use strict";
  ISPEC.products.runPage(document.getElementById("run-progress"));
})();
