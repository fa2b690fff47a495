"""Figures of the fluid methods (matplotlib, drawn without pyplot so workers stay thread-safe)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure


def _days(values: list[str]) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def _floats(values: list[Any]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def figure_trend_residual(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(8.0, 5.5), dpi=110, layout="constrained")
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
