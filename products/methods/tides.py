"""The solid-earth tidal stress on a fault of given orientation, for the load-unload
response ratio (``lurr``: loading when the tidal Coulomb failure stress rises).

* Displacements: pysolid 0.3 (Yunjun et al. 2022, IEEE TGRS 60:5211208), a Python wrapper of
  Dennis Milbert's ``solid.for``, which follows the IERS Conventions 2010 (Petit & Luzum,
  IERS Technical Note 36, ch. 7.1.1: degree-2 and -3 tides of the Moon and Sun with
  latitude-dependent Love and Shida numbers). It gives east, north and up displacement of a
  point on the surface; ocean loading is not included.
* Strain: the horizontal strain tensor at the surface from the spatial derivatives of that
  displacement, taken by forward differences over 0.05° (≈ 5 km, a ten-thousandth of a tidal
  wavelength) east and north of the point, in spherical coordinates (Malvern, *Introduction
  to the Mechanics of a Continuous Medium*, 1969, sec. 4.6, eq. for ε in r, θ, φ):
  ε_ee = ∂u_e/(R cosφ ∂λ) + u_r/R − u_n tanφ/R, ε_nn = ∂u_n/(R ∂φ) + u_r/R,
  ε_en = ½[∂u_n/(R cosφ ∂λ) + ∂u_e/(R ∂φ) + u_e tanφ/R].
* Stress: the free surface carries no vertical traction, so Hooke's law in plane stress
  σ_ee = E/(1−ν²)(ε_ee + ν ε_nn), σ_nn likewise, σ_en = 2μ ε_en, for a Poisson solid
  (μ = 30 GPa, ν = 0.25). The body tide changes little over the upper 20 km, so the surface
  stress stands for the stress at seismogenic depth (an approximation, stated here).
* On the fault: normal n and slip vector d from strike, dip and rake (Aki & Richards,
  *Quantitative Seismology*, 2nd ed. 2002, eqs. 4.88–4.89, north-east-down axes); traction
  t = σ·n; Coulomb failure stress CFS = d·t + μ' (n·t), tension positive (King, Stein & Lin
  1994, BSSA 84:935).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

EARTH_RADIUS_M = 6_371_000.0
SHEAR_MODULUS = 30e9
POISSON = 0.25
DELTA_DEG = 0.05


def _enu(lat: float, lon: float, days: list[dt.date], step_s: int) -> tuple[np.ndarray, ...]:
    """(times, east, north, up) over whole UT days, concatenated."""
    from pysolid.point import calc_solid_earth_tides_point_per_day

    parts = [
        calc_solid_earth_tides_point_per_day(lat, lon, day.strftime("%Y%m%d"), step_sec=step_s)
        for day in days
    ]
    stamps = np.concatenate([np.array(p[0], dtype="datetime64[s]") for p in parts])
    east, north, up = (np.concatenate([p[i] for p in parts]).astype(float) for i in (1, 2, 3))
    return stamps, east, north, up


def surface_strain(
    lat: float, lon: float, days: list[dt.date], step_s: int = 600
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(times, ε_ee, ε_nn, ε_en, u_up): the tidal strain at the surface over whole UT days."""
    times, ue, un, ur = _enu(lat, lon, days, step_s)
    _, ue_e, un_e, _ = _enu(lat, lon + DELTA_DEG, days, step_s)
    _, ue_n, un_n, _ = _enu(lat + DELTA_DEG, lon, days, step_s)
    phi = np.radians(lat)
    d = np.radians(DELTA_DEG)
    r = EARTH_RADIUS_M
    e_ee = (ue_e - ue) / (r * np.cos(phi) * d) + ur / r - un * np.tan(phi) / r
    e_nn = (un_n - un) / (r * d) + ur / r
    e_en = 0.5 * ((un_e - un) / (r * np.cos(phi) * d) + (ue_n - ue) / (r * d) + ue * np.tan(phi) / r)
    return times, e_ee, e_nn, e_en, ur


def radial_tide(latitude: float, longitude: float, hours: np.ndarray) -> np.ndarray:
    """The radial (up) solid-earth tide in metres at each of ``hours`` (datetime64 UTC on whole
    hours), from the same pysolid computation as the strain above (the barometric and tidal
    correction of a well's level regresses on it)."""
    stamps, _east, _north, up = _enu(latitude, longitude, days_between(hours.min(), hours.max()), 3600)
    return up[np.searchsorted(stamps, hours.astype("datetime64[s]"))]


def days_between(start: np.datetime64, end: np.datetime64) -> list[dt.date]:
    """The UT days from the one holding ``start`` to the one holding ``end``."""
    first = np.datetime64(start, "D")
    count = int((np.datetime64(end, "D") - first) / np.timedelta64(1, "D")) + 1
    return [(first + i).astype(dt.date) for i in range(count)]


def fault_vectors(strike: float, dip: float, rake: float) -> tuple[np.ndarray, np.ndarray]:
    """(normal, slip) unit vectors in north-east-down axes (Aki & Richards 4.88–4.89)."""
    s, d, r = np.radians([strike, dip, rake])
    normal = np.array([-np.sin(d) * np.sin(s), np.sin(d) * np.cos(s), -np.cos(d)])
    slip = np.array(
        [
            np.cos(r) * np.cos(s) + np.cos(d) * np.sin(r) * np.sin(s),
            np.cos(r) * np.sin(s) - np.cos(d) * np.sin(r) * np.cos(s),
            -np.sin(r) * np.sin(d),
        ]
    )
    return normal, slip


def coulomb_stress(
    lat: float,
    lon: float,
    days: list[dt.date],
    *,
    strike: float,
    dip: float,
    rake: float,
    friction: float,
    step_s: int = 600,
) -> tuple[np.ndarray, np.ndarray]:
    """(times datetime64[s] UTC, tidal Coulomb failure stress in Pa) on the fault at the
    point, over whole UT days."""
    times, e_ee, e_nn, e_en, _ = surface_strain(lat, lon, days, step_s)
    young = 2 * SHEAR_MODULUS * (1 + POISSON)
    factor = young / (1 - POISSON**2)
    s_ee = factor * (e_ee + POISSON * e_nn)
    s_nn = factor * (e_nn + POISSON * e_ee)
    s_en = 2 * SHEAR_MODULUS * e_en
    normal, slip = fault_vectors(strike, dip, rake)
    # north-east-down: σ11 = σ_nn, σ22 = σ_ee, σ12 = σ_en; the vertical row is zero
    t_n = s_nn * normal[0] + s_en * normal[1]
    t_e = s_en * normal[0] + s_ee * normal[1]
    shear = t_n * slip[0] + t_e * slip[1]
    normal_stress = t_n * normal[0] + t_e * normal[1]
    return times, shear + friction * normal_stress


def loading_at(times: np.ndarray, tide_times: np.ndarray, cfs: np.ndarray) -> np.ndarray:
    """True where the tidal Coulomb stress is rising at ``times`` (datetime64, within the
    tide's days): the sign of its change over the tide sample interval holding each time.
    The tide's days need not be consecutive: a step across a day boundary is only used
    where the next sample is one interval later."""
    t = tide_times.astype("datetime64[s]").astype(np.int64)
    q = np.asarray(times).astype("datetime64[s]").astype(np.int64)
    step = np.diff(t)
    rise = np.diff(cfs)
    # a sample followed by a jump (the next stored day is not the next day) takes the
    # step before it, which lies in the same tidal half-cycle for steps of minutes
    regular = int(np.median(step)) if step.size else 1
    rise = np.where(step == regular, rise, np.concatenate([[rise[0]], rise[:-1]]))
    index = np.clip(np.searchsorted(t, q, side="right") - 1, 0, rise.size - 1)
    return rise[index] > 0
