"""Factories of observation master data for the series tests (stations, items, channels);
kept here, beside the tests that use them, until the master-data factories are merged."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.gis.geos import Point
from django.utils import timezone
from factory.django import DjangoModelFactory

from observations.models import Channel, ObservationItem, QcDay, QcFlag, QcReview, QcVerdict, Station
from tests.factories import BureauFactory, DisciplineFactory, UserFactory


class ObservationItemFactory(DjangoModelFactory):
    class Meta:
        model = ObservationItem
        django_get_or_create = ("code",)

    code = "WL"
    name_zh = "水位"
    name_en = "water level"
    discipline = factory.LazyFunction(lambda: DisciplineFactory(code="fluid"))
    unit = "m"


class StationFactory(DjangoModelFactory):
    class Meta:
        model = Station
        django_get_or_create = ("code",)

    bureau = factory.SubFactory(BureauFactory, code="JX")
    code = factory.Sequence(lambda n: f"ST{n:03d}")
    name_zh = factory.LazyAttribute(lambda o: f"台站{o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Station {o.code}")
    location = factory.LazyFunction(lambda: Point(115.9, 28.7, srid=4326))
    kind = Station.Kind.WELL


class ChannelFactory(DjangoModelFactory):
    class Meta:
        model = Channel

    station = factory.SubFactory(StationFactory)
    bureau = factory.SelfAttribute("station.bureau")
    item = factory.SubFactory(ObservationItemFactory)
    discipline = factory.SelfAttribute("item.discipline")
    unit = factory.SelfAttribute("item.unit")
    interval = 60
    orientation = ""


def geomagnetic_item(element: str) -> ObservationItem:
    return ObservationItemFactory(
        code=f"GM_{element}",
        name_zh=f"地磁{element}",
        name_en=f"geomagnetic {element}",
        discipline=DisciplineFactory(code="electromagnetism"),
        unit="nT",
    )


# --- quality control rows (availability matrix, station map, QC archive tests) -------------


class QcDayFactory(DjangoModelFactory):
    class Meta:
        model = QcDay

    channel = factory.SubFactory(ChannelFactory)
    bureau = factory.SelfAttribute("channel.bureau")
    day = dt.date(2026, 11, 1)
    expected = 1440
    availability = 100.0
    present = factory.LazyAttribute(lambda o: round(o.expected * o.availability / 100))
    checked_at = factory.LazyFunction(timezone.now)


class QcFlagFactory(DjangoModelFactory):
    class Meta:
        model = QcFlag

    qc_day = factory.SubFactory(QcDayFactory)
    channel = factory.SelfAttribute("qc_day.channel")
    bureau = factory.SelfAttribute("qc_day.bureau")
    kind = QcFlag.Kind.SPIKE
    start = factory.LazyAttribute(lambda o: dt.datetime.combine(o.qc_day.day, dt.time(3), tzinfo=dt.UTC))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(minutes=1))


class QcReviewFactory(DjangoModelFactory):
    class Meta:
        model = QcReview

    qc_day = factory.SubFactory(QcDayFactory)
    bureau = factory.SelfAttribute("qc_day.bureau")
    verdict = QcVerdict.INTERFERENCE
    cause = "rainfall"
    comment = ""
    reviewed_by = factory.SubFactory(UserFactory)
    reviewed_at = factory.LazyFunction(timezone.now)


# --- days as the machine's check leaves them, flagged and not reviewed (QC review tests) ---


class FlaggedQcDayFactory(QcDayFactory):
    """A channel-day as the machine's check leaves it (flagged, not reviewed): the QC review
    tests make these directly rather than running the checks."""

    day = dt.date(2026, 11, 20)
    present = 1380
    availability = factory.LazyAttribute(lambda o: round(100 * o.present / o.expected, 2))
    gaps = 1
    flagged = True
    checked_at = factory.LazyFunction(lambda: dt.datetime(2026, 11, 21, 1, tzinfo=dt.UTC))


class GapFlagFactory(QcFlagFactory):
    """An hour's gap on a flagged day."""

    qc_day = factory.SubFactory(FlaggedQcDayFactory)
    kind = QcFlag.Kind.GAP
    start = factory.LazyAttribute(lambda o: dt.datetime.combine(o.qc_day.day, dt.time(10), tzinfo=dt.UTC))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=1))
