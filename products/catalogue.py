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
    "lurr": (
        "catalog: {window_end[], y[], n_load[], n_unload[], y_total, centre, fault}; "
        "series: {stations[{station, item, window_end[], y[]}], fault}: load-unload response ratio"
    ),
    "daily_value": "{days[], stations[{station, item, values[]}], differences[{station, reference, values[], std}]}",
    "day_to_day_ratio": (
        "{days[], stations_over[], stations[{station, z_range[], ratio[], k_max[], days_over[]}], "
        "alarms[{day, count, stations[]}]}"
    ),
    "harmonic_amplitude_ratio": (
        "{stations[{station, days[], ratio[], trend[], slope_per_year, periods_min[], by_period[][]}]}"
    ),
    "diurnal_correlation": "{stations, days[], r[], mean_r, low_days[], low_runs[]}: Pearson r per day",
    "trend_residual": "{sigma, k, min_days, anomalies[]: start, end, days, sign, peak_sigma; residual[]}",
    "barometric_tidal_correction": (
        "{barometric_efficiency, brf[] by lag (h), tide_response[], m2_amplitude, m2_phase_deg, "
        "o1_amplitude, o1_phase_deg, days[], daily_level[], daily_corrected[], hourly{} up to 92 days}"
    ),
    "annual_break": (
        "{years[]: amplitude, peak_day, correlation, amplitude_ratio, distorted, reasons; "
        "distorted_years[], criteria, annual_forms{year: 365 values}}"
    ),
    "k_sigma": "{sigma, centre, k, min_days, exceedances[]: start, end, days, sign, peak_sigma; residual[]}",
    # a series form's result, where its name is also a catalog method's
    "rate_change/series": (
        "{change_time, ci_low, ci_high, ci_days, rate_before, rate_after (+ _se), rate_unit, "
        "delta_bic, profile{}, fitted[]}"
    ),
    "seismic_gap": "GeoJSON FeatureCollection of gap polygons (size, ring events, quiet since); criteria",
    "seismic_band": "GeoJSON FeatureCollection of band rectangles (length, width, azimuth, count); criteria",
    "swarm": "{swarms[]: b, h, K, delta_m, indicators, foreshock_like; n_swarms, criteria}",
}


def returns(method: Method) -> str:
    """What ``method`` returns: a series form under ``<name>/series`` when its name is also
    a catalog method's."""
    if method.input == "series" and f"{method.name}/series" in RETURNS:
        return RETURNS[f"{method.name}/series"]
    return RETURNS.get(method.name, "")


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
        "returns": returns(method),
        # the form a request with ``series`` runs (same name, another discipline's input)
        "series_form": describe(method.series_form) if method.series_form is not None else None,
    }


def methods_described() -> list[dict[str, Any]]:
    return [describe(m) for m in METHODS.values()]
