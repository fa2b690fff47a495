"""Opening a post-quake case (the reaction to an arrival) and its workflow."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import EventStatus
from catalog.selectors import event_get_for_worker
from portal.exceptions import InvalidInput
from portal.models import Bureau
from portal.services import audit_record, bureau_group
from portal.workflow import Transition, Workflow, register, row_lock, transition
from postquake.models import CaseState, DraftStatus, PostQuakeCase
from postquake.permissions import can_chair_case, can_issue_case
from postquake.selectors import case_find, first_receipt, settings_for

from .reminders import reminders_schedule

if TYPE_CHECKING:
    from catalog.models import Event
    from portal.tenancy import Actor


def _by_the_chair(actor: Actor | None, case: PostQuakeCase) -> bool:
    """The bureau's chair closes the case."""
    return can_chair_case(actor, case)


def _by_the_issuer(actor: Actor | None, case: PostQuakeCase) -> bool:
    """Whoever issues its first opinion (the chair, or the approver signing it off)."""
    return can_issue_case(actor, case)


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
                _by_the_issuer,
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


def case_mark_issued(
    *, actor: Actor | None, case: PostQuakeCase, issued_at: dt.datetime, comment: str = ""
) -> PostQuakeCase:
    """open -> opinion_issued when its first opinion is issued (``opinions.opinion_became_issued``,
    the only caller), stamping ``issued_at``: the punctuality against ``due_at``."""
    return transition(case, "issue", actor, comment, workflow=WORKFLOW, issued_at=issued_at)


def case_close(*, actor: Actor | None, case: PostQuakeCase, comment: str = "") -> PostQuakeCase:
    """open / opinion_issued -> closed, by the chair: re-evaluations end; an opinion still in
    progress is no longer issued."""
    return transition(
        case, "close", actor, (comment or "")[:4000], workflow=WORKFLOW, closed_at=timezone.now()
    )


def case_transition(
    *, actor: Actor | None, case: PostQuakeCase, action: str, comment: str = ""
) -> PostQuakeCase:
    """The case's moves a person asks for by name (the API and the page): ``close``. Issuing
    goes through the opinions (``opinions.opinion_transition``)."""
    if action != "close":
        raise InvalidInput(
            _("Unknown action %(action)s (one of: %(actions)s).") % {"action": action, "actions": "close"},
            field="action",
        )
    return case_close(actor=actor, case=case, comment=comment)


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
        if _draft_behind(existing, event):
            case_id = existing.pk
            transaction.on_commit(lambda: _enqueue_draft(case_id))
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
    case_id = case.pk
    transaction.on_commit(lambda: _enqueue_draft(case_id))
    reminders_schedule(case)
    return case


def _draft_behind(case: PostQuakeCase, event: Event) -> bool:
    """Whether the case's draft may describe an earlier version of its event.

    The reaction runs again for every new version of the event (the formal quick report after
    the automatic one, a correction): its magnitude or epicentre may have changed, and with
    them Båth's figure, the zone and the probabilities. A draft still pending may be computing
    from the earlier version right now, so it is drafted again too; a closed case is left alone.
    """
    if case.state == CaseState.CLOSED:
        return False
    if case.draft_status != DraftStatus.DONE:
        return True
    return (case.draft or {}).get("event_version") != event.version


def _enqueue_draft(case_id: int) -> None:
    from postquake.tasks import draft_case_task

    draft_case_task.delay(case_id=case_id)
