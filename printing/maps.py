"""Static maps for printed reports (matplotlib on the shipped province outlines).

Leaflet draws the maps on pages; a PDF needs a picture. These maps use the same
offline boundaries (portal/data), in plain longitude/latitude with the aspect
corrected for the latitude, which is faithful enough at provincial scale.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .figures import set_up_matplotlib
from .rendering import figure_png

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

DATA_DIR = Path(__file__).resolve().parent.parent / "portal" / "data"


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend with CJK fonts, for the printed maps and
    plots: imported with the first of them, not with every process (printing.figures)."""
    set_up_matplotlib()
    import matplotlib.pyplot as plt

    return plt


@lru_cache(maxsize=1)
def province_rings() -> list[tuple[str, list[list[tuple[float, float]]]]]:
    """(code, outer rings) of every province and region in the shipped outlines."""
    rings = []
    for name in ("china_provinces.geojson", "china_other_regions.geojson"):
        with open(DATA_DIR / name, encoding="utf-8") as handle:
            for feature in json.load(handle)["features"]:
                polygons = feature["geometry"]["coordinates"]
                rings.append(
                    (feature["properties"]["code"], [[tuple(p) for p in poly[0]] for poly in polygons])
                )
    return rings


@dataclass
class MapLayer:
    """Points (lon, lat, size, colour, label) and polygons (rings of (lon, lat); ``"fill": False``
    for an outline only) to draw."""

    points: list[dict[str, Any]] = field(default_factory=list)
    polygons: list[dict[str, Any]] = field(default_factory=list)
    circles_km: list[dict[str, Any]] = field(default_factory=list)


def _circle(lon: float, lat: float, radius_km: float, n: int = 90) -> list[tuple[float, float]]:
    dlat = radius_km / 111.2
    dlon = radius_km / (111.2 * max(math.cos(math.radians(lat)), 0.01))
    return [
        (lon + dlon * math.cos(2 * math.pi * i / n), lat + dlat * math.sin(2 * math.pi * i / n))
        for i in range(n + 1)
    ]


def draw_map(
    *,
    extent: Sequence[float],
    layer: MapLayer,
    title: str = "",
    highlight: Iterable[str] = (),
    size: tuple[float, float] = (7.0, 6.0),
    legend: bool = False,
) -> bytes:
    """A PNG map over ``extent`` = (lon_min, lon_max, lat_min, lat_max)."""
    plt = pyplot()
    from matplotlib.patches import Polygon as PolygonPatch

    lon0, lon1, lat0, lat1 = extent
    figure, axes = plt.subplots(figsize=size)
    axes.set_facecolor("#dfe9f3")
    marked = set(highlight)
    for code, rings in province_rings():
        for ring in rings:
            xs = [p[0] for p in ring]
            ys = [p[1] for p in ring]
            if max(xs) < lon0 or min(xs) > lon1 or max(ys) < lat0 or min(ys) > lat1:
                continue
            axes.add_patch(
                PolygonPatch(
                    ring,
                    closed=True,
                    facecolor="#fdebd0" if code in marked else "#ffffff",
                    edgecolor="#7f8c8d",
                    linewidth=0.6,
                    zorder=1,
                )
            )
    for circle in layer.circles_km:
        ring = _circle(circle["lon"], circle["lat"], circle["radius_km"])
        axes.plot(
            [p[0] for p in ring],
            [p[1] for p in ring],
            linestyle="--",
            color=circle.get("color", "#555"),
            linewidth=0.9,
            zorder=2,
            label=circle.get("label"),
        )
    for polygon in layer.polygons:
        for ring in polygon["rings"]:
            axes.add_patch(
                PolygonPatch(
                    ring,
                    closed=True,
                    facecolor=polygon.get("color", "#e74c3c") if polygon.get("fill", True) else "none",
                    alpha=0.3 if polygon.get("fill", True) else 1.0,
                    edgecolor=polygon.get("color", "#e74c3c"),
                    linewidth=1.4,
                    zorder=3,
                )
            )
            if polygon.get("label"):
                cx = sum(p[0] for p in ring) / len(ring)
                cy = sum(p[1] for p in ring) / len(ring)
                axes.annotate(polygon["label"], (cx, cy), ha="center", fontsize=8, zorder=6)
    # One scatter call per run of points drawn alike (thousands of epicentres stay one call);
    # the runs keep the given order, so later points still draw over earlier ones.
    run: list[dict[str, Any]] = []

    def style(point: dict[str, Any]) -> tuple[Any, ...]:
        return (
            point.get("color", "#c0392b"),
            point.get("marker", "o"),
            point.get("edge", "k"),
            point.get("legend"),
        )

    def flush() -> None:
        if not run:
            return
        first = run[0]
        axes.scatter(
            [p["lon"] for p in run],
            [p["lat"] for p in run],
            s=[p.get("size", 20) for p in run],
            c=first.get("color", "#c0392b"),
            marker=first.get("marker", "o"),
            edgecolors=first.get("edge", "k"),
            linewidths=0.4,
            zorder=5 if first.get("marker") == "*" else 4,
            label=first.get("legend"),
        )
        run.clear()

    for point in layer.points:
        if run and style(run[0]) != style(point):
            flush()
        run.append(point)
    flush()
    for point in layer.points:
        if point.get("label"):
            axes.annotate(
                point["label"],
                (point["lon"], point["lat"]),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                zorder=6,
            )
    axes.set_xlim(lon0, lon1)
    axes.set_ylim(lat0, lat1)
    axes.set_aspect(1 / max(math.cos(math.radians((lat0 + lat1) / 2)), 0.05))
    axes.set_xlabel("经度 Longitude (°E)", fontsize=8)
    axes.set_ylabel("纬度 Latitude (°N)", fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(True, linewidth=0.3, color="#95a5a6")
    if title:
        axes.set_title(title, fontsize=10)
    if legend:
        handles, labels = axes.get_legend_handles_labels()
        if handles:
            unique = dict(zip(labels, handles, strict=False))
            axes.legend(unique.values(), unique.keys(), fontsize=7, loc="lower right")
    return figure_png(figure)


def extent_around(
    lon: float, lat: float, radius_km: float, *, margin: float = 1.15
) -> tuple[float, float, float, float]:
    dlat = radius_km * margin / 111.2
    dlon = radius_km * margin / (111.2 * max(math.cos(math.radians(lat)), 0.05))
    return (lon - dlon, lon + dlon, lat - dlat, lat + dlat)
