"""Run and schedule forms generated from the methods' parameter schemas.

``fields_for`` turns a method's schema (``catalogue.describe``) into the
fields the template draws (type, limits, options, value, error);
``request_from_post`` turns the posted strings back into typed ``params`` and
``catalog`` dicts, which the services validate again (the browser's min/max
checks are a convenience, not the guard).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import QueryDict

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
    if described["input"] != "sequence":
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
