"""Methods of the fluid discipline (流体) on observation series, registered with the
product engine beside the seismology methods (``products.methods.registry``)."""

from __future__ import annotations

from products.methods.spec import Method, _enum, _int, _num

from .figures import figure_trend_residual
from .trend_residual import trend_residual

METHODS: tuple[Method, ...] = (
    Method(
        "trend_residual",
        "趋势残差",
        "Trend residual",
        "Residual of the daily means from a moving trend or an annual-cycle fit; runs beyond k·σ.",
        {
            "trend": _enum("moving", ("moving", "annual"), "running median or annual-cycle fit"),
            "window_days": _int(30, 3, 365, description="running-median window (days)"),
            "k": _num(3.0, 1.0, 10.0, description="threshold in robust standard deviations"),
            "min_days": _int(3, 1, 365, description="days beyond the threshold in a row"),
        },
        "series",
        discipline="fluid",
        series_min=1,
        series_max=1,
        input_fields=("series",),
        func=trend_residual,
        figure=figure_trend_residual,
    ),
)
