"""A bar chart drawn on the server as SVG geometry (no chart library is vendored, no CDN).

``day_bars`` turns per-day counts into bars and axis labels in a fixed ``viewBox``; the
template ``portal/_bar_chart.html`` draws them, scaled to the width of the page (a phone
included). Days are Beijing days, labelled ``MM-DD``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: dt.date
    value: int


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str
    anchor: str = "middle"  # SVG text-anchor: the last day's label ends at the plot's edge


@dataclass
class BarChart:
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    total: int = 0
    peak: int = 0
    days: int = 0
    first: dt.date | None = None
    last: dt.date | None = None
    plot_left: float = 0
    plot_right: float = 0
    plot_bottom: float = 0
    font_size: float = 10


def _nice_top(peak: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten at or above the peak."""
    if peak <= 0:
        return 1
    power = 10 ** math.floor(math.log10(peak))
    for step in (1, 2, 5, 10):
        if step * power >= peak:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def day_bars(
    points: list[tuple[dt.date, int]],
    *,
    width: int = 340,
    height: int = 150,
    labels: int = 4,
    font_size: float = 11,
) -> BarChart:
    """Bars of ``points`` (day, count), oldest first, with about ``labels`` day labels.

    The drawing scales to the width of its box: text of ``font_size`` reads at that size
    where the box is ``width`` pixels wide (340 suits a phone and a dashboard panel)."""
    left, right, top, bottom = font_size * 3.2, 4.0, font_size * 0.8, font_size * 2
    plot_w, plot_h = width - left - right, height - top - bottom
    chart = BarChart(width=width, height=height, days=len(points), font_size=font_size)
    chart.plot_left, chart.plot_right, chart.plot_bottom = left, width - right, top + plot_h
    if not points:
        return chart
    chart.first, chart.last = points[0][0], points[-1][0]
    chart.total = sum(n for _day, n in points)
    chart.peak = max(n for _day, n in points)
    axis_top = _nice_top(chart.peak)
    slot = plot_w / len(points)
    gap = min(1.0, slot * 0.2)
    for i, (day, n) in enumerate(points):
        h = plot_h * n / axis_top
        chart.bars.append(
            Bar(
                x=round(left + i * slot + gap / 2, 2),
                y=round(top + plot_h - h, 2),
                width=round(max(slot - gap, 0.5), 2),
                height=round(h, 2),
                day=day,
                value=n,
            )
        )
    every = max(1, math.ceil(len(points) / max(labels, 1)))
    for i in range(len(points) - 1, -1, -every):  # the last day always labelled
        last = i == len(points) - 1
        chart.x_ticks.append(
            Tick(
                x=round(width - right if last else left + (i + 0.5) * slot, 2),
                y=round(height - font_size * 0.6, 2),
                text=points[i][0].strftime("%m-%d"),
                anchor="end" if last else "middle",
            )
        )
    chart.x_ticks.reverse()
    for value in (0, axis_top // 2 if axis_top > 1 else 0, axis_top):
        y = round(top + plot_h - plot_h * value / axis_top, 2)
        if not any(t.text == str(value) for t in chart.y_ticks):
            chart.y_ticks.append(Tick(x=left - 4, y=y, text=str(value), anchor="end"))
    return chart
