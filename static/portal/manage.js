/* People and bureau administration pages: Bootstrap classes on the fields Django renders
 * bare (the bureau form's map is static/portal/bureau_map.js). Each part finds its own form. */
(function () {
  "use strict";
  document.querySelectorAll("#grant-form select").forEach(function (e) { e.classList.add("form-select", "form-select-sm"); });
  document.querySelectorAll("#person-form input, #person-form select").forEach(function (e) {
    e.classList.add(e.tagName === "SELECT" ? "form-select" : "form-control");
  });
  document.querySelectorAll("#bureau-form input:not([type=checkbox]), #bureau-form select, #bureau-form textarea").forEach(function (e) {
    e.classList.add(e.tagName === "SELECT" ? "form-select" : "form-control");
  });
})();
