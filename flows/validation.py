"""Validation of a flow definition, and the difference between two versions.

``definition_clean(definition)`` returns the definition with each node's parameters
filled with their schema defaults, or raises :class:`FlowInvalid` whose ``errors`` name
every problem: ``nodes.<id>.type`` (unknown type), ``nodes.<id>.params.<key>`` (invalid
parameter, by the node type's JSON schema, Draft 2020-12 via ``jsonschema``, then its own
``clean``), ``nodes.<id>.inputs.<port>`` (a required input not connected),
``edges.<i>`` (an unknown node or port, or port types that do not match), ``edges`` (a
cycle), ``nodes`` (no nodes, duplicate ids).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from jsonschema import Draft202012Validator

from portal.exceptions import InvalidInput

from .registry import node_type, ports_compatible

MAX_NODES = 100
MAX_EDGES = 400
NODE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,39}$")


class FlowInvalid(InvalidInput):
    """A definition with problems; ``errors`` maps each place to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{key}: {value}" for key, value in sorted(self.errors.items()))
        super().__init__(detail, field=next(iter(sorted(self.errors))) if self.errors else None)


def _defaults(schema: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key, prop in schema.get("properties", {}).items():
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
    return out


def _endpoint(text: Any) -> tuple[str, str] | None:
    if not isinstance(text, str) or text.count(".") != 1:
        return None
    node, port = text.split(".")
    return (node, port) if node and port else None


def topological_layers(node_ids: list[str], edges: list[tuple[str, str]]) -> list[list[str]] | None:
    """Kahn's algorithm by layers: each layer's nodes depend only on earlier layers. None: a cycle."""
    indegree = dict.fromkeys(node_ids, 0)
    after: dict[str, list[str]] = {n: [] for n in node_ids}
    for source, target in edges:
        indegree[target] += 1
        after[source].append(target)
    layer = [n for n in node_ids if indegree[n] == 0]
    layers: list[list[str]] = []
    seen = 0
    while layer:
        layers.append(layer)
        seen += len(layer)
        following: list[str] = []
        for node in layer:
            for target in after[node]:
                indegree[target] -= 1
                if indegree[target] == 0:
                    following.append(target)
        layer = following
    return layers if seen == len(node_ids) else None


def definition_clean(definition: Any) -> dict[str, Any]:
    """The definition with defaults filled; FlowInvalid naming every problem."""
    errors: dict[str, str] = {}
    if not isinstance(definition, dict):
        raise FlowInvalid({"definition": "must be an object {nodes, edges}"})
    nodes = definition.get("nodes")
    edges = definition.get("edges", [])
    if not isinstance(nodes, list) or not nodes:
        raise FlowInvalid({"nodes": "a flow needs at least one node"})
    if not isinstance(edges, list):
        raise FlowInvalid({"edges": "must be a list"})
    if len(nodes) > MAX_NODES or len(edges) > MAX_EDGES:
        raise FlowInvalid({"nodes": f"at most {MAX_NODES} nodes and {MAX_EDGES} edges"})
    clean_nodes: list[dict[str, Any]] = []
    types: dict[str, Any] = {}
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            errors[f"nodes.{index}"] = "must be an object {id, type, params}"
            continue
        node_id = node.get("id")
        if not isinstance(node_id, str) or not NODE_ID.match(node_id):
            errors[f"nodes.{index}.id"] = (
                "an id of letters, digits, - and _ (starting with a letter, 40 at most)"
            )
            continue
        if node_id in types:
            errors[f"nodes.{node_id}.id"] = "two nodes have this id"
            continue
        type_name = node.get("type")
        kind = node_type(type_name) if isinstance(type_name, str) else None
        types[node_id] = kind
        if kind is None:
            errors[f"nodes.{node_id}.type"] = f"unknown node type {node.get('type')!r}"
            continue
        params = node.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            errors[f"nodes.{node_id}.params"] = "must be an object"
            continue
        schema = kind.params_schema
        problems = sorted(Draft202012Validator(schema).iter_errors(params), key=lambda e: list(e.path))
        for problem in problems:
            if problem.path:
                key = ".".join(str(p) for p in problem.path)
            elif problem.validator == "additionalProperties":
                extra = sorted(set(params) - set(schema.get("properties", {})))
                key = extra[0] if extra else ""
                problem.message = "unknown parameter"
            elif problem.validator == "required":
                key = next((k for k in schema.get("required", []) if k not in params), "")
            else:
                key = ""
            errors.setdefault(f"nodes.{node_id}.params" + (f".{key}" if key else ""), problem.message)
        filled = _defaults(schema, params) if kind.fill_defaults else dict(params)
        if not problems:
            for key, message in kind.clean(dict(params)).items():
                errors.setdefault(f"nodes.{node_id}.params.{key}", message)
        clean = {"id": node_id, "type": kind.type, "params": filled}
        for coord in ("x", "y"):
            if isinstance(node.get(coord), int | float) and not isinstance(node.get(coord), bool):
                clean[coord] = node[coord]
        clean_nodes.append(clean)
    connected: dict[tuple[str, str], int] = {}
    pairs: list[tuple[str, str]] = []
    clean_edges: list[dict[str, str]] = []
    for index, edge in enumerate(edges):
        if not isinstance(edge, dict):
            errors[f"edges.{index}"] = "must be an object {from, to}"
            continue
        source, target = _endpoint(edge.get("from")), _endpoint(edge.get("to"))
        if source is None or target is None:
            errors[f"edges.{index}"] = "from and to are '<node>.<port>'"
            continue
        if source[0] not in types or target[0] not in types:
            missing = source[0] if source[0] not in types else target[0]
            errors[f"edges.{index}"] = f"no node {missing!r}"
            continue
        out_type, in_type = types[source[0]], types[target[0]]
        if out_type is None or in_type is None:
            continue  # the unknown type is named on its node
        if source[1] not in out_type.outputs:
            errors[f"edges.{index}"] = f"{source[0]} ({out_type.type}) has no output {source[1]!r}"
            continue
        if target[1] not in in_type.inputs:
            errors[f"edges.{index}"] = f"{target[0]} ({in_type.type}) has no input {target[1]!r}"
            continue
        given, wanted = out_type.outputs[source[1]], in_type.inputs[target[1]]
        if not ports_compatible(given, wanted):
            errors[f"edges.{index}"] = f"a {given} output cannot feed a {wanted} input"
            continue
        if target in connected:
            errors[f"edges.{index}"] = f"{target[0]}.{target[1]} is already fed by edge {connected[target]}"
            continue
        if source[0] == target[0]:
            errors[f"edges.{index}"] = "a node cannot feed itself"
            continue
        connected[target] = index
        pairs.append((source[0], target[0]))
        clean_edges.append({"from": f"{source[0]}.{source[1]}", "to": f"{target[0]}.{target[1]}"})
    for node_id, kind in types.items():
        if kind is None:
            continue
        for port in kind.inputs:
            if port not in kind.optional_inputs and (node_id, port) not in connected:
                errors[f"nodes.{node_id}.inputs.{port}"] = "required input not connected"
    if not errors and topological_layers(list(types), pairs) is None:
        errors["edges"] = "the edges make a cycle"
    if errors:
        raise FlowInvalid(errors)
    return {"nodes": clean_nodes, "edges": clean_edges}


def plan(definition: dict[str, Any]) -> list[list[str]]:
    """The node ids of a clean definition in topological layers (what runs in parallel)."""
    pairs = [(e["from"].split(".")[0], e["to"].split(".")[0]) for e in definition["edges"]]
    layers = topological_layers([n["id"] for n in definition["nodes"]], pairs)
    if layers is None:  # stored definitions were cleaned
        raise ValueError("the stored definition has a cycle")
    return layers


def definition_diff(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: nodes added, removed, and changed (type or
    parameters, each parameter's old and new value; moving a node on the canvas is no
    change), edges added and removed."""
    old = old or {"nodes": [], "edges": []}
    before = {n["id"]: n for n in old["nodes"]}
    after = {n["id"]: n for n in new["nodes"]}
    changed = []
    for node_id in sorted(set(before) & set(after)):
        a, b = before[node_id], after[node_id]
        params = {
            key: {"old": a["params"].get(key), "new": b["params"].get(key)}
            for key in sorted(set(a["params"]) | set(b["params"]))
            if a["params"].get(key) != b["params"].get(key)
        }
        if a["type"] != b["type"] or params:
            entry: dict[str, Any] = {"id": node_id, "params": params}
            if a["type"] != b["type"]:
                entry["type"] = {"old": a["type"], "new": b["type"]}
            changed.append(entry)
    edges_before = {(e["from"], e["to"]) for e in old["edges"]}
    edges_after = {(e["from"], e["to"]) for e in new["edges"]}
    return {
        "nodes_added": sorted(set(after) - set(before)),
        "nodes_removed": sorted(set(before) - set(after)),
        "nodes_changed": changed,
        "edges_added": [{"from": f, "to": t} for f, t in sorted(edges_after - edges_before)],
        "edges_removed": [{"from": f, "to": t} for f, t in sorted(edges_before - edges_after)],
    }
