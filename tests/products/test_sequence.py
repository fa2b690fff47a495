"""Sequence type (CENC rule), energy share, Båth, h-value."""

from __future__ import annotations

import math

import pytest

from products.methods.errors import InsufficientData
from products.methods.sequence import sequence_type


@pytest.mark.parametrize(
    ("mags", "times", "code", "delta_m"),
    [
        # dM = 5.5 - 2.9 = 2.6 > 2.4
        ([5.5, 2.9, 2.1], [0.0, 1.0, 2.0], "isolated", 2.6),
        # dM = 5.0 - 3.9 = 1.1, no foreshock
        ([5.0, 3.9, 3.5, 3.0], [0.0, 0.1, 0.5, 1.2], "mainshock_aftershock", 1.1),
        # dM = 1.1 with a 3.2 foreshock (>= 5.0 - 2.4 = 2.6) one day before
        ([3.2, 5.0, 3.9], [-1.0, 0.0, 0.5], "foreshock_mainshock_aftershock", 1.1),
        # a 2.2 foreshock is below 5.0 - 2.4: still mainshock-aftershock
        ([2.2, 5.0, 3.9], [-1.0, 0.0, 0.5], "mainshock_aftershock", 1.1),
        # dM = 0.2, three events within 0.6 of the largest
        ([5.0, 4.8, 4.7, 3.0], [0.0, 1.0, 2.0, 3.0], "swarm", 0.2),
        # dM = 0.3, only two comparable events: a doublet
        ([6.0, 5.7, 4.0], [0.0, 3.0, 4.0], "multiple_mainshock", 0.3),
        # boundaries: dM = 2.4 is still mainshock-aftershock, dM = 0.6 too
        ([5.4, 3.0], [0.0, 1.0], "mainshock_aftershock", 2.4),
        ([5.0, 4.4], [0.0, 1.0], "mainshock_aftershock", 0.6),
    ],
)
def test_hand_cases_of_each_class(mags, times, code, delta_m) -> None:
    result = sequence_type(mags, times)
    assert result["type"] == code
    assert result["criteria"]["delta_m"] == delta_m


def test_labels_energy_share_and_bath() -> None:
    # E = 10^(1.5 M + 4.8); share = 10^7.5 / (10^7.5 + 10^5.85 + 10^5.25)
    result = sequence_type([5.0, 3.9, 3.5], [0.0, 0.1, 0.5])
    share = 10**12.3 / (10**12.3 + 10**10.65 + 10**10.05)
    assert result["energy_share"] == pytest.approx(share, rel=1e-12)
    assert result["bath_max_aftershock"] == 3.8
    assert result["criteria"]["label_zh"] == "主震-余震型"
    assert result["criteria"]["label_en"] == "mainshock-aftershock"


def test_h_value_of_a_power_law_daily_rate() -> None:
    # 100 / t events on day t (t = 1..10), rounded: slope of lg n on lg t ~ -1
    times = [0.0]
    for day in range(1, 11):
        count = round(100 / day)
        times += [day - 0.5] * count
    mags = [5.0] + [2.0] * (len(times) - 1)
    result = sequence_type(mags, times)
    assert result["h"] == pytest.approx(1.0, abs=0.02)
    assert math.isfinite(result["h"])


def test_one_event_raises() -> None:
    with pytest.raises(InsufficientData, match="needs at least 2 events"):
        sequence_type([5.0], [0.0])
