"""Registry: parameter validation, dispatch, JSON-ready results and figures."""

from __future__ import annotations

import io
import json
import warnings

import numpy as np
import pytest

from products.methods.errors import InvalidParams
from products.methods.omori import simulate
from products.methods.registry import METHODS, figure, run, validate_params
from tests.products.products_data import gr_magnitudes


def test_every_method_is_registered_with_titles_and_input_kind() -> None:
    seismology = {name for name, m in METHODS.items() if m.discipline == "seismology"}
    assert seismology == {
        "mc",
        "bvalue",
        "bvalue_series",
        "bvalue_grid",
        "rate_change",
        "omori",
        "sequence_type",
        "decluster",
        "forecast_score",
        "lurr",
        "seismic_gap",
        "seismic_band",
        "swarm",
    }
    for m in METHODS.values():
        assert m.discipline in {"seismology", "deformation", "fluid", "electromagnetism"}
        assert all((m.title_zh, m.title_en, m.description))
        assert m.input in {"catalog", "sequence", "forecasts", "series"}
        # a series method says how many series it takes; a catalog method takes none
        assert (m.input == "series") == (1 <= m.series_min <= m.series_max)
        assert all("type" in spec and "default" in spec for spec in m.params.values())


def test_defaults_are_filled() -> None:
    assert validate_params("mc", {}) == {"mc_method": "maxc", "mc_correction": 0.2, "bin": 0.1}


def test_each_bad_or_unknown_parameter_is_named() -> None:
    with pytest.raises(InvalidParams) as info:
        validate_params("bvalue", {"bin": 0, "estimator": "lsq", "min_events": 2.5, "colour": "red"})
    assert info.value.errors == {
        "bin": "must be at least 0.001",
        "estimator": "must be one of aki_utsu, tinti_mulargia, b_positive",
        "min_events": "must be an integer",
        "colour": "unknown parameter",
    }


def test_booleans_are_not_numbers_and_null_only_where_allowed() -> None:
    with pytest.raises(InvalidParams) as info:
        validate_params("bvalue", {"bin": True, "estimator": None, "mc": None})
    assert info.value.errors == {"bin": "must be a number", "estimator": "may not be null"}


def test_radius_alone_replaces_nearest_and_both_are_refused() -> None:
    assert validate_params("bvalue_grid", {"radius_km": 20})["nearest"] is None
    with pytest.raises(InvalidParams) as info:
        validate_params("bvalue_grid", {"radius_km": 20, "nearest": 50})
    assert set(info.value.errors) == {"nearest", "radius_km"}


def test_unknown_method() -> None:
    with pytest.raises(InvalidParams) as info:
        validate_params("gaps", {})
    assert info.value.errors == {"method": "unknown method 'gaps'"}


def _catalog(n=3000, seed=2):
    rng = np.random.default_rng(seed)
    return {
        "magnitudes": np.round(gr_magnitudes(n, 1.0, 1.95, seed), 1),
        "times": np.datetime64("2020-01-01")
        + np.sort(rng.integers(0, 3 * 365 * 86400, n)).astype("timedelta64[s]"),
        "lat": rng.uniform(28.0, 29.0, n),
        "lon": rng.uniform(115.0, 116.0, n),
        "depth": rng.uniform(5, 15, n),
    }


CASES = {
    "mc": ({}, None),
    "bvalue": ({"mc": 2.0}, None),
    "bvalue_series": ({"mc": 2.0, "window": 300, "step": 100}, None),
    "bvalue_grid": ({"cell": 0.25, "nearest": 500}, None),
    "rate_change": ({"cell": 0.25, "nearest": 300, "window_days": 140}, None),
    "decluster": ({"method": "reasenberg"}, None),
    "omori": ({}, "sequence"),
    "sequence_type": ({}, "sequence"),
    "forecast_score": ({}, "forecasts"),
}


def _inputs(kind):
    if kind is None:
        return _catalog()
    times = simulate(100.0, 0.05, 1.1, 60.0, np.random.default_rng(1))
    if kind == "sequence":
        mags = np.round(gr_magnitudes(times.size, 1.0, 1.95, 3), 1)
        return {"times": np.concatenate([[0.0], times]), "magnitudes": np.concatenate([[6.1], mags])}
    cat = _catalog(200)
    cat["magnitudes"] = cat["magnitudes"] + 2.5
    return {
        **cat,
        "forecasts": [
            {
                "start": "2020-01-01",
                "end": "2021-01-01",
                "mag_min": 4.5,
                "probability": 0.6,
                "polygon": [[115.0, 28.0], [115.5, 28.0], [115.5, 28.5], [115.0, 28.5]],
            },
            {
                "start": "2021-01-01",
                "end": "2023-01-01",
                "mag_min": 4.5,
                "probability": 0.3,
                "polygon": [[115.5, 28.5], [116.0, 28.5], [116.0, 29.0], [115.5, 29.0]],
            },
        ],
        "region": [[115.0, 28.0], [116.0, 28.0], [116.0, 29.0], [115.0, 29.0]],
        "period_start": "2020-01-01",
        "period_end": "2023-01-01",
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_run_gives_json_ready_results_and_a_figure(name) -> None:
    params, kind = CASES[name]
    inputs = _inputs(kind)
    result = run(name, inputs, params)
    json.dumps(result, allow_nan=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. a missing CJK glyph
        fig = figure(name, result, inputs)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        svg = io.BytesIO()
        fig.savefig(svg, format="svg")
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert b"<svg" in svg.getvalue()[:400]


def test_run_names_missing_inputs() -> None:
    with pytest.raises(InvalidParams) as info:
        run("bvalue_grid", {"magnitudes": [1.0]}, {})
    assert info.value.errors == {"lat": "missing input", "lon": "missing input"}
