/* A form's region map (templates/consultations/_draw_script.html): the buttons under the map
 * drive the drawing. This script's tag names the form field (data-input) and the colour. */
(function () {
  var me = document.currentScript;
  var draw = ISPECDraw(document.getElementById("draw-map"), document.getElementById(me.getAttribute("data-input")), { color: me.getAttribute("data-color") });
  document.getElementById("draw-finish").onclick = draw.finish;
  document.getElementById("draw-undo").onclick = draw.undo;
  document.getElementById("draw-clear").onclick = draw.clear;
  document.getElementById("draw-load").onclick = function () {
    try { draw.load(document.getElementById("draw-geojson").value); } catch (e) { ISPEC.toast(String(e), "", "", "warning"); }
  };
  window.ispecDraw = draw;
})();
