"""Figures of the methods: ``figure_<name>(result, inputs) -> Figure``.

``inputs`` is the same dict of arrays the method ran on (see
``registry.run``). Figures use the Agg backend and CJK-capable fonts; the
engine saves them as PNG and SVG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ._common import bin_index, to_days
from .canvas import new_figure
from .omori import integral
from .sequence import LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _new(ncols: int = 1, size: tuple[float, float] = (7.0, 5.0)) -> tuple[Figure, Any]:
    fig = new_figure(figsize=size, dpi=110, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _fmd(mags: np.ndarray, bin_width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    mags = np.asarray(mags, dtype=float)
    k = bin_index(mags[np.isfinite(mags)], bin_width)
    kmin = int(k.min())
    counts = np.bincount(k - kmin)
    centres = (kmin + np.arange(counts.size)) * bin_width
    return centres, counts, counts[::-1].cumsum()[::-1]


def _fmd_axes(ax: Any, mags: np.ndarray, bin_width: float, mc: float) -> None:
    centres, counts, cum = _fmd(mags, bin_width)
    ax.semilogy(centres, cum, "s", ms=4, color="k", label="累积 cumulative")
    ok = counts > 0
    ax.semilogy(
        centres[ok], counts[ok], "^", ms=4, color="tab:blue", mfc="none", label="非累积 non-cumulative"
    )
    ax.axvline(mc, color="tab:red", ls="--", lw=1, label=f"Mc = {mc:g}")
    ax.set_xlabel("震级 Magnitude")
    ax.set_ylabel("地震数 Number of events")
    ax.grid(True, which="both", alpha=0.3)


def figure_mc(result: dict[str, Any], inputs: dict[str, Any], bin_width: float = 0.1) -> Figure:
    fig, ax = _new()
    _fmd_axes(ax, inputs["magnitudes"], bin_width, result["mc"])
    ax.set_title(f"完备震级 Mc = {result['mc']:g} ({result['method']})")
    ax.legend()
    return fig


def figure_bvalue(result: dict[str, Any], inputs: dict[str, Any], bin_width: float = 0.1) -> Figure:
    fig, ax = _new()
    mags = np.asarray(inputs["magnitudes"], dtype=float)
    _fmd_axes(ax, mags, bin_width, result["mc"])
    m = np.linspace(result["mc"], np.nanmax(mags), 50)
    ax.semilogy(m, 10.0 ** (result["a"] - result["b"] * m), color="tab:red", lw=1.5, label="G-R 拟合 fit")
    ax.set_title(f"b = {result['b']:.2f} ± {result['b_err']:.2f}, a = {result['a']:.2f}, n = {result['n']}")
    ax.legend()
    return fig


def _time_axis(values: list[Any]) -> np.ndarray:
    if values and isinstance(values[0], str):
        return np.array(values, dtype="datetime64[s]")
    return np.asarray(values, dtype=float)


def figure_bvalue_series(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, ax = _new(size=(8.0, 4.5))
    t = _time_axis(result["t"])
    b = np.array([np.nan if v is None else v for v in result["b"]], dtype=float)
    e = np.array([np.nan if v is None else v for v in result["b_err"]], dtype=float)
    ax.plot(t, b, color="k", lw=1.2, label="b")
    ax.fill_between(t, b - e, b + e, color="tab:gray", alpha=0.3, label=r"$\pm 1\sigma$ (Shi-Bolt)")
    ax.set_ylabel("b 值 b-value")
    ax.set_xlabel("时间 Time")
    ax.set_title(
        f"b 值时间变化 b(t): {result['window']} 个地震/窗, 步长 {result['step']}, Mc = {result['mc']:g}"
    )
    ax.grid(True, alpha=0.3)
    ax.legend()
    return fig


def _map(ax: Any, collection: dict[str, Any], key: str, cmap: str, vmin: Any = None, vmax: Any = None) -> Any:
    polys, values = [], []
    for f in collection["features"]:
        v = f["properties"].get(key)
        if v is None:
            continue
        polys.append(np.asarray(f["geometry"]["coordinates"][0]))
        values.append(v)
    from matplotlib.collections import PolyCollection  # matplotlib loads with the first figure

    pc = PolyCollection(polys, array=np.asarray(values, dtype=float), cmap=cmap, edgecolors="none")
    if vmin is not None or vmax is not None:
        pc.set_clim(vmin, vmax)
    ax.add_collection(pc)
    if polys:
        allp = np.vstack(polys)
        ax.set_xlim(allp[:, 0].min(), allp[:, 0].max())
        ax.set_ylim(allp[:, 1].min(), allp[:, 1].max())
    ax.set_aspect(1.0 / np.cos(np.radians(np.mean(ax.get_ylim()))))
    ax.set_xlabel("经度 Longitude (°E)")
    ax.set_ylabel("纬度 Latitude (°N)")
    return pc


def figure_bvalue_grid(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, ax = _new()
    pc = _map(ax, result, "b", "viridis_r")
    fig.colorbar(pc, ax=ax, label="b 值 b-value")
    if inputs.get("lon") is not None:
        ax.plot(inputs["lon"], inputs["lat"], ",", color="k", alpha=0.2)
    ax.set_title(f"b 值空间分布 b-value map ({result['cell']:g}°)")
    return fig


def figure_rate_change(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, (ax1, ax2) = _new(2, size=(11.0, 5.0))
    zs = [f["properties"]["z"] for f in result["features"] if f["properties"]["z"] is not None]
    top = max(2.0, float(np.nanmax(np.abs(zs)))) if zs else 2.0
    quiet = {**result, "features": [f for f in result["features"] if (f["properties"]["z"] or 0) > 0]}
    active = {**result, "features": [f for f in result["features"] if (f["properties"]["z"] or 0) < 0]}
    pc1 = _map(ax1, quiet, "z", "Reds", 0, top)
    pc2 = _map(
        ax2,
        {
            **active,
            "features": [
                {**f, "properties": {**f["properties"], "z": -f["properties"]["z"]}}
                for f in active["features"]
            ],
        },
        "z",
        "Blues",
        0,
        top,
    )
    fig.colorbar(pc1, ax=ax1, label="Z (平静 quiescence)")
    fig.colorbar(pc2, ax=ax2, label="-Z (活跃 activation)")
    ax1.set_title("平静 Quiescence (Z > 0)")
    ax2.set_title("活跃 Activation (Z < 0)")
    w = result["window"]
    fig.suptitle(f"地震活动率变化 Rate change (Habermann Z), 窗 window {w[0]} to {w[1]}")
    return fig


def figure_omori(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, ax = _new()
    days = to_days(inputs["times"])
    if inputs.get("mainshock_time") is not None:
        days = days - float(to_days(np.array([inputs["mainshock_time"]]))[0])
    s, e = result["t_start"], result["t_end"]
    t = np.sort(days[(days > s) & (days <= e)])
    ax.step(t, np.arange(1, t.size + 1), where="post", color="k", label="观测 observed")
    grid = np.linspace(s, e + result["forecast_days"], 300)
    model = [result["K"] * integral(result["c"], result["p"], s, g) for g in grid]
    ax.plot(grid, model, color="tab:red", label="Omori-Utsu 模型 model")
    ax.axvspan(e, e + result["forecast_days"], color="tab:orange", alpha=0.15, label="预测 forecast")
    ax.set_xlabel("主震后天数 Days after the mainshock")
    ax.set_ylabel("累积地震数 Cumulative number")
    ax.set_title(
        f"K = {result['K']:.1f}, c = {result['c']:.3f}, p = {result['p']:.2f}; "
        f"未来 {result['forecast_days']:g} 天预期 {result['expected_next']:.1f}"
    )
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig


def figure_sequence_type(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, ax = _new(size=(8.0, 4.5))
    days = to_days(inputs["times"])
    mags = np.asarray(inputs["magnitudes"], dtype=float)
    main = int(np.nanargmax(mags))
    rel = days - days[main]
    ax.vlines(rel, 0, mags, color="tab:gray", lw=0.8)
    ax.plot(rel, mags, "o", ms=3, color="k")
    ax.plot(rel[main], mags[main], "*", ms=16, color="tab:red")
    ax.set_ylim(np.nanmin(mags) - 0.5, np.nanmax(mags) + 0.5)
    ax.set_xlabel("相对主震天数 Days from the largest event")
    ax.set_ylabel("震级 Magnitude")
    zh, en = LABELS[result["type"]]
    h = result["h"]
    ax.set_title(
        f"{zh} {en}: ΔM = {result['criteria']['delta_m']:g}, "
        f"能量比 {result['energy_share']:.1%}, h = {'—' if h is None else f'{h:.2f}'}"
    )
    ax.grid(True, alpha=0.3)
    return fig


def figure_decluster(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, ax = _new()
    days = to_days(inputs["times"])
    mask = np.asarray(result["mainshock"], dtype=bool)
    order = np.argsort(days)
    t = days[order]
    t_axis = t.astype("datetime64[D]") if np.asarray(inputs["times"]).dtype.kind in "MOU" else t
    ax.plot(t_axis, np.arange(1, t.size + 1), color="k", label=f"全部 all ({result['n_total']})")
    ax.plot(
        t_axis,
        np.cumsum(mask[order]),
        color="tab:blue",
        label=f"去丛集 declustered ({result['n_mainshocks']})",
    )
    ax.set_ylabel("累积地震数 Cumulative number")
    ax.set_xlabel("时间 Time")
    ax.set_title(f"去丛集 Declustering: {result['method']}")
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig


def figure_forecast_score(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig, ax = _new(size=(5.5, 5.5))
    pts = np.array(result["molchan"], dtype=float)
    ax.plot([0, 1], [1, 0], ls="--", color="tab:gray", label="随机 random")
    ax.plot(pts[:, 0], pts[:, 1], "o-", color="tab:red", label="预报 forecast")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(r"$\tau$ 报警时空占有率 alarm fraction")
    ax.set_ylabel(r"$\nu$ 漏报率 miss rate")
    r0 = result["R0"]
    ax.set_title(
        f"R = {result['R']:.3f}, R0 = {'—' if r0 is None else f'{r0:.3f}'} "
        f"({result['hits']}/{result['n_events']})"
    )
    ax.legend()
    ax.grid(True, alpha=0.3)
    return fig


def figure_lurr(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(8.0, 4.0), dpi=110, layout="constrained")
    ax = fig.subplots()
    ends = np.array(result["window_end"], dtype="datetime64[s]")
    y = np.array([np.nan if v is None else v for v in result["y"]], dtype=float)
    ax.plot(ends, y, lw=1.0, marker=".", color="black")
    ax.axhline(1.0, color="tab:gray", ls="--", lw=0.8)
    ax.set_ylabel("Y (Benioff)")
    fault = result["fault"]
    fig.suptitle(
        f"加卸载响应比 LURR: {result['window_days']:g} 天 days, "
        f"strike {fault['strike']:g}° dip {fault['dip']:g}° rake {fault['rake']:g}°"
    )
    return fig


FIGURES = {
    "mc": figure_mc,
    "bvalue": figure_bvalue,
    "bvalue_series": figure_bvalue_series,
    "bvalue_grid": figure_bvalue_grid,
    "rate_change": figure_rate_change,
    "omori": figure_omori,
    "sequence_type": figure_sequence_type,
    "decluster": figure_decluster,
    "forecast_score": figure_forecast_score,
    "lurr": figure_lurr,
}

__all__ = ["FIGURES", *(f"figure_{n}" for n in FIGURES)]
