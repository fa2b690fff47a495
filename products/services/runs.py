"""The run lifecycle: requesting, rerunning and failing runs (``WORKFLOW``).

    queued --start--> running --succeed/reuse--> succeeded
    queued/running --fail--> failed --rerun--> queued    (the requester is told of a failure)
    running --rerun--> queued                            (a person: a run stuck past its limit)
    running --recover--> queued                          (the watchdog: its worker died)

Every move but rerun is the system's (the worker, the watchdog): ``actor=None``.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import PermissionDenied
from portal.models import Bureau, Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    by_the_system,
    register,
    register_labels,
    row_lock,
    transition,
)
from products import provenance
from products.models import ProductRun, ProductSchedule, RunStatus
from products.permissions import can_rerun_run, can_run_products

from .live import _announce, run_event, run_group, runs_group
from .run_requests import run_request_clean

if TYPE_CHECKING:
    from portal.tenancy import Actor

TIME_LIMIT = 900  # seconds a run may take (hard limit of the products.run task)
SOFT_TIME_LIMIT = 840
MAX_ATTEMPTS = 3
STALE_QUEUED = timedelta(minutes=10)  # a queued run whose message was lost


# The run, locked and read again (a stale instance of the caller is not trusted).
_lock = row_lock(ProductRun, "bureau", "requested_by")


def _live(run: ProductRun, action: str) -> list[tuple[str, dict[str, Any]]]:
    event = run_event(run)
    return [(run_group(run), event), (runs_group(run.bureau_id), event)]


def _to_the_requester_on_failure(run: ProductRun, actor: Actor | None, comment: str) -> list[Handoff]:
    """Never silent: whoever asked for the run (a schedule's runs: its creator) is told why;
    a run nobody asked for any more (the person left) goes to the bureau's forecasters."""
    people = (
        [run.requested_by]
        if run.requested_by is not None and run.requested_by.is_active
        else bureau_role_holders(bureau=run.bureau_id, roles=[Role.FORECASTER])
    )
    return [
        Handoff(
            people,
            title=_("Product run failed: %(method)s #%(id)d") % {"method": run.method, "id": run.pk},
            body=run.error[:500],
            level=Notification.Level.WARNING,
            kind="products.run_failed",
        )
    ]


# Every move of a run is audited, the worker's too: a run makes three to five rows
# (queued, running, succeeded or failed, a requeue now and then), and scheduled runs are a few
# a day per bureau, so the trail stays small while answering "why did this run end so".
# Progress within "running" is not a move (``execution.run_progress``: no audit row).
WORKFLOW = register(
    Workflow(
        name="product_run",
        model=ProductRun,
        state_field="status",
        noun=gettext_lazy("product run"),
        lock=_lock,
        url=lambda run: run.get_absolute_url(),
        live=_live,
        transitions={
            "start": Transition(
                frozenset({RunStatus.QUEUED}), RunStatus.RUNNING, by_the_system, gettext_lazy("run started")
            ),
            "succeed": Transition(
                frozenset({RunStatus.RUNNING}),
                RunStatus.SUCCEEDED,
                by_the_system,
                gettext_lazy("run computed"),
            ),
            "reuse": Transition(
                frozenset({RunStatus.RUNNING}),
                RunStatus.SUCCEEDED,
                by_the_system,
                gettext_lazy("run succeeded with a stored result"),
            ),
            "fail": Transition(
                frozenset({RunStatus.QUEUED, RunStatus.RUNNING}),
                RunStatus.FAILED,
                by_the_system,
                gettext_lazy("run failed"),
                notify=_to_the_requester_on_failure,
            ),
            "rerun": Transition(
                frozenset({RunStatus.FAILED, RunStatus.RUNNING}),
                RunStatus.QUEUED,
                can_rerun_run,
                gettext_lazy("queued to run again"),
                gettext_lazy("Run again"),
                audit_action="product_run.requeue",
            ),
            "recover": Transition(
                frozenset({RunStatus.RUNNING}),
                RunStatus.QUEUED,
                by_the_system,
                gettext_lazy("run queued again: its worker ended"),
            ),
        },
    )
)
register_labels({"product_run.create": gettext_lazy("run requested")})

# Parameters of sequence methods that choose the input rather than tune the method.


def _enqueue_on_commit(run: ProductRun) -> None:
    from products.tasks import product_run_task

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
    series: Any = None,
    schedule: ProductSchedule | None = None,
    enqueue: bool = True,
) -> ProductRun:
    """Queue a run of ``method`` for the actor's bureau; the task starts after commit.

    Raises PermissionDenied, RunRequestInvalid.
    """
    if (
        not can_run_products(actor, method=method, series=series not in (None, [], {}))
        or actor.bureau is None
    ):
        raise PermissionDenied(
            _("Only forecasters and experts of the method's discipline of a bureau run products.")
        )
    return _run_create(
        bureau=actor.bureau,
        user=actor.user,
        method=method,
        params=params,
        catalog=catalog,
        series=series,
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
    series: Any = None,
) -> ProductRun:
    method, clean, selection = run_request_clean(
        bureau=bureau, method=method, params=params, catalog=catalog, series=series
    )
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
    _announce(run)  # a new row: no move, so no workflow broadcast
    if enqueue:
        _enqueue_on_commit(run)
    return run


@transaction.atomic
def run_request_for_bureau(
    *, bureau: Bureau, method: Any, params: Any = None, catalog: Any = None, series: Any = None
) -> ProductRun:
    """A run the system requests for a bureau (a trend report's missing product), as a
    schedule's beat run is: no person acts, the run reads what the bureau reads. Not
    enqueued: the caller executes it (``execution.run_execute``). Raises RunRequestInvalid.
    """
    return _run_create(
        bureau=bureau,
        user=None,
        method=method,
        params=params,
        catalog=catalog,
        series=series,
        schedule=None,
        enqueue=False,
        actor=None,
    )


@transaction.atomic
def run_rerun(*, actor: Actor, run: ProductRun) -> ProductRun:
    """Run a failed (or stuck) run again; a queued or succeeded run is returned unchanged.

    Idempotent: rerunning twice queues one execution; a succeeded run keeps its
    result (to compute over today's catalog, request a new run). Raises
    PermissionDenied.
    """
    run = _lock(actor, run)
    WORKFLOW.check_permission(actor, run, "rerun")  # 403 whatever the state
    if run.status in (RunStatus.QUEUED, RunStatus.SUCCEEDED):
        return run
    if run.status == RunStatus.RUNNING and not _is_stale(run, timezone.now()):
        return run  # still working: a second execution would only race the first
    return _requeue(run, "rerun", actor=actor, comment="rerun")


def _is_stale(run: ProductRun, now: datetime) -> bool:
    return run.started_at is None or run.started_at < now - timedelta(seconds=TIME_LIMIT + 60)


def _requeue(run: ProductRun, action: str, *, actor: Actor | None, comment: str) -> ProductRun:
    """running/failed -> queued with a new task id (``rerun`` by a person, ``recover`` by the watchdog)."""
    run = transition(
        run,
        action,
        actor,
        comment,
        workflow=WORKFLOW,
        progress=0,
        progress_note="",
        error="",
        task_id=uuid.uuid4().hex,
        queued_at=timezone.now(),
        started_at=None,
        finished_at=None,
    )
    _enqueue_on_commit(run)
    return run


def _fail(run: ProductRun, message: str, refused: dict[str, Any] | None = None) -> ProductRun:
    """queued/running -> failed; the person who asked is told (the workflow's hand-off).
    ``refused`` (a method's "too little data": have, need, detail) is kept in the provenance so
    each reader gets the refusal in their own language (``ProductRun.error_text``)."""
    extra: dict[str, Any] = {"provenance": {**run.provenance, "refused": refused}} if refused else {}
    return transition(
        run, "fail", None, message, workflow=WORKFLOW, error=message, finished_at=timezone.now(), **extra
    )


def run_fail_by_id(*, run_id: int, message: str) -> None:
    """Fail a queued or running run (the task guard's last resort); others are left alone."""
    run = ProductRun.objects.filter(pk=run_id).first()
    if run is not None:
        run_fail(run=run, message=message)


@transaction.atomic
def run_fail(
    *, run: ProductRun, message: str, task_id: str = "", refused: dict[str, Any] | None = None
) -> ProductRun:
    """RUNNING (or QUEUED) -> FAILED with a message people can act on."""
    run = _lock(None, run)
    if task_id and run.task_id != task_id:
        return run
    if run.status not in WORKFLOW.transitions["fail"].sources:
        return run
    return _fail(run, message, refused)
