"""Attaching a special-topic report to the emergency meeting of its event."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.selectors import event_get_for_worker
from consultations.models import Meeting, MeetingMaterial
from reports.models import TopicReport
from reports.selectors import topic_report_find, topic_report_get_for_worker

from .meetings import material_attach


def attach_report_material(meeting: Meeting, report: TopicReport) -> MeetingMaterial:
    """Put the report before the meeting (once: material_attach skips a second one)."""
    return material_attach(
        actor=None,
        meeting=meeting,
        kind=MeetingMaterial.Kind.REPORT,
        object_id=str(report.pk),
        title=_("Special-topic report: %(event)s") % {"event": report.event},
        url=report.get_absolute_url(),
    )


@transaction.atomic
def topic_report_attach(*, report_id: int) -> MeetingMaterial | None:
    """A special-topic report built after the meeting opened: put it before the meeting.

    None when the report is gone or its bureau has no meeting on the quake.
    """
    report = topic_report_get_for_worker(report_id=report_id)
    if report is None:
        return None
    meeting = Meeting.objects.filter(bureau_id=report.bureau_id, trigger_event_id=report.event_id).first()
    if meeting is None:
        return None
    return attach_report_material(meeting, report)


@transaction.atomic
def topic_report_attach_ready(*, event_id: int, bureau_id: int) -> MeetingMaterial | None:
    """Right after the bureau's meeting on the quake opened: its report of the event's
    current version, if ready already, goes before the meeting. None otherwise."""
    event = event_get_for_worker(event_id=event_id)
    meeting = Meeting.objects.filter(bureau_id=bureau_id, trigger_event_id=event_id).first()
    if event is None or meeting is None:
        return None
    report = topic_report_find(bureau_id=bureau_id, event_id=event_id, event_version=event.version)
    if report is None or report.status != TopicReport.Status.READY:
        return None
    return attach_report_material(meeting, report)
