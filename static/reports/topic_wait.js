/* A special-topic report still building: reload when it is ready. The report id comes in
 * this script's data-report attribute. */
(function () {
  "use strict";
  ISPEC.topicReportWait(Number(document.currentScript.getAttribute("data-report")));
})();
