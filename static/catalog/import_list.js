/* Catalog imports: progress of running imports. */
(function () {
  "use strict";
  ISPEC.catalogImports(document.getElementById("imports"));
})();
