"""Earthquake swarms (震群) found in a catalog, with the parameters used to judge them.

Finding: events are linked when they are within ``link_km`` of each other in epicentre and
within ``link_days`` in time; linked events form clusters (single linkage, connected
components). A cluster of at least ``min_events`` events is a swarm when it has no dominant
event: the largest and the second largest differ by less than ``max_delta_m`` (0.6 by
default, the CENC sequence-type rule used by ``products.methods.sequence``: dM < 0.6 means
comparable events, not a mainshock with aftershocks).

Judging, per swarm (the parameters Chinese practice uses to tell a foreshock swarm from an
ordinary one; 崔子健, 李志雄, 陈章立, 赵翠萍, 周连庆, "小震群序列类型判定方法研究的现状及
相关问题研究的趋势", review these parameters):

- b: Aki-Utsu maximum likelihood b (Aki 1965; Utsu 1965) of the swarm's events at or above
  ``mc`` (default: the swarm's smallest binned magnitude), with the Shi-Bolt error, and the
  b of the whole selection (at its own Mc, maximum curvature + 0.2, or the given ``mc``) for
  comparison; a swarm b below the regional b is the low-b indicator.
- h: the h-value (陆远忠 et al.; see ``products.methods.sequence.h_value``): daily counts
  n(t) = n1 t^-h, t days after the largest event; h <= 1 (slow decay) is the foreshock
  indicator of that practice.
- K: the normalized entropy of the energy release, K = -sum(p_i ln p_i) / ln N with
  p_i = E_i / sum E and lg E = 1.5 M + 4.8 (Gutenberg and Richter 1956); 0 when one event
  releases all the energy, 1 when all release the same. North China practice took K >= 0.8
  (energy released evenly) as marking precursory swarms.

The U value (energy uniformity) is not computed: its published formula could not be checked
here, and a parameter under its name with a guessed formula would mislead.

``foreshock_like`` is true when at least two of the three indicators hold (b below the
regional b, h <= 1, K >= 0.8); the indicators are returned so the forecaster can weigh them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from products.methods._common import bin_values, days_to_iso, fnum, require
from products.methods.bvalue import bvalue
from products.methods.errors import InsufficientData
from products.methods.sequence import h_value

from ._common import clean_events, project_km

H_FORESHOCK = 1.0
K_FORESHOCK = 0.8
COORD_DECIMALS = 4


def space_time_groups(xy: np.ndarray, days: np.ndarray, link_km: float, link_days: float) -> np.ndarray:
    """Cluster label of each event: linked within ``link_km`` and ``link_days``.

    Pairs are first found in a box (Chebyshev distance on x, y and time scaled so that
    ``link_days`` equals ``link_km``), then kept if their epicentral distance is within
    ``link_km``."""
    from scipy.sparse import coo_matrix  # scipy loads when a run needs it (see products.methods.canvas)
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    scaled = np.column_stack([xy, days * (link_km / link_days)])
    pairs = cKDTree(scaled).query_pairs(link_km, p=np.inf, output_type="ndarray")
    if pairs.size:
        d = np.hypot(*(xy[pairs[:, 0]] - xy[pairs[:, 1]]).T)
        pairs = pairs[d <= link_km]
    n = xy.shape[0]
    graph = coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def energy_entropy(mags: np.ndarray) -> float | None:
    """Normalized entropy K of the energy release (None for a single event)."""
    if mags.size < 2:
        return None
    energy = 10.0 ** (1.5 * (mags - mags.max()))  # the 4.8 and the scale cancel in p
    p = energy / energy.sum()
    return float(-(p * np.log(p)).sum() / np.log(mags.size))


def _b(mags: np.ndarray, mc: float, bin_width: float, min_events: int) -> dict[str, Any] | None:
    try:
        return bvalue(mags, mc=mc, bin=bin_width, min_events=min_events)
    except InsufficientData:
        return None


def swarm(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    *,
    link_km: float = 10.0,
    link_days: float = 3.0,
    min_events: int = 10,
    max_delta_m: float = 0.6,
    mc: float | None = None,
    bin: float = 0.1,
    min_b_events: int = 10,
    h_days: int = 10,
) -> dict[str, Any]:
    """Swarms with their b, h and K values and the foreshock indicators; returns
    ``{"swarms": [...], "n_clusters", "b_region", ...}``. Raises InsufficientData with fewer
    than ``min_events`` events."""
    ev = clean_events(lat, lon, times, magnitudes)
    n = int(ev["days"].size)
    require(
        n >= min_events,
        f"swarm needs at least {min_events} events; the selection has {n}",
        have=n,
        need=min_events,
    )
    lat0, lon0 = float(ev["lat"].mean()), float(ev["lon"].mean())
    xy = project_km(ev["lat"], ev["lon"], lat0, lon0)
    groups = space_time_groups(xy, ev["days"], link_km, link_days)
    sizes = np.bincount(groups)
    binned = bin_values(ev["mags"], bin)
    # the region's own Mc (maximum curvature + 0.2 unless mc is given): a swarm's Mc is often
    # below the completeness of the whole selection, where the regional b would be biased low
    try:
        b_region = bvalue(ev["mags"], mc=mc, bin=bin, min_events=min_b_events)
    except InsufficientData:
        b_region = None
    swarms: list[dict[str, Any]] = []
    n_clusters = 0
    for g in np.nonzero(sizes >= min_events)[0]:
        n_clusters += 1
        idx = np.nonzero(groups == g)[0]
        mags = ev["mags"][idx]
        ranked = np.sort(mags)[::-1]
        delta_m = float(ranked[0] - ranked[1])
        if delta_m >= max_delta_m - 1e-9:
            continue
        days = ev["days"][idx]
        largest = int(np.argmax(mags))  # earliest of the largest: idx is in time order
        swarm_mc = float(binned[idx].min()) if mc is None else float(mc)
        b_swarm = _b(mags, swarm_mc, bin, min_b_events)
        h = h_value(days - days[largest], h_days)
        k = energy_entropy(mags)
        low_b = b_swarm is not None and b_region is not None and b_swarm["b"] < b_region["b"]
        slow_decay = h is not None and h <= H_FORESHOCK
        even_energy = k is not None and k >= K_FORESHOCK
        indicators = {"low_b": low_b, "h_le_1": slow_decay, "k_ge_0_8": even_energy}
        swarms.append(
            {
                "n_events": int(idx.size),
                "first": days_to_iso(days[:1])[0],
                "last": days_to_iso(days[-1:])[0],
                "duration_days": fnum(days[-1] - days[0], 3),
                "center": [
                    fnum(ev["lon"][idx].mean(), COORD_DECIMALS),
                    fnum(ev["lat"][idx].mean(), COORD_DECIMALS),
                ],
                "radius_km": fnum(np.hypot(*(xy[idx] - xy[idx].mean(axis=0)).T).max(), 2),
                "max_magnitude": fnum(ranked[0]),
                "second_magnitude": fnum(ranked[1]),
                "delta_m": fnum(delta_m, 6),
                "mc": fnum(swarm_mc),
                "b": fnum(b_swarm["b"], 4) if b_swarm else None,
                "b_err": fnum(b_swarm["b_err"], 4) if b_swarm else None,
                "b_n": b_swarm["n"] if b_swarm else 0,
                "b_region": fnum(b_region["b"], 4) if b_region else None,
                "mc_region": fnum(b_region["mc"]) if b_region else None,
                "h": fnum(h, 4),
                "k": fnum(k, 4),
                "indicators": indicators,
                "foreshock_like": sum(indicators.values()) >= 2,
            }
        )
    swarms.sort(key=lambda s: s["first"])
    return {
        "swarms": swarms,
        "n_swarms": len(swarms),
        "n_clusters": n_clusters,
        "n_events": n,
        "criteria": {
            "link_km": link_km,
            "link_days": link_days,
            "min_events": min_events,
            "max_delta_m": max_delta_m,
            "foreshock_like": "at least two of: b below the regional b, h <= 1, K >= 0.8",
        },
    }
