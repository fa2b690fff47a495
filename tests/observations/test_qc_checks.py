"""The QC checks over synthetic series: clean data of every demo item family gives no flag;
each injected fault is found at its time and nothing else is."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations import qc_checks as checks
from observations import series_demo

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
DAYS = 40
N = DAYS * 1440
FAMILIES = ["WL", "WT", "RN_W", "GM_H", "GM_Z", "TILT_NS", "TILT_EW", "GRAVITY"]


def _hours() -> np.ndarray:
    return np.arange(N) / 60.0 + (START - dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).total_seconds() / 3600


def clean(item: str, *, storms: list[float] | None = None) -> np.ndarray:
    hours = _hours()
    storm_hours = np.array([hours[0] + 24 * d for d in (storms or [])])
    return series_demo._curve(item, hours, series_demo._rng(f"test:{item}"), storm_hours).astype(np.float32)


def spans_of(values: np.ndarray, **kwargs) -> list[checks.Span]:
    return checks.check_series(values, interval=60, now_index=values.size, **kwargs)


def daily_departures(values: np.ndarray) -> list[float | None]:
    days = values.reshape(-1, 1440)
    means = [checks.day_mean(d)[0] for d in days]
    fractions = [100.0 * checks.day_mean(d)[1] / 1440 for d in days]
    return checks.departures(means, fractions, resolution=checks.quantum(values))


@pytest.mark.parametrize("item", FAMILIES)
def test_clean_data_of_every_family_gives_no_flag(item):
    values = clean(item)
    assert spans_of(values) == []
    alarms = [d for d in daily_departures(values) if d is not None and d > checks.QcParams().departure_k]
    assert alarms == []


def test_a_storm_with_a_gradual_main_phase_is_no_spike_and_no_step():
    values = clean("GM_H", storms=[10.3, 25.6])
    assert [s.kind for s in spans_of(values)] == []


def test_a_flat_quantised_signal_flags_nothing():
    rng = np.random.default_rng(1)
    # a logger's last digit toggling now and then: MAD 0, yet no spike
    values = (100.0 + 0.1 * (rng.random(N) < 0.05)).astype(np.float32)
    values[::97] = np.float32(100.0)  # no run of identical values lasts an hour... mostly
    flats = [s for s in spans_of(values) if s.kind != checks.FLAT]
    assert flats == []


def test_a_gap_is_one_run_at_its_place():
    values = clean("WL")
    values[2000:2360] = np.nan
    assert [(s.kind, s.start, s.end) for s in spans_of(values)] == [("gap", 2000, 2360)]


def test_spikes_are_found_at_their_samples():
    values = clean("RN_W")
    where = [5000, 20011, 40123]
    for i in where:
        values[i] += 25.0
    values[30000] -= 25.0
    found = spans_of(values)
    assert [(s.kind, s.at) for s in found] == [
        ("spike", 5000),
        ("spike", 20011),
        ("spike", 30000),
        ("spike", 40123),
    ]
    assert found[2].value == pytest.approx(-25.0, abs=4.0)


def test_a_step_is_found_at_its_sample_and_is_not_a_spike():
    values = clean("WL")
    values[30000:] += np.float32(0.05)
    found = spans_of(values)
    assert [(s.kind, s.at) for s in found] == [("step", 30000)]
    assert found[0].value == pytest.approx(0.05, abs=0.002)


def test_a_flat_line_is_one_span_and_its_end_is_no_step():
    values = clean("WL")
    values[10000 : 10000 + 180] = values[10000]
    assert [(s.kind, s.start, s.end) for s in spans_of(values)] == [("flat", 10000, 10180)]


def test_a_short_run_of_equal_values_is_no_flat_line():
    values = clean("WL")
    values[10000:10030] = values[10000]  # half an hour
    assert [s.kind for s in spans_of(values) if s.kind == "flat"] == []


def test_out_of_range_values_are_one_span():
    values = clean("WT")
    values[7000:7010] = 99.0
    found = spans_of(values, plausible_min=0.0, plausible_max=60.0)
    assert [(s.kind, s.start, s.end, s.value) for s in found] == [("out_of_range", 7000, 7010, 99.0)]


def test_samples_after_the_time_of_the_check_are_a_timestamp_fault():
    values = clean("WT")
    found = checks.check_series(values, interval=60, now_index=N - 120)
    assert [(s.kind, s.start, s.end) for s in found] == [("timestamp", N - 120, N)]


def test_nothing_expected_after_the_time_of_the_check_is_no_gap():
    values = clean("WT")
    values[N - 120 :] = np.nan
    assert checks.check_series(values, interval=60, now_index=N - 120) == []


def test_a_departure_raises_the_alarm_on_its_day_only():
    values = clean("WT")
    values[35 * 1440 : 36 * 1440] += np.float32(0.02)
    found = daily_departures(values)
    k = checks.QcParams().departure_k
    assert [i for i, d in enumerate(found) if d is not None and d > k] == [35]


def test_no_departure_before_enough_long_term_days():
    values = clean("WT")
    found = daily_departures(values)
    first = checks.QcParams().lta_min_days
    assert found[:first] == [None] * first
    assert found[first] is not None


def test_hourly_and_daily_channels_use_the_margin_in_samples():
    params = checks.QcParams()
    assert params.margin_samples(60) == 180
    assert params.margin_samples(86400) == 2 * params.step_window
