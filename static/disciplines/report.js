/* Zero-report form: the anomaly fields show only when the status is "anomaly". */
(function () {
  var box = document.getElementById("anomaly-fields");
  if (!box) return;
  function sync() {
    var checked = document.querySelector('input[name="status"]:checked');
    box.style.display = checked && checked.value === "anomaly" ? "" : "none";
  }
  document.querySelectorAll('input[name="status"]').forEach(function (r) { r.addEventListener("change", sync); });
  sync();
})();
