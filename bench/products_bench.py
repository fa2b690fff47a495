"""Benchmark of the products' scientific core (issue 6).

Run:  .venv/bin/python bench/products_bench.py

Prints wall time and peak traced memory (tracemalloc) of
- bvalue over 1,000,000 synthetic GR events (b = 1, Mc estimated by maxc);
- bvalue_grid at 0.1 degree over lat 24.5-30, lon 113.5-118.5 with 200,000 events;
- omori on a 10,000-event Omori-Utsu sequence;
and, where seismostats has the same computation (Mc by maximum curvature,
the Aki-Utsu b-value), the same on the same input with seismostats and the
ratio. bvalue_grid and omori have no seismostats counterpart.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from products.methods.bvalue import bvalue
from products.methods.grid import bvalue_grid
from products.methods.mc import mc
from products.methods.omori import integral, omori


def measure(fn, repeat: int = 3):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, best, peak / 2**20


def omori_sequence(n_target: int, rng: np.random.Generator) -> np.ndarray:
    k, c, p, t_end = 1.0, 0.05, 1.1, 365.0
    k = n_target / integral(c, p, 0.0, t_end)
    n = rng.poisson(k * integral(c, p, 0.0, t_end))
    u = rng.uniform(0.0, n / k, n)
    q = 1.0 - p
    return np.sort((c**q + q * u) ** (1.0 / q) - c)


def main() -> None:
    rng = np.random.default_rng(2026)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")

    mags = np.round(0.95 + rng.exponential(1.0 / np.log(10.0), 1_000_000), 1)
    res, t, mem = measure(lambda: bvalue(mags))
    print(
        f"bvalue 1,000,000 events (Mc by maxc + Aki-Utsu): {t:.3f} s, peak {mem:.0f} MiB -> "
        f"b = {res['b']:.4f} ± {res['b_err']:.4f}, Mc = {res['mc']}"
    )
    res_mc, t_mc, mem_mc = measure(lambda: mc(mags))
    _res_b, t_b, mem_b = measure(lambda: bvalue(mags, mc=res_mc["mc"]))
    print(
        f"  of which mc: {t_mc:.3f} s, peak {mem_mc:.0f} MiB; bvalue with Mc given: {t_b:.3f} s, "
        f"peak {mem_b:.0f} MiB"
    )
    try:
        from seismostats.analysis import estimate_mc_maxc
        from seismostats.analysis.bvalue import UtsuBValueEstimator
        from seismostats.utils import bin_to_precision
    except ImportError:
        print("  seismostats not installed: no comparison")
    else:

        def ss_mc():
            return estimate_mc_maxc(bin_to_precision(mags, 0.1), fmd_bin=0.1)[0]

        def ss_b():
            est = UtsuBValueEstimator()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.calculate(mags, mc=res_mc["mc"], delta_m=0.1)
            return est.b_value, est.std

        ss_mc_v, ss_t_mc, ss_mem_mc = measure(ss_mc)
        (ss_bv, ss_err), ss_t_b, ss_mem_b = measure(ss_b)
        print(
            f"  seismostats estimate_mc_maxc: {ss_t_mc:.3f} s, peak {ss_mem_mc:.0f} MiB "
            f"(Mc = {ss_mc_v:g}); ratio ours/seismostats = {t_mc / ss_t_mc:.2f}"
        )
        print(
            f"  seismostats UtsuBValueEstimator (+ std): {ss_t_b:.3f} s, peak {ss_mem_b:.0f} MiB "
            f"(b = {ss_bv:.4f} ± {ss_err:.4f}); ratio ours/seismostats = {t_b / ss_t_b:.2f}"
        )

    n = 200_000
    lat = rng.uniform(24.5, 30.0, n)
    lon = rng.uniform(113.5, 118.5, n)
    gm = np.round(1.45 + rng.exponential(1.0 / np.log(10.0), n), 1)
    for label, kw in (
        ("nearest 100", {"nearest": 100}),
        ("radius 20 km", {"nearest": None, "radius_km": 20.0}),
    ):
        res, t, mem = measure(lambda kw=kw: bvalue_grid(lat, lon, gm, cell=0.1, **kw), repeat=2)
        print(
            f"bvalue_grid 0.1 deg, 200,000 events, {label}, per-cell Mc: {t:.3f} s, peak {mem:.0f} MiB "
            f"-> {res['n_cells']} cells with >= 50 events (no seismostats counterpart)"
        )

    seq = omori_sequence(10_000, rng)
    res, t, mem = measure(lambda: omori(seq, t_end=365.0))
    print(
        f"omori {seq.size} events: {t:.3f} s, peak {mem:.1f} MiB -> K = {res['K']:.1f} ± {res['K_err']:.1f}, "
        f"c = {res['c']:.4f} ± {res['c_err']:.4f}, p = {res['p']:.3f} ± {res['p_err']:.3f} "
        f"(true c = 0.05, p = 1.1; no seismostats counterpart)"
    )


if __name__ == "__main__":
    main()
