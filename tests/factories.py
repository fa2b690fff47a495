"""factory_boy factories for the portal's models, the one place tests build rows.

Children inherit the bureau of their parent (``bureau = factory.SelfAttribute("meeting.bureau")``),
so a row built for JX never points into NM by accident. Rows that must pass a
workflow's rules (a submitted zero-report, an assessed anomaly) are built through
the services instead (see tests/disciplines/conftest.py ``in_state``); these
factories give the plain rows around them.

Disciplines are reference data: ``DisciplineFactory(code="fluid")`` returns the
row ``portal.demo.load_disciplines`` keeps, creating the four if missing.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import timezone
from factory.django import DjangoModelFactory

from catalog.models import Event, EventVersion
from consultations.models import ConsultationReport, DisciplineOpinion, Meeting, MeetingMaterial
from disciplines.models import Anomaly, Discipline, ReportingUnit, ZeroReport
from portal.models import Bureau, Membership, Notification, User
from products.models import ProductRun
from reports.models import TopicReport

PASSWORD = "pass-word-123"


def box(lon0: float, lat0: float, lon1: float, lat1: float) -> MultiPolygon:
    """A rectangular jurisdiction in WGS84."""
    return MultiPolygon(Polygon.from_bbox((lon0, lat0, lon1, lat1)), srid=4326)


class BureauFactory(DjangoModelFactory):
    class Meta:
        model = Bureau
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"B{n}")
    name_zh = factory.LazyAttribute(lambda o: f"{o.code}地震局")
    name_en = factory.LazyAttribute(lambda o: f"Bureau {o.code}")
    kind = Bureau.Kind.PROVINCIAL
    jurisdiction = None


class UserFactory(DjangoModelFactory):
    """A person who can sign in with ``PASSWORD``; roles come from MembershipFactory."""

    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    password = factory.django.Password(PASSWORD)
    is_staff = factory.SelfAttribute("is_superuser")
    is_superuser = False


class DisciplineFactory(DjangoModelFactory):
    """A discipline of the reference data (seismology, deformation, fluid, electromagnetism)."""

    class Meta:
        model = Discipline

    code = "fluid"

    @classmethod
    def _create(cls, model_class, code, **kwargs):
        from portal.demo import load_disciplines

        if not model_class.objects.filter(code=code).exists():
            load_disciplines()
        return model_class.objects.get(code=code)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    bureau = factory.SubFactory(BureauFactory)
    role = "forecaster"
    discipline = None


class ReportingUnitFactory(DjangoModelFactory):
    class Meta:
        model = ReportingUnit
        skip_postgeneration_save = True

    bureau = factory.SubFactory(BureauFactory)
    code = factory.Sequence(lambda n: f"U-{n:03d}")
    name = factory.LazyAttribute(lambda o: f"{o.code} 台")
    kind = ReportingUnit.Kind.STATION
    discipline = factory.SubFactory(DisciplineFactory)
    location = factory.LazyFunction(lambda: Point(115.89, 28.68, srid=4326))
    observation_items = factory.LazyFunction(lambda: ["水位"])

    @factory.post_generation
    def reporters(obj, create, extracted, **kwargs):  # noqa: N805 - factory-boy passes the built object
        """``ReportingUnitFactory(reporters=[user])`` lets those people report for the unit."""
        if create and extracted:
            obj.reporters.add(*extracted)


class AnomalyFactory(DjangoModelFactory):
    """An anomaly row in state reported; move it on through disciplines.services.anomalies."""

    class Meta:
        model = Anomaly

    bureau = factory.SubFactory(BureauFactory)
    source = Anomaly.Source.EXPERT
    station = "九江台"
    observation_item = "水位"
    discipline = factory.SubFactory(DisciplineFactory)
    onset_at = factory.LazyFunction(timezone.now)
    description = "水位突升"
    reported_by = factory.SubFactory(UserFactory)


class ZeroReportFactory(DjangoModelFactory):
    """A stored zero-report; to test submitting, call zero_report_submit."""

    class Meta:
        model = ZeroReport

    unit = factory.SubFactory(ReportingUnitFactory)
    bureau = factory.SelfAttribute("unit.bureau")
    period = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    status = ZeroReport.Status.NONE
    reported_by = factory.SubFactory(UserFactory)
    submitted_at = factory.LazyFunction(timezone.now)


class EventFactory(DjangoModelFactory):
    """A catalog event at ``longitude``/``latitude`` (the point follows them)."""

    class Meta:
        model = Event

    bureau = factory.SubFactory(BureauFactory)
    public_id = factory.Sequence(lambda n: f"test-{n}")
    origin_time = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    latitude = 28.0
    longitude = 115.0
    location = factory.LazyAttribute(lambda o: Point(o.longitude, o.latitude, srid=4326))
    depth_km = 10.0
    magnitude = 4.0
    magnitude_type = "M"
    location_name = "江西上高"
    source = "CENC"
    status = "reviewed"
    report_kind = "formal"
    is_published = True


class EventVersionFactory(DjangoModelFactory):
    """A version of an event, copied from the event unless given."""

    class Meta:
        model = EventVersion

    event = factory.SubFactory(EventFactory)
    version = factory.SelfAttribute("event.version")
    origin_time = factory.SelfAttribute("event.origin_time")
    latitude = factory.SelfAttribute("event.latitude")
    longitude = factory.SelfAttribute("event.longitude")
    depth_km = factory.SelfAttribute("event.depth_km")
    magnitude = factory.SelfAttribute("event.magnitude")
    location_name = factory.SelfAttribute("event.location_name")
    source = factory.SelfAttribute("event.source")
    status = factory.SelfAttribute("event.status")
    report_kind = factory.SelfAttribute("event.report_kind")
    data_origin = "import"


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting

    bureau = factory.SubFactory(BureauFactory)
    kind = "weekly"
    title = factory.Sequence(lambda n: f"周会商 {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=1))


class MeetingMaterialFactory(DjangoModelFactory):
    class Meta:
        model = MeetingMaterial

    meeting = factory.SubFactory(MeetingFactory)
    bureau = factory.SelfAttribute("meeting.bureau")
    kind = MeetingMaterial.Kind.FILE
    title = "材料"


class DisciplineOpinionFactory(DjangoModelFactory):
    class Meta:
        model = DisciplineOpinion

    meeting = factory.SubFactory(MeetingFactory)
    bureau = factory.SelfAttribute("meeting.bureau")
    discipline = factory.SubFactory(DisciplineFactory)
    author = factory.SubFactory(UserFactory)
    summary = "无明显异常"


class ConsultationReportFactory(DjangoModelFactory):
    class Meta:
        model = ConsultationReport

    meeting = factory.SubFactory(MeetingFactory)
    bureau = factory.SelfAttribute("meeting.bureau")
    title = factory.SelfAttribute("meeting.title")


class ProductRunFactory(DjangoModelFactory):
    class Meta:
        model = ProductRun

    bureau = factory.SubFactory(BureauFactory)
    method = "bvalue"


class TopicReportFactory(DjangoModelFactory):
    class Meta:
        model = TopicReport

    event = factory.SubFactory(EventFactory)
    bureau = factory.SelfAttribute("event.bureau")
    event_version = factory.SelfAttribute("event.version")
    received_at = factory.LazyFunction(timezone.now)


class NotificationFactory(DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    bureau = factory.SubFactory(BureauFactory)
    title = "通知"
