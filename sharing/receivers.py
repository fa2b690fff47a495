"""Where pushes hear of new data: a quake's arrival (``catalog.arrival`` listener), new series
(``series.written``) and a built special-topic report (``topic_report.ready``). Each only
enqueues a task with ids; the announcement is told once per push and thing (PushNotice)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from catalog.arrival import register_listener
from portal.hooks import hook

if TYPE_CHECKING:
    from catalog.arrival import Concern
    from catalog.models import Event


@register_listener
def on_arrival(event: Event, concern: Concern) -> None:
    from .tasks import announce_event_task

    announce_event_task.delay(event_id=event.pk)


@hook("series.written")
def on_series(*, bureau_id: int, spans: dict[int, tuple[str, str]]) -> None:
    from .tasks import announce_series_task

    announce_series_task.delay(bureau_id=bureau_id, channel_ids=sorted(int(pk) for pk in spans))


@hook("topic_report.ready")
def on_topic_report(*, report_id: int, event_id: int, bureau_id: int) -> None:
    from .tasks import announce_topic_report_task

    announce_topic_report_task.delay(report_id=report_id)
