"""Logic: a condition (a threshold on a value of a result), a branch (a value equal to one
given), for each (the events of a catalog or the channels of a series: the nodes downstream
run once per item), and merge (whichever connected input was produced).

A value is named by a dotted path into the input (``result.b``, ``scalars.b``, ``count``);
nothing a person writes is evaluated: a path is looked up key by key.
"""

from __future__ import annotations

import operator
from typing import Any

from flows.registry import NodeContext, NodeError, NodeType, register

from ._schema import integer, num, obj, string

OPERATORS = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
    "eq": operator.eq,
    "ne": operator.ne,
}
EACH = "__each__"  # the key of a for-each list travelling between nodes
PATH = {"type": "string", "maxLength": 120, "pattern": r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$"}


def lookup(value: Any, path: str) -> Any:
    """The value at ``path`` ("result.b", "rows.0.2"); NodeError naming the missing step."""
    current = value
    for step in path.split("."):
        if isinstance(current, dict) and step in current:
            current = current[step]
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            raise NodeError(f"the input has no value at {path!r} (stopped at {step!r})")
    return current


def _read_product(context: NodeContext, value: Any, path: str) -> Any:
    """A product's value, reading a result too large to travel from its run (of the bureau)."""
    if (
        isinstance(value, dict)
        and value.get("result") is None
        and value.get("product_run")
        and path.startswith("result.")
    ):
        from products.selectors import run_get_for_worker

        run = run_get_for_worker(bureau_id=context.bureau.pk, run_id=int(value["product_run"]))
        value = {**value, "result": run.result if run is not None else None}
    return lookup(value, path)


class Condition(NodeType):
    type = "logic.condition"
    family = "logic"
    title_zh, title_en = "条件（阈值）", "Condition (threshold)"
    description_zh = "结果中某值与阈值比较：满足走“是”，否则走“否”。"
    description_en = (
        "Compares a value of the input with a threshold: passes it on 'then' if true, else on 'else'."
    )
    inputs = {"value": "any"}
    outputs = {"then": "any", "else": "any"}
    params_schema = obj(
        {
            "path": {**PATH, "default": "result.b"},
            "op": string("lt", enum=tuple(OPERATORS)),
            "threshold": num(0.0),
        },
        required=("path", "threshold"),
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        value = _read_product(context, inputs["value"], params["path"])
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise NodeError(f"the value at {params['path']!r} is not a number")
        passed = OPERATORS[params.get("op", "lt")](value, params["threshold"])
        context.notes["value"] = value
        context.notes["passed"] = passed
        return {
            "then" if passed else "else": {**inputs["value"], "condition": {"value": value, "passed": passed}}
        }


class Branch(NodeType):
    type = "logic.branch"
    family = "logic"
    title_zh, title_en = "分支", "Branch"
    description_zh = "某值等于给定值走“匹配”，否则走“其他”。"
    description_en = "Passes the input on 'match' when a value equals the one given, else on 'other'."
    inputs = {"value": "any"}
    outputs = {"match": "any", "other": "any"}
    params_schema = obj(
        {"path": PATH, "equals": {"type": ["string", "number", "boolean", "null"]}},
        required=("path", "equals"),
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        value = _read_product(context, inputs["value"], params["path"])
        return {"match" if value == params["equals"] else "other": inputs["value"]}


class ForEach(NodeType):
    type = "logic.foreach"
    family = "logic"
    title_zh, title_en = "逐个（台站、地震）", "For each (station, event)"
    description_zh = "对目录中每个地震或每个测项，下游节点各运行一次。"
    description_en = "The nodes downstream run once per event of a catalog or per channel of a series."
    inputs = {"catalog": "catalog", "series": "series"}
    optional_inputs = frozenset({"catalog", "series"})
    outputs = {"event": "event", "series": "series"}
    params_schema = obj({"limit": integer(20, 1, 100)})

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from products import selectors as product_selectors

        from .sources import event_payload

        limit = int(params.get("limit", 20))
        out: dict[str, Any] = {}
        if inputs.get("catalog"):
            events = product_selectors.selection_events(
                bureau=context.bureau, selection=inputs["catalog"]["selection"]
            ).order_by("-magnitude", "origin_time")[:limit]
            out["event"] = {EACH: [event_payload(e) for e in events]}
        if inputs.get("series"):
            out["series"] = {EACH: [{"series": [part]} for part in inputs["series"]["series"][:limit]]}
        if not out:
            raise NodeError("connect a catalog or a series")
        return out


class Merge(NodeType):
    type = "logic.merge"
    family = "logic"
    title_zh, title_en = "合并", "Merge"
    description_zh = "把分支合到一起：输出第一个有值的输入。"
    description_en = "Joins branches: gives the first connected input that was produced."
    inputs = {"a": "any", "b": "any", "c": "any", "d": "any"}
    optional_inputs = frozenset({"a", "b", "c", "d"})
    outputs = {"out": "any"}

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        for port in ("a", "b", "c", "d"):
            if inputs.get(port) is not None:
                return {"out": inputs[port]}
        return {}


for _node in (Condition, Branch, ForEach, Merge):
    register(_node())
