"""Writing and reading day arrays: values back exactly (float32), gaps as gaps, aggregates
equal to those computed here, re-writes replace the range and note the channel's history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations.models import SeriesDay
from observations.series_selectors import TooManyValues, series_read, series_samples
from observations.services.series_store import series_write
from portal.exceptions import InvalidInput
from portal.models import AuditEvent
from tests.observations.factories import ChannelFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def _values(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (12.0 + rng.standard_normal(n)).astype(np.float32)


def test_two_days_come_back_exactly_with_their_gaps(jx):
    channel = ChannelFactory(station__bureau=jx)
    values = _values(2 * 1440)
    values[100:160] = np.nan
    written = series_write(channel=channel, start=T0, values=values, actor=None)
    assert (written.samples, written.days, written.replaced) == (2 * 1440 - 60, 2, False)
    back = series_samples(actor=None, channel=channel, start=T0, end=T0 + dt.timedelta(days=2))
    # system reads nothing (fail closed): read as the bureau
    assert back.size == 2 * 1440
    assert np.isnan(back).all()


def test_read_back_as_the_bureau(jx, jx_viewer, as_actor):
    channel = ChannelFactory(station__bureau=jx)
    values = _values(2 * 1440)
    values[100:160] = np.nan
    series_write(channel=channel, start=T0, values=values, actor=None)
    viewer = as_actor(jx_viewer, "JX")
    back = series_samples(actor=viewer, channel=channel, start=T0, end=T0 + dt.timedelta(days=2))
    # float32 in, float32 out: bit for bit
    assert np.array_equal(back, values, equal_nan=True)
    day = SeriesDay.objects.get(channel=channel, day=T0.date())
    assert day.n_present == 1440 - 60
    assert day.min == pytest.approx(float(np.nanmin(values[:1440])))


def test_hour_means_min_max_and_empty_buckets(jx, jx_viewer, as_actor):
    channel = ChannelFactory(station__bureau=jx)
    values = _values(1440)
    values[120:180] = np.nan  # hour 2 empty
    values[300:330] = np.nan  # hour 5 half
    series_write(channel=channel, start=T0, values=values, actor=None)
    viewer = as_actor(jx_viewer, "JX")
    got = series_read(actor=viewer, channel=channel, start=T0, end=T0 + dt.timedelta(days=1), resolution="1h")
    hours = values.astype(np.float64).reshape(24, 60)
    assert got.step_seconds == 3600
    assert got.values.size == 24
    assert np.isnan(got.values[2])
    assert got.as_list()[2] is None
    expected = np.array([np.nan if np.isnan(h).all() else np.nanmean(h) for h in hours])
    assert np.allclose(got.values, expected, equal_nan=True, rtol=0, atol=1e-9)
    high = series_read(
        actor=viewer, channel=channel, start=T0, end=T0 + dt.timedelta(days=1), resolution="1h", agg="max"
    )
    assert high.values[5] == pytest.approx(np.nanmax(hours[5]))
    daily = series_read(
        actor=viewer, channel=channel, start=T0, end=T0 + dt.timedelta(days=1), resolution="1d"
    )
    assert daily.values[0] == pytest.approx(np.nanmean(values.astype(np.float64)))


def test_a_rewrite_replaces_its_range_only_and_notes_the_history(jx, jx_viewer, as_actor):
    channel = ChannelFactory(station__bureau=jx)
    first = _values(1440, seed=1)
    series_write(channel=channel, start=T0, values=first, actor=None, source="first")
    # the hours 06:00-08:00 again, with a gap at 07:00-07:10
    again = _values(120, seed=2)
    again[60:70] = np.nan
    written = series_write(
        channel=channel, start=T0 + dt.timedelta(hours=6), values=again, actor=None, source="again"
    )
    assert written.replaced
    back = series_samples(
        actor=as_actor(jx_viewer, "JX"), channel=channel, start=T0, end=T0 + dt.timedelta(days=1)
    )
    expected = first.copy()
    expected[360:480] = again
    assert np.array_equal(back, expected, equal_nan=True)
    notes = AuditEvent.objects.filter(action="channel.series_written", target_id=str(channel.pk)).order_by(
        "id"
    )
    assert [(n.comment, n.extra["replaced"]) for n in notes] == [("first", False), ("again", True)]
    assert notes[1].extra["start"] == "2025-03-01T06:00:00+00:00"


def test_start_off_the_interval_is_refused(jx):
    channel = ChannelFactory(station__bureau=jx)
    with pytest.raises(InvalidInput):
        series_write(channel=channel, start=T0 + dt.timedelta(seconds=30), values=_values(10), actor=None)
    assert not SeriesDay.objects.exists()


def test_too_many_values_is_413_with_the_count(jx, jx_viewer, as_actor, settings):
    settings.SERIES_MAX_VALUES = 1000
    channel = ChannelFactory(station__bureau=jx)
    with pytest.raises(TooManyValues, match="1440"):
        series_read(actor=as_actor(jx_viewer, "JX"), channel=channel, start=T0, end=T0 + dt.timedelta(days=1))


def test_an_aggregate_reading_too_many_samples_is_413(jx, jx_viewer, as_actor):
    channel = ChannelFactory(station__bureau=jx, interval=1)
    viewer = as_actor(jx_viewer, "JX")
    with pytest.raises(TooManyValues, match="34560000"):
        series_read(actor=viewer, channel=channel, start=T0, end=T0 + dt.timedelta(days=400), resolution="1d")
    got = series_read(actor=viewer, channel=channel, start=T0, end=T0 + dt.timedelta(days=2), resolution="1h")
    assert got.values.size == 48
