"""Sources: what a flow reads, always as its bureau reads it (``context.reader``, the
bureau's visibility and never more): a catalog selection, series, anomalies, the latest
result of a product."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from flows.registry import NodeContext, NodeError, NodeType, register

from ._schema import integer, num, obj, string

KM_PER_DEGREE = 111.19492664455873  # the catalog's sphere (catalog.selectors)


def _iso(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def event_payload(event: Any) -> dict[str, Any]:
    """An event as it travels between nodes (port type ``event``)."""
    return {
        "id": event.pk,
        "public_id": event.public_id,
        "origin_time": _iso(event.origin_time),
        "latitude": event.latitude,
        "longitude": event.longitude,
        "depth_km": event.depth_km,
        "magnitude": event.magnitude,
    }


class CatalogSelection(NodeType):
    """The catalog selection of a method run (products' FDSN-style filter keys, resolved to
    absolute times when the node runs)."""

    type = "source.catalog"
    family = "source"
    title_zh, title_en = "目录选取", "Catalog selection"
    description_zh = "按辖区、经纬度范围或触发地震周围半径，以及时段和震级选取地震目录。"
    description_en = "Events of the catalog by jurisdiction, box or radius around the triggering event, period and magnitude."
    inputs = {"event": "event"}
    optional_inputs = frozenset({"event"})
    outputs = {"catalog": "catalog"}
    params_schema = obj(
        {
            "area": string("jurisdiction", enum=("jurisdiction", "box", "radius", "all")),
            "minlatitude": num(None, -90, 90, nullable=True),
            "maxlatitude": num(None, -90, 90, nullable=True),
            "minlongitude": num(None, -180, 180, nullable=True),
            "maxlongitude": num(None, -180, 180, nullable=True),
            "radius_km": num(100.0, 1.0, 2000.0, description="around the triggering event"),
            "days": num(365.0, 0.01, 36600.0, nullable=True, description="the last N days up to the run"),
            "starttime": {"type": ["string", "null"], "format": "date-time", "default": None},
            "endtime": {"type": ["string", "null"], "format": "date-time", "default": None},
            "minmagnitude": num(None, -3.0, 10.0, nullable=True),
        }
    )

    def clean(self, params: dict[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        if params.get("area") == "box":
            for key in ("minlatitude", "maxlatitude", "minlongitude", "maxlongitude"):
                if params.get(key) is None:
                    errors[key] = "required for a box"
        if params.get("days") is not None and (params.get("starttime") or params.get("endtime")):
            errors["days"] = "give either days or starttime/endtime"
        return errors

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from portal.exceptions import InvalidInput
        from products import selectors as product_selectors

        area = params.get("area", "jurisdiction")
        selection: dict[str, Any] = {}
        if area == "jurisdiction":
            selection["jurisdiction"] = True
        elif area == "box":
            for key in ("minlatitude", "maxlatitude", "minlongitude", "maxlongitude"):
                selection[key] = params[key]
        elif area == "radius":
            event = inputs.get("event")
            if not event:
                raise NodeError("a radius around the triggering event needs an event (connect a trigger)")
            selection.update(
                latitude=event["latitude"],
                longitude=event["longitude"],
                maxradius=round(float(params.get("radius_km", 100.0)) / KM_PER_DEGREE, 6),
            )
        if params.get("starttime") or params.get("endtime"):
            if params.get("starttime"):
                selection["starttime"] = params["starttime"]
            if params.get("endtime"):
                selection["endtime"] = params["endtime"]
        else:
            days = params.get("days", 365.0)
            if days is not None:
                selection["starttime"] = _iso(context.now - timedelta(days=float(days)))
                selection["endtime"] = _iso(context.now)
        if params.get("minmagnitude") is not None:
            selection["minmagnitude"] = params["minmagnitude"]
        try:
            product_selectors.catalog_filter_check(selection=selection)
        except InvalidInput as exc:
            raise NodeError(exc.message) from exc
        count = product_selectors.selection_events(bureau=context.bureau, selection=selection).count()
        return {"catalog": {"selection": selection, "count": count}}


class SeriesSelection(NodeType):
    type = "source.series"
    family = "source"
    title_zh, title_en = "观测数据选取", "Series selection"
    description_zh = "所选测项最近 N 天的观测数据。"
    description_en = "The last N days of the chosen channels."
    outputs = {"series": "series"}
    params_schema = obj(
        {
            "channels": {"type": "array", "items": integer(None, 1), "minItems": 1, "maxItems": 50},
            "days": num(30.0, 0.01, 3660.0),
        },
        required=("channels",),
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from observations.series_selectors import series_channel_get
        from portal.exceptions import NotFound

        parts = []
        for channel_id in params["channels"]:
            try:
                series_channel_get(actor=context.reader, channel_id=channel_id)
            except NotFound:
                raise NodeError(f"no channel {channel_id} in the bureau") from None
            parts.append({"channel": channel_id, "days": params.get("days", 30.0)})
        return {"series": {"series": parts}}


class Anomalies(NodeType):
    type = "source.anomalies"
    family = "source"
    title_zh, title_en = "异常列表", "Anomalies"
    description_zh = "本局可见的异常（按状态、学科、时段）。"
    description_en = "Anomalies the bureau reads, by state, discipline and period."
    outputs = {"table": "table"}
    params_schema = obj(
        {
            "state": string("", max_length=16),
            "discipline": string("", max_length=32),
            "days": num(90.0, 1.0, 3660.0),
            "limit": integer(200, 1, 1000),
        }
    )

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from disciplines.selectors import anomaly_list

        rows = anomaly_list(
            actor=context.reader,
            state=params.get("state") or None,
            discipline=params.get("discipline") or None,
        ).filter(onset_at__gte=context.now - timedelta(days=float(params.get("days", 90.0))))
        columns = ["id", "state", "discipline", "station", "observation_item", "onset_at"]
        data = [
            [a.pk, a.state, a.discipline.code, a.station, a.observation_item, _iso(a.onset_at)]
            for a in rows.select_related("discipline")[: int(params.get("limit", 200))]
        ]
        return {"table": {"columns": columns, "rows": data}}


class LatestProduct(NodeType):
    type = "source.product_latest"
    family = "source"
    title_zh, title_en = "最新产品结果", "Latest product result"
    description_zh = "本局某方法最近一次成功运行的结果。"
    description_en = "The bureau's latest succeeded run of a method."
    outputs = {"result": "product"}

    @property
    def params_schema(self) -> dict[str, Any]:  # type: ignore[override]
        from products.methods.registry import METHODS

        return obj({"method": string(enum=tuple(sorted(METHODS)), max_length=32)}, required=("method",))

    def run(self, context: NodeContext, inputs: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        from products.selectors import run_list

        run = run_list(actor=context.reader).filter(status="succeeded", method=params["method"]).first()
        if run is None:
            raise NodeError(f"the bureau has no succeeded run of {params['method']}")
        return {"result": product_payload(run)}


RESULT_INLINE_MAX = 20_000  # characters of JSON kept in a node's output; larger stays on the product run


def product_payload(run: Any) -> dict[str, Any]:
    """A product result as it travels between nodes (port type ``product``): the run's id,
    method, and its result when small (a large one is read from the run by id)."""
    import json

    result = run.result
    inline = result is not None and len(json.dumps(result, default=str)) <= RESULT_INLINE_MAX
    return {
        "product_run": run.pk,
        "method": run.method,
        "result": result if inline else None,
        "scalars": {
            k: v for k, v in (result or {}).items() if isinstance(v, int | float | str | bool) or v is None
        },
        "figures": list(run.figures),
        "reused_from": run.reused_from_id,
    }


for _node in (CatalogSelection, SeriesSelection, Anomalies, LatestProduct):
    register(_node())
