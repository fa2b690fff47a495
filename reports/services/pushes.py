"""Pushes of a ready special-topic report, one ``PushAttempt`` per channel: planning, sending
with retries (exponential backoff), a person's retry and the watchdog of abandoned pushes.
The channels themselves are in ``push_channels``.

Push workflow (``PUSH_WORKFLOW``), per channel:

    pending/retrying --sent--> sent
    pending/retrying --error--> retrying      (a try failed, attempts are left)
    pending/retrying --fail--> failed         (the last try failed: the bureau is told)
    pending/retrying --abandon--> failed      (the watchdog: its worker ended; told too)
    failed --retry--> retrying                (a forecaster, chair or bureau admin)
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Notification, Role
from portal.selectors import bureau_role_holders
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    by_the_system,
    register,
    row_lock,
    transition,
    transition_each,
)
from reports import selectors
from reports.models import (
    PushAttempt,
    TopicReport,
    TopicReportSettings,
)
from reports.permissions import can_rebuild_topic_report

from .push_channels import SENDERS, _redact

if TYPE_CHECKING:
    from portal.tenancy import Actor


logger = logging.getLogger(__name__)


PushStatus = PushAttempt.Status


_push_lock = row_lock(PushAttempt, "report", "report__bureau", "report__event")


def _may_retry_push(actor: Actor | None, attempt: PushAttempt) -> bool:
    return can_rebuild_topic_report(actor, attempt.report)


def _push_failed(attempt: PushAttempt, actor: Actor | None, comment: str) -> list[Handoff]:
    """Forecasters, chairs and bureau admins of the bureau: they can retry the push."""
    people = bureau_role_holders(
        bureau=attempt.bureau_id, roles=[Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN]
    )
    return [
        Handoff(
            people,
            title=_("Push of the special-topic report by %(channel)s failed")
            % {"channel": attempt.get_channel_display()},
            body=attempt.last_error[:200],
            level=Notification.Level.WARNING,
            kind="topic_report.push_failed",
        )
    ]


def _push_failed_elsewhere(attempt: PushAttempt, actor: Actor | None, comment: str) -> list[Handoff]:
    """The in-app channel is these very notifications: when it fails, they would too."""
    if attempt.channel == PushAttempt.Channel.WEBSOCKET:
        return []
    return _push_failed(attempt, actor, comment)


_PUSHING = frozenset({PushStatus.PENDING, PushStatus.RETRYING})


PUSH_WORKFLOW = register(
    Workflow(
        name="push",
        model=PushAttempt,
        state_field="status",
        noun=gettext_lazy("push"),
        lock=_push_lock,
        url=lambda attempt: attempt.report.get_absolute_url(),
        transitions={
            "sent": Transition(_PUSHING, PushStatus.SENT, by_the_system, gettext_lazy("push sent")),
            "error": Transition(
                _PUSHING, PushStatus.RETRYING, by_the_system, gettext_lazy("push try failed, to be retried")
            ),
            "fail": Transition(
                _PUSHING,
                PushStatus.FAILED,
                by_the_system,
                gettext_lazy("push failed after the last try"),
                notify=_push_failed_elsewhere,
            ),
            "abandon": Transition(
                _PUSHING,
                PushStatus.FAILED,
                by_the_system,
                gettext_lazy("push failed: its worker ended"),
                notify=_push_failed,
            ),
            "retry": Transition(
                frozenset({PushStatus.FAILED}),
                PushStatus.RETRYING,
                _may_retry_push,
                gettext_lazy("push retried"),
                gettext_lazy("Retry"),
            ),
        },
    )
)


PUSH_TIME_LIMIT = 60


PUSH_SOFT_TIME_LIMIT = 50


def pushes_fail_abandoned(now: dt.datetime | None = None) -> list[int]:
    """Fail the pushes no worker is on any more (past their next try's time + the task's time
    limit); the bureau is told and can retry them. Returns the ids failed."""
    from portal.jobs import MARGIN

    now = now or timezone.now()
    candidates = selectors.push_attempts_unfinished(
        before=now - dt.timedelta(seconds=PUSH_TIME_LIMIT) - MARGIN
    )

    def abandoned(attempt: PushAttempt) -> bool:
        options = selectors.topic_report_settings_for(bureau=attempt.report.bureau)
        due = dt.timedelta(seconds=retry_delay(attempt, options) + PUSH_TIME_LIMIT) + MARGIN
        return attempt.updated_at < now - due

    message = _("The push stopped: its worker ended; retry it.")
    return transition_each(
        candidates.values_list("pk", flat=True),
        "abandon",
        message,
        workflow=PUSH_WORKFLOW,
        when=abandoned,
        extra=lambda attempt: {"channel": attempt.channel, "attempt": attempt.attempts},
        last_error=message,
    )


@transaction.atomic
def push_fail(*, attempt_id: int, message: str) -> bool:
    """pending/retrying -> failed with ``message``; the bureau is told. False when it had ended."""
    attempt = _push_lock(None, attempt_id)
    if attempt.status not in PUSH_WORKFLOW.transitions["abandon"].sources:
        return False
    transition(
        attempt,
        "abandon",
        None,
        message[:500],
        workflow=PUSH_WORKFLOW,
        extra={"channel": attempt.channel, "attempt": attempt.attempts},
        last_error=message,
    )
    return True


def push_plan(*, report: TopicReport) -> list[PushAttempt]:
    """Create one PushAttempt per configured channel and queue each send on commit."""
    options = selectors.topic_report_settings_for(bureau=report.bureau)
    channels: list[tuple[str, str]] = [(PushAttempt.Channel.WEBSOCKET, report.bureau.code)]
    if options.email_list:
        channels.append((PushAttempt.Channel.EMAIL, ", ".join(options.email_list)))
    if options.wechat_webhook_url:
        channels.append((PushAttempt.Channel.WECHAT, _redact(options.wechat_webhook_url)))
    created = []
    for channel, target in channels:
        attempt, _new = PushAttempt.objects.get_or_create(
            report=report,
            channel=channel,
            defaults={
                "bureau_id": report.bureau_id,
                "target": target[:500],
                "max_attempts": options.push_max_attempts,
            },
        )
        created.append(attempt)
        _enqueue_push(attempt.pk, report.bureau_id)
    return created


def _enqueue_push(attempt_id: int, bureau_id: int, countdown: float = 0) -> None:
    from reports.tasks import push_send_task

    transaction.on_commit(
        lambda: push_send_task.apply_async(
            kwargs={"bureau_id": bureau_id, "attempt_id": attempt_id}, countdown=countdown
        )
    )


def retry_delay(attempt: Any, options: TopicReportSettings) -> float:
    """Exponential backoff: the first retry after ``push_retry_seconds``, each next one twice as
    long (a special-topic report's ``PushAttempt`` and a post-quake ``OpinionPush`` alike)."""
    return float(options.push_retry_seconds * 2 ** max(attempt.attempts - 1, 0))


def attempt_outcome(
    attempt: Any, error: str, options: TopicReportSettings
) -> tuple[str, dict[str, Any], float | None]:
    """What one try makes of a push (``PushAttempt`` or ``OpinionPush``): the workflow action
    ("sent"; "error", to retry after the backoff; "fail" once its attempts are spent), the
    fields to stamp and the seconds until the next try."""
    attempts = attempt.attempts + 1
    now = timezone.now()
    changes: dict[str, Any] = {"attempts": attempts, "last_attempt_at": now}
    if not error:
        return "sent", {**changes, "sent_at": now}, None
    changes["last_error"] = error
    if attempts < attempt.max_attempts:
        attempt.attempts = attempts  # the backoff counts this try
        return "error", changes, retry_delay(attempt, options)
    return "fail", changes, None


def push_send(*, attempt_id: int) -> tuple[PushAttempt | None, float | None]:
    """Try one channel once. Returns (attempt, seconds until the next try or None).

    Sent -> done; an error is recorded (attempts, last error) and the push is
    retrying while attempts remain, failed after the last one.
    """
    attempt = selectors.push_attempt_get_for_worker(attempt_id=attempt_id)
    if attempt is None or attempt.status in (PushStatus.SENT, PushStatus.FAILED):
        return attempt, None
    options = selectors.topic_report_settings_for(bureau=attempt.report.bureau)
    error = ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            SENDERS[attempt.channel](attempt.report, options)
    except Exception as exc:  # noqa: BLE001 - every channel error is recorded on the attempt, whatever it was
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("push %s of report %s failed: %s", attempt.channel, attempt.report_id, error)
    return _push_record(attempt_id=attempt_id, error=error, options=options)


@transaction.atomic
def _push_record(
    *, attempt_id: int, error: str, options: TopicReportSettings
) -> tuple[PushAttempt, float | None]:
    attempt = _push_lock(None, attempt_id)
    action, changes, delay = attempt_outcome(attempt, error, options)
    attempt = transition(
        attempt,
        action,
        None,
        error[:500],
        workflow=PUSH_WORKFLOW,
        extra={"channel": attempt.channel, "attempt": changes["attempts"]},
        **changes,
    )
    return attempt, delay


@transaction.atomic
def push_retry(*, actor: Actor, attempt: PushAttempt) -> PushAttempt:
    """failed -> retrying: a person asks to try a failed channel again (attempts start over)."""
    attempt = transition(
        attempt,
        "retry",
        actor,
        workflow=PUSH_WORKFLOW,
        prepare=lambda locked: {
            "max_attempts": locked.attempts
            + selectors.topic_report_settings_for(bureau=locked.report.bureau).push_max_attempts
        },
    )
    _enqueue_push(attempt.pk, attempt.bureau_id)
    return attempt
