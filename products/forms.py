"""Run and schedule forms generated from the methods' parameter schemas.

``fields_for`` turns a method's schema (``catalogue.describe``) into the
fields the template draws (type, limits, options, value, error);
``request_from_post`` turns the posted strings back into typed ``params`` and
``catalog`` dicts, which the services validate again (the browser's min/max
checks are a convenience, not the guard).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from portal.timefmt import format_time

if TYPE_CHECKING:
    from django.http import QueryDict

# What each parameter and catalog key means, for people (the code name is shown too).
LABELS = {
    "mc": _("completeness magnitude Mc (empty: estimate it)"),
    "mc_method": _("how to estimate Mc"),
    "mc_correction": _("correction added to maximum curvature"),
    "bin": _("magnitude bin width"),
    "estimator": _("b-value estimator"),
    "dmc": _("b-positive difference threshold"),
    "min_events": _("fewest events for an estimate"),
    "window": _("events per window"),
    "step": _("step between windows (events)"),
    "cell": _("grid cell size (degrees)"),
    "nearest": _("nearest N events per cell"),
    "radius_km": _("radius (km)"),
    "bin_days": _("time bin (days)"),
    "window_days": _("window length (days)"),
    "window_end": _("end of the window (UTC)"),
    "decluster": _("decluster first (Gardner-Knopoff)"),
    "mag_min": _("smallest magnitude"),
    "t_start": _("start of the fit (days after the mainshock)"),
    "t_end": _("end of the fit (days after the mainshock)"),
    "forecast_days": _("forecast window (days)"),
    "h_days": _("days for the h-value"),
    "min_foreshocks": _("fewest foreshocks"),
    "method": _("algorithm"),
    "fs_time_prop": _("foreshock window fraction"),
    "tau_min": _("shortest look-ahead (days)"),
    "tau_max": _("longest look-ahead (days)"),
    "p": _("detection probability"),
    "xk": _("Mc raise factor in clusters"),
    "xmeff": _("effective Mc of the catalog"),
    "rfact": _("interaction radius (crack radii)"),
    "err": _("horizontal location error (km)"),
    "derr": _("depth error (km)"),
    "mainshock": _("mainshock event id"),
    "days": _("days"),
    "days_before": _("days before the mainshock"),
    "minmagnitude": _("smallest magnitude"),
    "maxmagnitude": _("largest magnitude"),
    "period_start": _("first day scored"),
    "period_end": _("last day scored"),
    "forecasts": _("forecasts (JSON; empty: the signed-off ones)"),
    "region": _("scored polygon (JSON; empty: the jurisdiction)"),
    "jurisdiction": _("only the bureau's jurisdiction"),
    "starttime": _("from (UTC)"),
    "endtime": _("to (UTC)"),
    "mindepth": _("shallowest depth (km)"),
    "maxdepth": _("deepest depth (km)"),
    "minlatitude": _("south latitude"),
    "maxlatitude": _("north latitude"),
    "minlongitude": _("west longitude"),
    "maxlongitude": _("east longitude"),
    "latitude": _("centre latitude"),
    "longitude": _("centre longitude"),
    "maxradius": _("radius (degrees)"),
    "min_size_km": _("smallest gap size (km)"),
    "ring_cells": _("width of the surrounding ring (cells)"),
    "min_ring_events": _("fewest events in the ring"),
    "ring_ratio": _("ring activity against the region's, at least"),
    "min_ring_coverage": _("share of ring cells with events, at least"),
    "link_km": _("link distance (km)"),
    "density_ratio": _("density against an even spread, at least"),
    "min_length_km": _("shortest band (km)"),
    "min_aspect": _("length / width, at least"),
    "link_days": _("link time (days)"),
    "max_delta_m": _("largest minus second largest magnitude, below"),
    "min_b_events": _("fewest events for a b-value"),
}

# A stored time is shown in Beijing time, so its label must not say UTC as the form's does.
SHOWN_LABELS = {
    "starttime": _("from"),
    "endtime": _("to"),
    "window_end": _("end of the window"),
}

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _shown(value: Any) -> str:
    """A stored parameter value for people: ISO UTC times in Beijing time, JSON compact."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        # FDSN times without a zone are UTC (the engine stores them so).
        return format_time(moment, with_seconds=bool(moment.second))
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def shown_value(value: Any) -> str:
    """One stored value (a parameter or a result's field) as ``shown_rows`` shows it."""
    return _shown(value)


def shown_rows(values: dict[str, Any] | None) -> list[dict[str, str]]:
    """Rows (label in the reader's language, code name, value) of stored parameters or a selection."""
    rows = []
    for name, value in (values or {}).items():
        label = SHOWN_LABELS.get(name) or LABELS.get(name) or name
        rows.append({"name": name, "label": str(label), "value": _shown(value)})
    return rows


# The catalog filter fields shown on the run form (FDSN names; "jurisdiction" and
# "days" are the engine's).
CATALOG_FIELDS: list[tuple[str, str, dict[str, Any]]] = [
    ("jurisdiction", "boolean", {}),
    ("days", "number", {"minimum": 0.01, "maximum": 36500}),
    ("starttime", "datetime", {}),
    ("endtime", "datetime", {}),
    ("minmagnitude", "number", {"minimum": -3, "maximum": 10}),
    ("maxmagnitude", "number", {"minimum": -3, "maximum": 10}),
    ("mindepth", "number", {"minimum": -10, "maximum": 800}),
    ("maxdepth", "number", {"minimum": -10, "maximum": 800}),
    ("minlatitude", "number", {"minimum": -90, "maximum": 90}),
    ("maxlatitude", "number", {"minimum": -90, "maximum": 90}),
    ("minlongitude", "number", {"minimum": -180, "maximum": 180}),
    ("maxlongitude", "number", {"minimum": -180, "maximum": 180}),
    ("latitude", "number", {"minimum": -90, "maximum": 90}),
    ("longitude", "number", {"minimum": -180, "maximum": 180}),
    ("maxradius", "number", {"minimum": 0, "maximum": 180}),
]


def _field(prefix: str, name: str, spec: dict[str, Any], value: Any, error: str | None) -> dict[str, Any]:
    kind = spec.get("type", "string")
    widget = {"number": "number", "integer": "number", "boolean": "checkbox", "array": "textarea"}.get(
        kind, "text"
    )
    if spec.get("enum"):
        widget = "select"
    if kind == "datetime" or spec.get("format") == "date-time":
        widget = "datetime"
    if spec.get("format") == "date":
        widget = "date"
    if widget == "textarea" and value is not None and not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    return {
        "key": f"{prefix}{name}",
        "name": name,
        "label": LABELS.get(name, ""),
        "widget": widget,
        "step": "1" if kind == "integer" else "any",
        "minimum": spec.get("minimum"),
        "maximum": spec.get("maximum"),
        "options": spec.get("enum") or [],
        "default": spec.get("default"),
        "value": value,
        "required": spec.get("default") is None
        and not spec.get("nullable")
        and kind not in ("boolean", "array"),
        "help": spec.get("description", ""),
        "error": error,
    }


def fields_for(
    described: dict[str, Any], params: dict[str, Any], catalog: dict[str, Any], errors: dict[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(parameter fields, catalog fields) of a method, filled with values and errors."""
    param_fields = []
    for name, spec in described["params"].items():
        if name == "mainshock":
            spec = {**spec, "nullable": False}
        value = params.get(name, spec.get("default"))
        param_fields.append(_field("params.", name, spec, value, errors.get(f"params.{name}")))
    catalog_fields = []
    if described["input"] != "sequence" and described["catalog_keys"]:
        for name, kind, limits in CATALOG_FIELDS:
            spec = {"type": kind, "default": None, "nullable": True, **limits}
            catalog_fields.append(
                _field("catalog.", name, spec, catalog.get(name), errors.get(f"catalog.{name}"))
            )
    return param_fields, catalog_fields


def _convert(raw: str, spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return float(raw) if raw.replace(".", "", 1).lstrip("-").isdigit() else raw
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw  # the services name it: "must be a number"
    if kind == "array":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def request_from_post(described: dict[str, Any], data: QueryDict) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, catalog) from a posted run or schedule form; empty fields are left out."""
    params: dict[str, Any] = {}
    for name, spec in described["params"].items():
        key = f"params.{name}"
        if spec.get("type") == "boolean":
            params[name] = key in data
            continue
        raw = data.get(key, "").strip()
        if raw == "":
            continue
        params[name] = _convert(raw, spec)
    catalog: dict[str, Any] = {}
    if described["input"] != "sequence":
        for name, kind, _limits in CATALOG_FIELDS:
            key = f"catalog.{name}"
            if kind == "boolean":
                if key in data:
                    catalog[name] = True
                continue
            raw = data.get(key, "").strip()
            if raw:
                catalog[name] = _convert(raw, {"type": kind})
    return params, catalog


def series_from_post(data: QueryDict) -> list[dict[str, Any]]:
    """The ``series`` of a posted run form: each chosen channel over the same window (the last
    ``series.days`` days, or ``series.start`` to ``series.end``). Values are passed on as typed
    so the request's cleaning names what is wrong (``series.0.channel``)."""
    window: dict[str, Any] = {}
    start, end = data.get("series.start", "").strip(), data.get("series.end", "").strip()
    if start or end:
        window = {"start": start, "end": end}
    else:
        raw = data.get("series.days", "").strip() or "365"
        try:
            window = {"days": float(raw)}
        except ValueError:
            window = {"days": raw}
    series = []
    for raw in data.getlist("series.channel"):
        channel: Any = int(raw) if raw.strip().isdigit() and len(raw.strip()) < 19 else raw
        series.append({"channel": channel, **window})
    return series
