"""Celery tasks of flows: start a run (send its canvas), run one node, finish a run, fire a
schedule or a happening's trigger. Ids only; each calls one service and is idempotent."""

from __future__ import annotations

import logging
from typing import Any

from celery import chain, group, shared_task

from portal.jobs import run_guarded
from products.services.execution import transient_errors

from .registry import TransientNodeError, node_type
from .services import runs as run_services
from .services import triggers as trigger_services

logger = logging.getLogger(__name__)


def _node_signature(run_id: int, node_id: str, type_name: str) -> Any:
    kind = node_type(type_name)
    limit = kind.time_limit if kind is not None else 60
    return flow_run_node_task.si(run_id=run_id, node_id=node_id).set(
        time_limit=limit + 30, soft_time_limit=limit
    )


def canvas(run_id: int, layers: list[list[str]], types: dict[str, str]) -> Any:
    """The run as Celery's canvas: a chain of the graph's layers (a layer of several nodes a
    group, so the next step waits for all of them: a chord), then the finishing task."""
    steps = []
    for layer in layers:
        signatures = [_node_signature(run_id, node_id, types[node_id]) for node_id in layer]
        steps.append(signatures[0] if len(signatures) == 1 else group(signatures))
    steps.append(flow_run_finish_task.si(run_id=run_id))
    return chain(*steps)


@shared_task(name="flows.run_start", time_limit=60, acks_late=True)
def flow_run_start_task(*, run_id: int) -> str | None:
    layers = run_guarded("flows.run", run_id, lambda: run_services.run_begin(run_id=run_id))
    if not layers:
        return None
    types = run_services.node_types_of(run_id=run_id)
    canvas(run_id, layers, types).apply_async()
    return "sent"


@shared_task(bind=True, name="flows.run_node", acks_late=True, max_retries=None)
def flow_run_node_task(self, *, run_id: int, node_id: str) -> str | None:  # type: ignore[no-untyped-def]
    kind = run_services.node_kind_of(run_id=run_id, node_id=node_id)
    retries = kind.retries if kind is not None else 0
    final = self.request.retries >= retries
    try:
        return run_services.node_execute(run_id=run_id, node_id=node_id, final_attempt=final)
    except (TransientNodeError, *transient_errors()) as exc:
        raise self.retry(exc=exc, countdown=min(2**self.request.retries, 30)) from exc
    except Exception:  # whatever happened, the node ends failed and the canvas goes on to the end
        logger.exception("flow run %s node %s", run_id, node_id)
        run_services.node_fail_by_ids(run_id=run_id, node_id=node_id, message="internal error")
        return "failed"


@shared_task(name="flows.run_finish", time_limit=60, acks_late=True)
def flow_run_finish_task(*args: Any, run_id: int) -> str | None:
    run = run_guarded("flows.run", run_id, lambda: run_services.run_complete(run_id=run_id))
    return run.status if run is not None else None


@shared_task(name="flows.scheduled_run", time_limit=60)
def flow_schedule_task(*, flow_id: int) -> int | None:
    run = trigger_services.schedule_fire(flow_id=flow_id)
    return run.pk if run is not None else None


@shared_task(name="flows.trigger", time_limit=120, autoretry_for=transient_errors(), max_retries=3)
def flow_trigger_task(*, kind: str, bureau_id: int | None, payload: dict[str, Any]) -> list[int]:
    return trigger_services.happening(kind=kind, bureau_id=bureau_id, payload=payload)
