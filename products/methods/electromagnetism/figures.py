"""Figures of the electromagnetism methods (matplotlib, drawn without pyplot so workers stay
thread-safe); labels in Chinese and English like the other disciplines' figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods.canvas import new_figure

MAX_LINES = 12  # more stations than this are drawn as their first twelve

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _days(values: list[str]) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def figure_daily_value(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 5.5), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    days = _days(result["days"])
    for station in result["stations"][:MAX_LINES]:
        values = _floats(station["values"])
        top.plot(days, values - np.nanmean(values), lw=0.8, label=f"{station['station']} {station['item']}")
    top.set_ylabel(f"每日一值 daily value − mean ({result['unit'] or ''})")
    top.legend(loc="best", fontsize=7)
    for diff in result["differences"][:MAX_LINES]:
        bottom.plot(days, _floats(diff["values"]), lw=0.8, label=f"{diff['station']} − {diff['reference']}")
    bottom.set_ylabel("台间差 station difference")
    if result["differences"]:
        bottom.legend(loc="best", fontsize=7)
    fig.suptitle(
        f"每日一值 daily value ({result['start_hour']:02d}–{result['end_hour']:02d} 北京时 Beijing time)"
    )
    return fig


def figure_day_to_day_ratio(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 5.5), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    days = _days(result["days"])
    for station in result["stations"][:MAX_LINES]:
        top.plot(days, _floats(station["ratio"]), lw=0.8, label=station["station"])
    top.axhline(
        result["threshold"], color="tab:red", ls="--", lw=0.8, label=f"阈值 threshold {result['threshold']:g}"
    )
    top.set_ylabel("Z 日变幅逐日比 ratio")
    top.legend(loc="best", fontsize=7)
    bottom.bar(days, result["stations_over"], width=1.0, color="tab:gray")
    bottom.axhline(result["min_stations"] - 0.5, color="tab:red", ls="--", lw=0.8)
    bottom.set_ylabel("超阈台数 stations over")
    fig.suptitle("逐日比 day-to-day ratio")
    return fig


def figure_harmonic_amplitude_ratio(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 4.5), dpi=110, layout="constrained")
    ax = fig.subplots()
    for station in result["stations"][:MAX_LINES]:
        days = _days(station["days"])
        line = ax.plot(days, _floats(station["ratio"]), lw=0.6, alpha=0.7, label=station["station"])[0]
        ax.plot(days, _floats(station["trend"]), lw=1.5, color=line.get_color())
    ax.set_ylabel(f"Z/H ({result['period_min']:g}–{result['period_max']:g} min)")
    ax.legend(loc="best", fontsize=7)
    fig.suptitle("谐波振幅比 harmonic amplitude ratio")
    return fig


def figure_diurnal_correlation(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 4.0), dpi=110, layout="constrained")
    ax = fig.subplots()
    days = _days(result["days"])
    ax.plot(days, _floats(result["r"]), lw=0.8, color="black")
    ax.axhline(
        result["r_threshold"], color="tab:red", ls="--", lw=0.8, label=f"r = {result['r_threshold']:g}"
    )
    for run in result["low_runs"]:
        ax.axvspan(np.datetime64(run["start"]), np.datetime64(run["end"]) + 1, color="tab:red", alpha=0.2)
    ax.set_ylabel("相关系数 r")
    ax.legend(loc="best", fontsize=8)
    a, b = result["stations"]
    fig.suptitle(f"日变化空间相关 diurnal correlation: {a} – {b}")
    return fig


def figure_lurr_series(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 4.0), dpi=110, layout="constrained")
    ax = fig.subplots()
    for station in result["stations"][:MAX_LINES]:
        ax.plot(
            _days(station["window_end"]),
            _floats(station["y"]),
            lw=0.9,
            marker=".",
            label=f"{station['station']} {station['item']}",
        )
    ax.axhline(1.0, color="tab:gray", ls="--", lw=0.8)
    ax.set_ylabel("Y (加卸载响应比 LURR)")
    ax.legend(loc="best", fontsize=7)
    fig.suptitle("加卸载响应比 load-unload response ratio (地磁 geomagnetic)")
    return fig
