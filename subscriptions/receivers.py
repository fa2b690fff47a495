"""Where subscriptions hear of things: a quake's arrival (``catalog.arrival`` listener) and a
built special-topic report (the ``topic_report.ready`` hook). Each only enqueues a task with ids;
the matching is idempotent (one notice per subscription, thing and version)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.arrival import register_listener
from portal.hooks import hook

if TYPE_CHECKING:
    from catalog.arrival import Concern
    from catalog.models import Event


@register_listener
def on_arrival(event: Event, concern: Concern) -> None:
    from .tasks import match_event_task

    match_event_task.delay(event_id=event.pk)


@hook("topic_report.ready")
def on_topic_report(*, report_id: int, event_id: int, bureau_id: int) -> None:
    from .tasks import match_topic_report_task

    match_topic_report_task.delay(report_id=report_id, event_id=event_id)
