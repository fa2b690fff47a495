"""The forecast-skill score of one channel's alarms (预报效能检验): pure arithmetic, no database.

An *alarm* is a time window [start, end] (days) in which the channel's anomaly is taken to
announce a target quake in the circle of R km around the station; a *target quake* is a
catalog event of M >= m in that circle. Over the channel's observed period [t0, t1]:

* ``hits``: alarms with at least one target quake inside their window;
* ``false_alarms``: alarms with none;
* ``quakes_hit``: target quakes inside at least one window; ``misses``: the others;
* ``tau``, the alarm time fraction: the length of the union of the windows (clipped to the
  period, overlaps counted once) over the length of the period;
* ``nu``, the miss rate: misses / N (N target quakes);
* ``r_score`` (许绍燮 Xu Shaoxie 1989, 地震预报能力评分, in 地震预报方法实用化研究文集):
  R = (quakes predicted / target quakes) − (alarm time / total time) = (1 − ν) − τ; each
  quake is counted once however many alarms cover it, so R = hits / (hits + misses) − τ
  whenever every alarm holds at most one quake;
* ``r0``: R0 at 97.5 %, from ``products.methods.forecast.r0_binomial`` (under random alarms
  covering τ of the time, the quakes predicted ~ Binomial(N, τ)); R > R0 is skill beyond
  chance;
* the Molchan point (Molchan 1991, Tectonophysics 193, 267-276; Molchan 1997, Pure Appl.
  Geophys. 149, 233-247): (τ, ν); random alarms lie on the diagonal ν = 1 − τ;
* ``gain``, the probability gain (Aki 1981; Molchan 1997): the rate of target quakes within
  the alarms over the overall rate, (quakes predicted / alarm time) / (N / total time)
  = (1 − ν) / τ.

The Molchan confidence bound (Zechar & Jordan 2008, Geophys. J. Int. 172, 715-724, section
3.2): for N target quakes and alarm fraction τ, random alarms predict h ~ Binomial(N, τ)
quakes; the 95 % bound is ν_c(τ) = 1 − h_c / N with h_c the smallest h where
P(H >= h) <= 0.05. A point below the bound is better than chance at 95 %.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from products.methods.forecast import r0_binomial

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class AlarmSkill:
    n_alarms: int
    hits: int
    false_alarms: int
    n_quakes: int
    quakes_hit: int
    misses: int
    tau: float
    nu: float | None
    r_score: float | None
    r0: float | None
    gain: float | None
    hit_alarms: list[int] = field(default_factory=list)  # indexes into the windows given
    false_alarm_indexes: list[int] = field(default_factory=list)
    missed_quakes: list[int] = field(default_factory=list)  # indexes into the quakes given
    hit_quakes: list[int] = field(default_factory=list)


def union_length(windows: Sequence[tuple[float, float]], t0: float, t1: float) -> float:
    """Length of the union of ``windows`` clipped to [t0, t1] (overlaps counted once)."""
    clipped = sorted((max(a, t0), min(b, t1)) for a, b in windows if min(b, t1) > max(a, t0))
    total, current_start, current_end = 0.0, None, None
    for a, b in clipped:
        if current_end is None or a > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = a, b
        else:
            current_end = max(current_end, b)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def alarm_skill(
    windows: Sequence[tuple[float, float]],
    quakes: Sequence[float],
    *,
    period_start: float,
    period_end: float,
    level: float = 0.025,
) -> AlarmSkill:
    """Score alarm windows (days, [start, end] closed) against target quake times (days).

    Quakes outside [period_start, period_end] are not targets. With no target quake, ν, R,
    R0 and the gain are None (nothing to score against); with τ = 0 the gain is None.
    """
    if period_end <= period_start:
        raise ValueError("the observed period must have a positive length")
    targets = [(i, t) for i, t in enumerate(quakes) if period_start <= t <= period_end]
    hit_alarms, false_alarms = [], []
    for i, (a, b) in enumerate(windows):
        if any(a <= t <= b for _j, t in targets):
            hit_alarms.append(i)
        else:
            false_alarms.append(i)
    hit_quakes = [j for j, t in targets if any(a <= t <= b for a, b in windows)]
    missed = [j for j, _t in targets if j not in set(hit_quakes)]
    n = len(targets)
    tau = union_length(windows, period_start, period_end) / (period_end - period_start)
    nu = len(missed) / n if n else None
    r = (1.0 - nu) - tau if nu is not None else None
    r0 = r0_binomial(n, tau, level) if n and 0.0 < tau < 1.0 else None
    gain = (1.0 - nu) / tau if nu is not None and tau > 0 else None
    return AlarmSkill(
        n_alarms=len(windows),
        hits=len(hit_alarms),
        false_alarms=len(false_alarms),
        n_quakes=n,
        quakes_hit=len(hit_quakes),
        misses=len(missed),
        tau=tau,
        nu=nu,
        r_score=r,
        r0=r0,
        gain=gain,
        hit_alarms=hit_alarms,
        false_alarm_indexes=false_alarms,
        missed_quakes=missed,
        hit_quakes=hit_quakes,
    )


def molchan_bound(n: int, taus: Sequence[float], confidence: float = 0.95) -> list[tuple[float, float]]:
    """The Molchan diagram's confidence bound for ``n`` target quakes (Zechar & Jordan 2008):
    at each τ the miss rate ν_c = 1 − h_c / n, h_c the smallest number of predicted quakes
    that random alarms covering τ reach with probability at most 1 − ``confidence``."""
    # scipy loads when a score needs it, not with every process (products.methods.canvas)
    from scipy.stats import binom

    alpha = 1.0 - confidence
    points = []
    for tau in taus:
        h_c = next((h for h in range(n + 1) if binom.sf(h - 1, n, tau) <= alpha), n + 1)
        points.append((float(tau), 1.0 - h_c / n))  # below 0 where no count reaches it
    return points
