"""Pushing an issued post-quake opinion like the special-topic report: over the bureau's channels
of its ``TopicReportSettings`` (in-app to every member, e-mail to the duty addresses, the WeChat
Work group bot), with the report's senders (``reports.services.push_channels.message_send``).

One ``OpinionPush`` per opinion and channel records every try. Its workflow (``PUSH_WORKFLOW``):

    pending/retrying --sent--> sent
    pending/retrying --error--> retrying      (a try failed, attempts are left: retried later,
                                               each wait twice the one before)
    pending/retrying --fail--> failed         (the last try failed: the bureau is told)
    pending/retrying --abandon--> failed      (the job watchdog: its worker ended; told too)
    failed --retry--> retrying                (a forecaster, chair or bureau admin)

Nothing fails silently: a failed channel is told to the bureau's forecasters, chairs and admin
(by the in-app notification, the one channel that does not fail with the others) and shown on
the case page with its error and a retry button.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Notification, Role
from portal.selectors import bureau_role_holders
from portal.timefmt import format_time
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
from postquake import selectors
from postquake.models import OpinionPush, PostQuakeOpinion
from postquake.permissions import can_retry_opinion_push
from postquake.wording import opinion_text
from reports.models import PushAttempt, TopicReportSettings
from reports.selectors import topic_report_settings_for
from reports.services.push_channels import Message, _redact, message_send
from reports.services.pushes import attempt_outcome, retry_delay

if TYPE_CHECKING:
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)

Status = OpinionPush.Status
Channel = PushAttempt.Channel
PUSH_TIME_LIMIT = 60
PUSH_SOFT_TIME_LIMIT = 50
_PUSHING = frozenset({Status.PENDING, Status.RETRYING})

_lock = row_lock(OpinionPush, "opinion", "opinion__case", "opinion__case__event", "bureau")


def _failed(push: OpinionPush, actor: Actor | None, comment: str) -> list[Handoff]:
    """Forecasters, chairs and the bureau admin: they can retry it. The in-app channel is
    these very notifications: when it failed, they would fail too."""
    if push.channel == Channel.WEBSOCKET:
        return []
    people = bureau_role_holders(
        bureau=push.bureau_id, roles=[Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN]
    )
    return [
        Handoff(
            people,
            title=_("Push of the post-quake opinion by %(channel)s failed")
            % {"channel": push.get_channel_display()},
            body=push.last_error[:200],
            level=Notification.Level.WARNING,
            kind="postquake_opinion.push_failed",
        )
    ]


PUSH_WORKFLOW = register(
    Workflow(
        name="postquake_push",
        model=OpinionPush,
        state_field="status",
        noun=gettext_lazy("push"),
        lock=_lock,
        url=lambda push: push.opinion.case.get_absolute_url(),
        transitions={
            "sent": Transition(_PUSHING, Status.SENT, by_the_system, gettext_lazy("push sent")),
            "error": Transition(
                _PUSHING, Status.RETRYING, by_the_system, gettext_lazy("push try failed, to be retried")
            ),
            "fail": Transition(
                _PUSHING,
                Status.FAILED,
                by_the_system,
                gettext_lazy("push failed after the last try"),
                notify=_failed,
            ),
            "abandon": Transition(
                _PUSHING,
                Status.FAILED,
                by_the_system,
                gettext_lazy("push failed: its worker ended"),
                notify=_failed,
            ),
            "retry": Transition(
                frozenset({Status.FAILED}),
                Status.RETRYING,
                can_retry_opinion_push,
                gettext_lazy("push retried"),
                gettext_lazy("Retry"),
            ),
        },
    )
)


def opinion_push_plan(*, opinion: PostQuakeOpinion) -> list[OpinionPush]:
    """One push per channel the bureau set up (in-app always), each sent on commit. Once per
    opinion and channel."""
    options = topic_report_settings_for(bureau=opinion.bureau)
    channels: list[tuple[str, str]] = [(Channel.WEBSOCKET, opinion.bureau.code)]
    if options.email_list:
        channels.append((Channel.EMAIL, ", ".join(options.email_list)))
    if options.wechat_webhook_url:
        channels.append((Channel.WECHAT, _redact(options.wechat_webhook_url)))
    pushes = []
    for channel, target in channels:
        push, created = OpinionPush.objects.get_or_create(
            opinion=opinion,
            channel=channel,
            defaults={
                "bureau_id": opinion.bureau_id,
                "target": target[:500],
                "max_attempts": options.push_max_attempts,
            },
        )
        pushes.append(push)
        if created:
            _enqueue(push.pk, opinion.bureau_id)
    return pushes


def _enqueue(push_id: int, bureau_id: int) -> None:
    from postquake.tasks import opinion_push_send_task

    transaction.on_commit(lambda: opinion_push_send_task.delay(bureau_id=bureau_id, push_id=push_id))


def opinion_message(opinion: PostQuakeOpinion) -> Message:
    """What the push says (in the current language): the quake and the opinion's number as the
    headline, the opinion's text, who issued it and when."""
    case = opinion.case
    headline = (
        _("%(event)s: post-quake trend opinion No. %(n)s") % {"event": case.event, "n": opinion.number}
        if opinion.number == 1
        else _("%(event)s: updated post-quake trend opinion No. %(n)s")
        % {"event": case.event, "n": opinion.number}
    )
    issuer = opinion.issued_by.label if opinion.issued_by else ""
    lines = [
        *[line for line in opinion_text(opinion).splitlines() if line.strip()],
        _("Issued by %(who)s at %(time)s")
        % {"who": issuer, "time": format_time(opinion.issued_at, label=True)},
    ]
    return Message(
        headline=headline,
        lines=lines,
        path=opinion.get_absolute_url(),
        link_label=_("Open the post-quake case"),
        kind="postquake_opinion.issued",
    )


def opinion_push_send(*, push_id: int) -> tuple[OpinionPush | None, float | None]:
    """Try one channel once. Returns (push, seconds until the next try or None)."""
    push = selectors.opinion_push_get_for_worker(push_id=push_id)
    if push is None or push.status in (Status.SENT, Status.FAILED):
        return push, None
    options = topic_report_settings_for(bureau=push.bureau)
    error = ""
    try:
        with translation.override(settings.LANGUAGE_CODE):
            message_send(
                push.channel, bureau=push.bureau, options=options, message=opinion_message(push.opinion)
            )
    except Exception as exc:  # noqa: BLE001 - every channel error is recorded on the push, whatever it was
        error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("push %s of post-quake opinion %s failed: %s", push.channel, push.opinion_id, error)
    return _record(push_id=push_id, error=error, options=options)


@transaction.atomic
def _record(*, push_id: int, error: str, options: TopicReportSettings) -> tuple[OpinionPush, float | None]:
    push = _lock(None, push_id)
    # The same outcome rule as the special-topic report's pushes (attempts, backoff, failure).
    action, changes, delay = attempt_outcome(push, error, options)
    with translation.override(settings.LANGUAGE_CODE):
        push = transition(
            push,
            action,
            None,
            error[:500],
            workflow=PUSH_WORKFLOW,
            extra={"channel": push.channel, "attempt": changes["attempts"]},
            **changes,
        )
    return push, delay


@transaction.atomic
def opinion_push_retry(*, actor: Actor, push: OpinionPush) -> OpinionPush:
    """failed -> retrying: a person tries a failed channel again (its attempts start over)."""
    push = transition(
        push,
        "retry",
        actor,
        workflow=PUSH_WORKFLOW,
        prepare=lambda locked: {
            "max_attempts": locked.attempts
            + topic_report_settings_for(bureau=locked.bureau).push_max_attempts
        },
    )
    _enqueue(push.pk, push.bureau_id)
    return push


@transaction.atomic
def opinion_push_fail(*, push_id: int, message: str) -> bool:
    """pending/retrying -> failed with ``message`` (the task guard); False when it had ended."""
    push = _lock(None, push_id)
    if push.status not in _PUSHING:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        transition(
            push,
            "abandon",
            None,
            message[:500],
            workflow=PUSH_WORKFLOW,
            extra={"channel": push.channel, "attempt": push.attempts},
            last_error=message,
        )
    return True


def opinion_pushes_fail_abandoned(now: dt.datetime | None = None) -> list[int]:
    """The watchdog: fail the pushes no worker is on any more (past their next try's time and
    the task's time limit); the bureau is told and can retry them."""
    from portal.jobs import MARGIN

    now = now or timezone.now()
    candidates = selectors.opinion_pushes_unfinished_for_worker(
        before=now - dt.timedelta(seconds=PUSH_TIME_LIMIT) - MARGIN
    )

    def abandoned(push: OpinionPush) -> bool:
        options = topic_report_settings_for(bureau=push.bureau)
        due = dt.timedelta(seconds=retry_delay(push, options) + PUSH_TIME_LIMIT) + MARGIN
        return push.updated_at < now - due

    with translation.override(settings.LANGUAGE_CODE):
        message = _("The push stopped: its worker ended; retry it.")
        return transition_each(
            candidates.values_list("pk", flat=True),
            "abandon",
            message,
            workflow=PUSH_WORKFLOW,
            when=abandoned,
            extra=lambda push: {"channel": push.channel, "attempt": push.attempts},
            last_error=message,
        )
