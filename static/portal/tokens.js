/* The page of a new API token: <button data-copy="input-id" data-copied="Copied"> copies the
 * input's text (the secret, shown this once) and says so. Without the clipboard API (a page not
 * served over HTTPS), the text is selected for the person to copy. */
(function () {
  "use strict";
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    var done = function () { button.textContent = button.getAttribute("data-copied") || "✓"; };
    input.focus();
    input.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { /* left selected */ });
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  });
})();
