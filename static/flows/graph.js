/* Drawing flows with Drawflow (static/vendor/drawflow): shared by the editor (editor.js), the
   flow page and the run page (read-only, the run page colouring each node by its state).
   A node of the definition ({id, type, params, x, y}) is a Drawflow node whose inputs and
   outputs follow its type's ports in order; each port carries data-port (its name, shown
   beside it) and data-port-type. */
(function () {
  "use strict";
  var ISPEC = (window.ISPEC = window.ISPEC || {});

  function text(tag, cls, value) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value;
    return el;
  }

  function nodeHtml(node, info) {
    var box = document.createElement("div");
    box.appendChild(text("div", "flow-node-title", info ? info.title : node.type));
    box.appendChild(text("div", "flow-node-id", node.id));
    box.appendChild(text("div", "flow-node-info", ""));
    return box.innerHTML; /* every piece went through textContent: escaped */
  }

  /* Missing positions: by topological layer, left to right. */
  function layout(definition) {
    var nodes = definition.nodes || [];
    var depth = {};
    nodes.forEach(function (n) { depth[n.id] = 0; });
    for (var pass = 0; pass < nodes.length; pass++) {
      (definition.edges || []).forEach(function (e) {
        var a = e.from.split(".")[0], b = e.to.split(".")[0];
        if (depth[a] !== undefined && depth[b] !== undefined && depth[b] < depth[a] + 1) depth[b] = depth[a] + 1;
      });
    }
    var rows = {};
    nodes.forEach(function (n) {
      var d = Math.min(depth[n.id], nodes.length);
      rows[d] = (rows[d] || 0) + 1;
      if (typeof n.x !== "number" || typeof n.y !== "number") {
        n.x = 30 + 260 * d;
        n.y = 30 + 150 * (rows[d] - 1);
      }
    });
  }

  function labelPorts(container, dfId, info) {
    var el = container.querySelector("#node-" + dfId);
    if (!el || !info) return el;
    var ins = Object.keys(info.inputs), outs = Object.keys(info.outputs);
    el.querySelectorAll(".inputs .input").forEach(function (port, i) {
      port.setAttribute("data-port", ins[i]);
      port.setAttribute("data-port-type", info.inputs[ins[i]]);
      port.setAttribute("title", ins[i] + " (" + info.inputs[ins[i]] + ")");
    });
    el.querySelectorAll(".outputs .output").forEach(function (port, i) {
      port.setAttribute("data-port", outs[i]);
      port.setAttribute("data-port-type", info.outputs[outs[i]]);
      port.setAttribute("title", outs[i] + " (" + info.outputs[outs[i]] + ")");
    });
    return el;
  }

  /* Add one node; returns Drawflow's id. */
  function addNode(editor, node, info, data) {
    var ins = info ? Object.keys(info.inputs).length : 0;
    var outs = info ? Object.keys(info.outputs).length : 0;
    var cls = "flow-node flow-family-" + (info ? info.family : "unknown");
    var dfId = editor.addNode(node.type, ins, outs, node.x || 0, node.y || 0, cls, data || {}, nodeHtml(node, info), false);
    var el = labelPorts(editor.container, dfId, info);
    if (el) el.setAttribute("data-flow-node", node.id);
    return dfId;
  }

  /* Connect the definition's edges between nodes already added ({flow id: Drawflow id}). */
  function addEdges(editor, definition, ids, types) {
    var typeOf = {};
    (definition.nodes || []).forEach(function (n) { typeOf[n.id] = types[n.type]; });
    (definition.edges || []).forEach(function (e) {
      var f = e.from.split("."), t = e.to.split(".");
      var a = typeOf[f[0]], b = typeOf[t[0]];
      if (!a || !b || ids[f[0]] === undefined || ids[t[0]] === undefined) return;
      var o = Object.keys(a.outputs).indexOf(f[1]), i = Object.keys(b.inputs).indexOf(t[1]);
      if (o < 0 || i < 0) return;
      editor.addConnection(ids[f[0]], ids[t[0]], "output_" + (o + 1), "input_" + (i + 1));
    });
  }

  function setState(container, nodeId, status, label) {
    var el = container.querySelector('[data-flow-node="' + CSS.escape(nodeId) + '"]');
    if (!el) return;
    el.className = el.className.replace(/\bflow-state-\S+/g, "").trim() + " flow-state-" + status;
    el.setAttribute("data-state", status);
    var info = el.querySelector(".flow-node-info");
    if (info) info.textContent = label || status;
  }

  /* A read-only drawing of {definition, types, states} in container, fitted to its width. */
  function draw(container, graph, labels) {
    var definition = JSON.parse(JSON.stringify(graph.definition || { nodes: [], edges: [] }));
    layout(definition);
    var editor = new window.Drawflow(container);
    editor.editor_mode = "view";
    editor.start();
    var ids = {};
    definition.nodes.forEach(function (n) { ids[n.id] = addNode(editor, n, graph.types[n.type]); });
    addEdges(editor, definition, ids, graph.types);
    var maxX = 0, maxY = 0;
    definition.nodes.forEach(function (n) { maxX = Math.max(maxX, n.x + 240); maxY = Math.max(maxY, n.y + 140); });
    var scale = Math.min(1, (container.clientWidth || 600) / Math.max(maxX, 1));
    editor.zoom = scale;
    editor.zoom_refresh();
    container.style.height = Math.max(160, Math.min(520, Math.ceil(maxY * scale) + 20)) + "px";
    Object.keys(graph.states || {}).forEach(function (id) {
      setState(container, id, graph.states[id], (labels || {})[graph.states[id]]);
    });
    return editor;
  }

  ISPEC.flowGraph = { addNode: addNode, addEdges: addEdges, layout: layout, draw: draw, setState: setState };

  /* Read-only graphs of the page: <div data-flow-graph="<json_script id>" data-labels="<id>"> */
  document.querySelectorAll("[data-flow-graph]").forEach(function (container) {
    var source = document.getElementById(container.getAttribute("data-flow-graph"));
    var labelSource = document.getElementById(container.getAttribute("data-labels") || "");
    if (!source || !window.Drawflow) return;
    container.__flowEditor = draw(container, JSON.parse(source.textContent), labelSource ? JSON.parse(labelSource.textContent) : {});
  });
})();
