"""What the apps below tell flows, and how: each callback only enqueues ``flows.trigger(kind,
bureau_id, payload)`` with ids and small dicts (``flows.services.triggers.happening`` then
reads what it needs and starts the bureau's enabled flows whose trigger matches).

* a quake arrived: ``catalog.arrival.register_listener``, once per concerned bureau, with
  ``{"event_id", "inside", "distance_km"}`` (the trigger's region and magnitude filter apply);
* the special-topic report: ``catalog.arrival.register_replacement``: a bureau whose enabled
  flow on the quake makes the report itself gets no second one from the portal's reaction;
* ``quick_report.received`` → ``{"event_id", "message"}``;
* ``series.written`` → one happening per channel, ``{"channel", "series": {"series": [{"channel",
  "start", "end"}]}}`` (the transaction's whole span of the channel: one import, one run);
* ``anomaly.moved`` → ``{"anomaly": {"id", "state", "action", "discipline"}, "from_run"}``.

Connected from ``FlowsConfig.ready()`` (:func:`connect`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from catalog.arrival import Concern
    from catalog.models import Event

FROM_RUN = re.compile(r"^flow run (\d+)$")  # CreateAnomaly's product_reference


def _enqueue(kind: str, bureau_id: int, payload: dict[str, Any]) -> None:
    from .tasks import flow_trigger_task

    flow_trigger_task.delay(kind=kind, bureau_id=bureau_id, payload=payload)


def quake_concerns(event: Event, concern: Concern) -> None:
    _enqueue(
        "quake",
        concern.bureau.pk,
        {"event_id": event.pk, "inside": concern.inside, "distance_km": round(concern.distance_km, 3)},
    )


def quick_report_received(*, message_id: int, event_id: int, bureau_id: int, **_: Any) -> None:
    _enqueue("quick_report", bureau_id, {"event_id": event_id, "message": message_id})


def series_written(*, bureau_id: int, spans: dict[int, tuple[str, str]], **_: Any) -> None:
    for channel_id, (start, end) in spans.items():
        part = {"channel": channel_id, "start": start, "end": end}
        _enqueue("series", bureau_id, {"channel": channel_id, "series": {"series": [part]}})


def anomaly_moved(
    *,
    anomaly_id: int,
    bureau_id: int,
    state: str,
    action: str,
    discipline: str = "",
    product_reference: str = "",
    **_: Any,
) -> None:
    payload: dict[str, Any] = {
        "anomaly": {"id": anomaly_id, "state": state, "action": action, "discipline": discipline}
    }
    made_by = FROM_RUN.match(product_reference or "")
    if made_by:  # an anomaly a flow created does not start that same flow again (no loop)
        payload["from_run"] = int(made_by.group(1))
    _enqueue("anomaly", bureau_id, payload)


def topic_report_replaced(event: Event, concern: Concern) -> bool:
    from catalog.models import AlertAction

    from .services.triggers import flow_replaces

    return flow_replaces(AlertAction.TOPIC_REPORT, event, concern)


def connect() -> None:
    from catalog import arrival
    from catalog.models import AlertAction
    from portal.hooks import hook

    arrival.register_listener(quake_concerns)
    arrival.register_replacement(AlertAction.TOPIC_REPORT, topic_report_replaced)
    hook("quick_report.received")(quick_report_received)
    hook("series.written")(series_written)
    hook("anomaly.moved")(anomaly_moved)
