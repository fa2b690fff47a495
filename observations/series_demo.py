"""Demo observation series: deterministic synthetic minute data for the demo stations'
channels of the given bureaus, written through the fast path (``series_write``).

``seed(bureau_codes=("JX", "NM"), months=13)`` finds the channels by item code on the
bureaus' stations (it creates no station or channel: with none, it stores nothing) and
fills the last ``months`` months up to today's UTC midnight:

* water level (WL): earth tides M2 (12.4206 h), O1 (25.8193 h), K1 (23.9345 h), a
  barometric response (-0.4 cm/hPa to the station's synthetic air pressure), a slow drift;
* air pressure (PRES, auxiliary, at the wells that record it): that same pressure, so
  ``barometric_tidal_correction`` finds the well's barometric response;
* water temperature (WT): a slow seasonal wave and 0.001 °C noise;
* radon (RN_W, RN_G): a seasonal cycle, noisy;
* geomagnetic H and Z (GM_H, GM_Z): a diurnal variation (local-noon peak in H) and a few
  storm days (H drops ~110 nT over a two-hour main phase and recovers over a
  day);
* geomagnetic F (GM_F): the total field of such an H and Z;
* tilt (TILT_NS, TILT_EW): an annual cycle and a drift;
* other items: a gentle seasonal wave.

Faults for quality control to find, on the first channel of each item family: a gap of
6 hours on day 60, 5 spikes a week apart from day 90, a step on day 150, a flat line of 12
hours on day 200 (at the same fractions of 220 days in a shorter series); and one anomaly (a trend departure of the first water level of the first
bureau, JX-XS, growing over the 40 days before the end, ahead of the demo's M4.4 Xiushui
quake of the day before). :func:`seed` returns what it injected, by channel id, and
then runs quality control over the channels (``qc="skip"`` not to) as of the end of the
last day: QC finds the injected faults; it also raises the departure alarm on the storm days
(a short-term departure is what that alarm is for) and on the days right after the step.
Deterministic: numpy with a fixed seed per channel code, times from the end date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from functools import partial
from typing import Any, Literal

import numpy as np
from django.db import transaction

from observations.models import Channel
from observations.services.qc_run import qc_check_days, qc_enqueue
from observations.services.series_store import series_write

MINUTE = 60
M2, O1, K1 = 12.4206, 25.8193, 23.9345  # hours
YEAR_H = 8766.0
STORM_MAIN_H = 2.0  # hours from a storm's onset to its deepest


def _rng(key: str) -> np.random.Generator:
    return np.random.default_rng(int(hashlib.sha256(key.encode()).hexdigest()[:12], 16))


def _pressure(hours: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Air pressure (hPa): seasonal wave, semidiurnal tide, weather as three travelling waves
    of 3.7, 5.9 and 8.3 days (random phases; bounded waves rather than a random walk, so the
    water level answering them keeps its daily means within a few spreads and quality
    control's departure alarm stays for real departures)."""
    phases = rng.uniform(0, 2 * np.pi, size=3)
    weather = sum(
        amplitude * np.cos(2 * np.pi * hours / (24 * days) + phase)
        for amplitude, days, phase in zip((3.0, 2.5, 2.0), (3.7, 5.9, 8.3), phases, strict=True)
    )
    # and gusts of a few hours (1 hPa): the broadband part that lets a regression tell the
    # level's answer to pressure from its answer to the tides. Drawn every 3 hours, joined
    # and rounded over 3 hours, so no corner of the curve looks like a spike or a step to QC
    since = hours - hours[0]
    knots = 1.0 * rng.standard_normal(int(since[-1] // 3) + 2 if since.size else 0)
    gusts = np.interp(since / 3, np.arange(knots.size), knots)
    if since.size > 1:
        per_hour = max(1, round(1 / (since[1] - since[0])))
        kernel = np.ones(3 * per_hour) / (3 * per_hour)
        gusts = np.convolve(
            np.pad(gusts, (kernel.size // 2, kernel.size - 1 - kernel.size // 2), mode="edge"),
            kernel,
            mode="valid",
        )
    seasonal = 8 * np.cos(2 * np.pi * hours / YEAR_H) + 1.2 * np.cos(2 * np.pi * hours / 12)
    return 1013 + seasonal + weather + gusts


def _storm(after: np.ndarray) -> np.ndarray:
    """A storm's shape (0..1) ``after`` hours from its onset: a main phase that deepens over
    about two hours (a real storm's field changes by nT a minute, not 100 nT at once, so QC
    sees no step on clean data), then a recovery with a 14 h time constant, over in 4 days."""
    main = 0.5 * (1 - np.cos(np.pi * np.clip(after, 0, STORM_MAIN_H) / STORM_MAIN_H))
    recovery = np.exp(-np.clip(after - STORM_MAIN_H, 0, None) / 14)
    return np.where((after >= 0) & (after < 96), main * recovery, 0.0)


def _curve(
    item: str,
    hours: np.ndarray,
    rng: np.random.Generator,
    storms: np.ndarray,
    pressure: np.ndarray | None = None,
) -> np.ndarray:
    """One channel's values at ``hours``; ``pressure`` (hPa) is the station's air pressure,
    drawn from ``rng`` when not given (a lone curve)."""
    n = hours.size
    if pressure is None and item in ("WL", "PRES"):
        pressure = _pressure(hours, rng)
    season = np.cos(2 * np.pi * (hours - 24 * 200) / YEAR_H)
    if item == "WL":
        tides = (
            0.040 * np.sin(2 * np.pi * hours / M2)
            + 0.018 * np.sin(2 * np.pi * hours / O1 + 1.0)
            + 0.022 * np.sin(2 * np.pi * hours / K1 + 0.4)
        )
        baro = -0.004 * (pressure - 1013)
        # the sensor's noise, bounded at 4 sigma as a digitiser's is: minute data hold a
        # million samples a channel, where unbounded normal noise has a 5-sigma sample or two
        # that QC's Hampel filter rightly calls a spike
        noise = 0.0003 * np.clip(rng.standard_normal(n), -4, 4)
        return np.round(-12.5 + tides + baro + 0.0001 * hours / 24 + noise, 4)
    if item == "PRES":  # the station's barometer: the pressure its water level answers
        return np.round(pressure, 2)
    if item == "WT":
        return np.round(21.3 + 0.01 * season + 0.001 * rng.standard_normal(n), 4)
    if item in ("RN_W", "RN_G"):
        return np.round(30 + 5 * season + 1.5 * rng.standard_normal(n), 1)
    if item in ("GM_H", "GM_Z"):
        local = (hours + 8) % 24  # Beijing local time
        diurnal = np.where((local > 5) & (local < 19), np.sin(np.pi * (local - 5) / 14), 0.0)
        if item == "GM_H":
            base = 38500 - 25 * diurnal
            for start in storms:
                base = base - 110 * _storm(hours - start)
        else:
            base = 46200 + 8 * diurnal
            for start in storms:
                base = base + 20 * _storm(hours - start)
        return np.round(base + 0.3 * rng.standard_normal(n), 1)
    if item == "GM_F":  # the total field of the same H and Z
        h = _curve("GM_H", hours, rng, storms, pressure).astype(np.float64)
        z = _curve("GM_Z", hours, rng, storms, pressure).astype(np.float64)
        return np.round(np.sqrt(h**2 + z**2), 1)
    if item in ("TILT_NS", "TILT_EW"):
        return np.round(3 * season + 0.002 * hours / 24 + 0.01 * rng.standard_normal(n), 3)
    return np.round(100 + 2 * season + 0.1 * rng.standard_normal(n), 3)


def seed(
    *,
    bureau_codes: tuple[str, ...] = ("JX", "NM"),
    months: int = 13,
    today: dt.date | None = None,
    qc: Literal["run", "queue", "skip"] = "run",
) -> dict[str, Any]:
    """Fill the demo channels and check them: ``qc="run"`` here (~0.3-1 s a channel-year,
    measured in bench/qc_bench.py), ``"queue"`` one Celery task a channel (a loader that
    must return at once), ``"skip"`` not at all. Returns {"channels", "samples", "seconds",
    "qc_seconds", "faults", "anomaly", "storm_starts"}."""
    started = time.monotonic()
    end_day = today or dt.datetime.now(dt.UTC).date()
    end = dt.datetime(end_day.year, end_day.month, end_day.day, tzinfo=dt.UTC)
    start = end - dt.timedelta(days=round(months * 30.44))
    channels = list(
        Channel.objects.filter(bureau__code__in=bureau_codes, interval=MINUTE, is_active=True)
        .select_related("station", "item", "bureau")
        .order_by("bureau__code", "station__code", "item__code", "orientation")
    )
    n = int((end - start).total_seconds()) // MINUTE
    hours = (
        np.arange(n, dtype=np.float64) / 60.0
        + (start - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).total_seconds() / 3600
    )
    storm_rng = _rng("storms")
    storms = hours[0] + np.sort(storm_rng.uniform(0, n / 60 - 96, size=4))
    faults: dict[int, list[dict[str, Any]]] = {}
    seen_family: set[str] = set()
    pressures: dict[str, np.ndarray] = {}
    anomaly: dict[str, Any] | None = None
    total = 0
    for channel in channels:
        item = channel.item.code.upper()
        rng = _rng(f"{channel.station.code}:{item}:{channel.orientation}")
        if channel.station.code not in pressures:  # one air pressure per station
            pressures[channel.station.code] = _pressure(hours, _rng(f"{channel.station.code}:pressure"))
        values = _curve(item, hours, rng, storms, pressures[channel.station.code]).astype(np.float32)
        family = item.split("_")[0]
        if family not in seen_family:
            seen_family.add(family)
            faults[channel.pk] = _inject_faults(values, rng, start)
        if anomaly is None and item == "WL" and channel.bureau.code == bureau_codes[0]:
            onset = n - 40 * 1440
            ramp = np.clip(np.arange(n) - onset, 0, None) / 1440.0
            values += (0.004 * ramp**1.3).astype(np.float32)  # metres: ~48 cm after 40 days
            anomaly = {
                "channel": channel.pk,
                "onset": (start + dt.timedelta(minutes=onset)).isoformat(),
                "kind": "trend departure",
            }
        written = series_write(channel=channel, start=start, values=values, actor=None, source="demo series")
        total += written.samples
    loaded = time.monotonic()
    last_day = (end - dt.timedelta(days=1)).date()
    if qc == "run":
        # checked as of the end of the demo's last day, so a run on another day finds the same
        checked = end - dt.timedelta(seconds=1)
        for channel in channels:
            qc_check_days(channel, start.date(), last_day, now=checked)
    elif qc == "queue":
        spans = {channel.pk: (start.date(), last_day) for channel in channels}
        transaction.on_commit(partial(qc_enqueue, spans))  # the worker must see the samples
    return {
        "channels": len(channels),
        "samples": total,
        "seconds": round(loaded - started, 1),
        "qc_seconds": round(time.monotonic() - loaded, 1),
        "faults": faults,
        "anomaly": anomaly,
        "storm_starts": [
            (dt.datetime(2000, 1, 1, tzinfo=dt.UTC) + dt.timedelta(hours=float(h))).isoformat()
            for h in storms
        ],
    }


def _inject_faults(values: np.ndarray, rng: np.random.Generator, start: dt.datetime) -> list[dict[str, Any]]:
    """A gap, spikes, a step and a flat line at fixed fractions of the series (in place)."""
    n = values.size
    day = 1440

    def at(i: int) -> str:
        return (start + dt.timedelta(minutes=int(i))).isoformat()

    spread = float(np.nanstd(values[: 30 * day])) or 1.0
    out: list[dict[str, Any]] = []
    # at fixed days (60, 90, 150, 200) of a series of 7 months or more, at the same fractions
    # of a shorter one (the tests' two-month demo), so every series has them all
    days = n // day
    scale = min(1.0, days / 220)

    def on(first_day: float) -> int:
        return int(first_day * scale) * day

    gap = on(60) + 8 * 60
    values[gap : gap + 6 * 60] = np.nan
    out.append({"kind": "gap", "start": at(gap), "minutes": 6 * 60})
    spacing = max(1, int(7 * scale)) * day
    for k in range(5):
        i = on(90) + k * spacing + 600 + int(rng.integers(0, 300))
        values[i] += np.float32(12 * spread)
        out.append({"kind": "spike", "time": at(i)})
    step = min(n - day, on(150) + 11 * 60)
    # an instrument offset: 3 spreads of the month, and at least 15 times the sample-to-sample
    # noise (a smaller jump of one sample cannot be told from the noise; see qc_checks)
    noise = 1.4826 * float(np.nanmedian(np.abs(np.diff(values[: 30 * day])))) / np.sqrt(2)
    values[step:] += np.float32(max(3 * spread, 15 * noise))
    out.append({"kind": "step", "time": at(step)})
    flat = min(n - day, on(200) + 2 * 60)
    values[flat : flat + 12 * 60] = values[flat]
    out.append({"kind": "flat", "start": at(flat), "minutes": 12 * 60})
    return out
