/* GIS layer page: the layer's features on a map. */
(function () {
  "use strict";
  ISPEC.layerPreview(document.getElementById("layer-map"));
})();
