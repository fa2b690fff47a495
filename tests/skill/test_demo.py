"""The demo gives the ranking rows with hits, misses and false alarms, and is idempotent."""

from __future__ import annotations

import io

import pytest
from django.contrib.gis.geos import Point

from disciplines.models import Anomaly
from skill import demo
from skill.models import SkillScore
from tests.observations.factories import ChannelFactory, StationFactory
from tests.skill.conftest import quake

pytestmark = pytest.mark.django_db


def test_demo_history_and_scores(jx, cenc, jx_admin):
    station = StationFactory(bureau=jx, code="JX-XS", location=Point(114.55, 29.03, srid=4326))
    channel = ChannelFactory(station=station)
    first = quake(jx, days_ago_=400, magnitude=5.0, lon=114.6, lat=29.0)
    quake(jx, days_ago_=100, magnitude=5.3, lon=114.6, lat=29.0)
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())  # idempotent
    anomalies = Anomaly.objects.filter(channel=channel, product_reference=demo.MARK)
    assert anomalies.count() == 2
    score = SkillScore.objects.get(bureau=jx, channel=channel)
    assert (score.hits, score.false_alarms, score.misses) == (1, 1, 1)
    assert first.pk in score.hit_event_ids
    # assessed and closed: CENC reads them and scores the channel too
    assert SkillScore.objects.get(bureau=cenc, channel=channel).alarms == 2
