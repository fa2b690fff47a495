"""Opening a post-quake case (the reaction to an arrival) and its workflow."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from catalog.models import EventStatus
from catalog.selectors import event_get_for_worker
from portal.models import Bureau, Role
from portal.services import audit_record, bureau_group
from portal.workflow import Transition, Workflow, register, row_lock, transition
from postquake.models import CaseState, DraftStatus, PostQuakeCase
from postquake.selectors import case_find, first_receipt, settings_for

from .reminders import reminders_schedule

if TYPE_CHECKING:
    from portal.tenancy import Actor


def _by_the_chair(actor: Actor | None, case: PostQuakeCase) -> bool:
    """The bureau's chair issues and closes the opinion."""
    return actor is not None and actor.bureau_id == case.bureau_id and actor.has_role(Role.CHAIR)


def _live(case: PostQuakeCase, action: str) -> tuple[str, dict[str, Any]]:
    """Open pages of the bureau (the case, its list, the dashboard) hear the new state: their
    countdown turns into the opinion's punctuality (static/portal/countdown.js reloads)."""
    return bureau_group(case.bureau_id), {
        "kind": "postquake_case",
        "action": action,
        "id": case.pk,
        "state": case.state,
        "url": case.get_absolute_url(),
    }


WORKFLOW = register(
    Workflow(
        name="postquake_case",
        model=PostQuakeCase,
        noun=gettext_lazy("post-quake case"),
        lock=row_lock(PostQuakeCase, "bureau", "event"),
        url=lambda case: case.get_absolute_url(),
        live=_live,
        transitions={
            "issue": Transition(
                frozenset({CaseState.OPEN}),
                CaseState.OPINION_ISSUED,
                _by_the_chair,
                gettext_lazy("first opinion issued"),
                gettext_lazy("Issue the opinion"),
            ),
            "close": Transition(
                frozenset({CaseState.OPEN, CaseState.OPINION_ISSUED}),
                CaseState.CLOSED,
                _by_the_chair,
                gettext_lazy("case closed"),
                gettext_lazy("Close the case"),
            ),
        },
    )
)


def case_issue(*, actor: Actor | None, case: PostQuakeCase, comment: str = "") -> PostQuakeCase:
    """open -> opinion_issued, stamping when (measured against ``due_at``)."""
    return transition(case, "issue", actor, comment, workflow=WORKFLOW, issued_at=timezone.now())


def case_close(*, actor: Actor | None, case: PostQuakeCase, comment: str = "") -> PostQuakeCase:
    return transition(case, "close", actor, comment, workflow=WORKFLOW, closed_at=timezone.now())


def case_open(*, event_id: int, bureau_id: int, now: dt.datetime | None = None) -> PostQuakeCase | None:
    """Open (once per bureau and event) the bureau's case on the quake and enqueue its draft.

    The reaction to ``AlertAction.POST_QUAKE_CASE`` (task ``postquake.open_case``):
    ``catalog.arrival`` already decided the quake is fresh and concerns the bureau. The clock
    starts at the receipt of the event's first quick report (the event's creation when it came
    another way); the first opinion is due the bureau's ``due_minutes`` later. Safe to call again.
    """
    event = event_get_for_worker(event_id=event_id)
    bureau = Bureau.objects.filter(pk=bureau_id).first()
    if event is None or bureau is None or event.magnitude is None or event.status == EventStatus.DELETED:
        return None
    existing = case_find(bureau_id=bureau.pk, event_id=event.pk)
    if existing is not None:
        return existing
    now = now or timezone.now()
    clock_start = first_receipt(event=event) or event.created_at
    due = clock_start + dt.timedelta(minutes=settings_for(bureau=bureau).due_minutes)
    try:
        with transaction.atomic():
            case = PostQuakeCase.objects.create(
                bureau=bureau,
                event=event,
                opened_at=now,
                clock_start=clock_start,
                due_at=due,
                state=CaseState.OPEN,
                draft_status=DraftStatus.PENDING,
            )
            audit_record(
                actor=None,
                action="postquake_case.open",
                target=case,
                to_state=case.state,
                extra={"event": event.public_id, "magnitude": event.magnitude},
            )
    except IntegrityError:  # a concurrent reaction opened it first
        return case_find(bureau_id=bureau.pk, event_id=event.pk)
    from postquake.tasks import draft_case_task

    case_id = case.pk
    transaction.on_commit(lambda: draft_case_task.delay(case_id=case_id))
    reminders_schedule(case)
    return case
