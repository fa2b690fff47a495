/* Runs table (gallery, run list): rows follow the runs live. */
(function () {
  "use strict";
  ISPEC.products.liveTable(document.getElementById("run-table"));
})();
