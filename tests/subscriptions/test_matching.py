"""Matching of quakes to a subscription (pure): day/night thresholds, quiet hours, aftershock
suppression on a synthetic sequence, updates."""

from __future__ import annotations

import datetime as dt

import pytest

from subscriptions.matching import (
    BEIJING,
    Quake,
    Rule,
    decide,
    quiet_until,
    rupture_length_km,
    suppression_days,
    zone_radius_km,
)


def bj(hour: int, minute: int = 0, day: int = 1) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=BEIJING)


RULE = Rule(min_magnitude=3.0, min_magnitude_night=4.5)


def quake(id: int, when: dt.datetime, m: float, lon: float = 115.0, lat: float = 28.0) -> Quake:
    return Quake(id, when, lon, lat, m)


def test_day_threshold_applies_by_beijing_daytime():
    noon = bj(12)
    assert decide(RULE, quake(1, noon, 3.0), now=noon, earlier=[], sent_before=False).action == "send"
    assert decide(RULE, quake(2, noon, 2.9), now=noon, earlier=[], sent_before=False).action == "skip"


def test_night_threshold_applies_between_22_and_7_beijing():
    night = bj(23, 30)
    # 15:30 UTC is 23:30 in Beijing: night, whatever the server's zone.
    assert night.astimezone(dt.UTC).hour == 15
    assert decide(RULE, quake(1, night, 4.4), now=night, earlier=[], sent_before=False).action == "skip"
    assert decide(RULE, quake(2, night, 4.5), now=night, earlier=[], sent_before=False).action == "send"
    assert decide(RULE, quake(3, bj(7), 3.2), now=bj(7), earlier=[], sent_before=False).action == "send"


def test_quiet_hours_hold_until_their_end_or_go_to_the_digest():
    rule = Rule(3.0, 3.0, quiet_start=dt.time(23), quiet_end=dt.time(6, 30))
    now = bj(1, 15, day=2)
    decision = decide(rule, quake(1, now, 5.0), now=now, earlier=[], sent_before=False)
    assert decision.action == "hold"
    assert decision.deliver_at == bj(6, 30, day=2).astimezone(dt.UTC)
    # before midnight the end is the next morning
    assert quiet_until(rule, bj(23, 10)) == bj(6, 30, day=2).astimezone(dt.UTC)
    assert quiet_until(rule, bj(6, 30)) is None
    digest = Rule(3.0, 3.0, quiet_start=dt.time(23), quiet_end=dt.time(6, 30), digest=True)
    assert decide(digest, quake(1, now, 5.0), now=now, earlier=[], sent_before=False).action == "digest"


def test_wells_coppersmith_rupture_length_and_windows():
    # log10 RLD = -2.44 + 0.59 M (Wells & Coppersmith 1994, Table 2A, all): M6 → 10^1.10 km
    assert rupture_length_km(6.0) == pytest.approx(12.589, abs=1e-3)
    assert rupture_length_km(7.0) == pytest.approx(48.978, abs=1e-3)
    assert zone_radius_km(4.0) == 10.0  # the floor
    assert [suppression_days(m) for m in (4.9, 5.0, 6.0, 6.9, 7.0, 8.0)] == [0, 7, 14, 14, 30, 30]


def test_synthetic_sequence_sends_only_aftershocks_of_m4_and_above():
    """A M6.0 mainshock and aftershocks within 12 km for 20 days: inside the 14-day window,
    only those ≥ M4.0 (M(main) − 2) are sent; far away or after the window all are."""
    rule = Rule(min_magnitude=2.0, min_magnitude_night=2.0)
    t0 = bj(10)
    main = quake(100, t0, 6.0)
    sequence = [
        (quake(101, t0 + dt.timedelta(minutes=3), 4.6, 115.05), "send"),
        (quake(102, t0 + dt.timedelta(minutes=10), 3.9, 115.02, 28.05), "skip"),
        (quake(103, t0 + dt.timedelta(hours=5), 4.0), "send"),
        (quake(104, t0 + dt.timedelta(days=2), 2.5, 114.95), "skip"),
        (quake(105, t0 + dt.timedelta(days=13, hours=23), 3.0), "skip"),
        (quake(106, t0 + dt.timedelta(days=14, hours=1), 3.0), "send"),  # window over
        (quake(107, t0 + dt.timedelta(days=1), 3.0, 115.5), "send"),  # ~49 km away: outside the zone
    ]
    assert decide(rule, main, now=t0, earlier=[], sent_before=False).action == "send"
    for q, expected in sequence:
        got = decide(rule, q, now=q.time, earlier=[main], sent_before=False)
        assert (q.id, got.action) == (q.id, expected)
    off = Rule(2.0, 2.0, suppress_aftershocks=False)
    assert decide(off, sequence[1][0], now=t0, earlier=[main], sent_before=False).action == "send"


def test_an_update_of_a_sent_event_is_sent_as_update_even_if_now_suppressed():
    rule = Rule(min_magnitude=4.0, min_magnitude_night=4.0)
    t0 = bj(10)
    main = quake(1, t0, 6.0)
    revised = quake(2, t0 + dt.timedelta(minutes=5), 3.5)  # was M4.2, revised down
    decision = decide(rule, revised, now=t0, earlier=[main], sent_before=True)
    assert (decision.action, decision.kind) == ("send", "update")
    assert decide(rule, revised, now=t0, earlier=[main], sent_before=False).action == "skip"
