/* People and bureau administration pages: Bootstrap classes on the fields Django renders
 * bare, and the jurisdiction map of the bureau form. Each part finds its own form. */
(function () {
  "use strict";
  document.querySelectorAll("#grant-form select").forEach(function (e) { e.classList.add("form-select", "form-select-sm"); });
  document.querySelectorAll("#person-form input, #person-form select").forEach(function (e) {
    e.classList.add(e.tagName === "SELECT" ? "form-select" : "form-control");
  });
  var m = document.getElementById("bureau-map");
  if (m) ISPEC.jurisdictionMap(m);
  document.querySelectorAll("#bureau-form input:not([type=checkbox]), #bureau-form select, #bureau-form textarea").forEach(function (e) {
    e.classList.add(e.tagName === "SELECT" ? "form-select" : "form-control");
  });
})();
