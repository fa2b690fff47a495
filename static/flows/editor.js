/* The flow editor (/flows/new/, /flows/<id>/edit/): a palette of node types, the canvas
   (Drawflow), each node's parameters in a form generated from its type's params_schema,
   validate (POST /api/v1/flows/validate/), save as a new version (POST or PUT
   /api/v1/flows/…), the changes from the previous version, and a dry run whose nodes are
   coloured as the run reports (polling GET /api/v1/flow-runs/<id>/). */
(function () {
  "use strict";
  var root = document.getElementById("flow-editor");
  var dataNode = document.getElementById("flow-editor-data");
  if (!root || !dataNode || !window.Drawflow || !window.ISPEC || !window.ISPEC.flowGraph) return;
  var G = window.ISPEC.flowGraph;
  var data = JSON.parse(dataNode.textContent);
  var L = JSON.parse(document.getElementById("flow-editor-labels").textContent);
  var api = root.getAttribute("data-api");
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]").value;
  var flow = data.flow;
  var NODE_ID = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
  var FINAL = { succeeded: 1, failed: 1, cancelled: 1 };

  function fmt(s, values) {
    return String(s).replace(/%\((\w+)\)s/g, function (m, k) { return values[k] === undefined ? m : values[k]; });
  }
  function el(tag, attrs, txt) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (txt !== undefined) e.textContent = txt;
    return e;
  }

  var types = {};
  data.palette.forEach(function (t) { types[t.type] = t; });
  var state = {}; /* Drawflow id -> {fid, type, params, errors: {key: msg}, output, status} */
  var dirty = false, loading = true, selected = null;
  var message = document.getElementById("flow-message");

  function say(text, level, attrs) {
    message.innerHTML = "";
    var box = el("div", { "class": "alert py-1 px-2 small alert-" + (level || "info") }, text);
    Object.keys(attrs || {}).forEach(function (k) { box.setAttribute(k, attrs[k]); });
    message.appendChild(box);
    return box;
  }
  function touch() { dirty = true; }

  /* ---- palette ---- */
  var palette = document.getElementById("flow-palette");
  var groups = [];
  var byKey = {};
  data.palette.forEach(function (t) {
    var key = t.family === "method" ? "method." + (t.discipline || "") : t.family;
    if (!byKey[key]) {
      var title = L.families[t.family] || t.family;
      if (t.family === "method" && t.discipline_title) title = title + " · " + t.discipline_title;
      byKey[key] = { title: title, items: [] };
      groups.push(byKey[key]);
    }
    byKey[key].items.push(t);
  });
  groups.forEach(function (g) {
    var details = el("details", { "class": "flow-palette-group" });
    if (g.items[0].family !== "method" || g.items[0].discipline === "seismology") details.open = true;
    details.appendChild(el("summary", { "class": "small fw-semibold" }, g.title));
    g.items.forEach(function (t) {
      var item = el("div", {
        "class": "flow-palette-item", draggable: "true", tabindex: "0", role: "button",
        "data-node-type": t.type, title: t.description
      }, t.title);
      item.addEventListener("dragstart", function (ev) { ev.dataTransfer.setData("text/plain", t.type); });
      item.addEventListener("click", function () { addAt(t.type, null); });
      item.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); addAt(t.type, null); } });
      details.appendChild(item);
    });
    palette.appendChild(details);
  });

  /* ---- canvas ---- */
  var canvas = document.getElementById("flow-canvas");
  var editor = new window.Drawflow(canvas);
  editor.reroute = false;
  editor.start();

  function newId(type) {
    var base = type.split(".").pop().replace(/[^A-Za-z0-9_-]/g, "_");
    if (!/^[A-Za-z]/.test(base)) base = "n" + base;
    base = base.slice(0, 36);
    var taken = {};
    Object.keys(state).forEach(function (k) { taken[state[k].fid] = 1; });
    if (!taken[base]) return base;
    for (var i = 2; ; i++) if (!taken[base + i]) return base + i;
  }

  function add(node) {
    var dfId = G.addNode(editor, node, types[node.type]);
    state[dfId] = { fid: node.id, type: node.type, params: node.params || {}, errors: {} };
    return dfId;
  }

  function addAt(type, point) {
    var x, y;
    if (point) {
      var rect = editor.precanvas.getBoundingClientRect();
      var f = editor.precanvas.clientWidth / (editor.precanvas.clientWidth * editor.zoom);
      x = point.x * f - rect.x * f;
      y = point.y * f - rect.y * f;
    } else {
      var n = Object.keys(state).length;
      x = 40 + (n % 4) * 250 - editor.canvas_x;
      y = 40 + Math.floor(n / 4) * 150 - editor.canvas_y;
    }
    var dfId = add({ id: newId(type), type: type, params: {}, x: Math.round(x), y: Math.round(y) });
    touch();
    select(dfId);
    return dfId;
  }

  canvas.addEventListener("dragover", function (ev) { ev.preventDefault(); });
  canvas.addEventListener("drop", function (ev) {
    ev.preventDefault();
    var type = ev.dataTransfer.getData("text/plain");
    if (types[type]) addAt(type, { x: ev.clientX, y: ev.clientY });
  });

  /* A wrong connection is removed as it is made, and the page says why. */
  editor.on("connectionCreated", function (c) {
    if (loading) return;
    var a = state[c.output_id], b = state[c.input_id];
    var out = Object.keys(types[a.type].outputs)[parseInt(c.output_class.split("_")[1], 10) - 1];
    var inp = Object.keys(types[b.type].inputs)[parseInt(c.input_class.split("_")[1], 10) - 1];
    var given = types[a.type].outputs[out], wanted = types[b.type].inputs[inp];
    var problem = null;
    if (c.output_id === c.input_id) problem = L.self_loop;
    else if (!(given === wanted || given === "any" || wanted === "any")) problem = fmt(L.wrong_type, { from: given, to: wanted });
    else if (editor.getNodeFromId(c.input_id).inputs[c.input_class].connections.length > 1) problem = L.input_taken;
    if (problem) {
      editor.removeSingleConnection(c.output_id, c.input_id, c.output_class, c.input_class);
      say(problem, "warning", { "data-refused": "1" });
      return;
    }
    var port = canvas.querySelector("#node-" + c.input_id + " ." + c.input_class);
    if (port) port.classList.remove("flow-port-missing");
    touch();
  });
  editor.on("connectionRemoved", function () { if (!loading) touch(); });
  editor.on("nodeMoved", touch);
  editor.on("nodeRemoved", function (id) {
    delete state[id];
    if (selected === String(id)) select(null);
    touch();
  });
  editor.on("nodeSelected", function (id) { select(String(id)); });
  editor.on("nodeUnselected", function () { select(null); });

  /* ---- the definition ---- */
  function definition() {
    var home = editor.export().drawflow.Home.data;
    var ids = Object.keys(home).sort(function (a, b) { return a - b; });
    var nodes = [], edges = [];
    ids.forEach(function (id) {
      var s = state[id], n = home[id];
      if (!s) return;
      nodes.push({ id: s.fid, type: s.type, params: s.params, x: Math.round(n.pos_x), y: Math.round(n.pos_y) });
      var outs = Object.keys(types[s.type].outputs);
      Object.keys(n.outputs).forEach(function (oc) {
        n.outputs[oc].connections.forEach(function (conn) {
          var t = state[conn.node];
          if (!t) return;
          var ins = Object.keys(types[t.type].inputs);
          edges.push({
            from: s.fid + "." + outs[parseInt(oc.split("_")[1], 10) - 1],
            to: t.fid + "." + ins[parseInt(conn.output.split("_")[1], 10) - 1]
          });
        });
      });
    });
    return { nodes: nodes, edges: edges };
  }

  function dfIdOf(fid) {
    return Object.keys(state).filter(function (k) { return state[k].fid === fid; })[0];
  }

  /* ---- the parameter form of the selected node ---- */
  var inspector = document.getElementById("flow-inspector");
  var removeButton = document.getElementById("flow-delete-node");

  function kinds(prop) {
    var t = Array.isArray(prop.type) ? prop.type : [prop.type];
    var base = t.filter(function (x) { return x !== "null"; });
    return { nullable: t.indexOf("null") >= 0, base: base.length === 1 ? base[0] : "mixed" };
  }

  function shown(value) {
    if (value === undefined || value === null) return "";
    if (Array.isArray(value) && value.every(function (v) { return typeof v !== "object"; })) return value.join(", ");
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  /* The value of a field, or {error}; undefined: leave the parameter out (its default). */
  function read(prop, input, required) {
    var k = kinds(prop);
    if (k.base === "boolean" && !prop.enum) return { value: input.checked };
    var raw = input.value.trim();
    if (raw === "") {
      if (k.nullable && (required || !("default" in prop) || prop["default"] !== null)) return { value: null };
      if (required) return { error: L.required };
      return { value: undefined };
    }
    var v;
    if (prop.enum) {
      v = prop.enum.filter(function (o) { return shown(o) === raw; })[0];
      return { value: v === undefined ? raw : v };
    }
    if (k.base === "number" || k.base === "integer") {
      v = Number(raw);
      if (!isFinite(v)) return { error: L.number };
      if (k.base === "integer" && Math.floor(v) !== v) return { error: L.integer };
      if (prop.minimum !== undefined && v < prop.minimum) return { error: fmt(L.minimum, { n: prop.minimum }) };
      if (prop.maximum !== undefined && v > prop.maximum) return { error: fmt(L.maximum, { n: prop.maximum }) };
      return { value: v };
    }
    if (k.base === "string") {
      if (prop.maxLength && raw.length > prop.maxLength) return { error: fmt(L.max_length, { n: prop.maxLength }) };
      return { value: raw };
    }
    if (k.base === "array" && prop.items && ["string", "number", "integer"].indexOf(prop.items.type) >= 0) {
      var parts = raw.split(/[,，]/).map(function (p) { return p.trim(); }).filter(Boolean);
      if (prop.items.type !== "string") {
        parts = parts.map(Number);
        if (parts.some(function (p) { return !isFinite(p); })) return { error: L.number };
      }
      return { value: parts };
    }
    try { return { value: JSON.parse(raw) }; } catch (e) {
      if (k.base === "mixed") return { value: raw };
      return { error: L.json };
    }
  }

  function field(s, key, prop, required) {
    var k = kinds(prop);
    var id = "param-" + key;
    var wrap = el("div", { "class": "mb-2", "data-param": key });
    var label = el("label", { "class": "form-label small mb-0", "for": id }, key);
    if (required) { label.appendChild(document.createTextNode(" ")); label.appendChild(el("span", { "class": "text-danger", title: L.required }, "*")); }
    var value = key in s.params ? s.params[key] : undefined;
    var input;
    if (prop.enum) {
      input = el("select", { "class": "form-select form-select-sm", id: id });
      if (!required || k.nullable) input.appendChild(el("option", { value: "" }, L.none));
      prop.enum.forEach(function (o) {
        if (o === null) return;
        var opt = el("option", { value: shown(o) }, shown(o));
        if (value !== undefined ? o === value : o === prop["default"]) opt.selected = true;
        input.appendChild(opt);
      });
    } else if (k.base === "boolean") {
      wrap.className = "form-check mb-2";
      input = el("input", { "class": "form-check-input", type: "checkbox", id: id });
      input.checked = value !== undefined ? !!value : !!prop["default"];
      label.className = "form-check-label small";
    } else if (k.base === "array" || k.base === "object") {
      input = el(k.base === "object" || (prop.items && prop.items.type === "object") ? "textarea" : "input",
        { "class": "form-control form-control-sm", id: id, rows: "2" });
      input.value = shown(value);
      if (prop["default"] !== undefined && prop["default"] !== null) input.setAttribute("placeholder", shown(prop["default"]));
    } else {
      var numeric = k.base === "number" || k.base === "integer";
      input = el("input", { "class": "form-control form-control-sm", id: id, type: numeric ? "number" : "text" });
      if (numeric) {
        input.setAttribute("step", k.base === "integer" ? "1" : "any");
        if (prop.minimum !== undefined) input.setAttribute("min", prop.minimum);
        if (prop.maximum !== undefined) input.setAttribute("max", prop.maximum);
      } else if (prop.maxLength) input.setAttribute("maxlength", prop.maxLength);
      input.value = shown(value);
      if (prop["default"] !== undefined && prop["default"] !== null) input.setAttribute("placeholder", shown(prop["default"]));
    }
    input.setAttribute("name", key);
    var feedback = el("div", { "class": "invalid-feedback" });
    if (k.base === "boolean") { wrap.appendChild(input); wrap.appendChild(label); }
    else { wrap.appendChild(label); wrap.appendChild(input); }
    wrap.appendChild(feedback);
    if (prop.description) wrap.appendChild(el("div", { "class": "form-text small" }, prop.description));
    function mark(msg) {
      input.classList.toggle("is-invalid", !!msg);
      feedback.textContent = msg || "";
    }
    input.addEventListener("change", function () {
      var got = read(prop, input, required);
      delete s.errors["params." + key];
      if (got.error) { s.errors["params." + key] = got.error; mark(got.error); markNode(s); return; }
      if (got.value === undefined) delete s.params[key]; else s.params[key] = got.value;
      mark(null);
      markNode(s);
      touch();
    });
    mark(s.errors["params." + key]);
    return wrap;
  }

  function select(dfId) {
    selected = dfId;
    inspector.innerHTML = "";
    removeButton.disabled = !dfId;
    if (!dfId || !state[dfId]) {
      inspector.appendChild(el("p", { "class": "small text-muted mb-0" }, L.select_node));
      return;
    }
    var s = state[dfId], t = types[s.type];
    inspector.appendChild(el("h2", { "class": "h6 mb-1" }, t.title));
    inspector.appendChild(el("p", { "class": "small text-muted" }, t.description));
    var idWrap = el("div", { "class": "mb-2" });
    idWrap.appendChild(el("label", { "class": "form-label small mb-0", "for": "flow-node-id" }, L.node_id));
    var idInput = el("input", { "class": "form-control form-control-sm font-monospace", id: "flow-node-id", maxlength: "40" });
    idInput.value = s.fid;
    var idFeedback = el("div", { "class": "invalid-feedback" });
    idInput.addEventListener("change", function () {
      var v = idInput.value.trim();
      var clash = Object.keys(state).some(function (k) { return k !== dfId && state[k].fid === v; });
      var problem = !NODE_ID.test(v) ? L.bad_id : clash ? L.id_taken : null;
      idInput.classList.toggle("is-invalid", !!problem);
      idFeedback.textContent = problem || "";
      if (problem) return;
      s.fid = v;
      var nodeEl = canvas.querySelector("#node-" + dfId);
      nodeEl.setAttribute("data-flow-node", v);
      nodeEl.querySelector(".flow-node-id").textContent = v;
      touch();
    });
    idWrap.appendChild(idInput);
    idWrap.appendChild(idFeedback);
    inspector.appendChild(idWrap);
    var schema = t.params_schema || {};
    var props = schema.properties || {};
    var required = schema.required || [];
    var form = el("form", { "class": "flow-params", novalidate: "novalidate" });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });
    Object.keys(props).forEach(function (key) { form.appendChild(field(s, key, props[key], required.indexOf(key) >= 0)); });
    if (!Object.keys(props).length) form.appendChild(el("p", { "class": "small text-muted" }, L.no_params));
    inspector.appendChild(form);
    var general = Object.keys(s.errors).filter(function (k) { return k.indexOf("params.") !== 0 || !props[k.slice(7)]; });
    general.forEach(function (k) { inspector.appendChild(el("div", { "class": "small text-danger", "data-node-error": k }, k + ": " + s.errors[k])); });
    if (s.status) {
      inspector.appendChild(el("h3", { "class": "h6 mt-2" }, L.dry_run_output + " · " + (L.states[s.status] || s.status)));
      if (s.error) inspector.appendChild(el("div", { "class": "small text-danger" }, s.error));
      if (s.output) inspector.appendChild(el("pre", { "class": "small text-wrap flow-output", id: "flow-node-output" }, JSON.stringify(s.output, null, 1).slice(0, 4000)));
    }
  }

  removeButton.addEventListener("click", function () {
    if (selected) editor.removeNodeId("node-" + selected);
  });

  function markNode(s) {
    var dfId = dfIdOf(s.fid);
    var nodeEl = dfId && canvas.querySelector("#node-" + dfId);
    if (!nodeEl) return;
    var keys = Object.keys(s.errors);
    nodeEl.classList.toggle("flow-node-invalid", keys.length > 0);
    var info = nodeEl.querySelector(".flow-node-info");
    info.textContent = keys.length ? s.errors[keys[0]] : "";
    nodeEl.querySelectorAll(".inputs .input").forEach(function (port) {
      port.classList.toggle("flow-port-missing", !!s.errors["inputs." + port.getAttribute("data-port")]);
    });
  }

  /* ---- talking to the API ---- */
  function call(method, path, body) {
    return fetch(api + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) { return { ok: r.ok, status: r.status, body: j }; });
    }, function () { return { ok: false, status: 0, body: { detail: L.network } }; });
  }

  function clearErrors() {
    Object.keys(state).forEach(function (k) {
      state[k].errors = {};
      markNode(state[k]);
    });
    root.querySelectorAll("[data-error-for]").forEach(function (f) { f.textContent = ""; });
    document.getElementById("flow-name").classList.remove("is-invalid");
  }

  /* Errors of the API ({"nodes.<id>.params.<key>": [...], "edges.<i>": [...], ...}) on the nodes. */
  function showErrors(body, sent) {
    var errors = body.errors || {};
    var general = [];
    Object.keys(errors).forEach(function (key) {
      var msg = [].concat(errors[key]).join(" ");
      var m = /^nodes\.([^.]+)\.(.+)$/.exec(key);
      var dfId = m && dfIdOf(m[1]);
      if (dfId) { state[dfId].errors[m[2]] = msg; markNode(state[dfId]); return; }
      var e = /^edges\.(\d+)$/.exec(key);
      if (e && sent && sent.edges[+e[1]]) { general.push(sent.edges[+e[1]].from + " → " + sent.edges[+e[1]].to + ": " + msg); return; }
      if (key === "name") {
        document.getElementById("flow-name").classList.add("is-invalid");
        root.querySelector('[data-error-for="name"]').textContent = msg;
        return;
      }
      if (key === "input") { root.querySelector('[data-error-for="input"]').textContent = msg; document.getElementById("flow-sample").classList.add("show"); return; }
      general.push((key === "definition" || key === "non_field_errors" ? "" : key + ": ") + msg);
    });
    var box = say(Object.keys(errors).length ? L.invalid : (body.detail || L.network), "danger", { "data-invalid": "1" });
    if (general.length) {
      var list = el("ul", { "class": "mb-0" });
      general.forEach(function (g) { list.appendChild(el("li", {}, g)); });
      box.appendChild(list);
    }
    if (selected) select(selected);
  }

  function clientErrors() {
    return Object.keys(state).some(function (k) { return Object.keys(state[k].errors).length > 0; });
  }

  document.getElementById("flow-validate").addEventListener("click", function () {
    var sent = definition();
    clearErrors();
    call("POST", "flows/validate/", { definition: sent }).then(function (r) {
      if (r.ok) say(L.valid, "success", { "data-valid": "1" });
      else showErrors(r.body, sent);
    });
  });

  function showDiff(flowId, number) {
    call("GET", "flows/" + flowId + "/versions/").then(function (r) {
      var version = r.ok && (r.body.results || []).filter(function (v) { return v.number === number; })[0];
      var box = document.getElementById("flow-diff");
      var list = box.querySelector("ul");
      list.innerHTML = "";
      if (!version) return;
      var d = version.diff, lines = [];
      function v(x) { return x === null || x === undefined ? L.empty : typeof x === "string" ? x : JSON.stringify(x); }
      if (d.nodes_added.length) lines.push(fmt(L.nodes_added, { ids: d.nodes_added.join(", ") }));
      if (d.nodes_removed.length) lines.push(fmt(L.nodes_removed, { ids: d.nodes_removed.join(", ") }));
      d.nodes_changed.forEach(function (n) {
        if (n.type) lines.push(fmt(L.type_changed, { id: n.id, old: n.type.old, "new": n.type["new"] }));
        Object.keys(n.params).forEach(function (p) {
          lines.push(fmt(L.param_changed, { id: n.id, param: p, old: v(n.params[p].old), "new": v(n.params[p]["new"]) }));
        });
      });
      d.edges_added.forEach(function (e) { lines.push(fmt(L.edge_added, { from: e.from, to: e.to })); });
      d.edges_removed.forEach(function (e) { lines.push(fmt(L.edge_removed, { from: e.from, to: e.to })); });
      if (!lines.length) lines.push(L.only_positions);
      lines.forEach(function (line) { list.appendChild(el("li", {}, line)); });
      box.hidden = false;
    });
  }

  document.getElementById("flow-save").addEventListener("click", function () {
    if (clientErrors()) { say(L.fix_fields, "danger"); return; }
    var sent = definition();
    clearErrors();
    var body = {
      name: document.getElementById("flow-name").value.trim(),
      description: document.getElementById("flow-description").value,
      comment: document.getElementById("flow-comment").value.trim(),
      definition: sent
    };
    var request = flow ? call("PUT", "flows/" + flow.id + "/", body) : call("POST", "flows/", body);
    request.then(function (r) {
      if (!r.ok) { showErrors(r.body, sent); return; }
      dirty = false;
      if (!flow) { window.location.assign("/flows/" + r.body.id + "/edit/?saved=" + r.body.version); return; }
      var changed = r.body.version !== flow.version;
      flow.version = r.body.version;
      say(changed ? fmt(L.saved, { n: r.body.version }) : L.unchanged, "success", { "data-saved": String(r.body.version) });
      document.getElementById("flow-comment").value = "";
      if (changed) showDiff(flow.id, r.body.version);
    });
  });

  /* ---- dry run ---- */
  function setNodeState(fid, node) {
    var dfId = dfIdOf(fid);
    if (!dfId) return;
    var s = state[dfId];
    s.status = node.status; s.output = node.output; s.error = node.error;
    G.setState(canvas, fid, node.status, node.error || L.states[node.status] || node.status);
    if (selected === dfId) select(dfId);
  }

  function poll(run) {
    call("GET", "flow-runs/" + run.id + "/").then(function (r) {
      if (!r.ok) { say(r.body.detail || L.network, "danger"); return; }
      r.body.nodes.forEach(function (n) { setNodeState(n.id, n); });
      var box = say(fmt(L.dry_run_state, { id: r.body.id, status: L.states[r.body.status] || r.body.status }),
        r.body.status === "failed" ? "danger" : FINAL[r.body.status] ? "success" : "info", { "data-run-status": r.body.status });
      box.appendChild(document.createTextNode(" "));
      box.appendChild(el("a", { href: r.body.url }, L.open_run));
      if (!FINAL[r.body.status]) window.setTimeout(function () { poll(run); }, 1000);
    });
  }

  function sampleInput() {
    try { return JSON.parse(document.getElementById("flow-sample-input").value || "{}"); } catch (e) {
      root.querySelector('[data-error-for="input"]').textContent = L.json;
      document.getElementById("flow-sample-input").classList.add("is-invalid");
      document.getElementById("flow-sample").classList.add("show");
      return undefined;
    }
  }

  /* A dry run (shown here, node by node) or a run (its page), on the sample input. */
  function start(dry) {
    if (!flow || dirty) { say(L.save_first, "warning"); return; }
    var input = sampleInput();
    if (input === undefined) return;
    document.getElementById("flow-sample-input").classList.remove("is-invalid");
    clearErrors();
    call("POST", "flows/" + flow.id + (dry ? "/dry-run/" : "/runs/"), { input: input }).then(function (r) {
      if (!r.ok) { showErrors(r.body, null); return; }
      if (dry) poll(r.body); else window.location.assign(r.body.url);
    });
  }
  document.getElementById("flow-dry-run").addEventListener("click", function () { start(true); });
  document.getElementById("flow-run").addEventListener("click", function () { start(false); });

  /* ---- load the saved definition ---- */
  var initial = data.definition || { nodes: [], edges: [] };
  G.layout(initial);
  var ids = {};
  initial.nodes.forEach(function (n) { if (types[n.type]) ids[n.id] = add(n); });
  G.addEdges(editor, initial, ids, types);
  loading = false;
  var saved = /[?&]saved=(\d+)/.exec(window.location.search);
  if (saved && flow) { say(fmt(L.saved, { n: saved[1] }), "success", { "data-saved": saved[1] }); showDiff(flow.id, +saved[1]); }
  else if (!initial.nodes.length) say(L.empty_canvas, "info");
  window.addEventListener("beforeunload", function (ev) { if (dirty) { ev.preventDefault(); ev.returnValue = ""; } });
  root.setAttribute("data-ready", "1");
})();
