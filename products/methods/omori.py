"""Omori-Utsu aftershock decay fitted by maximum likelihood.

Model: n(t) = K / (t + c)^p (Utsu 1961; Utsu, Ogata and Matsu'ura 1995,
J. Phys. Earth 43, 1-33). Fit: maximum likelihood for the non-stationary
Poisson process observed over [S, T] (Ogata 1983, J. Phys. Earth 31,
115-124):

    ln L = N ln K - p sum ln(t_i + c) - K A(c, p),
    A(c, p) = [(T + c)^(1-p) - (S + c)^(1-p)] / (1 - p)   (ln((T+c)/(S+c)) if p = 1).

For given (c, p) the likelihood is maximal at K = N / A(c, p); (c, p) are
found with L-BFGS-B within bounds, c in [1e-5, 10] days, p in [0.2, 3].
Standard errors are the square roots of the diagonal of the inverse of the
numerical Hessian of -ln L in (K, c, p) (observed Fisher information).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import fnum, require, to_days

C_BOUNDS = (1e-5, 10.0)
P_BOUNDS = (0.2, 3.0)
MIN_EVENTS = 20


def integral(c: float, p: float, s: float, t: float) -> float:
    """A(c, p): integral of (u + c)^-p over [s, t]."""
    if abs(p - 1.0) < 1e-9:
        return float(np.log((t + c) / (s + c)))
    q = 1.0 - p
    return float(((t + c) ** q - (s + c) ** q) / q)


def neg_log_likelihood(theta: np.ndarray, times: np.ndarray, s: float, t: float) -> float:
    k, c, p = theta
    if k <= 0 or c <= 0:
        return float("inf")
    return float(-(times.size * np.log(k) - p * np.log(times + c).sum() - k * integral(c, p, s, t)))


def _profile(x: np.ndarray, times: np.ndarray, s: float, t: float) -> float:
    c, p = float(np.exp(x[0])), float(x[1])
    a = integral(c, p, s, t)
    k = times.size / a
    return neg_log_likelihood(np.array([k, c, p]), times, s, t)


def numerical_hessian(f: Any, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian with relative steps."""
    n = x.size
    h = 1e-4 * np.maximum(np.abs(x), 1e-6)
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            ei = np.zeros(n)
            ej = np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            v = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = v
    return hess


def omori(
    times: Any,
    *,
    t_start: float = 0.0,
    t_end: float | None = None,
    forecast_days: float = 7.0,
    mainshock_time: Any = None,
) -> dict[str, Any]:
    """Fit K, c, p; returns ``{"K", "c", "p", "K_err", "c_err", "p_err", "n",
    "expected_next", "forecast_days", "t_start", "t_end"}``.

    ``times`` are days since the mainshock (or datetimes with
    ``mainshock_time``); events in (t_start, t_end] are used, t_end defaulting
    to the last event. ``expected_next`` = K A(c, p) over
    [t_end, t_end + forecast_days]. Errors are None where the Hessian is not
    positive definite (e.g. c at its bound). Raises InsufficientData for fewer
    than 20 events or less than one day of data.
    """
    from scipy.optimize import minimize  # scipy loads when a run needs it (see products.methods.canvas)

    days = to_days(times)
    if mainshock_time is not None:
        days = days - float(to_days(np.array([mainshock_time]))[0])
    days = np.sort(days[np.isfinite(days)])
    end = float(days[-1]) if (t_end is None and days.size) else float(t_end or 0.0)
    sel = days[(days > t_start) & (days <= end)]
    require(
        sel.size >= MIN_EVENTS,
        f"omori needs at least {MIN_EVENTS} events after the mainshock; the selection has {sel.size}",
        have=int(sel.size),
        need=MIN_EVENTS,
    )
    span = end - t_start
    require(
        span >= 1.0,
        f"omori needs at least 1 day of data; the selection spans {span:.2f} days",
        have=round(span, 2),
        need=1,
    )
    best = None
    for c0 in (0.01, 0.1, 1.0):
        res = minimize(
            _profile,
            x0=np.array([np.log(c0), 1.1]),
            args=(sel, t_start, end),
            method="L-BFGS-B",
            bounds=[tuple(np.log(C_BOUNDS)), P_BOUNDS],
        )
        if best is None or res.fun < best.fun:
            best = res
    c, p = float(np.exp(best.x[0])), float(best.x[1])
    k = sel.size / integral(c, p, t_start, end)
    theta = np.array([k, c, p])
    errs: list[float | None] = [None, None, None]
    hess = numerical_hessian(lambda th: neg_log_likelihood(th, sel, t_start, end), theta)
    try:
        cov = np.linalg.inv(hess)
        diag = np.diag(cov)
        if np.all(np.isfinite(diag)) and np.all(diag > 0):
            errs = [float(np.sqrt(v)) for v in diag]
    except np.linalg.LinAlgError:
        pass
    expected = k * integral(c, p, end, end + forecast_days)
    return {
        "K": fnum(k),
        "c": fnum(c),
        "p": fnum(p),
        "K_err": errs[0],
        "c_err": errs[1],
        "p_err": errs[2],
        "n": int(sel.size),
        "expected_next": fnum(expected),
        "forecast_days": float(forecast_days),
        "t_start": float(t_start),
        "t_end": end,
    }


def simulate(k: float, c: float, p: float, t_end: float, rng: np.random.Generator) -> np.ndarray:
    """Event times of an Omori-Utsu process on (0, t_end] by inverse-CDF sampling."""
    total = k * integral(c, p, 0.0, t_end)
    n = rng.poisson(total)
    u = rng.uniform(0.0, total, n) / k  # integral from 0 to t, divided by K
    if abs(p - 1.0) < 1e-9:
        t = c * np.exp(u) - c
    else:
        q = 1.0 - p
        t = (c**q + q * u) ** (1.0 / q) - c
    return np.sort(t)
