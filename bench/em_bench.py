"""Electromagnetism methods benchmark: each method over a year of minute data for 50 stations.

Usage (from the repository root):

    .venv/bin/python bench/em_bench.py [--stations 50] [--days 365]

The methods are called as the product engine calls them (``registry.run`` on
``SeriesInput`` lists, no database: reading the samples is ``series_bench``'s subject), on
synthetic H and Z minute series per station (a local-noon daily variation, noise, a storm
every 30 days). Prints wall time and peak RSS per method:

* daily_value: the Z of every station;
* day_to_day_ratio: H and Z of every station, K index by the FMI method;
* harmonic_amplitude_ratio: H and Z of every station, 10-60 min band;
* diurnal_correlation: pairs (station i, station i+1) of H, one run per pair (the method
  takes two stations), summed;
* lurr (geomagnetic form): the Z of every station, 30-day windows every 5 days (the tide of
  each station from pysolid included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.local")


def synthetic(stations: int, days: int) -> tuple[list, list]:
    from products.series_inputs import SeriesInput

    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    minute = np.arange(days * 1440)
    local_h = (minute / 60.0 + 8.0) % 24.0
    sq = np.where((local_h > 6) & (local_h < 18), np.sin(np.pi * (local_h - 6) / 12), 0.0)
    storm = np.zeros(minute.size)
    for day in range(10, days, 30):
        storm[day * 1440 + 600 : day * 1440 + 700] = np.sin(np.pi * np.arange(100) / 100)
    rng = np.random.default_rng(1)

    def part(code: str, item: str, values: np.ndarray, channel: int, lat: float, lon: float):
        return SeriesInput(
            channel=channel,
            station=code,
            item=item,
            unit="nT",
            interval=60,
            start=start,
            values=values,
            latitude=lat,
            longitude=lon,
            expected=values.size,
            present=values.size,
            excluded=0,
            excluded_spans=[],
        )

    hs, zs = [], []
    for i in range(stations):
        lat, lon = 24.0 + 0.5 * (i % 20), 100.0 + 0.7 * (i // 2)
        h = 35000.0 + 30.0 * sq - 250.0 * storm + 0.3 * rng.standard_normal(minute.size)
        z = 40000.0 + 12.0 * sq + 120.0 * storm + 0.3 * rng.standard_normal(minute.size)
        hs.append(part(f"S{i:02d}", "GM_H", h, 2 * i, lat, lon))
        zs.append(part(f"S{i:02d}", "GM_Z", z, 2 * i + 1, lat, lon))
    return hs, zs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    import django

    django.setup()
    from products.methods import registry

    t0 = time.perf_counter()
    hs, zs = synthetic(args.stations, args.days)
    samples = sum(p.values.size for p in hs + zs)
    print(
        f"synthetic data: {args.stations} stations x {args.days} days, {samples / 1e6:.1f} M minute samples "
        f"({time.perf_counter() - t0:.1f} s)"
    )

    def timed(label: str, call) -> None:
        t = time.perf_counter()
        result = call()
        wall = time.perf_counter() - t
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{label:<28} {wall:8.2f} s   peak RSS {rss:7.0f} MB   {result}")

    both = [p for pair in zip(hs, zs, strict=True) for p in pair]
    timed(
        "daily_value",
        lambda: f"{len(registry.run('daily_value', {'series': zs}, {})['stations'])} stations",
    )
    timed(
        "day_to_day_ratio (FMI K)",
        lambda: f"{len(registry.run('day_to_day_ratio', {'series': both}, {})['alarms'])} alarm days",
    )
    timed(
        "harmonic_amplitude_ratio",
        lambda: f"{len(registry.run('harmonic_amplitude_ratio', {'series': both}, {})['stations'])} stations",
    )

    def correlations() -> str:
        runs = [
            registry.run("diurnal_correlation", {"series": [hs[i], hs[i + 1]]}, {})
            for i in range(len(hs) - 1)
        ]
        return f"{len(runs)} pairs"

    timed("diurnal_correlation (pairs)", correlations)
    timed(
        "lurr (geomagnetic)",
        lambda: f"{len(registry.run('lurr', {'series': zs}, {})['stations'])} stations",
    )


if __name__ == "__main__":
    main()
