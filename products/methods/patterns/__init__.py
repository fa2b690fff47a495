"""Seismicity-pattern methods (地震活动图像: 空区, 条带, 震群) on a catalog selection,
registered with the product engine beside the other seismology methods."""

from __future__ import annotations

from products.methods.spec import Method, _int, _num

from .figures import figure_seismic_band, figure_seismic_gap, figure_swarm
from .seismic_band import seismic_band
from .seismic_gap import seismic_gap
from .swarm import swarm

WINDOW_END = {
    "type": "string",
    "default": None,
    "nullable": True,
    "format": "date-time",
    "description": "end of the window; null: the last event",
}
MAG_MIN = _num(3.0, -3.0, 10.0, description="events at or above this magnitude")

METHODS: tuple[Method, ...] = (
    Method(
        "seismic_gap",
        "地震空区",
        "Seismic gap",
        "Areas quiet at M≥m in the window while surrounded by activity (Mogi 1969 doughnut pattern).",
        {
            "mag_min": MAG_MIN,
            "cell": _num(0.1, 0.01, 2.0, description="grid cell size in degrees"),
            "window_days": _num(1825.0, 30.0, 36_500.0, description="quiet period (days)"),
            "window_end": WINDOW_END,
            "min_size_km": _num(50.0, 1.0, 2000.0, description="minimum gap size (equal-area diameter, km)"),
            "ring_cells": _int(2, 1, 20, description="width of the surrounding ring (cells)"),
            "min_ring_events": _int(10, 1, 1_000_000, description="minimum events in the ring"),
            "ring_ratio": _num(
                0.5, 0.0, 100.0, description="ring events per cell / mean of active cells, at least"
            ),
            "min_ring_coverage": _num(
                0.5, 0.0, 1.0, description="share of ring cells with an event, at least"
            ),
        },
        "catalog",
        input_fields=("lat", "lon", "times", "magnitudes"),
        func=seismic_gap,
        figure=figure_seismic_gap,
    ),
    Method(
        "seismic_band",
        "地震条带",
        "Seismic band",
        "Elongated belts of M≥m events in the window: length, width, azimuth, count.",
        {
            "mag_min": MAG_MIN,
            "window_days": _num(1095.0, 1.0, 36_500.0, description="window length (days)"),
            "window_end": WINDOW_END,
            "link_km": _num(30.0, 1.0, 500.0, description="neighbour radius (km)"),
            "density_ratio": _num(
                2.0, 1.0, 100.0, description="core events: neighbours / an even spread's, at least"
            ),
            "min_events": _int(15, 3, 1_000_000, description="minimum events in a band"),
            "min_length_km": _num(150.0, 1.0, 5000.0, description="minimum band length (km)"),
            "min_aspect": _num(3.0, 1.0, 100.0, description="minimum length / width"),
        },
        "catalog",
        input_fields=("lat", "lon", "times", "magnitudes"),
        func=seismic_band,
        figure=figure_seismic_band,
    ),
    Method(
        "swarm",
        "震群",
        "Earthquake swarms",
        "Space-time clusters without a dominant event, judged by b, h and energy entropy K.",
        {
            "link_km": _num(10.0, 0.1, 200.0, description="epicentral link distance (km)"),
            "link_days": _num(3.0, 0.01, 365.0, description="time link (days)"),
            "min_events": _int(10, 3, 1_000_000, description="minimum events in a swarm"),
            "max_delta_m": _num(0.6, 0.0, 3.0, description="largest minus second largest, below"),
            "mc": _num(None, -3.0, 10.0, nullable=True, description="Mc for b; null: smallest in the swarm"),
            "bin": _num(0.1, 0.001, 1.0, description="magnitude bin width"),
            "min_b_events": _int(10, 5, 100_000, description="minimum events for a b-value"),
            "h_days": _int(10, 3, 365, description="days after the largest event for h"),
        },
        "catalog",
        input_fields=("lat", "lon", "times", "magnitudes"),
        func=swarm,
        figure=figure_swarm,
    ),
)
