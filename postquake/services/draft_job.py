"""The first draft as a background job: it ends drafted or failed, never "drafting" for ever.

    pending ──(postquake.draft_case)──▶ done       (the case's state, open/issued/closed, apart)
    pending ──(an error the draft did not foresee, after the retries of transient ones;
               or the watchdog: no worker finished it in time)──▶ failed
    failed ──(a chair or forecaster: redraft)──▶ pending

``draft_status`` is a job's status, not the case's workflow (``state``): the draft's task
(``postquake.tasks.draft_case_task``) runs ``draft_build`` through ``portal.jobs.run_guarded``
and this module's :data:`JOB` (registered from ``PostquakeConfig.ready()``) records the
failure on the case with a message, tells the bureau's chairs and forecasters, and lets the
``portal.jobs_watchdog`` fail a draft whose worker died or whose message was lost.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import jobs
from portal.exceptions import InvalidTransition, PermissionDenied
from portal.models import Notification, Role
from portal.services import audit_record, notify_bureau
from portal.workflow import register_labels
from postquake.models import CaseState, DraftStatus, PostQuakeCase
from postquake.selectors import drafts_pending_for_worker

if TYPE_CHECKING:
    from portal.tenancy import Actor

JOB_NAME = "postquake.draft_case"  # the task's name, as portal.jobs keys its kinds
#: The draft task's hard time limit (postquake.tasks), and how long after it was asked for a
#: pending draft counts as abandoned: the limit, the watchdog's margin and a few minutes for
#: the queue and the retries of transient errors. The first opinion is due in 30 minutes.
DRAFT_TIME_LIMIT = 300
GIVE_UP_AFTER = dt.timedelta(seconds=DRAFT_TIME_LIMIT) + jobs.MARGIN + dt.timedelta(minutes=3)
ERROR_MAX = 500

register_labels(
    {
        "postquake_case.draft_failed": gettext_lazy("draft failed"),
        "postquake_case.redraft": gettext_lazy("drafted again"),
    }
)


def can_redraft(actor: Actor | None, case: PostQuakeCase) -> bool:
    """The bureau's chair and forecasters (the duty team) draft a failed draft again."""
    return (
        actor is not None
        and actor.bureau_id == case.bureau_id
        and (actor.has_role(Role.CHAIR) or actor.has_role(Role.FORECASTER))
    )


def draft_fail(*, case_id: int, message: str) -> PostQuakeCase | None:
    """pending -> failed with ``message`` (audited; the chairs and forecasters are told). A draft
    that already ended (done, failed) or a case that is gone is left alone."""
    with transaction.atomic():
        case = PostQuakeCase.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None or case.draft_status != DraftStatus.PENDING:
            return case
        case.draft_status = DraftStatus.FAILED
        case.draft_error = message[:ERROR_MAX]
        case.save(update_fields=["draft_status", "draft_error", "updated_at"])
        audit_record(
            actor=None,
            action="postquake_case.draft_failed",
            target=case,
            comment=case.draft_error,
            extra={"draft_status": DraftStatus.FAILED},
        )
        notify_bureau(
            bureau=case.bureau,
            roles=[Role.CHAIR, Role.FORECASTER],
            title=_("The first draft of a post-quake case failed"),
            body=case.draft_error,
            url=case.get_absolute_url(),
            level=Notification.Level.WARNING,
        )
    return case


def drafts_reap_abandoned(now: dt.datetime | None = None) -> list[int]:
    """The watchdog's sweep: fail the drafts asked for more than :data:`GIVE_UP_AFTER` ago
    and still pending (the worker died, or the message was lost)."""
    now = now or timezone.now()
    message = _("No worker finished the draft in time; draft it again.")
    failed = []
    for case_id in drafts_pending_for_worker(asked_before=now - GIVE_UP_AFTER):
        case = draft_fail(case_id=case_id, message=message)
        if case is not None and case.draft_status == DraftStatus.FAILED:
            failed.append(case_id)
    return failed


JOB = jobs.JobKind(
    name=JOB_NAME,
    sweep=drafts_reap_abandoned,
    fail=lambda pk, message: draft_fail(case_id=pk, message=message),
)


def draft_redraft(*, actor: Actor | None, case: PostQuakeCase, comment: str = "") -> PostQuakeCase:
    """failed -> pending, and the draft task again (a chair or forecaster of the bureau).

    PermissionDenied (403) for anyone else; InvalidTransition (409) unless the draft failed
    and the case is not closed. Audited with the failure it answers.
    """
    with transaction.atomic():
        locked = PostQuakeCase.objects.select_for_update(of=("self",)).filter(pk=case.pk).first()
        if locked is None:
            raise InvalidTransition(_("The case is gone."))
        if not can_redraft(actor, locked):
            raise PermissionDenied(_("Only the bureau's chair or a forecaster drafts a case again."))
        if locked.state == CaseState.CLOSED:
            raise InvalidTransition(_("The case is closed: its draft is not drafted again."))
        if locked.draft_status != DraftStatus.FAILED:
            raise InvalidTransition(
                _("Only a failed draft is drafted again; this one is %(status)s.")
                % {"status": locked.get_draft_status_display()}
            )
        error = locked.draft_error
        locked.draft_status = DraftStatus.PENDING
        locked.draft_error = ""
        locked.draft_requested_at = timezone.now()
        locked.save(update_fields=["draft_status", "draft_error", "draft_requested_at", "updated_at"])
        audit_record(
            actor=actor,
            action="postquake_case.redraft",
            target=locked,
            comment=comment,
            extra={"draft_status": DraftStatus.PENDING, "error": error},
        )
        case_id = locked.pk
        transaction.on_commit(lambda: _enqueue(case_id))
    return locked


def _enqueue(case_id: int) -> None:
    from postquake.tasks import draft_case_task

    draft_case_task.delay(case_id=case_id)
