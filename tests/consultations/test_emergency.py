"""Quakes open emergency and post-earthquake meetings: catalog.arrival decides, the task
``consultations.open_emergency_meeting`` opens the meeting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog import arrival
from catalog.models import AlertRule
from consultations.models import Meeting, MeetingMaterial
from consultations.services import emergency as emergency_services
from consultations.services import topic_reports as topic_report_services
from portal import hooks
from portal.models import Notification
from tests.factories import EventFactory, TopicReportFactory

pytestmark = pytest.mark.django_db


def _quake(
    bureau, lon: float, lat: float, magnitude: float, *, hours_ago: float = 0.2, place="江西九江市修水县"
):
    return EventFactory(
        bureau=bureau,
        origin_time=timezone.now() - dt.timedelta(hours=hours_ago),
        latitude=lat,
        longitude=lon,
        magnitude=magnitude,
        location_name=place,
    )


def _arrive(event, capture, source="quick_report"):
    with capture(execute=True):
        arrival.event_arrived(event_id=event.pk, created=True, source=source)


def test_quake_in_jurisdiction_opens_one_meeting_and_alerts_on_duty(
    jx, nm, jx_chair, jx_forecaster, django_capture_on_commit_callbacks, as_actor
):
    # given JX's rule with two people on duty
    emergency_services.emergency_settings_save(
        actor=as_actor(jx_chair), emergency_magnitude="5.0", on_duty=[jx_chair, jx_forecaster]
    )
    quake = _quake(jx, 115.0, 29.0, 5.2)
    # when the quake arrives, twice (a revised solution arrives again)
    _arrive(quake, django_capture_on_commit_callbacks)
    _arrive(quake, django_capture_on_commit_callbacks)
    # then JX (not NM) has one emergency meeting with the quake attached
    meeting = Meeting.objects.get()
    assert (meeting.bureau, meeting.kind, meeting.status, meeting.trigger_event_id) == (
        jx,
        "emergency",
        "open",
        quake.pk,
    )
    assert meeting.chair == jx_chair
    materials = list(meeting.materials.values_list("kind", "object_id"))
    assert materials[0] == ("event", str(quake.pk))
    # the reports app builds the special-topic report on the same arrival and it is attached
    assert sorted(kind for kind, _id in materials) == ["event", "report"]
    alerts = Notification.objects.filter(kind="consultation_emergency")
    assert sorted(alerts.values_list("recipient__username", "level")) == [
        ("jx_chair", "urgent"),
        ("jx_forecaster", "urgent"),
    ]


def test_smaller_quake_opens_a_post_earthquake_meeting(jx, jx_chair, django_capture_on_commit_callbacks):
    _arrive(_quake(jx, 116.0, 28.0, 3.6), django_capture_on_commit_callbacks)
    meeting = Meeting.objects.get()
    assert meeting.kind == "post_earthquake"
    # nobody on duty: the bureau's chairs and forecasters are alerted
    assert list(
        Notification.objects.filter(kind="consultation_emergency").values_list(
            "recipient__username", flat=True
        )
    ) == ["jx_chair"]


@pytest.mark.parametrize(
    ("magnitude", "lon", "lat", "hours_ago", "source"),
    [
        (2.9, 115.0, 29.0, 0.1, "quick_report"),  # below the default M3.0
        (4.0, 121.0, 29.0, 0.1, "quick_report"),  # Zhejiang, outside JX
        (4.0, 115.0, 29.0, 73, "quick_report"),  # older than the 72 h an arrival is fresh
        (4.0, 115.0, 29.0, 200, "import"),  # an imported catalog's old event is history
    ],
)
def test_quakes_that_open_no_meeting(
    jx, jx_chair, django_capture_on_commit_callbacks, magnitude, lon, lat, hours_ago, source
):
    _arrive(
        _quake(jx, lon, lat, magnitude, hours_ago=hours_ago),
        django_capture_on_commit_callbacks,
        source=source,
    )
    assert not Meeting.objects.exists()


def test_distance_beyond_the_jurisdiction_counts(jx, jx_chair, django_capture_on_commit_callbacks, as_actor):
    # JX's test box ends at 118.5°E; 119.0°E at 28°N is ~49 km east of it
    quake = _quake(jx, 119.0, 28.0, 4.5, place="浙江衢州")
    AlertRule.objects.create(bureau=jx, threshold_magnitude=Decimal("4.0"), distance_km=30)
    _arrive(quake, django_capture_on_commit_callbacks)
    assert not Meeting.objects.exists()
    AlertRule.objects.filter(bureau=jx).update(distance_km=80)
    _arrive(quake, django_capture_on_commit_callbacks)
    assert Meeting.objects.get().bureau == jx


def test_topic_report_arriving_later_is_attached(jx, jx_chair, django_capture_on_commit_callbacks):
    AlertRule.objects.create(bureau=jx, topic_report=False)  # only the meeting opens on arrival
    quake = _quake(jx, 115.0, 29.0, 4.1)
    _arrive(quake, django_capture_on_commit_callbacks)
    report = TopicReportFactory(bureau=jx, event=quake)
    # reports tells through the hook, twice; consultations enqueues the attach task with the id
    with django_capture_on_commit_callbacks(execute=True):
        hooks.fire("topic_report.ready", report_id=report.pk, event_id=quake.pk, bureau_id=jx.pk)
    with django_capture_on_commit_callbacks(execute=True):
        hooks.fire("topic_report.ready", report_id=report.pk, event_id=quake.pk, bureau_id=jx.pk)
    meeting = Meeting.objects.get()
    assert meeting.materials.filter(kind="event", object_id=str(quake.pk)).count() == 1
    late = meeting.materials.get(kind="report", object_id=str(report.pk))
    assert late.url == report.get_absolute_url()
    assert meeting.room_events.filter(kind="material", payload__title=late.title).count() == 1


def test_topic_report_for_a_bureau_without_meeting_is_ignored(jx):
    report = TopicReportFactory(bureau=jx)
    assert topic_report_services.topic_report_attach(report_id=report.pk) is None
    assert topic_report_services.topic_report_attach(report_id=999_999) is None
    assert not MeetingMaterial.objects.exists()


def test_a_bureau_whose_rule_opens_no_meeting_gets_none(jx, jx_chair, django_capture_on_commit_callbacks):
    AlertRule.objects.create(bureau=jx, emergency_meeting=False)
    _arrive(_quake(jx, 115.0, 29.0, 5.5), django_capture_on_commit_callbacks)
    assert not Meeting.objects.exists()


def test_emergency_rule_is_set_by_admin_or_chair_only(jx, jx_viewer, as_actor):
    from portal.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        emergency_services.emergency_settings_save(
            actor=as_actor(jx_viewer), emergency_magnitude="5", on_duty=[]
        )
