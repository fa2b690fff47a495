"""The run lifecycle: requesting, rerunning and failing runs (``TRANSITIONS``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import Bureau, Notification
from portal.services import audit_record, notify_user
from portal.tenancy import Actor

from .. import provenance
from ..models import ProductRun, ProductSchedule, RunStatus
from ..permissions import can_rerun_run, can_run_products
from .live import _announce
from .run_requests import run_request_clean

TIME_LIMIT = 900  # seconds a run may take (hard limit of the products.run task)
SOFT_TIME_LIMIT = 840
MAX_ATTEMPTS = 3
STALE_QUEUED = timedelta(minutes=10)  # a queued run whose message was lost


TRANSITIONS: dict[str, set[str]] = {
    RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.FAILED},
    RunStatus.RUNNING: {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.QUEUED},
    RunStatus.FAILED: {RunStatus.QUEUED},
    RunStatus.SUCCEEDED: set(),
}

# Parameters of sequence methods that choose the input rather than tune the method.


def _enqueue_on_commit(run: ProductRun) -> None:
    from ..tasks import product_run_task

    kwargs = {"bureau_id": run.bureau_id, "run_id": run.pk}
    task_id = run.task_id
    # robust: with the broker down the run stays queued (and is requeued by the beat job)
    # instead of turning the request that stored it into an error.
    transaction.on_commit(lambda: product_run_task.apply_async(kwargs=kwargs, task_id=task_id), robust=True)


@transaction.atomic
def run_create(
    *,
    actor: Actor,
    method: Any,
    params: Any = None,
    catalog: Any = None,
    schedule: ProductSchedule | None = None,
    enqueue: bool = True,
) -> ProductRun:
    """Queue a run of ``method`` for the actor's bureau; the task starts after commit.

    Raises PermissionDenied, RunRequestInvalid.
    """
    if not can_run_products(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only forecasters and seismology experts of a bureau run products."))
    return _run_create(
        bureau=actor.bureau,
        user=actor.user,
        method=method,
        params=params,
        catalog=catalog,
        schedule=schedule,
        enqueue=enqueue,
        actor=actor,
    )


def _run_create(
    *,
    bureau: Bureau,
    user: Any,
    method: Any,
    params: Any,
    catalog: Any,
    schedule: ProductSchedule | None,
    enqueue: bool,
    actor: Actor | None,
) -> ProductRun:
    method, clean, selection = run_request_clean(bureau=bureau, method=method, params=params, catalog=catalog)
    now = timezone.now()
    run = ProductRun.objects.create(
        bureau=bureau,
        method=method,
        params=clean,
        selection=selection,
        status=RunStatus.QUEUED,
        params_hash=provenance.params_hash(method, clean),
        provenance=provenance.record(method=method, params=clean, selection=selection),
        schedule=schedule,
        requested_by=user if getattr(user, "pk", None) else None,
        task_id=uuid.uuid4().hex,
        queued_at=now,
    )
    audit_record(
        actor=actor if actor is not None else None,
        action="product_run.create",
        target=run,
        bureau=bureau,
        to_state=RunStatus.QUEUED,
        extra={"method": method, "schedule": schedule.pk if schedule else None},
    )
    _announce(run)
    if enqueue:
        _enqueue_on_commit(run)
    return run


def _require(run: ProductRun, to: str) -> None:
    if to not in TRANSITIONS[run.status]:
        raise InvalidTransition(_("A %(from)s run cannot become %(to)s.") % {"from": run.status, "to": to})


@transaction.atomic
def run_rerun(*, actor: Actor, run: ProductRun) -> ProductRun:
    """Run a failed (or stuck) run again; a queued or succeeded run is returned unchanged.

    Idempotent: rerunning twice queues one execution; a succeeded run keeps its
    result (to compute over today's catalog, request a new run). Raises
    PermissionDenied.
    """
    run = ProductRun.objects.select_for_update().get(pk=run.pk)
    if not can_rerun_run(actor, run):
        raise PermissionDenied(_("Only forecasters of the run's bureau may run it again."))
    if run.status in (RunStatus.QUEUED, RunStatus.SUCCEEDED):
        return run
    if run.status == RunStatus.RUNNING and not _is_stale(run, timezone.now()):
        return run  # still working: a second execution would only race the first
    return _requeue(run, actor=actor, comment="rerun")


def _is_stale(run: ProductRun, now: datetime) -> bool:
    return run.started_at is None or run.started_at < now - timedelta(seconds=TIME_LIMIT + 60)


def _requeue(run: ProductRun, *, actor: Actor | None, comment: str) -> ProductRun:
    _require(run, RunStatus.QUEUED)
    previous = run.status
    run.status = RunStatus.QUEUED
    run.progress = 0
    run.progress_note = ""
    run.error = ""
    run.task_id = uuid.uuid4().hex
    run.queued_at = timezone.now()
    run.started_at = None
    run.finished_at = None
    run.save(
        update_fields=[
            "status",
            "progress",
            "progress_note",
            "error",
            "task_id",
            "queued_at",
            "started_at",
            "finished_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="product_run.requeue",
        target=run,
        from_state=previous,
        to_state=RunStatus.QUEUED,
        comment=comment,
    )
    _announce(run)
    _enqueue_on_commit(run)
    return run


def _fail(run: ProductRun, message: str) -> ProductRun:
    previous = run.status
    _require(run, RunStatus.FAILED)
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    audit_record(
        actor=None,
        action="product_run.fail",
        target=run,
        from_state=previous,
        to_state=RunStatus.FAILED,
        comment=message,
    )
    _announce(run)
    if run.requested_by_id is not None:  # never silent: the person who asked is told why
        notify_user(
            user=run.requested_by,
            bureau=run.bureau,
            title=_("Product run failed: %(method)s #%(id)d") % {"method": run.method, "id": run.pk},
            body=message[:500],
            url=run.get_absolute_url(),
            level=Notification.Level.WARNING,
            kind="products.run_failed",
        )
    return run


def run_fail_by_id(*, run_id: int, message: str) -> None:
    """Fail a queued or running run (the task guard's last resort); others are left alone."""
    run = ProductRun.objects.filter(pk=run_id).first()
    if run is not None:
        run_fail(run=run, message=message)


@transaction.atomic
def run_fail(*, run: ProductRun, message: str, task_id: str = "") -> ProductRun:
    """RUNNING (or QUEUED) -> FAILED with a message people can act on."""
    run = ProductRun.objects.select_for_update().get(pk=run.pk)
    if task_id and run.task_id != task_id:
        return run
    if run.status not in (RunStatus.RUNNING, RunStatus.QUEUED):
        return run
    return _fail(run, message)
