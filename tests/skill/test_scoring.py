"""The forecast-skill arithmetic (skill.scoring) on a hand-worked case, against the portal's
forecast_score where the two overlap, and the Molchan confidence bound."""

from __future__ import annotations

import pytest

from products.methods.forecast import forecast_score, r0_binomial
from skill.scoring import alarm_skill, molchan_bound, union_length

# Observed period [0, 2000] days. Five alarm windows (start, end), days:
WINDOWS = [
    (100.0, 280.0),  # A: quake at 150 → hit
    (300.0, 400.0),  # E: nothing → false alarm
    (500.0, 680.0),  # B: quake at 650 → hit
    (600.0, 780.0),  # C: overlaps B, the same quake at 650 → hit
    (900.0, 1080.0),  # D: quake at 950 → hit
]
# Target quakes (days): 850 and 1200 fall in no window; 2500 lies after the period.
QUAKES = [150.0, 650.0, 850.0, 950.0, 1200.0, 2500.0]


def test_hand_worked_case():
    result = alarm_skill(WINDOWS, QUAKES, period_start=0.0, period_end=2000.0)
    # alarms: A, B, C, D hold a quake; E none
    assert (result.n_alarms, result.hits, result.false_alarms) == (5, 4, 1)
    assert result.hit_alarms == [0, 2, 3, 4]
    assert result.false_alarm_indexes == [1]
    # quakes in the period: 5; predicted 150, 650, 950; missed 850, 1200
    assert (result.n_quakes, result.quakes_hit, result.misses) == (5, 3, 2)
    assert result.missed_quakes == [2, 4]
    # time under alarm: 180 + 100 + (500..780 = 280) + 180 = 740 of 2000 days
    assert result.tau == pytest.approx(0.37, abs=1e-12)
    assert result.nu == pytest.approx(0.4, abs=1e-12)
    # R = 3/5 - 0.37 = 0.23; gain = 0.6 / 0.37
    assert result.r_score == pytest.approx(0.23, abs=1e-12)
    assert result.gain == pytest.approx(0.6 / 0.37, abs=1e-12)
    # R0 by hand: Binomial(5, 0.37): P(H >= 4) = 5(0.37^4)(0.63) + 0.37^5 = 0.06597 > 0.025,
    # P(H = 5) = 0.37^5 = 0.00693 <= 0.025, so h0 = 5 and R0 = 5/5 - 0.37 = 0.63
    assert result.r0 == pytest.approx(0.63, abs=1e-12)
    assert result.r0 == r0_binomial(5, 0.37)


def test_agrees_with_forecast_score_when_the_alarm_covers_the_whole_region():
    """forecast_score with every forecast's polygon the scored region is the time-only test:
    the same alarm fraction, quakes predicted, R and R0."""
    region = [[100, 20], [110, 20], [110, 30], [100, 30], [100, 20]]
    forecasts = [{"start": a, "end": b, "polygon": region, "mag_min": 5.0} for a, b in WINDOWS]
    in_period = [q for q in QUAKES if q <= 2000.0]
    n = len(in_period)
    scored = forecast_score(
        forecasts,
        [25.0] * n,
        [105.0] * n,
        in_period,
        [5.5] * n,
        region=region,
        period_start=0.0,
        period_end=2000.0,
    )
    mine = alarm_skill(WINDOWS, QUAKES, period_start=0.0, period_end=2000.0)
    assert scored["hits"] == mine.quakes_hit
    assert scored["n_events"] == mine.n_quakes
    assert scored["alarm_fraction"] == pytest.approx(mine.tau, abs=1e-6)
    assert scored["R"] == pytest.approx(mine.r_score, abs=1e-6)
    assert scored["R0"] == pytest.approx(mine.r0, abs=1e-6)


def test_no_target_quake_leaves_r_and_gain_unset():
    result = alarm_skill([(10.0, 20.0)], [], period_start=0.0, period_end=100.0)
    assert (result.hits, result.false_alarms, result.n_quakes) == (0, 1, 0)
    assert result.tau == pytest.approx(0.1)
    assert (result.nu, result.r_score, result.r0, result.gain) == (None, None, None, None)


def test_a_perfect_short_alarm():
    result = alarm_skill([(10.0, 20.0)], [15.0], period_start=0.0, period_end=1000.0)
    assert result.r_score == pytest.approx(0.99)
    assert result.gain == pytest.approx(100.0)
    # Binomial(1, 0.01): P(H >= 1) = 0.01 <= 0.025: h0 = 1, R0 = 1 - 0.01
    assert result.r0 == pytest.approx(0.99)


def test_union_length_clips_and_merges():
    assert union_length([(-5.0, 5.0), (3.0, 8.0), (20.0, 40.0)], 0.0, 30.0) == pytest.approx(18.0)
    assert union_length([], 0.0, 1.0) == 0.0


def test_molchan_bound_by_hand():
    # n = 5, tau = 0.1: P(H >= 2) = 1 - 0.9^5 - 5(0.1)(0.9^4) = 0.0815 > 0.05,
    # P(H >= 3) = 0.00856 <= 0.05: h_c = 3, nu_c = 1 - 3/5
    # tau = 0.37: only h = 5 (0.0069) is below 0.05: nu_c = 0
    bound = dict(molchan_bound(5, [0.1, 0.37]))
    assert bound[0.1] == pytest.approx(0.4)
    assert bound[0.37] == pytest.approx(0.0)
    # n = 1, tau = 0.5: P(H >= 1) = 0.5 > 0.05: no count is significant, the bound lies below 0
    assert molchan_bound(1, [0.5]) == [(0.5, -1.0)]


def test_empty_period_is_refused():
    with pytest.raises(ValueError, match="positive length"):
        alarm_skill([], [], period_start=5.0, period_end=5.0)
