"""Cleaning a run request: method parameters and the catalog selection."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from portal.exceptions import InvalidInput, NotFound
from products import selectors
from products.methods import registry
from products.methods.errors import InvalidParams

if TYPE_CHECKING:
    from portal.models import Bureau

SEQUENCE_SPEC: dict[str, dict[str, Any]] = {
    "mainshock": {"type": "string", "default": None, "description": "public id of the mainshock"},
    "radius_km": {
        "type": "number",
        "default": 50.0,
        "minimum": 1.0,
        "maximum": 1000.0,
        "description": "events within this distance of the mainshock (km)",
    },
    "days": {
        "type": "number",
        "default": 30.0,
        "minimum": 0.1,
        "maximum": 3650.0,
        "description": "days after the mainshock",
    },
    "days_before": {
        "type": "number",
        "default": None,
        "minimum": 0.0,
        "maximum": 3650.0,
        "nullable": True,
        "description": "days before the mainshock (foreshocks); null: 0 for omori, 10 otherwise",
    },
    "minmagnitude": {
        "type": "number",
        "default": None,
        "minimum": -3.0,
        "maximum": 10.0,
        "nullable": True,
        "description": "smallest magnitude taken",
    },
}
# Parameters of forecast_score that choose its input.
FORECAST_SPEC: dict[str, dict[str, Any]] = {
    "period_start": {
        "type": "string",
        "format": "date",
        "default": None,
        "description": "first day of the scored period (default: catalog starttime)",
    },
    "period_end": {
        "type": "string",
        "format": "date",
        "default": None,
        "description": "last day of the scored period (default: catalog endtime)",
    },
    "forecasts": {
        "type": "array",
        "default": None,
        "nullable": True,
        "description": "forecasts to score; null: the bureau's signed-off forecasts",
    },
    "region": {
        "type": "array",
        "default": None,
        "nullable": True,
        "description": "scored polygon [[lon, lat], ...]; null: the bureau's jurisdiction",
    },
}
SELECTION_SPEC: dict[str, dict[str, Any]] = {
    "jurisdiction": {
        "type": "boolean",
        "default": False,
        "description": "only events in the bureau's jurisdiction",
    },
    "days": {
        "type": "number",
        "default": None,
        "minimum": 0.01,
        "maximum": 36500.0,
        "nullable": True,
        "description": "the last N days up to the run (instead of starttime/endtime)",
    },
}
KM_PER_DEGREE = 111.19492664455873  # on the catalog's sphere (catalog.selectors)


class RunRequestInvalid(InvalidInput):
    """A run request with bad parts; ``errors`` names each (``params.bin``, ``catalog.maxlatitude``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{key}: {value}" for key, value in sorted(self.errors.items()))
        super().__init__(detail, field=next(iter(sorted(self.errors))) if self.errors else None)


def _check_spec(
    prefix: str, spec: dict[str, dict[str, Any]], raw: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, rule in spec.items():
        value = raw.get(key, rule["default"])
        if value is None or value == "":
            out[key] = rule["default"]
            continue
        kind = rule["type"]
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                errors[f"{prefix}{key}"] = "must be a number"
                continue
            if "minimum" in rule and value < rule["minimum"]:
                errors[f"{prefix}{key}"] = f"must be at least {rule['minimum']:g}"
                continue
            if "maximum" in rule and value > rule["maximum"]:
                errors[f"{prefix}{key}"] = f"must be at most {rule['maximum']:g}"
                continue
            out[key] = float(value)
        elif kind == "boolean":
            if not isinstance(value, bool):
                errors[f"{prefix}{key}"] = "must be true or false"
                continue
            out[key] = value
        elif kind == "array":
            if not isinstance(value, list):
                errors[f"{prefix}{key}"] = "must be a list"
                continue
            out[key] = value
        else:
            if not isinstance(value, str):
                errors[f"{prefix}{key}"] = "must be a string"
                continue
            out[key] = value.strip()
    return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _clean_catalog(catalog: Any, errors: dict[str, str], *, now: datetime) -> dict[str, Any]:
    if catalog is None:
        return {}
    if not isinstance(catalog, dict):
        errors["catalog"] = "must be an object of FDSN filter keys"
        return {}
    selection: dict[str, Any] = {}
    own = _check_spec("catalog.", SELECTION_SPEC, catalog, errors)
    fdsn = {k: v for k, v in catalog.items() if k not in SELECTION_SPEC}
    for key in list(fdsn):
        if key in selectors.ENGINE_KEYS:
            errors[f"catalog.{key}"] = "not a catalog filter key"
            fdsn.pop(key)
    if own.get("days") is not None:
        if fdsn.get("starttime") or fdsn.get("endtime"):
            errors["catalog.days"] = "give either days or starttime/endtime"
        fdsn["starttime"] = _iso(now - timedelta(days=own["days"]))
        fdsn["endtime"] = _iso(now)
    # The catalog's parser names the first bad key; check key by key to name them all.
    for key, value in fdsn.items():
        try:
            selectors.catalog_filter_check(selection={key: value})
        except InvalidInput as exc:
            errors[f"catalog.{exc.field or key}"] = exc.message
    if not any(k.startswith("catalog.") for k in errors):
        try:
            selectors.catalog_filter_check(selection=fdsn)
        except InvalidInput as exc:
            errors[f"catalog.{exc.field or 'selection'}"] = exc.message
    selection.update({k: v for k, v in fdsn.items() if v is not None and v != ""})
    if own.get("jurisdiction"):
        selection["jurisdiction"] = True
    return selection


def _sequence_selection(
    bureau: Bureau, method: str, raw: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    spec = _check_spec("params.", SEQUENCE_SPEC, raw, errors)
    if not spec.get("mainshock"):
        errors["params.mainshock"] = "the public id of the mainshock is required"
        return {}
    try:
        event = selectors.mainshock_get(bureau=bureau, public_id=spec["mainshock"])
    except NotFound:
        errors["params.mainshock"] = f"no event {spec['mainshock']} in the catalog"
        return {}
    if errors:
        return {}
    before = spec["days_before"] if spec["days_before"] is not None else (0.0 if method == "omori" else 10.0)
    selection: dict[str, Any] = {
        "latitude": event.latitude,
        "longitude": event.longitude,
        "maxradius": round(spec["radius_km"] / KM_PER_DEGREE, 6),
        "starttime": _iso(event.origin_time - timedelta(days=before)),
        "endtime": _iso(event.origin_time + timedelta(days=spec["days"])),
        "sequence": {
            "mainshock": event.public_id,
            "mainshock_time": _iso(event.origin_time),
            "magnitude": event.magnitude,
            "radius_km": spec["radius_km"],
            "days": spec["days"],
            "days_before": before,
            "minmagnitude": spec["minmagnitude"],
        },
    }
    if spec["minmagnitude"] is not None:
        selection["minmagnitude"] = spec["minmagnitude"]
    return selection


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    return parsed.date() if parsed else parse_date(value[:10])


def _forecast_selection(
    bureau: Bureau, raw: dict[str, Any], catalog: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    spec = _check_spec("params.", FORECAST_SPEC, raw, errors)
    start = _as_date(spec.get("period_start") or catalog.get("starttime"))
    end = _as_date(spec.get("period_end") or catalog.get("endtime"))
    if start is None:
        errors["params.period_start"] = "a date (YYYY-MM-DD) is required, or catalog.starttime"
    if end is None:
        errors["params.period_end"] = "a date (YYYY-MM-DD) is required, or catalog.endtime"
    if start and end and end < start:
        errors["params.period_end"] = "must not be before period_start"
    if spec.get("forecasts") is not None:
        for index, item in enumerate(spec["forecasts"]):
            if not isinstance(item, dict) or not {"start", "end", "polygon"} <= set(item):
                errors[f"params.forecasts.{index}"] = "needs start, end and polygon"
    if spec.get("region") is None and bureau.jurisdiction is None:
        errors["params.region"] = "the bureau has no jurisdiction; give the scored polygon"
    if errors:
        return {}
    if start is None or end is None:  # a missing period is one of the errors above
        raise RuntimeError("the run request's period passed validation without a start and an end")
    selection = dict(catalog)
    selection["starttime"] = f"{start.isoformat()}T00:00:00"
    selection["endtime"] = f"{(end + timedelta(days=1)).isoformat()}T00:00:00"
    selection["period_start"] = start.isoformat()
    selection["period_end"] = (end + timedelta(days=1)).isoformat()  # the method's end is exclusive
    if spec.get("forecasts") is not None:
        selection["forecasts"] = spec["forecasts"]
    if spec.get("region") is not None:
        selection["region"] = spec["region"]
    return selection


def run_request_clean(
    *, bureau: Bureau, method: Any, params: Any, catalog: Any, now: datetime | None = None
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(method, validated params, resolved selection) of a run request.

    Raises RunRequestInvalid naming every bad part: ``method``, ``params.<name>``
    (from the registry's InvalidParams), ``catalog.<key>``.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if not isinstance(method, str) or method not in registry.METHODS:
        names = ", ".join(sorted(registry.METHODS))
        raise RunRequestInvalid({"method": f"unknown method {method!r}; methods are {names}"})
    spec = registry.METHODS[method]
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RunRequestInvalid({"params": "must be an object"})
    extra = SEQUENCE_SPEC if spec.input == "sequence" else FORECAST_SPEC if spec.input == "forecasts" else {}
    method_params = {k: v for k, v in params.items() if k not in extra}
    input_params = {k: v for k, v in params.items() if k in extra}
    try:
        clean = registry.validate_params(method, method_params)
    except InvalidParams as exc:
        clean = {}
        errors.update({f"params.{k}": v for k, v in exc.errors.items()})
    selection = _clean_catalog(catalog, errors, now=now)
    if spec.input == "sequence":
        if selection:
            errors["catalog"] = (
                f"{method} reads the mainshock's sequence: give params.mainshock, not a catalog filter"
            )
        else:
            selection = _sequence_selection(bureau, method, input_params, errors)
    elif spec.input == "forecasts" and not errors:
        selection = _forecast_selection(bureau, input_params, selection, errors)
    if errors:
        raise RunRequestInvalid(errors)
    return method, clean, selection
