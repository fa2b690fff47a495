"""Methods of the electromagnetism discipline (电磁) on geomagnetic observation series,
registered with the product engine beside the seismology methods
(``products.methods.registry``). ``LURR_SERIES`` is the geomagnetic form of the seismology
method ``lurr``: registered as its ``series_form``, not under a name of its own."""

from __future__ import annotations

from products.methods.spec import Method, _enum, _int, _num

from .daily_value import daily_value
from .day_to_day_ratio import day_to_day_ratio
from .diurnal_correlation import diurnal_correlation
from .figures import (
    figure_daily_value,
    figure_day_to_day_ratio,
    figure_diurnal_correlation,
    figure_harmonic_amplitude_ratio,
    figure_lurr_series,
)
from .harmonic_amplitude_ratio import harmonic_amplitude_ratio
from .lurr import lurr_series

DISCIPLINE = "electromagnetism"
COVERAGE = _num(0.8, 0.1, 1.0, description="share of a day's (or night's) samples it needs")
MIN_DAYS = _int(10, 2, 10_000, description="days with a value the method needs")
STRIKE = _num(0.0, 0.0, 360.0, description="fault strike (degrees clockwise from north)")
DIP = _num(90.0, 0.0, 90.0, description="fault dip (degrees)")
RAKE = _num(0.0, -180.0, 180.0, description="slip rake (degrees, Aki-Richards)")
FRICTION = _num(0.4, 0.0, 1.0, description="effective friction coefficient μ'")

LURR_SERIES = Method(
    "lurr",
    "加卸载响应比 (地磁)",
    "Load-unload response ratio (geomagnetic)",
    "Mean change of a geomagnetic component while the tidal Coulomb stress loads a fault, over unloading.",
    {
        "strike": STRIKE,
        "dip": DIP,
        "rake": RAKE,
        "friction": FRICTION,
        "window_days": _int(30, 5, 3650, description="window length (days)"),
        "step_days": _int(5, 1, 365, description="window step (days)"),
        "min_days": _int(20, 2, 3650, description="days with data a window needs"),
    },
    "series",
    discipline=DISCIPLINE,
    series_min=1,
    series_max=50,
    input_fields=("series",),
    func=lurr_series,
    figure=figure_lurr_series,
)

METHODS: tuple[Method, ...] = (
    Method(
        "daily_value",
        "每日一值",
        "Daily value",
        "Quiet night-time mean of each day (Beijing 00–04 h) and station differences to the first station.",
        {
            "start_hour": _int(0, 0, 23, description="night window start (Beijing hour)"),
            "end_hour": _int(4, 1, 24, description="night window end (Beijing hour)"),
            "min_coverage": COVERAGE,
            "min_days": MIN_DAYS,
        },
        "series",
        discipline=DISCIPLINE,
        series_min=1,
        series_max=50,
        input_fields=("series",),
        func=daily_value,
        figure=figure_daily_value,
    ),
    Method(
        "day_to_day_ratio",
        "逐日比",
        "Day-to-day ratio",
        "Z daily range over the next day's; disturbed days (FMI K index from H) left out; stations over threshold per day.",
        {
            "disturbed": _enum("fmi", ("fmi", "h_range", "none"), "how disturbed days are found"),
            "k9_limit": _num(500.0, 100.0, 3000.0, description="the station's K = 9 lower limit (nT)"),
            "k_disturbed": _int(5, 1, 9, description="a day with a K this high is disturbed"),
            "h_range_nt": _num(
                100.0, 1.0, 5000.0, description="with h_range: H daily range above this is disturbed (nT)"
            ),
            "threshold": _num(3.0, 1.0, 100.0, description="ratio at or above which a station counts"),
            "min_stations": _int(2, 1, 50, description="stations over threshold that make a day an alarm"),
            "min_coverage": COVERAGE,
            "min_days": MIN_DAYS,
        },
        "series",
        discipline=DISCIPLINE,
        series_min=1,
        series_max=100,  # the Z and H of up to 50 stations
        input_fields=("series",),
        func=day_to_day_ratio,
        figure=figure_day_to_day_ratio,
    ),
    Method(
        "harmonic_amplitude_ratio",
        "谐波振幅比",
        "Harmonic amplitude ratio",
        "Z/H spectral amplitude ratio at periods in a band from night-time minute data, daily, with its trend.",
        {
            "start_hour": _int(0, 0, 23, description="night window start (Beijing hour)"),
            "end_hour": _int(4, 1, 24, description="night window end (Beijing hour)"),
            "period_min": _num(10.0, 2.0, 600.0, description="shortest period (minutes)"),
            "period_max": _num(60.0, 2.0, 600.0, description="longest period (minutes)"),
            "window_days": _int(15, 3, 365, description="running-median trend window (days)"),
            "min_coverage": COVERAGE,
            "min_days": MIN_DAYS,
        },
        "series",
        discipline=DISCIPLINE,
        series_min=2,
        series_max=100,
        input_fields=("series",),
        func=harmonic_amplitude_ratio,
        figure=figure_harmonic_amplitude_ratio,
    ),
    Method(
        "diurnal_correlation",
        "日变化空间相关",
        "Diurnal correlation",
        "Pearson r of two stations' diurnal curves, day by day; days below a threshold.",
        {
            "bin_minutes": _int(10, 1, 180, description="curve resolution (minutes)"),
            "r_threshold": _num(0.8, -1.0, 1.0, description="days with r below this are listed"),
            "min_coverage": COVERAGE,
            "min_days": MIN_DAYS,
        },
        "series",
        discipline=DISCIPLINE,
        series_min=2,
        series_max=2,
        input_fields=("series",),
        func=diurnal_correlation,
        figure=figure_diurnal_correlation,
    ),
)
