"""Methods of the fluid discipline (流体) on observation series, registered with the
product engine beside the seismology methods (``products.methods.registry``)."""

from __future__ import annotations

from products.methods.spec import Method, _enum, _int, _num

from .barometric_tidal import barometric_tidal_correction
from .figures import figure_barometric_tidal, figure_trend_residual
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
    Method(
        "barometric_tidal_correction",
        "气压与固体潮校正",
        "Barometric and earth-tide correction",
        "Regression deconvolution (Rasmussen and Crawford 1997) of a level against air pressure "
        "(series[1]) and the theoretical tide (pysolid): corrected series, barometric efficiency "
        "and response function, M2 and O1 amplitude and phase.",
        {
            "baro_lag_hours": _int(24, 0, 168, description="barometric response lags (hours)"),
            "tide_lag_hours": _int(12, 0, 48, description="earth-tide response lags (hours)"),
        },
        "series",
        discipline="fluid",
        series_min=2,
        series_max=2,
        input_fields=("series",),
        func=barometric_tidal_correction,
        figure=figure_barometric_tidal,
    ),
)
