"""The forecast-skill cast: a JX water-level well with alarms of every kind and the quakes
around it, and an NM channel with one alarm."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from disciplines.models import Anomaly, VerificationReport
from tests.factories import AnomalyFactory, EventFactory, UserFactory
from tests.observations.factories import ChannelFactory, StationFactory

NOW = timezone.now().replace(microsecond=0)


def days_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def alarm(bureau, channel, *, onset_days_ago: float, conclusion: str = "", source: str = "expert", **fields):
    """An anomaly of ``channel``; with ``conclusion`` its submitted verification report."""
    anomaly = AnomalyFactory(
        bureau=bureau,
        channel=channel,
        discipline=channel.discipline,
        source=source,
        onset_at=days_ago(onset_days_ago),
        station=channel.station.name_zh,
        observation_item=channel.item.name_zh,
        **fields,
    )
    if conclusion:
        VerificationReport.objects.create(
            bureau=bureau,
            anomaly=anomaly,
            conclusion=conclusion,
            verifier=UserFactory(),
            submitted_at=days_ago(onset_days_ago - 5),
        )
    return anomaly


def quake(bureau, *, days_ago_: float, magnitude: float, lon: float = 115.95, lat: float = 28.75, **fields):
    return EventFactory(
        bureau=bureau,
        origin_time=days_ago(days_ago_),
        magnitude=magnitude,
        longitude=lon,
        latitude=lat,
        location=Point(lon, lat, srid=4326),
        **fields,
    )


@pytest.fixture
def jx_well(jx):
    station = StationFactory(bureau=jx, code="JX-T1", location=Point(115.9, 28.7, srid=4326))
    return ChannelFactory(station=station)


@pytest.fixture
def jx_history(jx, jx_well):
    """JX's well over 900 days (from its first alarm), with the fluid defaults M5.0, 200 km,
    180 days:

    * a1 precursory (expert), 900 days ago → window 900..720 days ago holds e1 (850): hit
    * a2 interference, 500 days ago → not an alarm
    * a3 a rule's detection (product), unverified, 300 days ago → window 300..120: false alarm
    * a4 an expert's report not yet verified → not an alarm
    * a5 a detection judged interference → not an alarm
    * a6 undetermined (expert) → not an alarm
    * e1 M5.5 850 days ago nearby: predicted; e2 M5.2 100 days ago: missed;
      e3 M4.0 (below m), e4 M6.0 about 500 km away, e5 deleted: not targets
    """
    a1 = alarm(jx, jx_well, onset_days_ago=900, conclusion="precursory", state="tracking")
    a2 = alarm(jx, jx_well, onset_days_ago=500, conclusion="interference", state="verified")
    a3 = alarm(jx, jx_well, onset_days_ago=300, source="product")
    a4 = alarm(jx, jx_well, onset_days_ago=200)
    a5 = alarm(jx, jx_well, onset_days_ago=250, source="product", conclusion="interference", state="verified")
    a6 = alarm(jx, jx_well, onset_days_ago=260, conclusion="undetermined", state="verified")
    e1 = quake(jx, days_ago_=850, magnitude=5.5)
    e2 = quake(jx, days_ago_=100, magnitude=5.2)
    e3 = quake(jx, days_ago_=280, magnitude=4.0)
    e4 = quake(jx, days_ago_=200, magnitude=6.0, lon=120.9, lat=28.7)
    e5 = quake(jx, days_ago_=150, magnitude=5.8, status="deleted")
    return {"a": [a1, a2, a3, a4, a5, a6], "e": [e1, e2, e3, e4, e5]}


@pytest.fixture
def published_alarm(jx, jx_well):
    """A precursory anomaly the discipline group has assessed: national units read it."""
    return alarm(
        jx,
        jx_well,
        onset_days_ago=120,
        conclusion="precursory",
        state=Anomaly.State.ASSESSED,
        assessed_at=days_ago(100),
    )
