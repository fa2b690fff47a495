"""Gridded products: b-value map and seismicity rate change (Z) map.

Nodes are the centres of ``cell``-degree cells covering the events (or a
given ``bbox`` = [lon_min, lat_min, lon_max, lat_max]). Each node samples
either its ``nearest`` N events or all events within ``radius_km``, found
with a KD-tree (scipy.spatial.cKDTree) on 3-D unit vectors, where the chord
length is a monotone function of the great-circle distance, so the
neighbours are exactly those of the sphere. The per-node sums are
vectorised (numpy.bincount over node ids), so 200,000 events on a 0.1
degree grid over a province take seconds.

b-value map (Wiemer and Wyss 1997, JGR 102(B7), 15115-15128; ZMAP): for each
node, Mc by maximum curvature + ``mc_correction`` of its own sample unless
``mc`` is given, then the Aki-Utsu (or Tinti-Mulargia) b and Shi-Bolt error
of the events at or above Mc (see ``bvalue``); nodes with fewer than
``min_events`` such events are left out.

Rate change: Habermann's (1983, 1987) Z of ZMAP's LTA function: the node's
events are counted in bins of ``bin_days``; the window bins (``window_days``
ending at ``window_end``) are compared with all the other bins,

    Z = (mean_bg - mean_w) / sqrt(var_bg / n_bg + var_w / n_w),

positive for a rate decrease (quiescence), negative for an increase
(activation); var with n - 1. The catalog is declustered with
Gardner-Knopoff first unless ``decluster`` is false (Wyss and Habermann
1988: quiescence is a property of the background rate).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import (
    bin_decimals,
    bin_index,
    bin_values,
    cell_polygon,
    chord_to_km,
    clean_magnitudes,
    days_to_iso,
    fnum,
    is_datetime,
    km_to_chord,
    require,
    round_to_bin,
    to_days,
    unit_vectors,
)
from .decluster import gardner_knopoff_mask

LOG10_E = float(np.log10(np.e))


def grid_nodes(
    lat: np.ndarray, lon: np.ndarray, cell: float, bbox: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre longitudes and latitudes (flattened) of the covering grid."""
    if bbox is None:
        w, s, e, n = lon.min(), lat.min(), lon.max(), lat.max()
    else:
        w, s, e, n = (float(v) for v in bbox)
    ix = np.arange(np.floor(w / cell + 1e-9), np.ceil(e / cell - 1e-9))
    iy = np.arange(np.floor(s / cell + 1e-9), np.ceil(n / cell - 1e-9))
    if ix.size == 0:
        ix = np.array([np.floor(w / cell)])
    if iy.size == 0:
        iy = np.array([np.floor(s / cell)])
    dec = bin_decimals(cell) + 2
    gx, gy = np.meshgrid(np.round((ix + 0.5) * cell, dec), np.round((iy + 0.5) * cell, dec))
    return gx.ravel(), gy.ravel()


def neighbours(
    lat: np.ndarray,
    lon: np.ndarray,
    node_lat: np.ndarray,
    node_lon: np.ndarray,
    nearest: int | None,
    radius_km: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(node id, event index) pairs and each node's sampling radius in km."""
    from scipy.spatial import cKDTree  # scipy loads when a run needs it (see products.methods.canvas)

    tree = cKDTree(unit_vectors(lat, lon))
    nodes = unit_vectors(node_lat, node_lon)
    if radius_km is not None:
        lists = tree.query_ball_point(nodes, r=km_to_chord(radius_km))
        sizes = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
        events = (
            np.concatenate([np.asarray(x, dtype=np.int64) for x in lists])
            if sizes.sum()
            else np.zeros(0, np.int64)
        )
        node_ids = np.repeat(np.arange(len(lists)), sizes)
        return node_ids, events, np.full(len(lists), float(radius_km))
    k = min(int(nearest), lat.size)
    dist, idx = tree.query(nodes, k=k)
    dist = dist.reshape(len(nodes), k)
    idx = idx.reshape(len(nodes), k)
    node_ids = np.repeat(np.arange(len(nodes)), k)
    return node_ids, idx.ravel(), chord_to_km(dist[:, -1])


def _feature(lon_c: float, lat_c: float, cell: float, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": cell_polygon(lon_c, lat_c, cell, bin_decimals(cell)),
        },
        "properties": {"lon": float(lon_c), "lat": float(lat_c), **props},
    }


def _check_sampling(nearest: int | None, radius_km: float | None) -> None:
    if (nearest is None) == (radius_km is None):
        raise ValueError("give exactly one of nearest and radius_km")


def bvalue_grid(
    lat: Any,
    lon: Any,
    magnitudes: Any,
    *,
    cell: float = 0.1,
    nearest: int | None = 100,
    radius_km: float | None = None,
    min_events: int = 50,
    mc: float | None = None,
    mc_correction: float = 0.2,
    bin: float = 0.1,
    estimator: str = "aki_utsu",
    bbox: Any = None,
) -> dict[str, Any]:
    """b-value per grid cell; returns a GeoJSON FeatureCollection whose
    features carry ``b``, ``b_err``, ``n``, ``mc``, ``radius_km``, ``lon``,
    ``lat`` (only cells with at least ``min_events`` events at or above Mc),
    plus ``cell``, ``nearest``, ``radius_km``, ``min_events``, ``n_cells``.
    Raises InsufficientData with fewer than ``min_events`` events in all."""
    _check_sampling(nearest, radius_km)
    if estimator not in ("aki_utsu", "tinti_mulargia"):
        raise ValueError(f"unknown estimator {estimator!r} for a grid")
    mags = clean_magnitudes(magnitudes)
    lat_a = np.asarray(lat, dtype=float).reshape(-1)
    lon_a = np.asarray(lon, dtype=float).reshape(-1)
    ok = np.isfinite(mags) & np.isfinite(lat_a) & np.isfinite(lon_a)
    mags, lat_a, lon_a = mags[ok], lat_a[ok], lon_a[ok]
    require(
        mags.size >= min_events,
        f"bvalue_grid needs at least {min_events} events; the selection has {mags.size}",
        have=int(mags.size),
        need=min_events,
    )
    k = bin_index(mags, bin)
    node_lon, node_lat = grid_nodes(lat_a, lon_a, cell, bbox)
    nn = node_lon.size
    node_ids, events, radius = neighbours(lat_a, lon_a, node_lat, node_lon, nearest, radius_km)
    kk = k[events]
    kmin = int(k.min())
    if mc is None:
        nb = int(k.max()) - kmin + 1
        counts = np.bincount(node_ids * nb + (kk - kmin), minlength=nn * nb).reshape(nn, nb)
        mc_vals = bin_values((kmin + counts.argmax(axis=1)) * bin + mc_correction, bin)
    else:
        mc_vals = np.full(nn, round_to_bin(mc, bin))
    mc_k = bin_index(mc_vals, bin)
    x = (kk - mc_k[node_ids]).astype(float)  # M - Mc in bins
    above = x >= 0
    n = np.bincount(node_ids, weights=above, minlength=nn)
    s1 = np.bincount(node_ids, weights=np.where(above, x, 0.0), minlength=nn) * bin
    s2 = np.bincount(node_ids, weights=np.where(above, x * x, 0.0), minlength=nn) * bin * bin
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / n
        ss = s2 - n * mean * mean
        if estimator == "tinti_mulargia":
            b = np.log1p(bin / mean) / (bin * np.log(10.0))
        else:
            b = LOG10_E / (mean + bin / 2.0)
        b_err = np.log(10.0) * b * b * np.sqrt(np.maximum(ss, 0.0) / (n * (n - 1)))
    valid = (n >= min_events) & (ss > 1e-12) & np.isfinite(b)
    features = [
        _feature(
            node_lon[i],
            node_lat[i],
            cell,
            {
                "b": fnum(b[i]),
                "b_err": fnum(b_err[i]),
                "n": int(n[i]),
                "mc": float(mc_vals[i]),
                "radius_km": fnum(radius[i], 3),
            },
        )
        for i in np.nonzero(valid)[0]
    ]
    return {
        "type": "FeatureCollection",
        "features": features,
        "cell": float(cell),
        "nearest": None if nearest is None else int(nearest),
        "radius_km": None if radius_km is None else float(radius_km),
        "min_events": int(min_events),
        "n_cells": len(features),
    }


def rate_change(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    *,
    cell: float = 0.1,
    nearest: int | None = 100,
    radius_km: float | None = None,
    bin_days: float = 14.0,
    window_days: float = 365.0,
    window_end: Any = None,
    decluster: bool = True,
    mag_min: float | None = None,
    min_events: int = 20,
    bbox: Any = None,
) -> dict[str, Any]:
    """Habermann's Z per grid cell (ZMAP LTA); returns a GeoJSON
    FeatureCollection with ``z``, ``n``, ``radius_km``, ``lon``, ``lat`` per
    cell, plus ``window`` [start, end], ``bin_days``, ``declustered``,
    ``n_events``. Raises InsufficientData with too few events or bins."""
    _check_sampling(nearest, radius_km)
    as_iso = is_datetime(times)
    mags = clean_magnitudes(magnitudes)
    days = to_days(times)
    lat_a = np.asarray(lat, dtype=float).reshape(-1)
    lon_a = np.asarray(lon, dtype=float).reshape(-1)
    keep = np.isfinite(mags) & np.isfinite(days)
    if mag_min is not None:
        keep &= mags >= mag_min - 1e-9
    mags, days, lat_a, lon_a = mags[keep], days[keep], lat_a[keep], lon_a[keep]
    require(
        mags.size >= min_events,
        f"rate_change needs at least {min_events} events; the selection has {mags.size}",
        have=int(mags.size),
        need=min_events,
    )
    if decluster:
        main = gardner_knopoff_mask(lat_a, lon_a, days, mags)
        mags, days, lat_a, lon_a = mags[main], days[main], lat_a[main], lon_a[main]
    t0 = float(days.min())
    t_end = float(days.max()) if window_end is None else float(to_days(np.array([window_end]))[0])
    nbins = int(np.floor((float(days.max()) - t0) / bin_days + 1e-9))
    w_bins = max(1, round(window_days / bin_days))
    wb1 = min(int(np.floor((t_end - t0) / bin_days + 1e-9)), nbins)
    wb0 = wb1 - w_bins
    require(
        wb0 >= 2 and nbins - w_bins >= 2,
        f"rate_change needs at least {w_bins + 2} bins of {bin_days:g} days "
        f"(the window and 2 background bins); the selection has {nbins}",
        have=nbins,
        need=w_bins + 2,
    )
    in_range = days < t0 + nbins * bin_days
    tb = np.minimum(((days - t0) / bin_days).astype(np.int64), nbins - 1)
    node_lon, node_lat = grid_nodes(lat_a, lon_a, cell, bbox)
    nn = node_lon.size
    node_ids, events, radius = neighbours(lat_a, lon_a, node_lat, node_lon, nearest, radius_km)
    use = in_range[events]
    node_ids, events = node_ids[use], events[use]
    counts = np.bincount(node_ids * nbins + tb[events], minlength=nn * nbins).reshape(nn, nbins)
    window = counts[:, wb0:wb1].astype(float)
    background = np.concatenate([counts[:, :wb0], counts[:, wb1:]], axis=1).astype(float)
    n_w, n_bg = window.shape[1], background.shape[1]
    var_w = window.var(axis=1, ddof=1) if n_w > 1 else np.zeros(nn)
    var_bg = background.var(axis=1, ddof=1)
    denom = np.sqrt(var_bg / n_bg + var_w / n_w)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (background.mean(axis=1) - window.mean(axis=1)) / denom
    n_node = counts.sum(axis=1)
    features = [
        _feature(
            node_lon[i],
            node_lat[i],
            cell,
            {"z": fnum(z[i]), "n": int(n_node[i]), "radius_km": fnum(radius[i], 3)},
        )
        for i in range(nn)
        if n_node[i] > 0
    ]
    w_start, w_stop = t0 + wb0 * bin_days, t0 + wb1 * bin_days
    window_out: list[Any] = days_to_iso(np.array([w_start, w_stop])) if as_iso else [w_start, w_stop]
    return {
        "type": "FeatureCollection",
        "features": features,
        "window": window_out,
        "bin_days": float(bin_days),
        "declustered": bool(decluster),
        "n_events": int(mags.size),
        "cell": float(cell),
    }
