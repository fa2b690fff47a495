"""Cleaning a run request: method parameters, the catalog selection and the series."""

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
# The longest window of one series, and the most samples a run reads: a year of 50 minute
# channels is 26 M samples (210 MB as float64), the size the EM methods are benchmarked at.
SERIES_MAX_DAYS = 3660
SERIES_MAX_SAMPLES = 40_000_000
SERIES_SPEC: dict[str, dict[str, Any]] = {
    "channel": {"type": "integer", "default": None, "description": "channel id (/api/v1/channels/)"},
    "start": {"type": "string", "format": "date-time", "default": None, "description": "first time (UTC)"},
    "end": {"type": "string", "format": "date-time", "default": None, "description": "end time, exclusive"},
    "days": {
        "type": "number",
        "default": None,
        "minimum": 0.01,
        "maximum": float(SERIES_MAX_DAYS),
        "nullable": True,
        "description": "the last N days up to the run (instead of start/end)",
    },
}


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


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or "\x00" in value:
        return None
    parsed = parse_datetime(value.strip())
    if parsed is None:
        day = parse_date(value.strip())
        parsed = datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _clean_series(bureau: Bureau, raw: Any, errors: dict[str, str], *, now: datetime) -> list[dict[str, Any]]:
    """``series`` of a request ({channel, start, end} or a list of them) resolved to absolute
    UTC windows of channels the bureau reads; every bad part named ``series.<i>.<key>``."""
    from observations.series_selectors import series_channel_get
    from products.selectors import worker_actor

    parts = [raw] if isinstance(raw, dict) else raw
    if not isinstance(parts, list) or not parts:
        errors["series"] = "must be an object {channel, start, end} or a list of them"
        return []
    out: list[dict[str, Any]] = []
    total = 0
    for index, part in enumerate(parts):
        prefix = f"series.{index}." if isinstance(raw, list) else "series."
        if not isinstance(part, dict):
            errors[prefix.rstrip(".")] = "must be an object {channel, start, end}"
            continue
        unknown = sorted(set(part) - set(SERIES_SPEC))
        if unknown:
            errors[f"{prefix}{unknown[0]}"] = f"unknown key; keys are {', '.join(SERIES_SPEC)}"
            continue
        channel_id = part.get("channel")
        if isinstance(channel_id, bool) or not isinstance(channel_id, int) or not 0 < channel_id < 2**63:
            errors[f"{prefix}channel"] = "a channel id (integer) is required"
            continue
        try:
            channel = series_channel_get(actor=worker_actor(bureau=bureau), channel_id=channel_id)
        except NotFound:
            errors[f"{prefix}channel"] = f"no channel {channel_id}"
            continue
        local: dict[str, str] = {}
        start: datetime | None
        end: datetime | None
        days = _check_spec(prefix, {"days": SERIES_SPEC["days"]}, part, local)["days"]
        if days is not None:
            if part.get("start") or part.get("end"):
                local[f"{prefix}days"] = "give either days or start/end"
            start, end = now - timedelta(days=days), now
        else:
            start, end = _moment(part.get("start")), _moment(part.get("end"))
            if start is None:
                local[f"{prefix}start"] = "an ISO 8601 time is required (or days)"
            if end is None:
                local[f"{prefix}end"] = "an ISO 8601 time is required (or days)"
        if start is not None and end is not None and not local:
            if end <= start:
                local[f"{prefix}end"] = "must be after start"
            elif (end - start).days > SERIES_MAX_DAYS:
                local[f"{prefix}end"] = f"the window is longer than {SERIES_MAX_DAYS} days"
            elif start.year < 1900 or end > now + timedelta(days=366):
                local[f"{prefix}start"] = "the window must lie between 1900 and a year from now"
        if local or start is None or end is None:
            errors.update(local)
            continue
        total += int((end - start).total_seconds()) // int(channel.interval)
        out.append(
            {
                "channel": channel.pk,
                "start": _iso(start),
                "end": _iso(end),
                "station": channel.station.code,
                "item": channel.item.code,
            }
        )
    if total > SERIES_MAX_SAMPLES:
        errors["series"] = (
            f"the series hold {total} samples; at most {SERIES_MAX_SAMPLES} are read in one run"
        )
    return out


def run_request_clean(
    *,
    bureau: Bureau,
    method: Any,
    params: Any,
    catalog: Any,
    series: Any = None,
    now: datetime | None = None,
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(method, validated params, resolved selection) of a run request.

    Raises RunRequestInvalid naming every bad part: ``method``, ``params.<name>``
    (from the registry's InvalidParams), ``catalog.<key>``, ``series.<i>.<key>``.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if not isinstance(method, str) or method not in registry.METHODS:
        names = ", ".join(sorted(registry.METHODS))
        raise RunRequestInvalid({"method": f"unknown method {method!r}; methods are {names}"})
    has_series = series not in (None, [], {})
    spec = registry.method_for(method, series=has_series)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RunRequestInvalid({"params": "must be an object"})
    extra = SEQUENCE_SPEC if spec.input == "sequence" else FORECAST_SPEC if spec.input == "forecasts" else {}
    method_params = {k: v for k, v in params.items() if k not in extra}
    input_params = {k: v for k, v in params.items() if k in extra}
    try:
        clean = registry.validate_params(method, method_params, series=has_series)
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
    if spec.input == "series":
        if series is None or series == [] or series == {}:
            errors["series"] = f"{method} reads observation series: give series {{channel, start, end}}"
        else:
            parts = _clean_series(bureau, series, errors, now=now)
            if parts and not spec.series_min <= len(parts) <= spec.series_max:
                errors["series"] = (
                    f"{method} takes {spec.series_min} series"
                    if spec.series_min == spec.series_max
                    else f"{method} takes {spec.series_min} to {spec.series_max} series"
                )
            selection["series"] = parts
        if selection.keys() - {"series"} and not spec.input_fields:
            errors["catalog"] = f"{method} reads observation series, not a catalog"
    elif has_series:
        errors["series"] = f"{method} reads a catalog, not observation series"
    if errors:
        raise RunRequestInvalid(errors)
    return method, clean, selection
