"""The science of the first post-quake trend opinion (震后趋势判定): pure functions, no database.

* Båth's law: the largest aftershock is about 1.2 magnitude units below the mainshock
  (Båth 1965, Tectonophysics 2, 483-514).
* Reasenberg and Jones (1989, Science 243, 1173-1176): the rate of aftershocks of magnitude
  >= M at time t (days) after a mainshock of magnitude Mm is

      λ(t, M) = 10^(a + b (Mm - M)) (t + c)^(-p),

  the expected number in [t1, t2] is N = 10^(a + b (Mm - M)) ∫ (t + c)^(-p) dt with the
  closed form ((t2 + c)^(1-p) - (t1 + c)^(1-p)) / (1 - p) for p ≠ 1 and
  ln((t2 + c) / (t1 + c)) for p = 1, and the probability of at least one such event is
  1 - exp(-N) (a non-stationary Poisson process).
* The generic parameters shipped are Reasenberg and Jones's (1989) generic California
  sequence: a = -1.67, b = 0.91, p = 1.08, c = 0.05 day. A bureau may set its own
  (:class:`postquake.models.PostQuakeSettings`); once a sequence has enough aftershocks the
  draft also gives parameters fitted to it (Omori-Utsu maximum likelihood, ``products.methods
  .omori``, and the sequence's b, ``products.methods.bvalue``), with a from the fitted K:
  K = 10^(a + b (Mm - Mc)), so a = log10 K - b (Mm - Mc).
* The sequence zone: the surface rupture length of Wells and Coppersmith (1994, BSSA 84,
  974-1002, all slip types) log10 L = -3.22 + 0.69 M (L in km); the zone is a circle of radius
  max(10 km, L) around the epicentre.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

#: Båth (1965): the mean magnitude difference between a mainshock and its largest aftershock.
BATH_DELTA = 1.2
#: Wells and Coppersmith (1994), Table 2A, surface rupture length, all slip types.
WC_A, WC_B = -3.22, 0.69
MIN_ZONE_KM = 10.0


@dataclass(frozen=True)
class RJParameters:
    """Reasenberg-Jones parameters (c in days) and where they come from."""

    a: float
    b: float
    p: float
    c: float
    source: str = "generic"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


#: Reasenberg and Jones (1989), generic California parameters.
GENERIC = RJParameters(a=-1.67, b=0.91, p=1.08, c=0.05, source="generic")


def bath_max_aftershock(mainshock_magnitude: float) -> float:
    """The expected largest aftershock, Mm - 1.2 (Båth 1965)."""
    return round(mainshock_magnitude - BATH_DELTA, 2)


def rupture_length_km(magnitude: float) -> float:
    """Surface rupture length in km, log10 L = -3.22 + 0.69 M (Wells and Coppersmith 1994)."""
    return float(10 ** (WC_A + WC_B * magnitude))


def zone_radius_km(magnitude: float) -> float:
    """The sequence zone's radius: max(10 km, the Wells-Coppersmith rupture length)."""
    return max(MIN_ZONE_KM, rupture_length_km(magnitude))


def omori_integral(c: float, p: float, t1: float, t2: float) -> float:
    """∫_{t1}^{t2} (t + c)^(-p) dt in closed form (p = 1: the logarithm)."""
    if t2 <= t1:
        return 0.0
    if abs(p - 1.0) < 1e-9:
        return math.log((t2 + c) / (t1 + c))
    q = 1.0 - p
    return ((t2 + c) ** q - (t1 + c) ** q) / q


def rj_rate(t: float, magnitude: float, mainshock_magnitude: float, params: RJParameters) -> float:
    """λ(t, M) = 10^(a + b (Mm - M)) (t + c)^(-p), events per day at t days (R&J 1989)."""
    return 10 ** (params.a + params.b * (mainshock_magnitude - magnitude)) * (t + params.c) ** (-params.p)


def rj_expected(
    magnitude: float, mainshock_magnitude: float, t1: float, t2: float, params: RJParameters
) -> float:
    """The expected number of events of M >= ``magnitude`` in [t1, t2] days (R&J 1989)."""
    scale = 10 ** (params.a + params.b * (mainshock_magnitude - magnitude))
    return scale * omori_integral(params.c, params.p, t1, t2)


def rj_probability(
    magnitude: float, mainshock_magnitude: float, t1: float, t2: float, params: RJParameters
) -> float:
    """P(at least one event of M >= ``magnitude`` in [t1, t2]) = 1 - exp(-N) (R&J 1989)."""
    return 1.0 - math.exp(-rj_expected(magnitude, mainshock_magnitude, t1, t2, params))


#: The windows of the first opinion: the next 24 hours, 7 days and 30 days.
WINDOWS_DAYS = (1, 7, 30)


def probability_table(
    mainshock_magnitude: float, elapsed_days: float, params: RJParameters
) -> list[dict[str, Any]]:
    """Probabilities of >= 1 event of M >= Mm - 1, >= 5.0 and >= 6.0 in the next 1, 7, 30 days
    from ``elapsed_days`` after the mainshock (thresholds above the mainshock are left out)."""
    thresholds = sorted({round(mainshock_magnitude - 1.0, 1), 5.0, 6.0})
    return [
        {
            "min_magnitude": min_magnitude,
            "days": days,
            "probability": round(
                rj_probability(min_magnitude, mainshock_magnitude, elapsed_days, elapsed_days + days, params),
                4,
            ),
            "source": params.source,
        }
        for min_magnitude in thresholds
        if min_magnitude <= mainshock_magnitude
        for days in WINDOWS_DAYS
    ]


def a_from_omori(k: float, b: float, mainshock_magnitude: float, completeness: float) -> float:
    """R&J's a from a fitted Omori K of the events of M >= Mc: K = 10^(a + b (Mm - Mc))."""
    return math.log10(k) - b * (mainshock_magnitude - completeness)
