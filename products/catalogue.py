"""What the API and the pages say about each method: its schema, input kind and result.

Built from ``methods.registry.METHODS``; the parameters that choose the input
of sequence and forecast methods (``services.SEQUENCE_SPEC``,
``FORECAST_SPEC``) are listed with the method's own parameters, flagged
``"input": true``.
"""

from __future__ import annotations

from typing import Any

from .methods.registry import METHODS, Method
from .services.run_requests import FORECAST_SPEC, SELECTION_SPEC, SEQUENCE_SPEC, SERIES_SPEC

INPUT_KINDS = {
    "catalog": "a catalog selection (FDSN-style filter, optionally the bureau's jurisdiction)",
    "sequence": "the events of one mainshock's sequence (params.mainshock, radius_km, days)",
    "forecasts": "stored forecasts (or params.forecasts) and the events of the scored period",
    "series": (
        "observation series: series {channel, start, end} (or a list for methods comparing "
        "stations); spans QC or a review marked faulty or interference are left out"
    ),
}

RETURNS = {
    "mc": "{mc, method}: magnitude of completeness and how it was found",
    "bvalue": "{b, b_err, a, mc, n}: Gutenberg-Richter b with Shi-Bolt error",
    "bvalue_series": "{t[], b[], b_err[], mc, window, step}: b in moving windows of events",
    "bvalue_grid": "GeoJSON FeatureCollection of cells with b, b_err, n, mc, radius_km",
    "rate_change": "GeoJSON FeatureCollection of cells with Habermann z and counts; window",
    "omori": "{K, c, p, K_err, c_err, p_err, n, expected_next, forecast_days, t_start, t_end}",
    "sequence_type": "{type, criteria, energy_share, bath_max_aftershock, h}",
    "decluster": "{method, n_total, n_mainshocks, n_clustered, mainshock[]}: mainshock flag per event",
    "forecast_score": "{R, R0, hits, n_events, alarm_fraction, molchan[], area_skill_score, mag_min}",
    "seismic_gap": "GeoJSON FeatureCollection of gap polygons (size, ring events, quiet since); criteria",
    "seismic_band": "GeoJSON FeatureCollection of band rectangles (length, width, azimuth, count); criteria",
    "swarm": "{swarms[]: b, h, K, delta_m, indicators, foreshock_like; n_swarms, criteria}",
}


def input_spec(method: Method) -> dict[str, dict[str, Any]]:
    if method.input == "sequence":
        return SEQUENCE_SPEC
    if method.input == "forecasts":
        return FORECAST_SPEC
    return {}


def describe(method: Method) -> dict[str, Any]:
    params = {name: dict(spec) for name, spec in method.params.items()}
    for name, spec in input_spec(method).items():
        params[name] = {**spec, "input": True}
    return {
        "name": method.name,
        "title_zh": method.title_zh,
        "title_en": method.title_en,
        "description": method.description,
        "discipline": method.discipline,
        "input": method.input,
        "input_description": INPUT_KINDS[method.input],
        "params": params,
        "catalog_keys": {}
        if method.input == "sequence" or method.input_fields == ("series",)
        else SELECTION_SPEC,
        "series_keys": SERIES_SPEC if method.input == "series" else {},
        "series_count": [method.series_min, method.series_max] if method.input == "series" else None,
        "returns": RETURNS.get(method.name, ""),
        # the form a request with ``series`` runs (same name, another discipline's input)
        "series_form": describe(method.series_form) if method.series_form is not None else None,
    }


def methods_described() -> list[dict[str, Any]]:
    return [describe(m) for m in METHODS.values()]
