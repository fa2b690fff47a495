"""Earthquake sequence type (地震序列类型), CENC practice.

Rule on dM = M_main - M_2, M_main the largest event (the earliest one on ties)
and M_2 the largest of all the other events (before or after it), as used by
China's earthquake network (e.g. 蒋海昆等 2006, 中国地震 22(1); the
"sequence type" criteria of GB/T 18207.2-2005 practice):

- dM > 2.4: isolated (孤立型);
- 0.6 <= dM <= 2.4: mainshock-aftershock (主震-余震型), or
  foreshock-mainshock-aftershock (前震-主震-余震型) when a foreshock is
  significant: this module's rule is that the largest event BEFORE the
  mainshock has magnitude >= M_main - 2.4 (the same 2.4 units that separate a
  related event from an isolated one) and at least ``min_foreshocks``
  (default 1) events precede the mainshock;
- dM < 0.6: several comparable events. This module calls it a swarm
  (震群型) when at least 3 events (the largest included) lie within 0.6 of
  M_main, and multiple-mainshock (多震型, e.g. a doublet) when only two do.

Also reported: the largest event's share of the sequence energy with
lg E = 1.5 M + 4.8 (Gutenberg and Richter 1956, E in joules); Båth's law for
the largest aftershock, M_main - 1.2 (Båth 1965, Tectonophysics 2, 483-514);
and the h-value (Jiang Haikun; 陆远忠等 1983): daily counts
n(t) = n1 t^-h on days t = 1..h_days after the mainshock (day t covering
(t-1, t] days), fitted by least squares of lg n on lg t over days with n > 0
(None with fewer than 3 such days).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import clean_magnitudes, fnum, require, to_days

LABELS = {
    "isolated": ("孤立型", "isolated"),
    "mainshock_aftershock": ("主震-余震型", "mainshock-aftershock"),
    "foreshock_mainshock_aftershock": (
        "前震-主震-余震型",
        "foreshock-mainshock-aftershock",
    ),
    "multiple_mainshock": ("多震型", "multiple-mainshock"),
    "swarm": ("震群型", "swarm"),
}


def h_value(days_after: np.ndarray, h_days: int) -> float | None:
    counts = np.bincount(
        np.ceil(days_after[(days_after > 0) & (days_after <= h_days)]).astype(int),
        minlength=h_days + 1,
    )[1 : h_days + 1]
    t = np.arange(1, h_days + 1)
    ok = counts > 0
    if ok.sum() < 3:
        return None
    slope = np.polyfit(np.log10(t[ok]), np.log10(counts[ok]), 1)[0]
    return fnum(-slope)


def sequence_type(
    magnitudes: Any,
    times: Any,
    *,
    h_days: int = 10,
    min_foreshocks: int = 1,
) -> dict[str, Any]:
    """Classify a sequence; returns ``{"type", "criteria", "energy_share",
    "bath_max_aftershock", "h"}``. Raises InsufficientData for fewer than 2 events."""
    mags = clean_magnitudes(magnitudes)
    days = to_days(times)
    ok = np.isfinite(mags) & np.isfinite(days)
    mags, days = mags[ok], days[ok]
    order = np.argsort(days, kind="stable")
    mags, days = mags[order], days[order]
    require(
        mags.size >= 2,
        f"sequence_type needs at least 2 events; the selection has {mags.size}",
        have=int(mags.size),
        need=2,
    )
    main = int(np.argmax(mags))  # earliest of the largest (time-sorted)
    m_main = float(mags[main])
    others = np.delete(mags, main)
    m2 = float(others.max())
    dm = round(m_main - m2, 6)
    before = mags[:main]
    m_fore = float(before.max()) if before.size else None
    if dm > 2.4:
        code = "isolated"
    elif dm >= 0.6:
        significant = m_fore is not None and m_fore >= m_main - 2.4
        code = (
            "foreshock_mainshock_aftershock"
            if significant and before.size >= min_foreshocks
            else "mainshock_aftershock"
        )
    else:
        comparable = int((mags >= m_main - 0.6 - 1e-9).sum())
        code = "swarm" if comparable >= 3 else "multiple_mainshock"
    energy = 10.0 ** (1.5 * mags + 4.8)
    share = float(energy[main] / energy.sum())
    zh, en = LABELS[code]
    criteria = {
        "delta_m": fnum(dm, 6),
        "mainshock_magnitude": m_main,
        "second_magnitude": m2,
        "largest_foreshock_magnitude": m_fore,
        "n_foreshocks": int(before.size),
        "n_events": int(mags.size),
        "label_zh": zh,
        "label_en": en,
        "rule": "dM>2.4 isolated; 0.6<=dM<=2.4 mainshock-aftershock "
        "(foreshock-mainshock-aftershock if the largest foreshock >= Mmain-2.4); "
        "dM<0.6 swarm if >=3 events within 0.6 of Mmain, else multiple-mainshock",
    }
    return {
        "type": code,
        "criteria": criteria,
        "energy_share": fnum(share),
        "bath_max_aftershock": fnum(round(m_main - 1.2, 6)),
        "h": h_value(days - days[main], h_days),
    }
