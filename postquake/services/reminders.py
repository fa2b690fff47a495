"""The clock's reminders (issue 15): while no opinion is issued on an open case, the duty team
and the bureau's chairs are reminded ``remind_minutes`` (20) after the clock starts, and again
at the deadline, when the bureau's admins are told that it passed.

Each reminder is sent once: the case is locked, the stamp (``reminded_at``,
``deadline_passed_at``) decides, and the sending is audited. Two triggers call the same service:
the tasks scheduled with an ETA when the case opens (:func:`reminders_schedule`) and the beat job
``postquake.reminders_sweep`` every minute, which catches what a lost ETA task missed. Nothing
is sent once the opinion is issued or the case closed. The person sees the outcome on the case
page (the stamps) and in their notifications (each one's channels as they chose them).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.models import Notification
from portal.services import audit_record, notify_user
from portal.timefmt import format_time
from portal.workflow import register_labels
from postquake.models import CaseState, PostQuakeCase, PostQuakeSettings
from postquake.selectors import bureau_admins, cases_to_remind_for_worker, duty_team, settings_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from portal.models import User

logger = logging.getLogger(__name__)

REMINDER = "reminder"
DEADLINE = "deadline"
KIND = "postquake_reminder"
#: The sweep leaves alone a case whose deadline passed longer ago than this: its notice is
#: stale news (the beat job was down), and every minute's scan stays small.
SWEEP_HORIZON = dt.timedelta(days=2)

register_labels(
    {
        "postquake_case.remind": gettext_lazy("duty team reminded of the deadline"),
        "postquake_case.deadline_passed": gettext_lazy("deadline passed with no opinion: admins told"),
    }
)


def reminder_time(case: PostQuakeCase, settings: PostQuakeSettings) -> dt.datetime | None:
    """When the reminder before the deadline is due; None when it would not come before it."""
    at = case.clock_start + dt.timedelta(minutes=settings.remind_minutes)
    return at if at < case.due_at else None


def _event_text(case: PostQuakeCase) -> str:
    event = case.event
    return _("M%(mag).1f %(place)s") % {
        "mag": event.magnitude or 0.0,
        "place": event.location_name or event.public_id,
    }


def _notify(people: list[User], case: PostQuakeCase, title: str, body: str) -> list[str]:
    for person in people:
        notify_user(
            user=person,
            bureau=case.bureau,
            title=title[:200],  # the column's length; a long place name is cut, not refused
            body=body,
            url=case.get_absolute_url(),
            level=Notification.Level.URGENT,
            kind=KIND,
        )
    return [person.username for person in people]


def _send_reminder(case: PostQuakeCase, now: dt.datetime) -> dict[str, list[str]]:
    minutes = max(round((case.due_at - now).total_seconds() / 60), 0)
    title = _("First opinion due in %(minutes)d min: %(event)s") % {
        "minutes": minutes,
        "event": _event_text(case),
    }
    body = _("No post-quake trend opinion is issued yet; it is due at %(due)s.") % {
        "due": format_time(case.due_at, label=True)
    }
    return {"duty": _notify(duty_team(bureau=case.bureau), case, title, body)}


def _send_deadline(case: PostQuakeCase, now: dt.datetime) -> dict[str, list[str]]:
    event = _event_text(case)
    due = format_time(case.due_at, label=True)
    duty = _notify(
        duty_team(bureau=case.bureau),
        case,
        _("First opinion overdue: %(event)s") % {"event": event},
        _("The deadline %(due)s passed and no post-quake trend opinion is issued yet.") % {"due": due},
    )
    admins = _notify(
        bureau_admins(bureau=case.bureau),
        case,
        _("Post-quake deadline passed: %(event)s") % {"event": event},
        _("The first trend opinion was due at %(due)s and none is issued; the duty team was reminded.")
        % {"due": due},
    )
    return {"duty": duty, "admins": admins}


def case_remind(*, case_id: int, now: dt.datetime | None = None) -> str | None:
    """Send what is due of the case's reminders; returns ``"reminder"``, ``"deadline"`` or
    None (nothing due, already sent, the opinion issued, the case closed or gone).

    At or after the deadline only the deadline notice goes (a reminder "due in 0 min" would
    say nothing more); each is sent once, whichever trigger comes first.
    """
    now = now or timezone.now()
    with transaction.atomic():
        case = (
            PostQuakeCase.objects.select_for_update(of=("self",))
            .select_related("event", "bureau")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.state != CaseState.OPEN or case.issued_at is not None:
            return None
        if now >= case.due_at:
            if case.deadline_passed_at is not None:
                return None
            told = _send_deadline(case, now)
            case.deadline_passed_at = now
            case.save(update_fields=["deadline_passed_at", "updated_at"])
            audit_record(
                actor=None,
                action="postquake_case.deadline_passed",
                target=case,
                extra={"due_at": case.due_at.isoformat(), **told},
            )
            return DEADLINE
        at = reminder_time(case, settings_for(bureau=case.bureau))
        if at is None or now < at or case.reminded_at is not None:
            return None
        told = _send_reminder(case, now)
        case.reminded_at = now
        case.save(update_fields=["reminded_at", "updated_at"])
        audit_record(
            actor=None,
            action="postquake_case.remind",
            target=case,
            extra={"due_at": case.due_at.isoformat(), **told},
        )
        return REMINDER


def reminders_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every minute (beat ``postquake.reminders_sweep``): send every due reminder the
    scheduled tasks have not sent. Returns how many of each went."""
    now = now or timezone.now()
    sent = {REMINDER: 0, DEADLINE: 0}
    for case_id in cases_to_remind_for_worker(now=now, since=now - SWEEP_HORIZON):
        try:
            outcome = case_remind(case_id=case_id, now=now)
        except Exception:  # one case's failure must not hold back the others' reminders
            logger.exception("post-quake reminder of case %s failed; the next sweep tries again", case_id)
            continue
        if outcome is not None:
            sent[outcome] += 1
    return sent


def reminders_schedule(case: PostQuakeCase) -> None:
    """On commit of the case's opening: one task at the reminder's time, one at the deadline
    (the sweep sends them too if these are lost)."""
    from postquake.tasks import remind_case_task

    at = reminder_time(case, settings_for(bureau=case.bureau))
    case_id = case.pk

    def enqueue(eta: dt.datetime) -> Callable[[], None]:
        return lambda: remind_case_task.apply_async(kwargs={"case_id": case_id}, eta=eta)

    for eta in [t for t in (at, case.due_at) if t is not None]:
        transaction.on_commit(enqueue(eta))
