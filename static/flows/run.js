/* A flow run's page: each node's state follows the run's websocket (flows.consumers). */
(function () {
  "use strict";
  var script = document.currentScript;
  var labels = {};
  try { labels = JSON.parse(script.getAttribute("data-labels")); } catch (e) { labels = {}; }
  var root = document.getElementById("flow-run");
  if (!root || !window.ISPEC || !window.ISPEC.socket) return;
  window.ISPEC.socket(root.getAttribute("data-ws"), function (event) {
    if (event.kind === "flow.node") {
      var item = root.querySelector('[data-node="' + CSS.escape(event.id) + '"]');
      if (!item) return;
      var badge = item.querySelector("[data-node-status]");
      badge.setAttribute("data-node-status", event.status);
      badge.textContent = labels[event.status] || event.status;
      item.querySelector("[data-node-error]").textContent = event.error || "";
      var graph = document.getElementById("flow-graph");
      if (graph && window.ISPEC.flowGraph) {
        window.ISPEC.flowGraph.setState(graph, event.id, event.status, event.error || labels[event.status] || event.status);
      }
    } else if (event.kind === "flow.run") {
      var status = document.getElementById("flow-run-status");
      status.setAttribute("data-status", event.status);
      status.textContent = labels[event.status] || event.status;
      if (event.status === "succeeded" || event.status === "failed" || event.status === "cancelled") {
        root.setAttribute("data-final", "1");
      }
    }
  });
})();
