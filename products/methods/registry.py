"""The catalogue of seismology methods: parameters, validation and dispatch.

``METHODS[name]`` describes a method: its titles, a JSON-schema-like
``params`` dict ({name: {"type", "default", "minimum", "maximum", "enum",
"nullable", "description"}}), the kind of ``input`` it takes ("catalog":
arrays of one catalog selection; "sequence": the events of one sequence;
"forecasts": forecasts plus the events of the scored region and period),
which input arrays its function reads (``input_fields``), the function and
its figure. ``validate_params`` fills defaults and raises InvalidParams naming
every bad or unknown parameter; ``run`` validates and calls the function.
"""

from __future__ import annotations

from typing import Any

from . import figures
from .bvalue import bvalue, bvalue_series
from .decluster import decluster
from .deformation import METHODS as DEFORMATION_METHODS
from .deformation import RATE_CHANGE_SERIES
from .electromagnetism import LURR_SERIES
from .electromagnetism import METHODS as EM_METHODS
from .errors import InvalidParams
from .fluids import METHODS as FLUID_METHODS
from .forecast import forecast_score
from .grid import bvalue_grid, rate_change
from .lurr import lurr
from .mc import mc
from .omori import omori
from .patterns import METHODS as PATTERN_METHODS
from .sequence import sequence_type
from .spec import Method, _bool, _enum, _int, _num

BIN = _num(0.1, 0.001, 1.0, description="magnitude bin width")
MC_METHOD = _enum("maxc", ("maxc", "gft"), "Mc method when mc is not given")
MC_CORRECTION = _num(0.2, -1.0, 1.0, description="added to maximum curvature (Woessner and Wiemer 2005)")
MC = _num(None, -3.0, 10.0, nullable=True, description="completeness magnitude; null: estimate it")
ESTIMATOR = _enum("aki_utsu", ("aki_utsu", "tinti_mulargia", "b_positive"), "b-value estimator")
DMC = _num(None, 0.0, 3.0, nullable=True, description="b-positive difference threshold; null: one bin")
CELL = _num(0.1, 0.01, 5.0, description="grid cell size in degrees")
NEAREST = _int(100, 10, 100_000, nullable=True, description="sample the N nearest events")
RADIUS = _num(None, 1.0, 1000.0, nullable=True, description="or all events within this radius (km)")
GK_ONLY = {"fs_time_prop": _num(0.0, 0.0, 1.0, description="foreshock window as a fraction (GK)")}
REASENBERG = {
    "tau_min": _num(1.0, 0.01, 100.0, description="look-ahead for unclustered events (days)"),
    "tau_max": _num(10.0, 0.1, 1000.0, description="maximum look-ahead (days)"),
    "p": _num(0.95, 0.5, 0.999, description="probability of detecting the next event"),
    "xk": _num(0.5, 0.0, 1.0, description="Mc raise factor during clusters"),
    "xmeff": _num(1.5, -2.0, 6.0, description="effective Mc of the catalog"),
    "rfact": _num(10.0, 1.0, 100.0, description="interaction radius in crack radii"),
    "err": _num(1.5, 0.0, 50.0, description="horizontal location error (km)"),
    "derr": _num(2.0, 0.0, 50.0, description="depth error (km)"),
}

METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "mc",
            "完备震级",
            "Magnitude of completeness",
            "Maximum curvature + 0.2 (Wiemer and Wyss 2000; Woessner and Wiemer 2005) or goodness-of-fit.",
            {"mc_method": MC_METHOD, "mc_correction": MC_CORRECTION, "bin": BIN},
            "catalog",
            input_fields=("magnitudes",),
            func=mc,
            figure=figures.figure_mc,
        ),
        Method(
            "bvalue",
            "b 值",
            "Gutenberg-Richter b-value",
            "Aki-Utsu maximum likelihood (or Tinti-Mulargia, b-positive), Shi-Bolt error, a-value.",
            {
                "mc": MC,
                "mc_method": MC_METHOD,
                "mc_correction": MC_CORRECTION,
                "bin": BIN,
                "estimator": ESTIMATOR,
                "dmc": DMC,
                "min_events": _int(50, 10, 1_000_000),
            },
            "catalog",
            input_fields=("magnitudes",),
            optional_fields=("times",),
            func=bvalue,
            figure=figures.figure_bvalue,
        ),
        Method(
            "bvalue_series",
            "b 值时间扫描",
            "b-value in time",
            "b in moving windows of events at or above one Mc.",
            {
                "window": _int(200, 50, 100_000),
                "step": _int(20, 1, 100_000),
                "mc": MC,
                "mc_method": MC_METHOD,
                "mc_correction": MC_CORRECTION,
                "bin": BIN,
                "estimator": ESTIMATOR,
                "dmc": DMC,
            },
            "catalog",
            input_fields=("magnitudes", "times"),
            func=bvalue_series,
            figure=figures.figure_bvalue_series,
        ),
        Method(
            "bvalue_grid",
            "b 值空间扫描",
            "b-value map",
            "b per grid cell from its nearest N events or the events within a radius.",
            {
                "cell": CELL,
                "nearest": NEAREST,
                "radius_km": RADIUS,
                "min_events": _int(50, 10, 100_000),
                "mc": MC,
                "mc_correction": MC_CORRECTION,
                "bin": BIN,
                "estimator": _enum("aki_utsu", ("aki_utsu", "tinti_mulargia"), "b-value estimator"),
            },
            "catalog",
            input_fields=("lat", "lon", "magnitudes"),
            func=bvalue_grid,
            figure=figures.figure_bvalue_grid,
        ),
        Method(
            "rate_change",
            "地震活动率变化",
            "Seismicity rate change (Z)",
            "Habermann's Z (ZMAP LTA) per grid cell: quiescence (Z > 0) and activation maps.",
            {
                "cell": CELL,
                "nearest": NEAREST,
                "radius_km": RADIUS,
                "bin_days": _num(14.0, 1.0, 365.0, description="time bin (days)"),
                "window_days": _num(365.0, 1.0, 10_000.0, description="window length (days)"),
                "window_end": {
                    "type": "string",
                    "default": None,
                    "nullable": True,
                    "format": "date-time",
                    "description": "end of the window; null: end of the catalog",
                },
                "decluster": _bool(True, "Gardner-Knopoff declustering first"),
                "mag_min": _num(None, -3.0, 10.0, nullable=True, description="minimum magnitude"),
                "min_events": _int(20, 5, 1_000_000),
            },
            "catalog",
            input_fields=("lat", "lon", "times", "magnitudes"),
            func=rate_change,
            figure=figures.figure_rate_change,
            series_form=RATE_CHANGE_SERIES,
        ),
        Method(
            "omori",
            "余震衰减 (Omori-Utsu)",
            "Aftershock decay (Omori-Utsu)",
            "K, c, p by maximum likelihood (Ogata 1983) and the expected number in the coming days.",
            {
                "t_start": _num(
                    0.0, 0.0, 10_000.0, description="start of the fit (days after the mainshock)"
                ),
                "t_end": _num(
                    None, 0.0, 100_000.0, nullable=True, description="end of the fit; null: last event"
                ),
                "forecast_days": _num(7.0, 0.1, 3650.0, description="forecast window (days)"),
            },
            "sequence",
            input_fields=("times",),
            optional_fields=("mainshock_time",),
            func=omori,
            figure=figures.figure_omori,
        ),
        Method(
            "sequence_type",
            "序列类型",
            "Sequence type",
            "CENC rule on the magnitude gap; energy share, Båth's largest aftershock, h-value.",
            {"h_days": _int(10, 3, 365), "min_foreshocks": _int(1, 1, 1000)},
            "sequence",
            input_fields=("magnitudes", "times"),
            func=sequence_type,
            figure=figures.figure_sequence_type,
        ),
        Method(
            "decluster",
            "去丛集",
            "Declustering",
            "Gardner-Knopoff (1974) windows or Reasenberg (1985) clusters.",
            {
                "method": _enum("gardner_knopoff", ("gardner_knopoff", "reasenberg"), "algorithm"),
                **GK_ONLY,
                **REASENBERG,
            },
            "catalog",
            input_fields=("lat", "lon", "times", "magnitudes"),
            optional_fields=("depth",),
            func=decluster,
            figure=figures.figure_decluster,
        ),
        Method(
            "forecast_score",
            "预报效能检验",
            "Forecast scoring",
            "R-score (Xu Shaoxie 1989) with its 97.5% R0, Molchan diagram and area skill score.",
            {
                "mag_min": _num(
                    None,
                    -3.0,
                    10.0,
                    nullable=True,
                    description="target magnitude; null: lowest forecast mag_min",
                )
            },
            "forecasts",
            input_fields=(
                "forecasts",
                "lat",
                "lon",
                "times",
                "magnitudes",
                "region",
                "period_start",
                "period_end",
            ),
            func=forecast_score,
            figure=figures.figure_forecast_score,
        ),
        Method(
            "lurr",
            "加卸载响应比",
            "Load-unload response ratio (LURR)",
            "Benioff strain in tidal loading over unloading on a fault orientation (Yin et al. 1995).",
            {
                "strike": _num(0.0, 0.0, 360.0, description="fault strike (degrees clockwise from north)"),
                "dip": _num(90.0, 0.0, 90.0, description="fault dip (degrees)"),
                "rake": _num(0.0, -180.0, 180.0, description="slip rake (degrees, Aki-Richards)"),
                "friction": _num(0.4, 0.0, 1.0, description="effective friction coefficient μ'"),
                "exponent": _num(0.5, 0.0, 1.0, description="m in E^m (0.5: Benioff strain)"),
                "window_days": _num(365.0, 10.0, 10_000.0, description="window length (days)"),
                "step_days": _num(30.0, 1.0, 3650.0, description="window step (days)"),
                "mag_min": _num(None, -3.0, 10.0, nullable=True, description="minimum magnitude"),
                "min_events": _int(20, 5, 1_000_000, description="events a window needs"),
            },
            "catalog",
            input_fields=("lat", "lon", "times", "magnitudes"),
            func=lurr,
            figure=figures.figure_lurr,
            series_form=LURR_SERIES,
        ),
        *PATTERN_METHODS,
        *FLUID_METHODS,
        *EM_METHODS,
        *DEFORMATION_METHODS,
    )
}


def _check(name: str, spec: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    if value is None:
        return (None, None) if spec.get("nullable") else (None, "may not be null")
    kind = spec["type"]
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if kind == "string":
        if not isinstance(value, str):
            return None, "must be a string"
        if "enum" in spec and value not in spec["enum"]:
            return None, "must be one of " + ", ".join(spec["enum"])
        return value, None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"must be {'an integer' if kind == 'integer' else 'a number'}"
    if value != value or value in (float("inf"), float("-inf")):
        return None, "must be finite"
    if kind == "integer":
        if float(value) != int(value):
            return None, "must be an integer"
        value = int(value)
    else:
        value = float(value)
    if "minimum" in spec and value < spec["minimum"]:
        return None, f"must be at least {spec['minimum']:g}"
    if "maximum" in spec and value > spec["maximum"]:
        return None, f"must be at most {spec['maximum']:g}"
    return value, None


def method_for(method_name: str, *, series: bool = False) -> Method:
    """The method registered as ``method_name``: its series form when the input is series
    and it has one. Raises KeyError for an unknown name."""
    method = METHODS[method_name]
    return method.series_form if series and method.series_form is not None else method


def validate_params(
    method_name: str, params: dict[str, Any] | None, *, series: bool = False
) -> dict[str, Any]:
    """Parameters with defaults filled; raises InvalidParams naming each bad one."""
    if method_name not in METHODS:
        raise InvalidParams({"method": f"unknown method {method_name!r}"})
    method = method_for(method_name, series=series)
    params = dict(params or {})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for key in params:
        if key not in method.params:
            errors[key] = "unknown parameter"
    for key, spec in method.params.items():
        if key not in params:
            out[key] = spec["default"]
            continue
        value, error = _check(key, spec, params[key])
        if error:
            errors[key] = error
        else:
            out[key] = value
    if "nearest" in method.params and not errors:
        # radius_km given alone replaces the default nearest-N sampling
        if out["radius_km"] is not None and "nearest" not in params:
            out["nearest"] = None
        if (out["nearest"] is None) == (out["radius_km"] is None):
            errors["nearest"] = errors["radius_km"] = "give exactly one of nearest and radius_km"
    if "window" in method.params and not errors and out["step"] > out["window"]:
        errors["step"] = "must not exceed window"
    if "tau_min" in method.params and not errors and out["tau_min"] > out["tau_max"]:
        errors["tau_min"] = "must not exceed tau_max"
    if errors:
        raise InvalidParams(errors)
    return out


def run(method_name: str, inputs: dict[str, Any], params: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate ``params`` and run the method on ``inputs`` (arrays by field name; with
    ``inputs["series"]`` the method's series form)."""
    series = "series" in inputs
    clean = validate_params(method_name, params, series=series)
    method = method_for(method_name, series=series)
    missing = [f for f in method.input_fields if f not in inputs]
    if missing:
        raise InvalidParams(dict.fromkeys(missing, "missing input"))
    kwargs = {f: inputs[f] for f in method.input_fields}
    kwargs.update({f: inputs[f] for f in method.optional_fields if inputs.get(f) is not None})
    if method.func is None:
        raise RuntimeError(f"method {method_name!r} is registered without a function")
    return method.func(**kwargs, **clean)


def figure(method_name: str, result: dict[str, Any], inputs: dict[str, Any]) -> Any:
    """The method's matplotlib Figure for ``result``."""
    method = method_for(method_name, series="series" in inputs)
    if method.figure is None:
        raise RuntimeError(f"method {method_name!r} draws no figure")
    return method.figure(result, inputs)
