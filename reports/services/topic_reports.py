"""Special-topic reports: the workflow (``WORKFLOW``), queueing a bureau's report of an
arriving quake, the worker's moves and the watchdog of abandoned builds.

Topic report workflow (``WORKFLOW``, moved by ``portal.workflow.transition``: it locks the
row, checks the right before the state, saves, audits, tells and broadcasts):

    queued --start--> building --finish--> ready
    queued/building --fail--> failed --requeue--> queued     (the bureau is told of a failure)
    building --recover--> queued                             (the watchdog: its worker died)

start, finish, fail and recover are the worker's moves (no person makes them); requeue is a
forecaster's, chair's or bureau admin's. The build itself is in ``topic_build``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import hooks
from portal.exceptions import NotFound
from portal.models import Bureau, Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import audit_record, bureau_group
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    by_the_system,
    register,
    register_labels,
    transition,
)
from reports import selectors
from reports.models import (
    TopicReport,
)
from reports.permissions import can_rebuild_topic_report

from .pushes import push_plan

if TYPE_CHECKING:
    from catalog.models import Event
    from portal.tenancy import Actor


Status = TopicReport.Status


def _report_locked(report_id: int) -> TopicReport:
    return TopicReport.objects.select_for_update().select_related("event", "bureau").get(pk=report_id)


def _lock(actor: Actor | None, report: TopicReport | int) -> TopicReport:
    try:
        return _report_locked(report.pk if isinstance(report, TopicReport) else report)
    except TopicReport.DoesNotExist:
        raise NotFound() from None


def _live(report: TopicReport, action: str) -> tuple[str, dict[str, Any]]:
    return bureau_group(report.bureau_id), {
        "kind": "topic_report",
        "action": action,
        "id": report.pk,
        "state": report.status,
        "state_label": str(report.get_status_display()),
        "url": report.get_absolute_url(),
    }


def _to_the_bureau_on_failure(report: TopicReport, actor: Actor | None, comment: str) -> list[Handoff]:
    """Forecasters, chairs and bureau admins of the bureau: they can rebuild it."""
    people = bureau_role_holders(
        bureau=report.bureau_id, roles=[Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN]
    )
    return [
        Handoff(
            people,
            title=_("Special-topic report failed: %(event)s") % {"event": report.event.location_name},
            body=report.error[:200],
            level=Notification.Level.WARNING,
            kind="topic_report.failed",
        )
    ]


WORKFLOW = register(
    Workflow(
        name="topic_report",
        model=TopicReport,
        state_field="status",
        noun=gettext_lazy("special-topic report"),
        lock=_lock,
        url=lambda report: report.get_absolute_url(),
        live=_live,
        transitions={
            "start": Transition(
                frozenset({Status.QUEUED}), Status.BUILDING, by_the_system, gettext_lazy("build started")
            ),
            "finish": Transition(
                frozenset({Status.BUILDING}),
                Status.READY,
                by_the_system,
                gettext_lazy("built"),
                audit_action="topic_report.ready",
            ),
            "fail": Transition(
                frozenset({Status.QUEUED, Status.BUILDING}),
                Status.FAILED,
                by_the_system,
                gettext_lazy("build failed"),
                notify=_to_the_bureau_on_failure,
            ),
            "requeue": Transition(
                frozenset({Status.FAILED}),
                Status.QUEUED,
                can_rebuild_topic_report,
                gettext_lazy("queued for a rebuild"),
                gettext_lazy("Rebuild"),
            ),
            "recover": Transition(
                frozenset({Status.BUILDING}),
                Status.QUEUED,
                by_the_system,
                gettext_lazy("queued again: its worker ended"),
            ),
        },
    )
)


register_labels(
    {
        "topic_report.queue": gettext_lazy("queued"),
        "topic_report.push": gettext_lazy("pushed"),
        "topic_report.push_retry": gettext_lazy("push retried"),
    }
)


def topic_report_for_event(*, event_id: int, bureau_id: int) -> TopicReport | None:
    """Queue the bureau's report of the event's current version (the reaction to an arrival).

    Which bureaus get one was decided by ``catalog.arrival`` (the task
    ``reports.topic_report_for_event`` runs per concerned bureau whose alert rule asks for a
    report). Idempotent: a (bureau, event, version) that already has a report is left alone,
    so the same arrival delivered twice builds once. The build is queued on commit.
    """
    from catalog.selectors import event_get_for_worker

    event = event_get_for_worker(event_id=event_id)
    bureau = Bureau.objects.filter(pk=bureau_id).first()
    if event is None or bureau is None or event.status == "deleted":
        return None
    return topic_report_queue(bureau=bureau, event=event, trigger=selectors.event_version_origin(event=event))


def topic_report_queue(
    *, bureau: Bureau, event: Event, trigger: str, build: bool = True
) -> TopicReport | None:
    """Create the queued report of ``bureau`` for the event's current version and queue its
    build on commit (``build=False``: the caller builds it). None when it already exists."""
    if selectors.topic_report_find(bureau_id=bureau.pk, event_id=event.pk, event_version=event.version):
        return None
    try:
        with transaction.atomic():
            report = TopicReport.objects.create(
                bureau=bureau,
                event=event,
                event_version=event.version,
                report_kind=event.report_kind,
                status=Status.QUEUED,
                trigger=trigger[:32],
                received_at=selectors.event_version_received_at(event=event),
            )
            audit_record(
                actor=None,
                action="topic_report.queue",
                target=report,
                to_state=Status.QUEUED,
                comment=trigger,
                extra={"event": event.public_id, "version": event.version},
            )
    except IntegrityError:  # the same hook twice at once: the other one queued it
        return None
    if build:
        _enqueue_build(report.pk, bureau.pk)
    return report


def _enqueue_build(report_id: int, bureau_id: int) -> None:
    from reports.tasks import topic_report_build_task

    transaction.on_commit(lambda: topic_report_build_task.delay(bureau_id=bureau_id, report_id=report_id))


def topic_report_start(*, report: TopicReport) -> TopicReport:
    """queued -> building (the worker took it)."""
    return transition(
        report,
        "start",
        None,
        workflow=WORKFLOW,
        prepare=lambda locked: {"build_attempts": locked.build_attempts + 1},
        started_at=timezone.now(),
        error="",
    )


@transaction.atomic
def topic_report_finish(
    *,
    report: TopicReport,
    content: dict[str, Any],
    pdf: bytes,
    maps: dict[str, bytes],
    timings: dict[str, float],
    push: bool = True,
) -> TopicReport:
    """building -> ready: store the content, the PDF and the maps (MEDIA/reports/<bureau_id>/...),
    then push it and announce it."""
    audit: dict[str, Any] = {}

    def store(locked: TopicReport) -> dict[str, Any]:
        if locked.pdf:
            locked.pdf.delete(save=False)
        stem = f"{locked.bureau_id}/{locked.event_id}/topic-report-v{locked.event_version}-{locked.pk}"
        locked.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        map_files = {}
        for key, png in maps.items():
            path = f"reports/{stem}-{key}.png"
            if default_storage.exists(path):
                default_storage.delete(path)
            map_files[key] = default_storage.save(path, ContentFile(png))
        ready_at = timezone.now()
        audit["timings"] = {
            **timings,
            "total": round((ready_at - locked.received_at).total_seconds(), 3),
        }
        return {
            "pdf": locked.pdf,
            "context": {**content, "map_files": map_files},
            "ready_at": ready_at,
            "timings": audit["timings"],
        }

    report = transition(report, "finish", None, workflow=WORKFLOW, prepare=store, extra=audit)
    if push:
        push_plan(report=report)
    hooks.fire(
        "topic_report.ready", report_id=report.pk, event_id=report.event_id, bureau_id=report.bureau_id
    )
    return report


def topic_report_fail(*, report: TopicReport, error: str) -> TopicReport:
    """queued/building -> failed, keeping the error; the bureau is told (never silent)."""
    return transition(report, "fail", None, error[:500], workflow=WORKFLOW, error=error[:4000])


@transaction.atomic
def topic_report_requeue(*, actor: Actor, report: TopicReport, comment: str = "") -> TopicReport:
    """failed -> queued, by a forecaster, chair or bureau admin of the report's bureau."""
    report = transition(report, "requeue", actor, comment, workflow=WORKFLOW)
    _enqueue_build(report.pk, report.bureau_id)
    return report


# The task limits (reports.tasks); past them plus the margin no worker is on the job any more.
BUILD_TIME_LIMIT = 300


BUILD_SOFT_TIME_LIMIT = 240


# A queued build no worker took this long is sent again (its message was lost) ...
BUILD_RESEND_AFTER = dt.timedelta(minutes=5)


# ... and given up on after this long: an emergency report this late is told, not awaited.
BUILD_GIVE_UP_AFTER = dt.timedelta(minutes=30)


MAX_BUILD_ATTEMPTS = 2


def topic_reports_reap_abandoned(now: dt.datetime | None = None) -> list[int]:
    """Requeue (once) or fail the builds whose worker died; the bureau is told of a failure.

    Building past the task's time limit: requeued while ``MAX_BUILD_ATTEMPTS`` are left,
    else failed. Queued: sent again after ``BUILD_RESEND_AFTER`` (a duplicate message is
    harmless, the build takes only a queued report); a first build nobody started within
    ``BUILD_GIVE_UP_AFTER`` of the quake's report is failed, so the bureau knows.
    Returns the ids touched.
    """
    from portal.jobs import MARGIN

    now = now or timezone.now()
    building_before = now - dt.timedelta(seconds=BUILD_TIME_LIMIT) - MARGIN
    touched = []
    candidates = selectors.topic_reports_unfinished(before=min(building_before, now - BUILD_RESEND_AFTER))
    for report_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            report = _report_locked(report_id)
            if report.status == Status.BUILDING and report.updated_at < building_before:
                if report.build_attempts < MAX_BUILD_ATTEMPTS:
                    _requeue_abandoned(report)
                else:
                    topic_report_fail(
                        report=report,
                        error=_(
                            "The build stopped %(n)d times without finishing (its worker ended); "
                            "rebuild it from the report's page."
                        )
                        % {"n": report.build_attempts},
                    )
            elif (
                report.status == Status.QUEUED
                and report.build_attempts == 0  # a rebuild a person asked for has no clock here
                and report.created_at < now - BUILD_GIVE_UP_AFTER
            ):
                topic_report_fail(
                    report=report,
                    error=_("No worker built the report within %(minutes)d minutes; rebuild it.")
                    % {"minutes": BUILD_GIVE_UP_AFTER.total_seconds() // 60},
                )
            elif report.status == Status.QUEUED and report.updated_at < now - BUILD_RESEND_AFTER:
                report.save(update_fields=["updated_at"])  # sent again at most once per interval
                _enqueue_build(report.pk, report.bureau_id)
            else:
                continue
            touched.append(report.pk)
    return touched


def _requeue_abandoned(report: TopicReport) -> None:
    transition(
        report,
        "recover",
        None,
        "watchdog: the worker ended without finishing the build",
        workflow=WORKFLOW,
    )
    _enqueue_build(report.pk, report.bureau_id)


def topic_report_fail_by_id(*, report_id: int, message: str) -> None:
    """Fail a queued or building report (the task guard's last resort); others are left alone."""
    with transaction.atomic():
        report = _report_locked(report_id)
        if report.status in WORKFLOW.transitions["fail"].sources:
            topic_report_fail(report=report, error=message)
