"""Declustering: Gardner-Knopoff (1974) windows and Reasenberg (1985) clusters.

Gardner and Knopoff (1974, BSSA 64(5), 1363-1367): an event within the
distance window d(M) and the time window t(M) AFTER a larger event belongs to
that event's cluster. The windows are the usual fit to the original table
(as in ZMAP and van Stiphout, Zhuang and Marsan 2012, CORSSA "Seismicity
declustering", eqs. for GK74):

    d = 10^(0.1238 M + 0.983) km,
    t = 10^(0.032 M + 2.7389) days if M >= 6.5, else 10^(0.5409 M - 0.547) days.

Events are taken in decreasing magnitude (earlier first on ties); each event
not yet in a cluster claims the unclaimed events inside its windows (time
found by binary search in the time-sorted catalog, distance great-circle),
and is then closed so that a later, smaller event cannot claim it.
``fs_time_prop`` (default 0) opens a foreshock window of that fraction of t.

Reasenberg (1985, JGR 90(B7), 5479-5495), as implemented in ZMAP
(Allmann, "declus"): events in time order; an event not in a cluster looks
ahead tau_min; an event in a cluster looks ahead
tau = -ln(1 - P) t / 10^(2 (dM - 1) / 3), dM = (1 - xk) M_big - xmeff,
t the time since the cluster's largest event, bounded to
[tau_min, tau_max]. Later events within tau are linked when within the
interaction distance of the event, rfact r(M), or (for a clustered event)
of the cluster's largest event, with r(M) = 0.011 10^(0.4 M) km (circular
crack, Kanamori and Anderson 1975); hypocentral distance less the location
errors err (horizontal) and derr (depth). Linked clusters merge. Standard
parameters: tau_min 1 day, tau_max 10 days, P 0.95, xk 0.5, xmeff 1.5,
rfact 10, err 1.5 km, derr 2 km.

In both, the mainshock of a cluster is its largest event; the mask is True
for mainshocks and for events in no cluster.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import EARTH_RADIUS_KM, clean_magnitudes, haversine_km, to_days

METHODS = ("gardner_knopoff", "reasenberg")


def gk_windows(mags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gardner-Knopoff distance (km) and time (days) windows."""
    dist = 10.0 ** (0.1238 * mags + 0.983)
    time = np.where(mags >= 6.5, 10.0 ** (0.032 * mags + 2.7389), 10.0 ** (0.5409 * mags - 0.547))
    return dist, time


def gardner_knopoff_mask(
    lat: Any, lon: Any, times: Any, magnitudes: Any, *, fs_time_prop: float = 0.0
) -> np.ndarray:
    """Boolean mask (input order): True for mainshocks and unclustered events."""
    head = gardner_knopoff_clusters(lat, lon, times, magnitudes, fs_time_prop=fs_time_prop)
    return head == np.arange(head.size)


def gardner_knopoff_clusters(
    lat: Any, lon: Any, times: Any, magnitudes: Any, *, fs_time_prop: float = 0.0
) -> np.ndarray:
    """The cluster of each event (input order): the input index of its mainshock (an event
    in no cluster is its own), so the events of one sequence share a value."""
    mags = clean_magnitudes(magnitudes)
    days = to_days(times)
    lat_a = np.asarray(lat, dtype=float).reshape(-1)
    lon_a = np.asarray(lon, dtype=float).reshape(-1)
    order = np.argsort(days, kind="stable")
    d, la, lo, m = days[order], lat_a[order], lon_a[order], mags[order]
    dwin, twin = gk_windows(m)
    head = np.full(m.size, -1, dtype=np.int64)  # cluster head (time-sorted index)
    lo_idx = np.searchsorted(d, d - fs_time_prop * twin, side="left")
    hi_idx = np.searchsorted(d, d + twin, side="right")
    for i in np.argsort(-m, kind="stable"):
        if head[i] >= 0:
            continue
        head[i] = i
        a, b = lo_idx[i], hi_idx[i]
        if b - a <= 1:
            continue
        j = np.arange(a, b)
        j = j[head[j] < 0]
        if j.size == 0:
            continue
        near = haversine_km(la[i], lo[i], la[j], lo[j]) <= dwin[i]
        head[j[near]] = i
    clusters = np.empty(m.size, dtype=np.int64)
    clusters[order] = order[head]
    return clusters


def reasenberg_mask(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    depth: Any = None,
    *,
    tau_min: float = 1.0,
    tau_max: float = 10.0,
    p: float = 0.95,
    xk: float = 0.5,
    xmeff: float = 1.5,
    rfact: float = 10.0,
    err: float = 1.5,
    derr: float = 2.0,
) -> np.ndarray:
    """Boolean mask (input order): True for mainshocks and unclustered events."""
    mags = clean_magnitudes(magnitudes)
    days = to_days(times)
    n = mags.size
    lat_a = np.asarray(lat, dtype=float).reshape(-1)
    lon_a = np.asarray(lon, dtype=float).reshape(-1)
    dep = np.zeros(n) if depth is None else np.nan_to_num(np.asarray(depth, dtype=float))
    order = np.argsort(days, kind="stable")
    d, la, lo, m, z = days[order], lat_a[order], lon_a[order], mags[order], dep[order]
    radius = 0.011 * 10.0 ** (0.4 * m)
    clus = np.zeros(n, dtype=np.int64)  # 0: no cluster
    members: dict[int, list[int]] = {}
    big: dict[int, int] = {}
    next_id = 1
    log_term = -np.log(1.0 - p)

    def dist(i: int, j: np.ndarray) -> np.ndarray:
        h = np.maximum(haversine_km(la[i], lo[i], la[j], lo[j]) - err, 0.0)
        v = np.maximum(np.abs(z[j] - z[i]) - derr, 0.0)
        return np.sqrt(h * h + v * v)

    for i in range(n - 1):
        ci = int(clus[i])
        if ci == 0:
            tau = tau_min
        else:
            bg = big[ci]
            dm = (1.0 - xk) * m[bg] - xmeff
            tau = log_term * (d[i] - d[bg]) / 10.0 ** (2.0 * (dm - 1.0) / 3.0)
            tau = min(max(tau, tau_min), tau_max)
        hi = int(np.searchsorted(d, d[i] + tau, side="right"))
        if hi <= i + 1:
            continue
        j = np.arange(i + 1, hi)
        linked = dist(i, j) <= rfact * radius[i]
        if ci != 0:
            bg = big[ci]
            linked |= dist(bg, j) <= rfact * radius[bg]
        for jj in j[linked]:
            ci, cj = int(clus[i]), int(clus[jj])
            if ci == 0 and cj == 0:
                clus[i] = clus[jj] = next_id
                members[next_id] = [i, int(jj)]
                big[next_id] = i if m[i] >= m[jj] else int(jj)
                next_id += 1
            elif ci != 0 and cj == 0:
                clus[jj] = ci
                members[ci].append(int(jj))
                if m[jj] > m[big[ci]]:
                    big[ci] = int(jj)
            elif ci == 0:
                clus[i] = cj
                members[cj].append(i)
                if m[i] > m[big[cj]]:
                    big[cj] = i
            elif ci != cj:
                for k in members[cj]:
                    clus[k] = ci
                members[ci].extend(members.pop(cj))
                b1, b2 = big[ci], big.pop(cj)
                big[ci] = b1 if (m[b1], -b1) >= (m[b2], -b2) else b2
    main_sorted = clus == 0
    for cid, idx in members.items():
        arr = np.array(idx)
        best = arr[np.lexsort((arr, -m[arr]))[0]]  # largest, earliest on ties
        main_sorted[best] = True
        del cid
    mask = np.empty(n, dtype=bool)
    mask[order] = main_sorted
    return mask


def decluster(
    lat: Any,
    lon: Any,
    times: Any,
    magnitudes: Any,
    depth: Any = None,
    *,
    method: str = "gardner_knopoff",
    fs_time_prop: float = 0.0,
    tau_min: float = 1.0,
    tau_max: float = 10.0,
    p: float = 0.95,
    xk: float = 0.5,
    xmeff: float = 1.5,
    rfact: float = 10.0,
    err: float = 1.5,
    derr: float = 2.0,
) -> dict[str, Any]:
    """Decluster; returns ``{"mainshock": [bool, ...] (input order), "n_total",
    "n_mainshocks", "n_clustered", "method"}``."""
    if method == "gardner_knopoff":
        mask = gardner_knopoff_mask(lat, lon, times, magnitudes, fs_time_prop=fs_time_prop)
    elif method == "reasenberg":
        mask = reasenberg_mask(
            lat,
            lon,
            times,
            magnitudes,
            depth,
            tau_min=tau_min,
            tau_max=tau_max,
            p=p,
            xk=xk,
            xmeff=xmeff,
            rfact=rfact,
            err=err,
            derr=derr,
        )
    else:
        raise ValueError(f"unknown decluster method {method!r}")
    n_main = int(mask.sum())
    return {
        "mainshock": mask.tolist(),
        "n_total": int(mask.size),
        "n_mainshocks": n_main,
        "n_clustered": int(mask.size - n_main),
        "method": method,
    }


__all__ = ["EARTH_RADIUS_KM", "decluster", "gardner_knopoff_mask", "reasenberg_mask"]
