"""Figures of the seismicity-pattern methods (matplotlib without pyplot, bilingual labels)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from products.methods._common import to_days
from products.methods.canvas import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _events(inputs: dict[str, Any], result: dict[str, Any], mag_min: float | None) -> tuple[np.ndarray, ...]:
    lat = np.asarray(inputs["lat"], dtype=float)
    lon = np.asarray(inputs["lon"], dtype=float)
    mags = np.asarray(inputs["magnitudes"], dtype=float)
    keep = np.isfinite(lat) & np.isfinite(lon) & np.isfinite(mags)
    if mag_min is not None:
        keep &= mags >= mag_min - 1e-9
    if "window" in result and inputs.get("times") is not None:
        days = to_days(inputs["times"])
        start, end = (float(to_days(np.array([w], dtype="datetime64[s]"))[0]) for w in result["window"])
        keep &= (days > start) & (days <= end)
    return lon[keep], lat[keep], mags[keep]


def _map_axes(ax: Any, lon: np.ndarray, lat: np.ndarray, mags: np.ndarray) -> None:
    if lon.size:
        size = 4.0 * 2.0 ** (mags - mags.min())
        ax.scatter(
            lon, lat, s=np.minimum(size, 200.0), c="0.35", alpha=0.6, linewidths=0, label="地震 events"
        )
        ax.set_aspect(1.0 / np.cos(np.radians(float(np.mean(lat)))))
    ax.set_xlabel("经度 Longitude (°E)")
    ax.set_ylabel("纬度 Latitude (°N)")
    ax.grid(True, alpha=0.3)


def _rings(geometry: dict[str, Any]) -> list[np.ndarray]:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [np.asarray(poly[0], dtype=float) for poly in polys]


def figure_seismic_gap(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(7.0, 6.0), dpi=110, layout="constrained")
    from matplotlib import patches  # loaded with the first figure (products.methods.canvas)

    ax = fig.subplots()
    _map_axes(ax, *_events(inputs, result, result["mag_min"]))
    for i, feature in enumerate(result["features"]):
        for ring in _rings(feature["geometry"]):
            ax.add_patch(patches.Polygon(ring, closed=True, fc="tab:red", ec="darkred", alpha=0.35, lw=1.2))
        cx, cy = feature["properties"]["center"]
        ax.annotate(f"{i + 1}: {feature['properties']['size_km']:g} km", (cx, cy), ha="center", fontsize=8)
    w, s, e, n = result["bbox"]
    ax.set_xlim(w, e)
    ax.set_ylim(s, n)
    ax.set_title(
        f"地震空区 Seismic gaps: {result['n_gaps']} (M≥{result['mag_min']:g}, "
        f"{result['window'][0][:10]} – {result['window'][1][:10]})"
    )
    return fig


def figure_seismic_band(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(7.0, 6.0), dpi=110, layout="constrained")
    from matplotlib import patches  # loaded with the first figure (products.methods.canvas)

    ax = fig.subplots()
    _map_axes(ax, *_events(inputs, result, result["mag_min"]))
    for i, feature in enumerate(result["features"]):
        p = feature["properties"]
        for ring in _rings(feature["geometry"]):
            ax.add_patch(patches.Polygon(ring, closed=True, fc="none", ec="tab:red", lw=1.5))
        ax.annotate(
            f"{i + 1}: {p['length_km']:g}×{p['width_km']:g} km, {p['azimuth_deg']:g}°, N={p['count']}",
            tuple(p["center"]),
            ha="center",
            fontsize=8,
            color="darkred",
        )
    ax.set_title(
        f"地震条带 Seismic bands: {result['n_bands']} (M≥{result['mag_min']:g}, "
        f"{result['window'][0][:10]} – {result['window'][1][:10]})"
    )
    return fig


def figure_swarm(result: dict[str, Any], inputs: dict[str, Any]) -> Figure:
    fig = new_figure(figsize=(11.0, 5.0), dpi=110, layout="constrained")
    ax_map, ax_time = fig.subplots(1, 2)
    lon, lat, mags = _events(inputs, {}, None)
    _map_axes(ax_map, lon, lat, mags)
    for i, s in enumerate(result["swarms"]):
        colour = "tab:red" if s["foreshock_like"] else "tab:blue"
        ax_map.plot(*s["center"], "*", ms=14, color=colour, mec="k")
        ax_map.annotate(str(i + 1), tuple(s["center"]), xytext=(6, 6), textcoords="offset points", fontsize=8)
        first, last = np.datetime64(s["first"]), np.datetime64(s["last"])
        ax_time.plot([first, last], [s["max_magnitude"]] * 2, lw=4, color=colour, solid_capstyle="butt")
        h = "–" if s["h"] is None else f"{s['h']:.2f}"
        b = "–" if s["b"] is None else f"{s['b']:.2f}"
        ax_time.annotate(
            f"{i + 1}: N={s['n_events']} b={b} h={h} K={s['k']:.2f}",
            (first, s["max_magnitude"]),
            xytext=(0, 6),
            textcoords="offset points",
            fontsize=8,
        )
    ax_time.set_xlabel("时间 Time")
    ax_time.set_ylabel("最大震级 Largest magnitude")
    ax_time.grid(True, alpha=0.3)
    ax_map.set_title("震群 Swarms (红 red: 前震型 foreshock-like)")
    ax_time.set_title(f"{result['n_swarms']} 个震群 swarms")
    return fig
