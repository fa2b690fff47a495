/* New run: the browser checks limits first (reportValidity), the server checks again and names the field. */
document.getElementById("run-form").addEventListener("submit", function (e) { if (!this.reportValidity()) e.preventDefault(); });
