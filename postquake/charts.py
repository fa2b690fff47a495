"""The first draft's figures as SVG geometry drawn on the server (like ``portal.charts`` and
``skill.charts``): a fixed ``viewBox`` that scales to the page, a phone and print included; no
script. Each is computed from the draft's JSON (what the opinion was written from), not from
the catalog of the moment.

* :func:`magnitude_time`: the sequence's magnitudes against time since the mainshock;
* :func:`cumulative`: the cumulative number of aftershocks of M ≥ Mref against the
  Reasenberg–Jones expectation N(t) = 10^(a + b (Mm − Mref)) ∫₀ᵗ (s + c)^(−p) ds
  (Reasenberg and Jones 1989; the Omori–Utsu law with the draft's generic and, when fitted,
  the sequence's parameters; ``postquake.science``);
* :func:`probability_bars`: the probabilities of at least one aftershock of M ≥ each threshold
  in the next 24 hours, 7 days and 30 days;
* :func:`case_map`: what the case's Leaflet map draws (``static/postquake/case_map.js``),
  with the focal mechanisms' beach balls (``postquake.beachball``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods.mc import MIN_EVENTS as MC_MIN_EVENTS
from products.methods.mc import mc as estimate_mc

from . import science
from .beachball import beachball

if TYPE_CHECKING:
    from .models import PostQuakeCase

WIDTH = 340
FONT = 11.0
#: The smallest span of the time axis: a first draft minutes after the mainshock still has one.
MIN_SPAN_DAYS = 10.0 / 1440.0


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    magnitude: float
    when: str  # time after the mainshock, in the axis's unit


@dataclass
class Frame:
    """A plot area in a ``width`` × ``height`` viewBox, with its axes' ticks."""

    width: int = WIDTH
    height: int = 200
    left: float = FONT * 3.2
    right: float = WIDTH - 8.0
    top: float = 8.0
    bottom: float = 200 - FONT * 3.0
    font_size: float = FONT
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    x_label: str = ""

    @property
    def label_y(self) -> float:
        return round(self.height - 3, 2)

    @property
    def x_mid(self) -> float:
        return round((self.left + self.right) / 2, 2)


@dataclass(frozen=True)
class TimeAxis:
    """Time since the mainshock in minutes, hours or days, whichever reads best for the span."""

    start: float  # days
    end: float  # days
    unit: str  # "min", "h", "d"
    per_day: float

    @classmethod
    def spanning(cls, start: float, end: float) -> TimeAxis:
        end = max(end, start + MIN_SPAN_DAYS)
        span = end - start
        if span <= 3.0 / 24.0:
            return cls(start, end, "min", 1440.0)
        if span <= 3.0:
            return cls(start, end, "h", 24.0)
        return cls(start, end, "d", 1.0)

    def fraction(self, days: float) -> float:
        return (days - self.start) / (self.end - self.start)

    def text(self, days: float) -> str:
        value = days * self.per_day
        return f"{value:.0f} {self.unit}" if abs(value) >= 10 else f"{value:.1f} {self.unit}"


def nice_step(span: float, target: int = 4) -> float:
    """A step of 1, 2 or 5 times a power of ten that cuts ``span`` into about ``target`` parts."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * power >= raw:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _x_ticks(frame: Frame, axis: TimeAxis) -> None:
    lo, hi = axis.start * axis.per_day, axis.end * axis.per_day
    step = nice_step(hi - lo)
    value = math.ceil(lo / step) * step
    while value <= hi + 1e-9:
        x = frame.left + axis.fraction(value / axis.per_day) * (frame.right - frame.left)
        frame.x_ticks.append(Tick(round(x, 2), round(frame.bottom + FONT + 2, 2), f"{value:g}"))
        value += step


def _y(frame: Frame, value: float, lo: float, hi: float) -> float:
    return round(frame.bottom - (value - lo) / (hi - lo) * (frame.bottom - frame.top), 2)


def _events(draft: dict[str, Any]) -> list[tuple[float, float, float, float]]:
    """The draft's sequence events (days, lon, lat, M); none in a draft made before figures."""
    rows = (draft.get("sequence") or {}).get("events") or []
    return [(float(t), float(lon), float(lat), float(m)) for t, lon, lat, m in rows if m is not None]


def _elapsed(draft: dict[str, Any]) -> float:
    return float(draft.get("elapsed_days") or 0.0)


def _mainshock_magnitude(draft: dict[str, Any]) -> float | None:
    value = ((draft.get("event") or {}).get("event") or {}).get("magnitude")
    return float(value) if value is not None else None


# --- magnitude against time -----------------------------------------------------------------


@dataclass
class MagnitudeTime:
    frame: Frame
    dots: list[Dot] = field(default_factory=list)
    main: Dot | None = None
    bath_y: float | None = None
    bath: float | None = None
    total: int = 0  # events of the sequence in the draft (the mainshock apart)
    earlier: int = 0  # foreshocks before the axis's start, not drawn
    unit: str = "min"


def _radius(magnitude: float) -> float:
    return round(min(max(1.6 + 1.1 * (magnitude - 2.0), 1.6), 9.0), 2)


def magnitude_time(draft: dict[str, Any]) -> MagnitudeTime | None:
    """Each event of the sequence at (time since the mainshock, M), the mainshock at 0 and
    Båth's expected largest aftershock as a dashed line. Foreshocks are drawn when they fall
    within as long before the mainshock as the aftershocks run after it (the rest counted)."""
    mm = _mainshock_magnitude(draft)
    if mm is None:
        return None
    events = _events(draft)
    end = max([_elapsed(draft), *(t for t, *_ in events)])
    end = max(end, MIN_SPAN_DAYS)
    start = min([0.0, *(t for t, *_ in events if t >= -end)])
    axis = TimeAxis.spanning(start, end)
    shown = [e for e in events if e[0] >= axis.start]
    mags = [m for *_, m in shown] + [mm]
    lo = math.floor(min(mags)) if shown else math.floor(mm - 2.0)
    hi = math.ceil(mm + 0.3)
    frame = Frame()
    frame.x_label = axis.unit
    _x_ticks(frame, axis)
    for value in range(int(lo), int(hi) + 1):
        frame.y_ticks.append(Tick(round(frame.left - 4, 2), _y(frame, value, lo, hi), str(value)))
    chart = MagnitudeTime(frame=frame, total=len(events), earlier=len(events) - len(shown), unit=axis.unit)

    def dot(t: float, m: float) -> Dot:
        x = frame.left + axis.fraction(t) * (frame.right - frame.left)
        return Dot(round(x, 2), _y(frame, m, lo, hi), _radius(m), m, axis.text(t))

    chart.dots = [dot(t, m) for t, _lon, _lat, m in shown]
    chart.main = dot(0.0, mm)
    bath = ((draft.get("bath") or {}).get("max_aftershock")) if draft.get("bath") else None
    if bath is not None and lo <= bath <= hi:
        chart.bath, chart.bath_y = float(bath), _y(frame, float(bath), lo, hi)
    return chart


# --- cumulative number against the Reasenberg-Jones expectation ------------------------------


@dataclass(frozen=True)
class Curve:
    points: str  # an SVG polyline
    source: str  # "observed", "generic", "fitted"
    end_value: float  # the count (observed) or the expectation at the axis's end


@dataclass
class Cumulative:
    frame: Frame
    reference: float  # Mref
    reference_rule: str  # how Mref was chosen: "fitted_mc", "mc", "smallest", "kept", "mainshock_minus_2"
    observed: Curve
    expected: list[Curve] = field(default_factory=list)
    unit: str = "min"


def reference_magnitude(draft: dict[str, Any], mm: float) -> tuple[float, str]:
    """The magnitude above which aftershocks are counted: the fitted parameters' Mc; else the
    sequence's Mc by maximum curvature + 0.2 (``products.methods.mc``, Wiemer and Wyss 2000;
    Woessner and Wiemer 2005) once it has 20 aftershocks; else its smallest aftershock; with
    no aftershock yet, Mm − 2. Never below the smallest event the draft kept of a long sequence
    (``kept``: above it the draft has every event)."""
    probabilities = draft.get("probabilities") or {}
    fitted = probabilities.get("fitted") or {}
    events = _events(draft)
    after = [m for t, _lon, _lat, m in events if t >= 0]
    sequence = draft.get("sequence") or {}
    floor_kept = sequence.get("events_min_magnitude")
    # a long sequence's draft keeps only its larger events: their smallest is where it is whole
    truncated = floor_kept is not None and int(sequence.get("events_total") or 0) > len(events)
    if fitted.get("mc") is not None:
        value, rule = float(fitted["mc"]), "fitted_mc"
    elif truncated and floor_kept is not None:
        value, rule = float(floor_kept), "kept"
    elif len(after) >= MC_MIN_EVENTS:
        try:
            value, rule = float(estimate_mc(np.array(after))["mc"]), "mc"
        except (ValueError, ArithmeticError):  # a single magnitude bin: no curvature to find
            value, rule = min(after), "smallest"
    elif after:
        value, rule = min(after), "smallest"
    else:
        value, rule = round(mm - 2.0, 1), "mainshock_minus_2"
    if floor_kept is not None and float(floor_kept) > value:
        value, rule = float(floor_kept), "kept"
    return round(value, 2), rule


def _parameters(block: dict[str, Any] | None) -> science.RJParameters | None:
    params = (block or {}).get("parameters")
    if not params:
        return None
    return science.RJParameters(
        a=float(params["a"]),
        b=float(params["b"]),
        p=float(params["p"]),
        c=float(params["c"]),
        source=str(params.get("source", "generic")),
    )


def cumulative(draft: dict[str, Any], samples: int = 80) -> Cumulative | None:
    """The observed count of aftershocks of M ≥ Mref since the mainshock (a step line) and the
    expected count by Reasenberg–Jones with the generic parameters and, when fitted, the
    sequence's (smooth lines), on the same time axis."""
    mm = _mainshock_magnitude(draft)
    probabilities = draft.get("probabilities") or {}
    generic = _parameters(probabilities)
    if mm is None or generic is None:
        return None
    reference, rule = reference_magnitude(draft, mm)
    times = sorted(t for t, _lon, _lat, m in _events(draft) if t >= 0 and m >= reference - 1e-9)
    end = max([_elapsed(draft), *times, MIN_SPAN_DAYS])
    axis = TimeAxis.spanning(0.0, end)
    sources = [generic]
    fitted = _parameters(probabilities.get("fitted"))
    if fitted is not None:
        sources.append(fitted)
    grid = [axis.end * i / samples for i in range(samples + 1)]
    expected = {
        params.source: [science.rj_expected(reference, mm, 0.0, t, params) for t in grid]
        for params in sources
    }
    peak = max([len(times), *(values[-1] for values in expected.values())])
    step = nice_step(max(peak, 1.0))
    top = max(step * math.ceil(max(peak, 1.0) / step), 1.0)
    frame = Frame()
    frame.x_label = axis.unit
    _x_ticks(frame, axis)
    for value in (0.0, top / 2, top):
        frame.y_ticks.append(Tick(round(frame.left - 4, 2), _y(frame, value, 0.0, top), f"{value:g}"))

    def xy(t: float, n: float) -> str:
        x = frame.left + axis.fraction(t) * (frame.right - frame.left)
        return f"{round(x, 2)},{_y(frame, n, 0.0, top)}"

    steps = [xy(0.0, 0)]
    for i, t in enumerate(times):
        steps += [xy(t, i), xy(t, i + 1)]
    steps.append(xy(axis.end, len(times)))
    chart = Cumulative(
        frame=frame,
        reference=reference,
        reference_rule=rule,
        observed=Curve(" ".join(steps), "observed", float(len(times))),
        unit=axis.unit,
    )
    for source, values in expected.items():
        chart.expected.append(
            Curve(
                " ".join(xy(t, n) for t, n in zip(grid, values, strict=True)),
                source,
                round(values[-1], 1),
            )
        )
    return chart


# --- probability bars ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    probability: float
    min_magnitude: float
    days: int
    source: str
    label: str  # the value shown above the bar when it is wide enough ("" otherwise)


@dataclass
class ProbabilityBars:
    frame: Frame
    bars: list[Bar] = field(default_factory=list)
    groups: list[Tick] = field(default_factory=list)  # the thresholds under their bars
    sources: list[str] = field(default_factory=list)


WINDOW_COLOURS = {1: "#9ec5fe", 7: "#3d8bfd", 30: "#0a58ca"}


def probability_bars(draft: dict[str, Any]) -> ProbabilityBars | None:
    """One group per magnitude threshold; in it a bar per window (24 h, 7 d, 30 d), generic
    first, then fitted when the sequence was fitted; heights are probabilities (0–100 %)."""
    probabilities = draft.get("probabilities") or {}
    tables = [("generic", probabilities.get("probabilities") or [])]
    fitted = probabilities.get("fitted") or {}
    if fitted.get("probabilities"):
        tables.append(("fitted", fitted["probabilities"]))
    rows = [(source, row) for source, table in tables for row in table]
    if not rows:
        return None
    thresholds = sorted({float(row["min_magnitude"]) for _source, row in rows})
    windows = sorted({int(row["days"]) for _source, row in rows})
    frame = Frame(height=190, bottom=190 - FONT * 3.0)
    for value in (0, 50, 100):
        frame.y_ticks.append(Tick(round(frame.left - 4, 2), _y(frame, value, 0.0, 100.0), f"{value}%"))
    chart = ProbabilityBars(frame=frame, sources=[source for source, _table in tables])
    group_w = (frame.right - frame.left) / len(thresholds)
    per_group = len(windows) * len(tables)
    slot = group_w * 0.84 / per_group
    for g, threshold in enumerate(thresholds):
        x0 = frame.left + g * group_w + group_w * 0.08
        chart.groups.append(
            Tick(round(x0 + group_w * 0.42, 2), round(frame.bottom + FONT + 2, 2), f"M≥{threshold:g}")
        )
        for s, (source, table) in enumerate(tables):
            for w, days in enumerate(windows):
                row = next(
                    (r for r in table if float(r["min_magnitude"]) == threshold and int(r["days"]) == days),
                    None,
                )
                if row is None:
                    continue
                p = float(row["probability"])
                y = _y(frame, 100.0 * p, 0.0, 100.0)
                width = round(slot * 0.86, 2)
                chart.bars.append(
                    Bar(
                        x=round(x0 + (s * len(windows) + w) * slot, 2),
                        y=y,
                        width=width,
                        height=round(frame.bottom - y, 2),
                        probability=p,
                        min_magnitude=threshold,
                        days=days,
                        source=source,
                        label=f"{100 * p:.0f}" if width >= 13 else "",
                    )
                )
    return chart


def window_colour(days: int) -> str:
    return WINDOW_COLOURS.get(days, "#6c757d")


# --- the map ------------------------------------------------------------------------------


def case_map(case: PostQuakeCase, draft: dict[str, Any]) -> dict[str, Any]:
    """What the case's map draws: the epicentre, the sequence zone's circle, the aftershocks
    (and foreshocks), the nearby faults and the focal mechanisms with their beach balls."""
    event = case.event
    events = _events(draft)
    faults_block = draft.get("faults") or {}
    mechanisms = [
        {
            "lon": m["longitude"],
            "lat": m["latitude"],
            "magnitude": m.get("magnitude"),
            "strike": m["strike"],
            "dip": m["dip"],
            "rake": m["rake"],
            "path": m["path"],
        }
        for m in mechanism_balls(draft)
    ]
    return {
        "event": {
            "lon": event.longitude,
            "lat": event.latitude,
            "magnitude": event.magnitude,
            "place": event.location_name,
        },
        "zone_km": (draft.get("sequence") or {}).get("zone_radius_km"),
        "aftershocks": [[lon, lat, m] for t, lon, lat, m in events if t >= 0],
        "foreshocks": [[lon, lat, m] for t, lon, lat, m in events if t < 0],
        "faults": [
            {"name": f.get("name", ""), "layer": f.get("layer", ""), "geometry": f.get("geometry")}
            for f in faults_block.get("faults") or []
            if f.get("geometry")
        ],
        "mechanisms": mechanisms,
    }


def mechanism_balls(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """Section 7's focal mechanisms, each with its beach ball's path."""
    balls = []
    for m in (draft.get("faults") or {}).get("focal_mechanisms") or []:
        if None in (m.get("strike"), m.get("dip"), m.get("rake")):
            continue
        balls.append({**m, "path": beachball(float(m["strike"]), float(m["dip"]), float(m["rake"])).path})
    return balls
