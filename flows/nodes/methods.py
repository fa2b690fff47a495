"""Methods: every method of the product engine (``products.methods.registry.METHODS``) as a
node, its parameter schema generated from the method's own spec.

A method node runs through the product engine's services: it requests a ``ProductRun`` for
the bureau (``run_request_for_bureau``: the run reads what the bureau reads) and executes it
in the node's task (``run_execute``), so provenance is recorded and a run whose method,
parameters and input rows hash to a stored result reuses it (``reused_from``). The node's
input hash is the product run's (method, parameter hash, input-rows hash).
"""

from __future__ import annotations

import hashlib
from typing import Any

from flows.registry import NodeContext, NodeError, NodeType, register

from ._schema import from_method_spec, obj
from .sources import product_payload


class MethodNode(NodeType):
    family = "method"
    retries = 2
    time_limit = 900  # the product engine's run limit (products.services.runs.TIME_LIMIT)
    fill_defaults = False

    def __init__(self, method: Any) -> None:
        from products.services.run_requests import FORECAST_SPEC, SEQUENCE_SPEC

        self.method = method
        self.type = f"method.{method.name}"  # type: ignore[misc]
        self.title_zh = method.title_zh  # type: ignore[misc]
        self.title_en = method.title_en  # type: ignore[misc]
        self.description_zh = self.description_en = method.description  # type: ignore[misc]
        extra = (
            SEQUENCE_SPEC
            if method.input == "sequence"
            else FORECAST_SPEC
            if method.input == "forecasts"
            else {}
        )
        spec = {**method.params, **extra}
        self.params_schema = obj({key: from_method_spec(value) for key, value in spec.items()})  # type: ignore[misc]
        if method.input == "series":
            self.inputs = {"series": "series"}  # type: ignore[misc]
            self.optional_inputs = frozenset()  # type: ignore[misc]
        elif method.input == "sequence":
            self.inputs = {"event": "event"}  # type: ignore[misc]
            self.optional_inputs = frozenset({"event"})  # type: ignore[misc]
        elif method.input == "forecasts":
            self.inputs = {"catalog": "catalog"}  # type: ignore[misc]
            self.optional_inputs = frozenset({"catalog"})  # type: ignore[misc]
        elif method.series_form is not None:
            self.inputs = {"catalog": "catalog", "series": "series"}  # type: ignore[misc]
            self.optional_inputs = frozenset({"catalog", "series"})  # type: ignore[misc]
        else:
            self.inputs = {"catalog": "catalog"}  # type: ignore[misc]
            self.optional_inputs = frozenset()  # type: ignore[misc]
        self.outputs = {"result": "product", "figure": "figure"}  # type: ignore[misc]

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        """The product engine's own cross-parameter rules (nearest or radius, step within window)."""
        from products.methods.errors import InvalidParams
        from products.methods.registry import validate_params
        from products.services.run_requests import FORECAST_SPEC, SEQUENCE_SPEC

        extra = (
            SEQUENCE_SPEC
            if self.method.input == "sequence"
            else FORECAST_SPEC
            if self.method.input == "forecasts"
            else {}
        )
        own = {k: v for k, v in params.items() if k not in extra}
        try:
            validate_params(self.method.name, own, series=self.method.input == "series")
        except InvalidParams as exc:
            return dict(exc.errors)
        return {}

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from products.selectors import run_get_for_worker
        from products.services.execution import run_execute
        from products.services.run_requests import RunRequestInvalid
        from products.services.runs import run_request_for_bureau

        params = dict(params)
        catalog = (inputs.get("catalog") or {}).get("selection")
        series = (inputs.get("series") or {}).get("series")
        if self.method.input == "sequence" and not params.get("mainshock"):
            event = inputs.get("event")
            if not event:
                raise NodeError("a sequence method needs the mainshock: connect an event or give mainshock")
            params["mainshock"] = event["public_id"]
        if self.method.input == "series" and not series:
            raise NodeError("connect a series")
        if self.method.input == "catalog" and catalog is None and not series:
            raise NodeError("connect a catalog selection")
        try:
            run = run_request_for_bureau(
                bureau=context.bureau,
                method=self.method.name,
                params=params,
                catalog=None if series and self.method.input != "catalog" else catalog,
                series=series or None,
            )
        except RunRequestInvalid as exc:
            raise NodeError(exc.message) from exc
        context.notes["product_run"] = run.pk
        run_execute(bureau_id=context.bureau.pk, run_id=run.pk, task_id=run.task_id)
        done = run_get_for_worker(bureau_id=context.bureau.pk, run_id=run.pk)
        if done is None or done.status != "succeeded":
            raise NodeError(done.error if done is not None else "the product run is gone")
        context.notes["input_hash"] = hashlib.sha256(
            f"{self.method.name}|{done.params_hash}|{done.input_hash}".encode()
        ).hexdigest()
        context.notes["reused_product_run"] = done.reused_from_id
        payload = product_payload(done)
        outputs: dict[str, Any] = {"result": payload}
        if done.figures:
            outputs["figure"] = {
                "product_run": done.pk,
                "figure_run": done.figure_run_id,
                "name": done.figures[0],
            }
        return outputs


def _register_all() -> None:
    from products.methods.registry import METHODS

    for method in METHODS.values():
        register(MethodNode(method))


_register_all()
