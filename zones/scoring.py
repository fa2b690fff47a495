"""The year-end score of a year's danger zones (年度危险区效能检验): pure, no database.

A zone is *hit* when a quake with magnitude in its range (at the reported tenth, both ends
included; no maximum: open above) fell inside its polygon (boundary included) within the
year (Beijing time, 1 January 00:00 to 1 January of the next year, end excluded).

Over all zones of the year the R-score and the Molchan trajectory are the forecast scoring of
the products engine, REUSED, not copied: ``products.methods.forecast.forecast_score`` (Xu
Shaoxie 1989: R = target quakes hit / target quakes − alarmed area·time / scored area·time;
R0 at 97.5 % by ``r0_binomial``; the Molchan trajectory adding the zones by decreasing level,
Molchan 1991, with the area skill score of Zechar & Jordan 2008), each zone an alarm over the
whole year. The 95 % Molchan bound at the final point is ``skill.scoring.molchan_bound``
(Zechar & Jordan 2008). Target quakes: inside the scored region (the convex hull of China as
the portal ships it, or what the caller gives), within the year, M ≥ the lowest zone minimum.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np

from products.methods.errors import InsufficientData
from products.methods.forecast import forecast_score, inside
from skill.scoring import molchan_bound


@dataclass(frozen=True)
class ZoneInput:
    key: int
    ring: list[tuple[float, float]]  # lon, lat; closed or not
    min_magnitude: float
    max_magnitude: float | None
    probability: float = 0.5


@dataclass(frozen=True)
class Quake:
    key: int
    longitude: float
    latitude: float
    magnitude: float
    origin_time: dt.datetime  # aware


def tenth(value: float) -> Decimal:
    """The magnitude as reported, at the tenth (5.95 → 6.0)."""
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def in_range(zone: ZoneInput, magnitude: float) -> bool:
    m = tenth(magnitude)
    if m < tenth(zone.min_magnitude):
        return False
    return zone.max_magnitude is None or m <= tenth(zone.max_magnitude)


def zone_hits(zone: ZoneInput, quakes: list[Quake], start: dt.datetime, end: dt.datetime) -> list[int]:
    """Keys of the quakes that hit ``zone``: in [start, end), in its range, inside it."""
    candidates = [q for q in quakes if start <= q.origin_time < end and in_range(zone, q.magnitude)]
    if not candidates:
        return []
    mask = inside(
        [list(p) for p in zone.ring],
        np.array([q.longitude for q in candidates], dtype=float),
        np.array([q.latitude for q in candidates], dtype=float),
    )
    return [q.key for q, yes in zip(candidates, mask, strict=True) if yes]


def _utc_naive(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def score_year(
    zones: list[ZoneInput],
    quakes: list[Quake],
    *,
    start: dt.datetime,
    end: dt.datetime,
    region: list[tuple[float, float]],
) -> dict[str, Any]:
    """Each zone's hit and the year's R-score and Molchan over all ``zones``.

    Returns ``{"zones": {key: {"hit", "events"}}, "year": {...}}``; the year part has ``R``,
    ``R0``, ``hits`` (target quakes hit), ``n_events``, ``alarm_fraction``, ``molchan``,
    ``area_skill_score``, ``molchan_bound`` (ν at the final τ), ``zones_hit``, ``zones``,
    ``reason`` (why R is null: no zone, or no target quake).
    """
    per_zone = {}
    for zone in zones:
        events = zone_hits(zone, quakes, start, end)
        per_zone[zone.key] = {"hit": bool(events), "events": events}
    year: dict[str, Any] = {
        "zones": len(zones),
        "zones_hit": sum(1 for v in per_zone.values() if v["hit"]),
        "R": None,
        "R0": None,
        "hits": 0,
        "n_events": 0,
        "alarm_fraction": None,
        "molchan": [],
        "area_skill_score": None,
        "molchan_bound": None,
        "reason": "",
    }
    if not zones:
        year["reason"] = "no zone"
        return {"zones": per_zone, "year": year}
    alarms: list[dict[str, Any]] = [
        {
            "start": _utc_naive(start),
            "end": _utc_naive(end),
            "polygon": [list(p) for p in zone.ring],
            "mag_min": float(tenth(zone.min_magnitude)),
            # the maximum is included at the reported tenth: M ≤ 6.9 is M < 6.95
            "mag_max": float(tenth(zone.max_magnitude) + Decimal("0.05"))
            if zone.max_magnitude is not None
            else None,
            "probability": zone.probability,
        }
        for zone in zones
    ]
    try:
        result = forecast_score(
            alarms,
            np.array([q.latitude for q in quakes], dtype=float),
            np.array([q.longitude for q in quakes], dtype=float),
            np.array([_utc_naive(q.origin_time) for q in quakes], dtype="datetime64[us]"),
            np.array([float(tenth(q.magnitude)) for q in quakes], dtype=float),
            region=[list(p) for p in region],
            period_start=_utc_naive(start),
            period_end=_utc_naive(end),
            mag_min=min(float(tenth(zone.min_magnitude)) for zone in zones),
        )
    except InsufficientData as exc:
        year["reason"] = str(exc)
        return {"zones": per_zone, "year": year}
    bound = molchan_bound(result["n_events"], [result["alarm_fraction"]])[0][1]
    year.update(
        R=result["R"],
        R0=result["R0"],
        hits=result["hits"],
        n_events=result["n_events"],
        alarm_fraction=result["alarm_fraction"],
        molchan=result["molchan"],
        area_skill_score=result["area_skill_score"],
        molchan_bound=bound,
    )
    return {"zones": per_zone, "year": year}
