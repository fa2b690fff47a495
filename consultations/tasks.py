"""Celery tasks of consultations: the reactions to an arrived quake and to a built report.

Each takes ids, re-fetches, calls one service and is idempotent; a transient database
error retries it on its own (the other reactions of the same quake go on regardless).
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services.emergency import emergency_meeting_open
from .services.topic_reports import topic_report_attach, topic_report_attach_ready

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 5,
    "retry_kwargs": {"max_retries": 5},
    "time_limit": 60,
    "soft_time_limit": 50,
}


@shared_task(name="consultations.open_emergency_meeting", **RETRY)
def open_emergency_meeting_task(*, event_id: int, bureau_id: int) -> int | None:
    """catalog.arrival, action ``emergency_meeting``: open the bureau's meeting on the quake."""
    meeting = emergency_meeting_open(event_id=event_id, bureau_id=bureau_id)
    return meeting.pk if meeting is not None else None


@shared_task(name="consultations.attach_topic_report", **RETRY)
def attach_topic_report_task(*, report_id: int) -> int | None:
    """A special-topic report was built: put it before its bureau's meeting on the quake."""
    material = topic_report_attach(report_id=report_id)
    return material.pk if material is not None else None


@shared_task(name="consultations.attach_ready_topic_report", **RETRY)
def attach_ready_topic_report_task(*, event_id: int, bureau_id: int) -> int | None:
    """A meeting on the quake just opened: put the bureau's report before it if already ready."""
    material = topic_report_attach_ready(event_id=event_id, bureau_id=bureau_id)
    return material.pk if material is not None else None
