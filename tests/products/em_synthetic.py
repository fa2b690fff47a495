"""Synthetic geomagnetic minute series for the electromagnetism method tests and bench: a
local-noon solar daily variation (Sq) in H and Z, small noise, at a station's place."""

from __future__ import annotations

import datetime as dt

import numpy as np

from products.series_inputs import SeriesInput

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
MINUTES = 1440


def sq(days: int, amplitude: float, *, phase_h: float = 0.0) -> np.ndarray:
    """A daily variation peaking at Beijing noon (04:00 UT), zero at night."""
    minute = np.arange(days * MINUTES)
    local_h = (minute / 60.0 + 8.0 + phase_h) % 24.0
    shape = np.where((local_h > 6) & (local_h < 18), np.sin(np.pi * (local_h - 6) / 12), 0.0)
    return amplitude * shape


def component(
    days: int, base: float, amplitude: float, *, seed: int, noise: float = 0.3, phase_h: float = 0.0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return base + sq(days, amplitude, phase_h=phase_h) + noise * rng.standard_normal(days * MINUTES)


def as_input(
    values: np.ndarray,
    *,
    station: str = "ST",
    item: str = "GM_Z",
    channel: int = 1,
    interval: int = 60,
    lat: float = 28.0,
    lon: float = 116.3,
) -> SeriesInput:
    return SeriesInput(
        channel=channel,
        station=station,
        item=item,
        unit="nT",
        interval=interval,
        start=T0,
        values=np.asarray(values, dtype=float),
        latitude=lat,
        longitude=lon,
        expected=values.size,
        present=int(np.isfinite(values).sum()),
        excluded=0,
        excluded_spans=[],
    )
