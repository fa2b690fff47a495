"""Attaching a special-topic report to the emergency meeting of its event."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch
from django.utils.translation import gettext as _

from ..models import (
    Meeting,
    MeetingMaterial,
)
from .meetings import material_attach

logger = logging.getLogger(__name__)


def _reports_selectors() -> Any:
    try:
        from reports import selectors as report_selectors
    except ImportError:  # the reports app is not installed in this deployment
        return None
    return report_selectors


def _topic_report_for(*, event_id: int, bureau_id: int, event_version: int) -> Any:
    """The reports app's ready special-topic report of this quake for this bureau, if any."""
    finder = getattr(_reports_selectors(), "topic_report_find", None)
    if finder is None:
        return None
    try:
        report = finder(bureau_id=bureau_id, event_id=event_id, event_version=event_version)
    except Exception:  # another app's lookup failing must not stop the meeting opening
        logger.exception("topic report lookup failed for event %s", event_id)
        return None
    return report if report is not None and getattr(report, "status", "ready") == "ready" else None


def _attach_topic_report(meeting: Meeting, report: Any) -> MeetingMaterial:
    event = getattr(report, "event", None)
    title = _("Special-topic report: %(event)s") % {"event": event} if event else _("Special-topic report")
    url = ""
    try:
        url = report.get_absolute_url()
    except (AttributeError, NoReverseMatch):
        url = ""
    return material_attach(
        actor=None,
        meeting=meeting,
        kind=MeetingMaterial.Kind.REPORT,
        object_id=str(report.pk),
        title=title,
        url=url,
    )


@transaction.atomic
def topic_report_attach(*, report_id: int, event_id: int, bureau_id: int) -> MeetingMaterial | None:
    """A special-topic report built after the meeting opened: put it before the meeting."""
    meeting = Meeting.objects.filter(bureau_id=bureau_id, trigger_event_id=event_id).first()
    if meeting is None:
        return None
    getter = getattr(_reports_selectors(), "topic_report_get_for_worker", None)
    report = getter(report_id=report_id) if getter else None
    if report is not None:
        return _attach_topic_report(meeting, report)
    return material_attach(
        actor=None,
        meeting=meeting,
        kind=MeetingMaterial.Kind.REPORT,
        object_id=str(report_id),
        title=_("Special-topic report"),
    )
