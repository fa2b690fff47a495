"""Methods of the deformation discipline (形变) on observation series (tilt, strain),
registered with the product engine beside the seismology methods
(``products.methods.registry``). ``RATE_CHANGE_SERIES`` is not listed under its own name:
it is the series form of seismology's ``rate_change`` (a request with ``series`` runs it)."""

from __future__ import annotations

from products.methods.spec import Method, _enum, _int, _num

from .annual_break import annual_break
from .figures import figure_annual_break, figure_k_sigma, figure_rate_change
from .k_sigma import k_sigma
from .rate_change import hinge_rate_change

RATE_CHANGE_SERIES = Method(
    "rate_change",
    "速率变化",
    "Trend rate change (hinge fit)",
    "Continuous piecewise-linear fit of the daily means: change point with its profile-likelihood "
    "interval, rates before and after (Hinkley 1969; Feder 1975).",
    {
        "min_segment_days": _int(30, 5, 3650, description="days each side of the change point at least"),
        "confidence": _num(0.95, 0.5, 0.999, description="level of the change point's interval"),
    },
    "series",
    discipline="deformation",
    series_min=1,
    series_max=1,
    input_fields=("series",),
    func=hinge_rate_change,
    figure=figure_rate_change,
)

METHODS: tuple[Method, ...] = (
    Method(
        "annual_break",
        "年变畸变",
        "Annual variation distortion",
        "The annual variation fitted year by year; years whose form or amplitude departs from the others'.",
        {
            "min_coverage": _num(0.75, 0.3, 1.0, description="share of a year's days with data to fit it"),
            "r_min": _num(0.8, -1.0, 1.0, description="least correlation with the other years' form"),
            "amplitude_factor": _num(
                1.5, 1.05, 10.0, description="amplitude ratio beyond which a year departs"
            ),
        },
        "series",
        discipline="deformation",
        series_min=1,
        series_max=1,
        input_fields=("series",),
        func=annual_break,
        figure=figure_annual_break,
    ),
    Method(
        "k_sigma",
        "k 倍均方差",
        "k·σ exceedances",
        "Days of a detrended daily series beyond k standard deviations, persisting at least n days.",
        {
            "detrend": _enum("annual", ("linear", "annual", "moving"), "trend removed first"),
            "window_days": _int(90, 3, 365, description="running-median window for detrend=moving (days)"),
            "sigma": _enum("robust", ("robust", "std"), "σ as 1.4826·MAD or the sample standard deviation"),
            "k": _num(3.0, 1.0, 10.0, description="threshold in standard deviations"),
            "min_days": _int(3, 1, 365, description="days beyond the threshold in a row"),
        },
        "series",
        discipline="deformation",
        series_min=1,
        series_max=1,
        input_fields=("series",),
        func=k_sigma,
        figure=figure_k_sigma,
    ),
)
