"""Shared rows of the sharing tests: a JX station with two channels and series, the JX
datasets made by the sync, and a request helper."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from observations.services.series_store import series_write
from sharing.services.sync import datasets_sync
from tests.observations.factories import ChannelFactory, ObservationItemFactory, StationFactory

NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)  # Friday 2026-11-27 10:00 Beijing time


@pytest.fixture
def jx_steward(make_person, jx):
    return make_person("jx_steward", (jx, "data_steward"), display_name="赣数据管理员")


@pytest.fixture
def station(jx):
    return StationFactory(bureau=jx, code="JX-XS", name_zh="修水井", name_en="Xiushui well")


@pytest.fixture
def channels(station, disciplines):
    level = ChannelFactory(station=station)
    temperature = ChannelFactory(
        station=station,
        item=ObservationItemFactory(
            code="WT", name_zh="水温", name_en="water temperature", discipline=disciplines["fluid"], unit="°C"
        ),
    )
    for channel in (level, temperature):
        for day in (dt.date(2026, 11, 1), dt.date(2026, 11, 10)):
            start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
            series_write(channel=channel, start=start, values=np.arange(1440, dtype=np.float32), actor=None)
    return level, temperature


@pytest.fixture
def datasets(jx, channels):
    """The JX datasets of its station and items (on request, as the sync makes them)."""
    from sharing.models import Dataset

    datasets_sync(bureau_id=jx.pk)
    return {d.key: d for d in Dataset.objects.filter(bureau=jx)}


@pytest.fixture
def ask(as_actor):
    """``ask(user, dataset, **scope)`` → a pending request made through the service."""
    from sharing.services.requests import Scope, request_create

    def make(user, dataset, *, now=None, purpose="流体异常对比研究", **scope):
        code = user.memberships.first().bureau.code
        return request_create(
            actor=as_actor(user, code), dataset=dataset, purpose=purpose, scope=Scope(**scope), now=now
        )

    return make
