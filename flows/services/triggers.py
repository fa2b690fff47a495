"""What starts runs besides a person: schedules (one django-celery-beat ``PeriodicTask`` per
flow with a schedule trigger, enabled while the flow's triggers are), and happenings told by
the apps below through ``catalog.arrival`` and ``portal.hooks`` (a quake arrived, a quick
report was received, new series data, an anomaly changed state). A happening's callback only
enqueues ``flows.trigger`` with ids; ``happening`` then finds the flows of the concerned
bureau whose trigger nodes match and whose triggers the bureau admin enabled."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings

from flows import selectors

from .runs import run_request_for_trigger

if TYPE_CHECKING:
    from flows.models import Flow, FlowRun

logger = logging.getLogger(__name__)

SCHEDULE_TASK = "flows.scheduled_run"
TRIGGER_TYPES = {
    "quake": "trigger.quake",
    "quick_report": "trigger.quick_report",
    "series": "trigger.series_data",
    "anomaly": "trigger.anomaly",
    "schedule": "trigger.schedule",
}


def _schedule_node(flow: Flow) -> dict[str, Any] | None:
    version = flow.current_version
    if version is None:
        return None
    return next((n for n in version.definition["nodes"] if n["type"] == "trigger.schedule"), None)


def schedule_sync(flow: Flow) -> None:
    """Create, update or disable the flow's beat entry from its schedule trigger node."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    name = f"flows:{flow.bureau_id}:{flow.pk}"
    node = _schedule_node(flow)
    task = PeriodicTask.objects.filter(name=name).first()
    if node is None:
        if task is not None:
            task.enabled = False
            task.save()
        return
    params = node["params"]
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=params.get("minute", "0"),
        hour=params.get("hour", "6"),
        day_of_week=params.get("day_of_week", "*"),
        day_of_month=params.get("day_of_month", "*"),
        month_of_year=params.get("month_of_year", "*"),
        timezone=settings.TIME_ZONE,  # crontab times are Beijing time
    )
    task = task or PeriodicTask(name=name)
    task.task = SCHEDULE_TASK
    task.crontab = crontab
    task.interval = None
    task.kwargs = json.dumps({"flow_id": flow.pk})
    task.enabled = bool(flow.triggers_enabled)
    task.description = f"flow {flow.pk}: {flow.name}"[:200]
    task.save()  # save() so beat notices the change


def schedule_fire(*, flow_id: int) -> FlowRun | None:
    flow = selectors.flow_get_for_worker(flow_id=flow_id)
    if flow is None or _schedule_node(flow) is None:
        return None
    return run_request_for_trigger(flow=flow, trigger={"kind": "schedule"})


def _matches(node: dict[str, Any], kind: str, payload: dict[str, Any], flow: Flow) -> bool:
    params = node["params"]
    if kind in ("quake", "quick_report"):
        event = payload.get("event") or {}
        if (event.get("magnitude") or -99) < params.get("min_magnitude", 0.0):
            return False
        if kind == "quake" and params.get("region") == "box":
            return (
                params["minlatitude"] <= event.get("latitude", 999) <= params["maxlatitude"]
                and params["minlongitude"] <= event.get("longitude", 999) <= params["maxlongitude"]
            )
        if kind == "quake" and params.get("region", "jurisdiction") == "jurisdiction":
            return bool(payload.get("inside", True))
        return True
    if kind == "series":
        return payload.get("channel") in set(params.get("channels") or [])
    if kind == "anomaly":
        states = params.get("states") or []
        return not states or payload.get("anomaly", {}).get("state") in states
    return True


def _completed(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload with the event a happening names by id (``event_id``) read once, as it
    travels between nodes; None when the event is gone."""
    if "event_id" not in payload or "event" in payload:
        return payload
    from catalog.selectors import event_get_for_worker
    from flows.nodes.sources import event_payload

    event = event_get_for_worker(event_id=int(payload["event_id"]))
    if event is None:
        return None
    return {**payload, "event": event_payload(event)}


def happening(*, kind: str, bureau_id: int | None, payload: dict[str, Any]) -> list[int]:
    """Start the enabled flows of ``bureau_id`` whose trigger of ``kind`` matches ``payload``."""
    started: list[int] = []
    flows = selectors.flows_triggered(bureau_id=bureau_id, trigger_type=TRIGGER_TYPES[kind])
    if not flows:
        return started
    completed = _completed(payload)
    if completed is None:
        return started
    payload = completed
    made_by = selectors.run_flow_id(run_id=payload["from_run"]) if payload.get("from_run") else None
    for flow in flows:
        version = flow.current_version
        if version is None or flow.pk == made_by:  # a flow's own anomaly does not start it again
            continue
        nodes = [n for n in version.definition["nodes"] if n["type"] == TRIGGER_TYPES[kind]]
        if not any(_matches(node, kind, payload, flow) for node in nodes):
            continue
        run = run_request_for_trigger(flow=flow, trigger={"kind": kind, **payload})
        if run is not None:
            started.append(run.pk)
    return started


#: Node types that do an alert action themselves, besides those declaring it
#: (``NodeType.replaces_alert_action``): the built-in topic-report node of the flow store.
REPLACING_TYPES: dict[str, frozenset[str]] = {"topic_report": frozenset({"output.topic_report"})}


def _does(action: str, type_name: str) -> bool:
    from flows.registry import node_type

    kind = node_type(type_name)
    if kind is None:
        return False
    return kind.replaces_alert_action == action or type_name in REPLACING_TYPES.get(action, frozenset())


def flow_replaces(action: str, event: Any, concern: Any) -> bool:
    """Whether an enabled flow of the concerned bureau, started by this quake (its quake
    trigger matches), does the alert ``action`` itself (holds a node type whose
    ``replaces_alert_action`` is ``action``): then the portal's own reaction yields."""
    from flows.nodes.sources import event_payload

    payload = {"event": event_payload(event), "inside": concern.inside, "distance_km": concern.distance_km}
    for flow in selectors.flows_triggered(bureau_id=concern.bureau.pk, trigger_type=TRIGGER_TYPES["quake"]):
        version = flow.current_version
        if version is None:
            continue
        nodes = version.definition["nodes"]
        does_it = any(_does(action, n["type"]) for n in nodes)
        if does_it and any(
            _matches(n, "quake", payload, flow) for n in nodes if n["type"] == TRIGGER_TYPES["quake"]
        ):
            return True
    return False
