"""Forecast scoring: R-score and R0 on hand-worked cases, Molchan diagram."""

from __future__ import annotations

import pytest

from products.methods.errors import InsufficientData
from products.methods.forecast import area_km2, forecast_score, r0_binomial

REGION = [[100, 20], [110, 20], [110, 30], [100, 30], [100, 20]]
# the western half of the region (equal-area: area is proportional to the
# longitude span at equal latitudes) for the first half of a 30-day period
HALF = [[100, 20], [105, 20], [105, 30], [100, 30], [100, 20]]
FORECAST = {"start": 0.0, "end": 15.0, "polygon": HALF, "mag_min": 5.0}

# lat, lon, day, M
EVENTS = [
    (25.0, 102.0, 5.0, 5.2),  # hit
    (22.0, 103.0, 10.0, 5.0),  # hit (M at the lower bound counts)
    (28.0, 104.0, 14.0, 5.5),  # hit
    (25.0, 107.0, 5.0, 5.1),  # miss: east half
    (25.0, 102.0, 20.0, 5.3),  # miss: after the window
    (25.0, 102.0, 6.0, 4.0),  # not a target: below M5.0
    (35.0, 102.0, 6.0, 6.0),  # not a target: outside the region
]


def _score(events, forecasts=(FORECAST,)):
    lat, lon, days, mags = zip(*events, strict=True)
    return forecast_score(
        list(forecasts),
        lat,
        lon,
        days,
        mags,
        region=REGION,
        period_start=0.0,
        period_end=30.0,
    )


def test_r_score_on_a_hand_worked_case() -> None:
    # alarm fraction = (1/2 of the area) x (15 / 30 days) = 0.25
    # targets: 5 events with M >= 5.0 in the region; hits: 3
    # R = 3/5 - 0.25 = 0.35
    # R0: H ~ Binomial(5, 0.25): P(H >= 5) = 0.25^5 = 0.0009766
    #     P(H >= 4) = 5 * 0.25^4 * 0.75 + 0.0009766 = 0.015625 <= 0.025
    #     P(H >= 3) = 10 * 0.25^3 * 0.75^2 + 0.015625 = 0.1035 > 0.025
    #     -> h0 = 4, R0 = 4/5 - 0.25 = 0.55 (R < R0: not significant)
    result = _score(EVENTS)
    assert (result["hits"], result["n_events"]) == (3, 5)
    assert result["alarm_fraction"] == pytest.approx(0.25, abs=1e-12)
    assert result["R"] == pytest.approx(0.35, abs=1e-12)
    assert result["R0"] == pytest.approx(0.55, abs=1e-12)


def test_r_score_when_every_event_is_hit() -> None:
    # 4 targets, all hit: R = 4/4 - 0.25 = 0.75
    # R0: P(H >= 4) = 0.25^4 = 0.0039 <= 0.025; P(H >= 3) = 4 * 0.25^3 * 0.75 + 0.0039
    #     = 0.0508 > 0.025 -> h0 = 4, R0 = 4/4 - 0.25 = 0.75
    events = [(25.0, 102.0, d, 5.0) for d in (1.0, 2.0, 3.0, 4.0)]
    result = _score(events)
    assert (result["R"], result["R0"]) == (pytest.approx(0.75), pytest.approx(0.75))


def test_overlapping_alarms_count_once() -> None:
    # the same alarm twice still covers 0.25 of space-time
    result = _score(EVENTS, forecasts=(FORECAST, FORECAST))
    assert result["alarm_fraction"] == pytest.approx(0.25, abs=2e-3)


def test_molchan_trajectory_and_area_skill_score() -> None:
    # (0, 1) -> (0.25, 1 - 3/5 = 0.4) -> (1, 0)
    # area = 0.25 * (1 + 0.4) / 2 + 0.75 * 0.4 / 2 = 0.175 + 0.15 = 0.325; ASS = 0.675
    result = _score(EVENTS)
    assert result["molchan"] == [[0.0, 1.0], [0.25, pytest.approx(0.4)], [1.0, 0.0]]
    assert result["area_skill_score"] == pytest.approx(0.675)


def test_r0_binomial_for_two_events() -> None:
    # n = 2, p = 0.1: P(H >= 2) = 0.01 <= 0.025; P(H >= 1) = 0.19 -> R0 = 1 - 0.1
    assert r0_binomial(2, 0.1) == pytest.approx(0.9)
    # n = 2, p = 0.5: P(H >= 2) = 0.25 > 0.025 -> no level reachable
    assert r0_binomial(2, 0.5) is None


def test_area_of_a_one_degree_cell_at_the_equator() -> None:
    # R^2 * (pi / 180) * sin(1 deg) = 6371.0088^2 * 0.0174533 * 0.0174524
    assert area_km2([[0, 0], [1, 0], [1, 1], [0, 1]]) == pytest.approx(12363.8, rel=1e-4)


def test_iso_dates_are_accepted() -> None:
    forecast = dict(FORECAST, start="2024-01-01", end="2024-01-16")
    result = forecast_score(
        [forecast],
        [25.0],
        [102.0],
        ["2024-01-05T10:00:00"],
        [5.5],
        region=REGION,
        period_start="2024-01-01",
        period_end="2024-01-31",
    )
    assert (result["hits"], result["alarm_fraction"]) == (1, pytest.approx(0.25))


def test_no_target_event_raises() -> None:
    with pytest.raises(InsufficientData, match="the selection has 0"):
        _score([(25.0, 102.0, 5.0, 3.0)])
