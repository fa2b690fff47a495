"""Where subscriptions hear of things, each only enqueuing a task with ids (the matching is
idempotent: one notice per subscription, thing and version):

* every fresh arrival of a quake, once, whether it concerns a bureau or none
  (``catalog.arrival.register_arrival_listener``): a person's region may hold a quake abroad,
  or one below every bureau's threshold, that no bureau acts on;
* a built special-topic report (the ``topic_report.ready`` hook);
* an anomaly reported, verified or assessed (the ``anomaly.moved`` hook; its other moves are
  not told).

The products of the apps above (a monthly trend report issued, a post-quake opinion) are
announced by those apps calling ``services.notices.product_announce`` from their own tasks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog.arrival import register_arrival_listener
from portal.hooks import hook

from .services.notices import ANOMALY_MOVES

if TYPE_CHECKING:
    from catalog.models import Event


@register_arrival_listener
def on_arrival(event: Event) -> None:
    from .tasks import match_event_task

    match_event_task.delay(event_id=event.pk)


@hook("topic_report.ready")
def on_topic_report(*, report_id: int, event_id: int, bureau_id: int, **_: Any) -> None:
    from .tasks import match_topic_report_task

    match_topic_report_task.delay(report_id=report_id, event_id=event_id)


@hook("anomaly.moved")
def on_anomaly_moved(*, anomaly_id: int, bureau_id: int, action: str, **_: Any) -> None:
    if action not in ANOMALY_MOVES:
        return
    from .tasks import match_anomaly_task

    match_anomaly_task.delay(anomaly_id=anomaly_id, bureau_id=bureau_id, action=action)
