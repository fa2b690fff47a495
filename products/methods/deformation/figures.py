"""Figures of the deformation methods (matplotlib, drawn without pyplot so workers stay
thread-safe); labels in Chinese and English like the other products' figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods.canvas import new_figure
from products.methods.fluids.figures import _days, _floats

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def figure_annual_break(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 6.0), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1)
    days = _days(result["days"])
    top.plot(days, _floats(result["daily"]), lw=0.6, color="tab:blue", label="日均值 daily mean")
    top.plot(days, _floats(result["fitted"]), lw=1.0, color="tab:orange", label="逐年拟合 yearly fit")
    for year in result["distorted_years"]:
        top.axvspan(
            np.datetime64(f"{year}-01-01"), np.datetime64(f"{year + 1}-01-01"), color="tab:red", alpha=0.12
        )
    top.set_ylabel(f"{result['item']} ({result['unit']})")
    top.legend(loc="best", fontsize=8)
    doy = np.arange(1, 366)
    for year, form in result["annual_forms"].items():
        distorted = int(year) in result["distorted_years"]
        bottom.plot(
            doy,
            _floats(form),
            lw=1.6 if distorted else 0.9,
            color="tab:red" if distorted else None,
            label=f"{year}{' 畸变 distorted' if distorted else ''}",
        )
    bottom.set_xlabel("年积日 day of year")
    bottom.set_ylabel(f"年变 annual variation ({result['unit']})")
    bottom.legend(loc="best", fontsize=7, ncol=2)
    fig.suptitle(f"{result['station']} {result['item']}: 年变畸变 annual variation by year")
    return fig


def figure_rate_change(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 5.5), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, gridspec_kw={"height_ratios": (3, 1.4)})
    days = _days(result["days"])
    top.plot(days, _floats(result["daily"]), lw=0.6, color="tab:blue", label="日均值 daily mean")
    top.plot(days, _floats(result["fitted"]), lw=1.4, color="tab:orange", label="折线拟合 hinge fit")
    low = np.datetime64(result["ci_low"][:19]) + np.timedelta64(8, "h")
    high = np.datetime64(result["ci_high"][:19]) + np.timedelta64(8, "h")
    top.axvspan(low, high, color="tab:red", alpha=0.2, label=f"{result['confidence']:.0%}")
    top.axvline(np.datetime64(result["change_time"][:19]) + np.timedelta64(8, "h"), color="tab:red", lw=1.0)
    top.set_ylabel(f"{result['item']} ({result['unit']})")
    top.legend(loc="best", fontsize=8)
    offsets = _floats(result["profile"]["offset_days"])
    bottom.plot(
        days[0] + (offsets * 86400).astype("timedelta64[s]"),
        _floats(result["profile"]["rss"]),
        color="black",
        lw=0.8,
    )
    bottom.axhline(result["profile"]["threshold"], color="tab:red", ls="--", lw=0.8)
    bottom.set_ylabel("RSS(τ)")
    fig.suptitle(
        f"{result['station']} {result['item']}: 速率变化 rate change "
        f"{result['rate_before']:.4g} → {result['rate_after']:.4g} {result['rate_unit']}"
    )
    return fig


def figure_k_sigma(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 5.5), dpi=110, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    days = _days(result["days"])
    top.plot(days, _floats(result["daily"]), lw=0.8, color="tab:blue", label="日均值 daily mean")
    top.plot(days, _floats(result["trend"]), lw=1.2, color="tab:orange", label="趋势 trend")
    top.set_ylabel(f"{result['item']} ({result['unit']})")
    top.legend(loc="best", fontsize=8)
    band = result["k"] * result["sigma"]
    bottom.plot(days, _floats(result["residual"]), lw=0.8, color="black")
    for level in (result["centre"] + band, result["centre"] - band):
        bottom.axhline(level, color="tab:red", ls="--", lw=0.8)
    for item in result["exceedances"]:
        bottom.axvspan(
            np.datetime64(item["start"]), np.datetime64(item["end"]) + 1, color="tab:red", alpha=0.2
        )
    bottom.set_ylabel(f"残差 residual (±{result['k']:g}σ)")
    fig.suptitle(f"{result['station']} {result['item']}: k·σ 超限 exceedances")
    return fig
