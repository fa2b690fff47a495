"""The forecast-skill figures as SVG geometry drawn on the server (like ``portal.charts``):
the Molchan diagram of a ranking and a channel's time line. Templates draw them in a fixed
``viewBox`` that scales to the page (a phone included); no script."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .scoring import molchan_bound

if TYPE_CHECKING:
    from catalog.models import Event
    from disciplines.models import Anomaly

    from .models import SkillScore

BOUND_TAUS = [i / 100 for i in range(101)]
MAX_BOUNDS = 3  # bound curves drawn: for the most common numbers of target quakes


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    significant: bool
    url: str
    tau: float
    nu: float


@dataclass(frozen=True)
class Curve:
    points: str  # SVG polyline points
    n: int
    label_x: float
    label_y: float


@dataclass
class MolchanChart:
    size: int
    left: float
    top: float
    plot: float
    font_size: float
    dots: list[Dot] = field(default_factory=list)
    bounds: list[Curve] = field(default_factory=list)
    x_ticks: list[tuple[float, float, str]] = field(default_factory=list)
    y_ticks: list[tuple[float, float, str]] = field(default_factory=list)

    @property
    def right(self) -> float:
        return self.left + self.plot

    @property
    def bottom(self) -> float:
        return self.top + self.plot


def molchan_chart(scores: list[SkillScore], *, labels: dict[int, str], urls: dict[int, str]) -> MolchanChart:
    """Each scored channel (with target quakes) at (τ, ν), the diagonal of random alarms and
    the 95 % bound (Zechar & Jordan 2008) for the most common numbers of target quakes."""
    font = 11.0
    chart = MolchanChart(size=340, left=font * 3.4, top=8.0, plot=340 - font * 3.4 - 10.0, font_size=font)

    def xy(tau: float, nu: float) -> tuple[float, float]:
        nu = min(max(nu, 0.0), 1.0)
        return round(chart.left + tau * chart.plot, 2), round(chart.top + (1.0 - nu) * chart.plot, 2)

    for value in (0.0, 0.5, 1.0):
        x, y = xy(value, value)
        chart.x_ticks.append((x, round(chart.bottom + font + 2, 2), f"{value:g}"))
        chart.y_ticks.append((round(chart.left - 4, 2), round(y + font / 3, 2), f"{value:g}"))
    scored = [s for s in scores if s.miss_rate is not None]
    for s in scored:
        x, y = xy(s.alarm_fraction, s.miss_rate or 0.0)
        chart.dots.append(
            Dot(
                x=x,
                y=y,
                label=labels.get(s.pk, ""),
                significant=s.significant,
                url=urls.get(s.pk, ""),
                tau=s.alarm_fraction,
                nu=s.miss_rate or 0.0,
            )
        )
    for n, _count in Counter(s.quakes for s in scored if s.quakes).most_common(MAX_BOUNDS):
        points = molchan_bound(n, BOUND_TAUS)
        coords = [xy(tau, nu) for tau, nu in points if nu >= 0.0]
        if not coords:
            continue
        label_x, label_y = coords[len(coords) // 3]
        chart.bounds.append(
            Curve(points=" ".join(f"{x},{y}" for x, y in coords), n=n, label_x=label_x, label_y=label_y)
        )
    return chart


@dataclass(frozen=True)
class Span:
    x: float
    width: float
    y: float
    hit: bool
    label: str
    url: str


@dataclass(frozen=True)
class Mark:
    x: float
    hit: bool
    label: str
    url: str


@dataclass
class Timeline:
    width: int = 340
    height: int = 0
    left: float = 6.0
    right: float = 334.0
    font_size: float = 11.0
    alarm_top: float = 6.0
    row_height: float = 9.0
    quake_y: float = 0.0
    spans: list[Span] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ticks: list[tuple[float, str]] = field(default_factory=list)

    @property
    def tick_top(self) -> float:
        return round(self.quake_y + 6, 2)

    @property
    def tick_bottom(self) -> float:
        return round(self.quake_y + 9, 2)


def timeline(
    score: SkillScore,
    alarms: list[Anomaly],
    events: list[Event],
    *,
    anomaly_urls: dict[int, str],
    event_urls: dict[int, str],
) -> Timeline:
    """The channel's observed period left to right: alarm windows as bars (one row each, hits
    green, false alarms red) and the target quakes as marks below (predicted green, missed red),
    with year ticks."""
    chart = Timeline()
    start, end = score.period_start, score.period_end
    span_s = max((end - start).total_seconds(), 1.0)
    width = chart.right - chart.left

    def x_of(moment: dt.datetime) -> float:
        frac = (moment - start).total_seconds() / span_s
        return round(chart.left + min(max(frac, 0.0), 1.0) * width, 2)

    hits = set(score.hit_anomaly_ids)
    window = dt.timedelta(days=score.days)
    for row, anomaly in enumerate(alarms):
        x0, x1 = x_of(anomaly.onset_at), x_of(anomaly.onset_at + window)
        chart.spans.append(
            Span(
                x=x0,
                width=max(x1 - x0, 1.0),
                y=round(chart.alarm_top + row * chart.row_height, 2),
                hit=anomaly.pk in hits,
                label=f"#{anomaly.pk} {anomaly.onset_at:%Y-%m-%d}",
                url=anomaly_urls.get(anomaly.pk, ""),
            )
        )
    chart.quake_y = round(chart.alarm_top + max(len(alarms), 1) * chart.row_height + 10, 2)
    predicted = set(score.hit_event_ids)
    for event in events:
        chart.marks.append(
            Mark(
                x=x_of(event.origin_time),
                hit=event.pk in predicted,
                label=f"M{event.magnitude} {event.origin_time:%Y-%m-%d}",
                url=event_urls.get(event.pk, ""),
            )
        )
    for year in range(start.year + 1, end.year + 1):
        moment = dt.datetime(year, 1, 1, tzinfo=start.tzinfo)
        chart.ticks.append((x_of(moment), str(year)))
    chart.height = int(chart.quake_y + 14 + chart.font_size + 6)
    return chart
