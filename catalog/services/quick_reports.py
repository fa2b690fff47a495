"""Quick-report intake: the SMS text parsed, stored as a solution (a wider duplicate window:
``quick_report_window()``), the inbox of messages and the correction of a failed one
(``QUICK_REPORT_WORKFLOW``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import DataOrigin, Event, EventStatus, QuickReportMessage, ReportKind
from catalog.quick_report import QuickReport, QuickReportParseError, fingerprint, parse_quick_report
from portal import hooks
from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Role
from portal.services import audit_record, broadcast_on_commit
from portal.workflow import Transition, Workflow, register, register_labels, row_lock, transition

from .events import Solution, event_record_solution, events_group

if TYPE_CHECKING:
    from portal.tenancy import Actor


# Quick reports give the time to the minute ("02时09分") and an automatic
# epicentre can be off by tens of km: their window is wider.
DEFAULT_QUICK_REPORT_SECONDS = 90.0


DEFAULT_QUICK_REPORT_KM = 30.0


def quick_report_window() -> tuple[float, float]:
    """(seconds, km) within which a quick report is a version of an existing event."""
    return (
        float(getattr(settings, "CATALOG_QUICK_REPORT_DUPLICATE_SECONDS", DEFAULT_QUICK_REPORT_SECONDS)),
        float(getattr(settings, "CATALOG_QUICK_REPORT_DUPLICATE_KM", DEFAULT_QUICK_REPORT_KM)),
    )


def can_post_quick_report(actor: Actor | None) -> bool:
    """Forecasters and bureau admins of a bureau, and the system admin acting in one."""
    if actor is None or actor.bureau is None:
        return False
    return actor.is_system_admin or actor.has_role(Role.FORECASTER) or actor.has_role(Role.BUREAU_ADMIN)


class QuickReportRejected(InvalidInput):
    """The text could not be parsed; the message is kept in the inbox (``message``)."""

    def __init__(self, message: str, *, field: str, inbox_message: QuickReportMessage) -> None:
        super().__init__(message, field=field)
        self.inbox_message = inbox_message


#: How far ahead of the portal's clock a receipt time may be (clocks drift a little).
RECEIVED_AT_AHEAD_MAX = timedelta(minutes=5)


#: No message was received before instrumental seismology: an earlier time is a typo.
RECEIVED_AT_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


def quick_report_check_received_at(received: datetime) -> None:
    """A receipt time is aware, not before 1900 and at most five minutes ahead of now.

    Raises InvalidInput naming ``received_at``: the request is refused and nothing is
    kept in the inbox, since the time, not the text, is wrong.
    """
    if received.tzinfo is None or received.utcoffset() is None:
        raise InvalidInput(_("received_at needs a time zone."), field="received_at")
    if received < RECEIVED_AT_EARLIEST:
        raise InvalidInput(
            _("received_at %(value)s is before 1900; give the time the message arrived.")
            % {"value": received.isoformat()},
            field="received_at",
        )
    if received > timezone.now() + RECEIVED_AT_AHEAD_MAX:
        raise InvalidInput(
            _("received_at %(value)s is in the future; give the time the message arrived.")
            % {"value": received.isoformat()},
            field="received_at",
        )


def _solution_from_report(report: QuickReport) -> Solution:
    automatic = report.report_kind == "automatic"
    return Solution(
        origin_time=report.origin_time,
        latitude=report.latitude,
        longitude=report.longitude,
        depth_km=report.depth_km,
        magnitude=report.magnitude,
        magnitude_type=report.magnitude_type or "M",
        location_name=report.location_name[:200],
        source=(report.source_code or report.source or report.sender)[:64],
        status=EventStatus.AUTOMATIC if automatic else EventStatus.REVIEWED,
        report_kind=ReportKind.AUTOMATIC if automatic else ReportKind.FORMAL,
    )


@dataclass
class QuickReportResult:
    message: QuickReportMessage
    event: Event
    created: bool  # a new event (False: an existing event, same or new version)
    repeated: bool  # the very same text was already received


def quick_report_submit(
    *, actor: Actor | None, text: str, received_at: datetime | None = None
) -> QuickReportResult:
    """Receive one quick-report SMS for the actor's bureau.

    The same text again returns the first message's event (``repeated``).
    Unparseable text is kept in the inbox (status failed) and
    QuickReportRejected names the part. Raises PermissionDenied for people
    who may not post.
    """
    if not can_post_quick_report(actor):
        raise PermissionDenied(_("Only forecasters and bureau admins can post quick reports."))
    if actor is None or actor.bureau is None:  # narrowed for the type checker
        raise PermissionDenied
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The message is empty."), field="text")
    if len(text) > 2000:
        raise InvalidInput(_("A quick report is at most 2000 characters."), field="text")
    received = received_at or timezone.now()
    quick_report_check_received_at(received)
    print_ = fingerprint(text)
    from catalog.selectors import quick_report_find_duplicate

    earlier = quick_report_find_duplicate(bureau_id=actor.bureau.pk, fingerprint=print_)
    if earlier is not None and earlier.event is not None:
        return QuickReportResult(message=earlier, event=earlier.event, created=False, repeated=True)
    try:
        report = parse_quick_report(text, received_at=received)
    except QuickReportParseError as problem:
        message = QuickReportMessage.objects.create(
            bureau=actor.bureau,
            text=text,
            received_at=received,
            fingerprint=print_,
            status=QuickReportMessage.Status.FAILED,
            error=problem.message,
            error_part=problem.part,
            submitted_by=actor.user,
        )
        _notify_inbox(message)
        raise QuickReportRejected(problem.message, field=problem.part, inbox_message=message) from None
    try:
        with transaction.atomic():
            # The inbox row goes in first: its unique key (bureau, fingerprint) makes the
            # database pick the first of identical SMS arriving together. The others wait
            # on the index until it commits, then fail here and answer with its event.
            message = QuickReportMessage.objects.create(
                bureau=actor.bureau,
                text=text,
                received_at=received,
                fingerprint=print_,
                status=QuickReportMessage.Status.PARSED,
                submitted_by=actor.user,
            )
            event, created, _changed = _record_report(actor=actor, report=report, text=text)
            message.event = event
            message.save(update_fields=["event", "updated_at"])
            audit_record(actor=actor, action="quick_report.parse", target=message, to_state=message.status)
            _announce(message, event)
    except IntegrityError:
        earlier = quick_report_find_duplicate(bureau_id=actor.bureau.pk, fingerprint=print_)
        if earlier is None or earlier.event is None:
            raise
        return QuickReportResult(message=earlier, event=earlier.event, created=False, repeated=True)
    return QuickReportResult(message=message, event=event, created=created, repeated=False)


def _record_report(*, actor: Actor, report: QuickReport, text: str) -> tuple[Event, bool, bool]:
    if actor.bureau is None:
        raise PermissionDenied
    return event_record_solution(
        bureau=actor.bureau,
        solution=_solution_from_report(report),
        data_origin=DataOrigin.QUICK_REPORT,
        publish=report.report_kind != "automatic",
        raw_text=text,
        user=actor.user,
        hook_source="quick_report",
        window=quick_report_window(),
    )


def _announce(message: QuickReportMessage, event: Event) -> None:
    """Tell the apps above (flows' quick-report triggers) once the message is stored."""
    hooks.fire("quick_report.received", message_id=message.pk, event_id=event.pk, bureau_id=message.bureau_id)


def _notify_inbox(message: QuickReportMessage) -> None:
    broadcast_on_commit(
        events_group(message.bureau_id),
        {"kind": "catalog.inbox", "id": message.pk, "status": message.status},
    )


_message_lock = row_lock(QuickReportMessage)


def _may_correct(actor: Actor | None, message: QuickReportMessage) -> bool:
    """Forecasters and bureau admins of the message's bureau (the system admin in any)."""
    if actor is None or not can_post_quick_report(actor):
        return False
    return actor.is_system_admin or message.bureau_id == actor.bureau_id


def _inbox_live(message: QuickReportMessage, action: str) -> tuple[str, dict[str, Any]]:
    return events_group(message.bureau_id), {
        "kind": "catalog.inbox",
        "id": message.pk,
        "status": message.status,
    }


# The inbox: a message is stored parsed or failed (created so, no move); a failed one is
# corrected by a person, once.
QUICK_REPORT_WORKFLOW = register(
    Workflow(
        name="quick_report",
        model=QuickReportMessage,
        state_field="status",
        noun=gettext_lazy("quick-report message"),
        lock=_message_lock,
        url=lambda message: reverse("catalog:quick-report-inbox"),
        live=_inbox_live,
        transitions={
            "correct": Transition(
                frozenset({QuickReportMessage.Status.FAILED}),
                QuickReportMessage.Status.CORRECTED,
                _may_correct,
                gettext_lazy("message corrected"),
                gettext_lazy("Correct"),
            ),
        },
    )
)


register_labels({"quick_report.parse": gettext_lazy("quick report received")})


def quick_report_correct(*, actor: Actor | None, message: QuickReportMessage, text: str) -> QuickReportResult:
    """FAILED -> CORRECTED: re-parse a corrected text and create or update the event.

    The original text stays on the message; the corrected one is kept
    beside it. A correction that still cannot be parsed raises
    QuickReportRejected and leaves the message failed, with the new error
    stored. Raises PermissionDenied (403) before InvalidTransition (409) for a
    message that is not failed.
    """
    problem: QuickReportParseError | None = None
    with transaction.atomic():
        message = _message_lock(actor, message)
        QUICK_REPORT_WORKFLOW.check(actor, message, "correct")
        if actor is None:  # refused by the check above already (_may_correct); narrows the type
            raise PermissionDenied()
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("The corrected message is empty."), field="text")
        try:
            report = parse_quick_report(text, received_at=message.received_at)
        except QuickReportParseError as exc:
            # No move: the message stays failed, with the new error beside the new text.
            problem = exc
            message.corrected_text = text
            message.error = exc.message
            message.error_part = exc.part
            message.save(update_fields=["corrected_text", "error", "error_part", "updated_at"])
        else:
            event, created, _changed = _record_report(actor=actor, report=report, text=text)
            message = transition(
                message,
                "correct",
                actor,
                workflow=QUICK_REPORT_WORKFLOW,
                corrected_text=text,
                error="",
                error_part="",
                event=event,
                corrected_by=actor.user,
            )
            _announce(message, event)
    if problem is not None:
        raise QuickReportRejected(problem.message, field=problem.part, inbox_message=message)
    return QuickReportResult(message=message, event=event, created=created, repeated=False)
