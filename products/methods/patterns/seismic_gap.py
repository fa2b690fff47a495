"""Seismic gap (地震空区): areas quiet at M >= m while surrounded by activity.

Practice followed: Mogi (1969), "Some features of recent seismic activity in and near
Japan (2): activity before and after great earthquakes", Bull. Earthq. Res. Inst. 47,
395-417, where great earthquakes filled areas that had stayed quiet while the seismicity
around them formed a ring (the "doughnut" pattern). This module
makes that picture a stated, repeatable test on a catalog selection:

1. Events at or above ``mag_min`` in the window of ``window_days`` ending at
   ``window_end`` (default: the last event) are counted on a grid of ``cell``-degree
   cells covering them.
2. Empty cells joined by an edge (4-connectivity, so diagonal chains of empty cells in a
   thin catalog do not merge into a false gap) form candidate areas; an area touching the
   edge of the grid is not surrounded, so it is dropped.
3. An area is a gap when (a) its size, the diameter of a circle of the same area, is at
   least ``min_size_km``; (b) the ring of cells within ``ring_cells`` cells of it holds at
   least ``min_ring_events`` events; (c) the ring's events per cell are at least
   ``ring_ratio`` times the mean of the grid's active (non-empty) cells, so the area is
   surrounded by activity as strong as the region's, not by a quieter fringe; and (d) at least ``min_ring_coverage`` of the ring's cells have an
   event (active on most sides, not one cluster beside a quiet area).

The duration of quiet is the window itself; the result also says, per gap, when the last
event at or above ``mag_min`` inside it occurred before the window (``quiet_since``) and how
many it had before the window (``n_before``), so a forecaster sees whether the area was
active before and fell quiet (Mogi's second kind of gap) or has been quiet all along.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from shapely.geometry import box, mapping
from shapely.ops import unary_union

from products.methods._common import bin_decimals, days_to_iso, fnum, require

from ._common import KM_PER_DEG, clean_events, window_bounds

MIN_WINDOW_EVENTS = 20
# scipy.ndimage.generate_binary_structure(2, 1) and (2, 2), written out: scipy loads with a run
FOUR_CONNECTED = np.array([[False, True, False], [True, True, True], [False, True, False]])
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def _grid(lat: np.ndarray, lon: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Counts per cell (rows: latitude) and the cell edges in longitude and latitude."""
    x0 = np.floor(lon.min() / cell + 1e-9) * cell
    y0 = np.floor(lat.min() / cell + 1e-9) * cell
    nx = max(1, int(np.ceil((lon.max() - x0) / cell + 1e-9)))
    ny = max(1, int(np.ceil((lat.max() - y0) / cell + 1e-9)))
    xe = x0 + np.arange(nx + 1) * cell
    ye = y0 + np.arange(ny + 1) * cell
    counts, _, _ = np.histogram2d(lat, lon, bins=[ye, xe])
    return counts.astype(np.int64), xe, ye


def seismic_gap(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    *,
    mag_min: float = 3.0,
    cell: float = 0.1,
    window_days: float = 1825.0,
    window_end: Any = None,
    min_size_km: float = 50.0,
    ring_cells: int = 2,
    min_ring_events: int = 10,
    ring_ratio: float = 0.5,
    min_ring_coverage: float = 0.5,
) -> dict[str, Any]:
    """Gaps as a GeoJSON FeatureCollection (one polygon per gap) with the criteria applied.

    Raises InsufficientData with fewer than 20 events at or above ``mag_min`` in the window."""
    from scipy import ndimage  # scipy loads when a run needs it (see products.methods.canvas)

    ev = clean_events(lat, lon, times, magnitudes)
    start, end = window_bounds(ev["days"], window_days, window_end)
    strong = ev["mags"] >= mag_min - 1e-9
    inside = strong & (ev["days"] > start) & (ev["days"] <= end)
    n_window = int(inside.sum())
    require(
        n_window >= MIN_WINDOW_EVENTS,
        f"seismic_gap needs at least {MIN_WINDOW_EVENTS} events of M>={mag_min:g} in the window; "
        f"the selection has {n_window}",
        have=n_window,
        need=MIN_WINDOW_EVENTS,
    )
    counts, xe, ye = _grid(ev["lat"][inside], ev["lon"][inside], cell)
    ny, nx = counts.shape
    lat_c = (ye[:-1] + ye[1:]) / 2.0
    cell_km2 = (cell * KM_PER_DEG) ** 2 * np.cos(np.radians(lat_c))[:, None] * np.ones((1, nx))
    mean_per_cell = n_window / int((counts > 0).sum())
    labels, n_labels = ndimage.label(counts == 0, structure=FOUR_CONNECTED)
    # cells of the earlier events at or above mag_min, to date the quiet of each gap
    before = strong & (ev["days"] <= start)
    bx = np.floor((ev["lon"][before] - xe[0]) / cell).astype(int)
    by = np.floor((ev["lat"][before] - ye[0]) / cell).astype(int)
    on_grid = (bx >= 0) & (bx < nx) & (by >= 0) & (by < ny)
    before_days = ev["days"][before][on_grid]
    before_label = labels[by[on_grid], bx[on_grid]]
    decimals = bin_decimals(cell) + 2
    features: list[dict[str, Any]] = []
    n_candidates = 0
    # areas and bounding boxes of all quiet areas at once; only the large ones are examined
    # cell by cell (a province at 0.1 degree has thousands of single empty cells)
    areas_km2 = ndimage.sum_labels(cell_km2, labels, index=np.arange(1, n_labels + 1))
    for k, (rows_sl, cols_sl) in enumerate(ndimage.find_objects(labels), start=1):
        if rows_sl.start == 0 or cols_sl.start == 0 or rows_sl.stop == ny or cols_sl.stop == nx:
            continue
        n_candidates += 1
        area_km2 = float(areas_km2[k - 1])
        size_km = 2.0 * np.sqrt(area_km2 / np.pi)
        if size_km < min_size_km:
            continue
        r0, r1 = max(0, rows_sl.start - ring_cells), min(ny, rows_sl.stop + ring_cells)
        c0, c1 = max(0, cols_sl.start - ring_cells), min(nx, cols_sl.stop + ring_cells)
        crop = labels[r0:r1, c0:c1] == k
        ring = ndimage.binary_dilation(crop, structure=EIGHT_CONNECTED, iterations=ring_cells) & ~crop
        ring_counts = counts[r0:r1, c0:c1][ring]
        ring_events = int(ring_counts.sum())
        ring_per_cell = ring_events / ring_counts.size
        coverage = float((ring_counts > 0).mean())
        if not (
            ring_events >= min_ring_events
            and ring_per_cell >= ring_ratio * mean_per_cell
            and coverage >= min_ring_coverage
        ):
            continue
        area = labels == k
        rows, cols = np.nonzero(area)
        shape = unary_union(
            [box(xe[c], ye[r], xe[c + 1], ye[r + 1]) for r, c in zip(rows, cols, strict=True)]
        )
        geometry = mapping(shape)
        geometry = {
            "type": geometry["type"],
            "coordinates": _rounded(geometry["coordinates"], decimals),
        }
        earlier = before_days[before_label == k]
        quiet_since = float(earlier.max()) if earlier.size else None
        centroid = shape.centroid
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "area_km2": fnum(area_km2, 1),
                    "size_km": fnum(size_km, 1),
                    "n_cells": int(area.sum()),
                    "center": [fnum(centroid.x, decimals), fnum(centroid.y, decimals)],
                    "ring_events": ring_events,
                    "ring_rate_ratio": fnum(ring_per_cell / mean_per_cell, 3),
                    "ring_coverage": fnum(coverage, 3),
                    "n_before": int(earlier.size),
                    "quiet_since": days_to_iso(np.array([quiet_since]))[0]
                    if quiet_since is not None
                    else None,
                    "quiet_days": fnum(end - (quiet_since if quiet_since is not None else ev["days"][0]), 1),
                },
            }
        )
    features.sort(key=lambda f: -f["properties"]["area_km2"])
    return {
        "type": "FeatureCollection",
        "features": features,
        "n_gaps": len(features),
        "n_candidates": n_candidates,
        "n_events": n_window,
        "mag_min": mag_min,
        "cell": cell,
        "window": days_to_iso(np.array([start, end])),
        "bbox": [
            fnum(xe[0], decimals),
            fnum(ye[0], decimals),
            fnum(xe[-1], decimals),
            fnum(ye[-1], decimals),
        ],
        "criteria": {
            "quiet": f"no event of M>={mag_min:g} in the window of {window_days:g} days",
            "min_size_km": min_size_km,
            "ring_cells": ring_cells,
            "min_ring_events": min_ring_events,
            "ring_ratio": ring_ratio,
            "min_ring_coverage": min_ring_coverage,
            "mean_events_per_active_cell": fnum(mean_per_cell, 4),
        },
    }


def _rounded(coords: Any, decimals: int) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), decimals)
    return [_rounded(c, decimals) for c in coords]
