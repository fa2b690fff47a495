"""Seismic band (地震条带): elongated belts of M >= m events in a time window.

In Chinese intermediate-term practice a belt of moderate events that forms across a region
in the years before a strong earthquake is watched as a precursory pattern (条带); the
Chinese reports that define it use criteria of count, length and length-to-width ratio,
which this module takes as parameters instead of fixing their values:

1. Events at or above ``mag_min`` in the window of ``window_days`` ending at ``window_end``
   (default: the last event) are projected to local km (equirectangular about their mean).
2. They are grouped by density (DBSCAN, Ester, Kriegel, Sander and Xu 1996, KDD-96
   226-231): an event is a core event when it has at least ``density_ratio`` times as many
   neighbours within ``link_km`` as the window's events would give if spread evenly over
   their bounding box (and at least 2); core events within ``link_km`` of each other form a
   group (connected components, scipy.sparse.csgraph). Unlike DBSCAN, the other events
   within reach of a core (its "border" events) are left out: in a belt over a background
   they are mostly background events, and they would widen and bend the belt. Plain single
   linkage would chain a dense uniform catalog into one sprawling group; the density test
   keeps only what stands out from the background.
3. A group's shape is its principal axes (the eigenvectors of the covariance of its x, y):
   azimuth of the long axis (degrees clockwise from north, 0-180), and length and width as
   4 times the median absolute deviation of the events' positions along and across it
   (about their medians): the full extents of a belt with events spread evenly along and
   across it, little moved by the background events next to the belt that the density
   test lets in (a standard deviation or a 5-95 % range is widened by them).
4. A group is a band when it has at least ``min_events`` events, a length of at least
   ``min_length_km`` and a length-to-width ratio of at least ``min_aspect``.

Each band is drawn as its rectangle (length x width about the centroid, along the azimuth).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from products.methods._common import days_to_iso, fnum, require

from ._common import clean_events, project_km, unproject_km, window_bounds

MAD_TO_EXTENT = 4.0  # an even spread over [-w/2, w/2] has median absolute deviation w/4
COORD_DECIMALS = 4


def density_groups(xy: np.ndarray, link_km: float, min_neighbours: float) -> np.ndarray:
    """Group label of each core point (-1: not core) at radius ``link_km`` (Euclidean, km)."""
    from scipy.sparse import coo_matrix  # scipy loads when a run needs it (see products.methods.canvas)
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    n = xy.shape[0]
    neighbours = tree.query_ball_point(xy, link_km, return_length=True) - 1
    core = np.nonzero(neighbours >= min_neighbours)[0]
    labels = np.full(n, -1, dtype=np.int64)
    if core.size == 0:
        return labels
    pairs = cKDTree(xy[core]).query_pairs(link_km, output_type="ndarray")
    m = core.size
    graph = coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    labels[core] = connected_components(graph, directed=False)[1]
    return labels


def principal_axes(xy: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """Centre (the medians along and across), azimuth of the long axis (deg from north,
    [0, 180)), length and width (km): 4 x the median absolute deviations along and across."""
    mean = xy.mean(axis=0)
    _, vectors = np.linalg.eigh(np.cov((xy - mean).T, ddof=0))  # ascending
    along = vectors[:, 1] if vectors[1, 1] >= 0 else -vectors[:, 1]  # pointing north-ish
    azimuth = float(np.degrees(np.arctan2(along[0], along[1]))) % 180.0
    across = np.array([along[1], -along[0]])
    a = (xy - mean) @ along
    c = (xy - mean) @ across
    mid_a, mid_c = float(np.median(a)), float(np.median(c))
    centre = mean + mid_a * along + mid_c * across
    length = MAD_TO_EXTENT * float(np.median(np.abs(a - mid_a)))
    width = MAD_TO_EXTENT * float(np.median(np.abs(c - mid_c)))
    return centre, azimuth, length, width


def seismic_band(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    *,
    mag_min: float = 3.0,
    window_days: float = 1095.0,
    window_end: Any = None,
    link_km: float = 30.0,
    density_ratio: float = 2.0,
    min_events: int = 15,
    min_length_km: float = 150.0,
    min_aspect: float = 3.0,
) -> dict[str, Any]:
    """Bands as a GeoJSON FeatureCollection (a rectangle per band) with length, width,
    azimuth and count. Raises InsufficientData with fewer than ``min_events`` events at or
    above ``mag_min`` in the window."""
    ev = clean_events(lat, lon, times, magnitudes)
    start, end = window_bounds(ev["days"], window_days, window_end)
    sel = (ev["mags"] >= mag_min - 1e-9) & (ev["days"] > start) & (ev["days"] <= end)
    n_window = int(sel.sum())
    require(
        n_window >= min_events,
        f"seismic_band needs at least {min_events} events of M>={mag_min:g} in the window; "
        f"the selection has {n_window}",
        have=n_window,
        need=min_events,
    )
    la, lo, days, mags = ev["lat"][sel], ev["lon"][sel], ev["days"][sel], ev["mags"][sel]
    lat0, lon0 = float(la.mean()), float(lo.mean())
    xy = project_km(la, lo, lat0, lon0)
    span = xy.max(axis=0) - xy.min(axis=0)
    area = float(max(span[0], link_km) * max(span[1], link_km))
    expected = (n_window - 1) * np.pi * link_km**2 / area
    min_neighbours = max(2.0, density_ratio * expected)
    groups = density_groups(xy, link_km, min_neighbours)
    features: list[dict[str, Any]] = []
    n_groups = 0
    for g in np.unique(groups[groups >= 0]):
        members = groups == g
        count = int(members.sum())
        if count < min_events:
            continue
        n_groups += 1
        centre, azimuth, length, width = principal_axes(xy[members])
        aspect = length / width if width > 0 else float("inf")
        if length < min_length_km or aspect < min_aspect:
            continue
        along = np.array([np.sin(np.radians(azimuth)), np.cos(np.radians(azimuth))])
        across = np.array([along[1], -along[0]])
        corners = np.array(
            [
                centre + a * length / 2 * along + c * width / 2 * across
                for a, c in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))
            ]
        )
        c_lat, c_lon = unproject_km(corners, lat0, lon0)
        m_lat, m_lon = unproject_km(centre[None, :], lat0, lon0)
        ring = [
            [round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)]
            for x, y in zip(c_lon, c_lat, strict=True)
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "count": count,
                    "length_km": fnum(length, 1),
                    "width_km": fnum(width, 1),
                    "aspect": fnum(aspect, 2),
                    "azimuth_deg": fnum(azimuth, 1),
                    "center": [fnum(m_lon[0], COORD_DECIMALS), fnum(m_lat[0], COORD_DECIMALS)],
                    "max_magnitude": fnum(mags[members].max()),
                    "first": days_to_iso(days[members][:1])[0],
                    "last": days_to_iso(days[members][-1:])[0],
                },
            }
        )
    features.sort(key=lambda f: -f["properties"]["count"])
    return {
        "type": "FeatureCollection",
        "features": features,
        "n_bands": len(features),
        "n_groups": n_groups,
        "n_events": n_window,
        "mag_min": mag_min,
        "window": days_to_iso(np.array([start, end])),
        "criteria": {
            "link_km": link_km,
            "density_ratio": density_ratio,
            "min_neighbours": fnum(min_neighbours, 2),
            "min_events": min_events,
            "min_length_km": min_length_km,
            "min_aspect": min_aspect,
            "dimensions": "length and width: 4 x median absolute deviation along and across the long axis",
        },
    }
