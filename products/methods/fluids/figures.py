"""Figures of the fluid methods (matplotlib, drawn without pyplot so workers stay thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods.canvas import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _days(values: list[str]) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def figure_trend_residual(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 5.5), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    days = _days(result["days"])
    top.plot(days, _floats(result["daily"]), lw=0.8, color="tab:blue", label="日均值 daily mean")
    top.plot(days, _floats(result["fitted"]), lw=1.2, color="tab:orange", label="趋势 trend")
    top.set_ylabel(f"{result['item']} ({result['unit']})")
    top.legend(loc="best", fontsize=8)
    residual = _floats(result["residual"])
    band = result["k"] * result["sigma"]
    bottom.plot(days, residual, lw=0.8, color="black")
    bottom.axhline(band, color="tab:red", ls="--", lw=0.8)
    bottom.axhline(-band, color="tab:red", ls="--", lw=0.8, label=f"±{result['k']:g}σ")
    for anomaly in result["anomalies"]:
        bottom.axvspan(
            np.datetime64(anomaly["start"]), np.datetime64(anomaly["end"]) + 1, color="tab:red", alpha=0.2
        )
    bottom.set_ylabel("残差 residual")
    bottom.legend(loc="best", fontsize=8)
    fig.suptitle(f"{result['station']} {result['item']}: 趋势残差 trend residual")
    return fig


def figure_barometric_tidal(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 6.5), dpi=110, layout="constrained")
    top, middle, bottom = fig.subplots(3, 1, gridspec_kw={"height_ratios": (2, 2, 1.6)})
    hourly = result.get("hourly")
    if hourly:
        # Beijing time on the axis, as the pages show times
        times = np.array([t.rstrip("Z") for t in hourly["times"]], dtype="datetime64[s]") + np.timedelta64(
            8, "h"
        )
        top.plot(times, _floats(hourly["level"]), lw=0.6, color="tab:blue", label="观测 observed")
        middle.plot(times, _floats(hourly["corrected"]), lw=0.6, color="black", label="校正后 corrected")
    else:
        days = _days(result["days"])
        top.plot(days, _floats(result["daily_level"]), lw=0.8, color="tab:blue", label="日均值 daily mean")
        middle.plot(days, _floats(result["daily_corrected"]), lw=0.8, color="black", label="校正后 corrected")
    top.set_ylabel(f"{result['item']} ({result['unit']})")
    middle.set_ylabel(f"{result['unit']}")
    top.legend(loc="best", fontsize=8)
    middle.legend(loc="best", fontsize=8)
    brf = _floats(result["brf"])
    bottom.plot(np.arange(brf.size), brf, marker="o", ms=3, color="tab:green")
    bottom.axhline(0.0, color="grey", lw=0.6)
    bottom.set_xlabel("滞后 lag (h)")
    bottom.set_ylabel(f"BRF ({result['brf_unit']})")
    be = result["barometric_efficiency"]
    text = [f"BE = {be:.3f}" if be is not None else "BE —"]
    for name in ("M2", "O1"):
        tide = result["tides"][name]
        if tide["amplitude"] is not None:
            text.append(f"{name}: {tide['amplitude']:.4g} {result['unit']}, {tide['phase_deg']:+.1f}°")
    bottom.text(0.98, 0.05, "\n".join(text), transform=bottom.transAxes, ha="right", va="bottom", fontsize=8)
    fig.suptitle(f"{result['station']} {result['item']}: 气压与固体潮校正 barometric and tidal correction")
    return fig
