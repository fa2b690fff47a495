"""The consultation report and its workflow (``WORKFLOW``), one thin service per transition.

    draft ──submit──▶ submitted ──review──▶ reviewed ──sign_off──▶ signed_off ──issue──▶ issued ──archive──▶ archived
      returned ◀──return── submitted / reviewed;  returned ──submit──▶ submitted

Every move goes through ``portal.workflow.transition``: it locks the row, checks the right
before the state (403 before 409), saves, audits, tells whoever must act next (submitted →
the bureau's approvers; returned → the drafter with the comment; reviewed → the approvers
who may sign; signed off, issued → drafter and chair) and broadcasts the new state.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from consultations import permissions as perms
from consultations.models import (
    Conclusion,
    ConsultationReport,
    DisciplineOpinion,
    Meeting,
    MeetingMaterial,
    MeetingRepresentative,
    ReportStatus,
    ReportSubmission,
    Vote,
)
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.models import Bureau, Notification, Role, User
from portal.selectors import bureau_role_holders
from portal.services import audit_record, bureau_group, notify_bureau
from portal.validators import clean_title, max_length_of
from portal.workflow import Handoff, Transition, Workflow, register, register_labels, row_lock, transition

from .conclusion import forecast_payload
from .meetings import _participant_names, _url
from .opinions import opinion_payload
from .report_pdf import report_pdf_requested

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.tenancy import Actor


def report_content(report: ConsultationReport) -> dict[str, Any]:
    """What the report says: the frozen snapshot once signed off, the meeting as it is before."""
    if report.is_frozen and report.content:
        return report.content
    return meeting_snapshot(report.meeting)


def meeting_snapshot(meeting: Meeting) -> dict[str, Any]:
    """Everything a consultation report prints, as plain JSON (frozen at sign-off)."""
    conclusion = Conclusion.objects.filter(meeting=meeting).first()
    forecasts = list(conclusion.forecasts.all()) if conclusion else []
    opinions = DisciplineOpinion.objects.filter(meeting=meeting).select_related(
        "discipline", "author", "bureau"
    )
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for value in Vote.objects.filter(meeting=meeting).values_list("choice", flat=True):
        counts[value] += 1
    joint = list(meeting.joint_bureaus.order_by("code"))
    return {
        "meeting": {
            "id": meeting.pk,
            "kind": meeting.kind,
            "title": meeting.title,
            "starts_at": meeting.starts_at.isoformat(),
            "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
            "place": meeting.place,
            "bureau": meeting.bureau.code,
            "bureau_name": meeting.bureau.name_zh,
            "joint": [b.name_zh for b in joint],
            "chair": meeting.chair.label if meeting.chair else "",
            "recorder": meeting.recorder.label if meeting.recorder else "",
            "agenda": meeting.agenda,
        },
        "participants": _participant_names(meeting),
        "representatives": [
            {"discipline": r.discipline.name_zh, "discipline_en": r.discipline.name_en, "name": r.user.label}
            for r in MeetingRepresentative.objects.filter(meeting=meeting).select_related(
                "discipline", "user"
            )
        ],
        "opinions": [{**opinion_payload(o), "discipline_en": o.discipline.name_en} for o in opinions],
        "conclusion": conclusion.text if conclusion else "",
        "forecasts": [forecast_payload(f) for f in forecasts],
        "votes": counts,
        "materials": [
            {"kind": m.kind, "title": m.title, "url": m.url}
            for m in MeetingMaterial.objects.filter(meeting=meeting).order_by("kind", "id")
        ],
    }


def _digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# --- the workflow (the table as data; ``portal.workflow.transition`` moves it) ----------

Status = ReportStatus


def report_url(report: ConsultationReport) -> str:
    return _url("consultations:report-detail", report.pk)


# Callers fetched the report through the selectors (what the actor may read); a report of
# another bureau is then refused by the permission (403), not hidden here.
_lock = row_lock(ConsultationReport, "meeting", "bureau")


def _live(report: ConsultationReport, action: str) -> tuple[str, dict[str, Any]]:
    """Open pages of the bureau (the report page, lists, dashboards) hear the new state."""
    return bureau_group(report.bureau_id), {
        "kind": "consultation_report",
        "action": action,
        "id": report.pk,
        "status": report.status,
        "state": report.status,
        "state_label": str(report.get_status_display()),
        "url": report_url(report),
    }


def _approvers(report: ConsultationReport, *, exclude: Iterable[int | None] = ()) -> list[User]:
    skip = set(exclude)
    holders = bureau_role_holders(bureau=report.bureau_id, roles=[Role.APPROVER])
    return [user for user in holders if user.pk not in skip]


def _drafter_ids(report: ConsultationReport) -> list[int]:
    return [pk for pk in (report.submitted_by_id or report.created_by_id,) if pk]


def _drafter_and_chair(report: ConsultationReport) -> list[User]:
    ids = [*_drafter_ids(report), report.meeting.chair_id]
    return list(User.objects.filter(pk__in=[pk for pk in ids if pk], is_active=True))


def _body(report: ConsultationReport) -> str:
    return f"{report.title} v{report.version}"


def _to_reviewers(report: ConsultationReport, actor: Actor | None, comment: str) -> list[Handoff]:
    people = _approvers(report, exclude=[actor.user.pk if actor else None])
    title = _("Consultation report to review: %(title)s") % {"title": report.title}
    return [Handoff(people, title=title, body=comment or _body(report), level=Notification.Level.WARNING)]


def _to_drafter_with_comment(report: ConsultationReport, actor: Actor | None, comment: str) -> list[Handoff]:
    people = User.objects.filter(pk__in=_drafter_ids(report), is_active=True)
    title = _("Consultation report returned for revision: %(title)s") % {"title": report.title}
    return [Handoff(people, title=title, body=comment, level=Notification.Level.WARNING)]


def _to_signers(report: ConsultationReport, actor: Actor | None, comment: str) -> list[Handoff]:
    # the submitter never signs their own report (perms.can_sign_off_report)
    people = _approvers(report, exclude=[report.submitted_by_id, actor.user.pk if actor else None])
    title = _("Consultation report to sign off: %(title)s") % {"title": report.title}
    return [Handoff(people, title=title, body=comment or _body(report), level=Notification.Level.WARNING)]


def _to_drafter_and_chair(action: str) -> Any:
    def handoffs(report: ConsultationReport, actor: Actor | None, comment: str) -> list[Handoff]:
        skip = actor.user.pk if actor else None
        people = [u for u in _drafter_and_chair(report) if u.pk != skip]
        title = _("Consultation report %(action)s: %(title)s") % {
            "action": WORKFLOW.transitions[action].label,
            "title": report.title,
        }
        return [Handoff(people, title=title, body=comment or _body(report))]

    return handoffs


def _step(
    sources: set[str], target: str, permission: Any, label: Any, button: Any, notify: Any = None
) -> Transition:
    return Transition(frozenset(sources), target, permission, label, button, notify)


# action -> (states it starts from, state it ends in, who may, what it is called, button, who is told)
WORKFLOW = register(
    Workflow(
        name="report",
        model=ConsultationReport,
        state_field="status",
        noun=gettext_lazy("consultation report"),
        lock=_lock,
        url=report_url,
        live=_live,
        transitions={
            "submit": _step(
                {Status.DRAFT, Status.RETURNED},
                Status.SUBMITTED,
                perms.can_draft_report,
                pgettext_lazy("report history", "submitted for review"),
                gettext_lazy("Submit for review"),
                _to_reviewers,
            ),
            "review": _step(
                {Status.SUBMITTED},
                Status.REVIEWED,
                perms.can_review_report,
                pgettext_lazy("report history", "reviewed"),
                gettext_lazy("Mark reviewed"),
                _to_signers,
            ),
            "return": _step(
                {Status.SUBMITTED, Status.REVIEWED},
                Status.RETURNED,
                perms.can_review_report,
                pgettext_lazy("report history", "returned with comments"),
                gettext_lazy("Return with comments"),
                _to_drafter_with_comment,
            ),
            "sign_off": _step(
                {Status.REVIEWED},
                Status.SIGNED_OFF,
                perms.can_sign_off_report,
                pgettext_lazy("report history", "signed off"),
                gettext_lazy("Sign off"),
                _to_drafter_and_chair("sign_off"),
            ),
            "issue": _step(
                {Status.SIGNED_OFF},
                Status.ISSUED,
                perms.can_review_report,
                pgettext_lazy("report history", "issued"),
                gettext_lazy("Issue"),
                _to_drafter_and_chair("issue"),
            ),
            "archive": _step(
                {Status.ISSUED},
                Status.ARCHIVED,
                perms.can_archive_report,
                pgettext_lazy("report history", "archived"),
                gettext_lazy("Archive"),
            ),
        },
    )
)
register_labels(
    {
        "report.create": gettext_lazy("report started"),
        "report.update": gettext_lazy("title or number changed"),
        "report.correct": gettext_lazy("correction drafted"),
    }
)

# The table by state, as pages and tests read it: state -> the states it may move to.
TRANSITIONS: dict[str, set[str]] = {
    state: {step.target for step in WORKFLOW.transitions.values() if state in step.sources}
    for state in Status.values
    if any(state in step.sources for step in WORKFLOW.transitions.values())
}


def _pdf_once_fixed(report: ConsultationReport) -> ConsultationReport:
    """Signed off, issued, archived: the content is fixed, its PDF renders once now (a worker)."""
    report_id = report.pk
    transaction.on_commit(lambda: report_pdf_requested(report_id))
    return report


def allowed_actions(actor: Actor | None, report: ConsultationReport) -> list[str]:
    """The transitions ``actor`` may make now (which buttons the page shows)."""
    return WORKFLOW.allowed_actions(actor, report)


@transaction.atomic
def report_create(*, actor: Actor, meeting: Meeting, title: str = "") -> ConsultationReport:
    """Start the report of a meeting (forecasters and chairs of the owning bureau).

    A meeting has one report in progress at a time; asking again returns it.
    """
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    probe = ConsultationReport(bureau_id=meeting.bureau_id, meeting=meeting)
    if not perms.can_draft_report(actor, probe):
        raise PermissionDenied(_("Only a forecaster or chair of the meeting's bureau drafts its report."))
    current = (
        ConsultationReport.objects.filter(meeting=meeting)
        .exclude(status__in=ConsultationReport.FROZEN)
        .first()
    )
    title_max = max_length_of(ConsultationReport, "title")
    # No title: the meeting's name stands in (the meeting's own title passed the same rule).
    title = clean_title(title, max_length=title_max) if (title or "").strip() else ""
    if current is not None:
        return current
    version = (ConsultationReport.objects.filter(meeting=meeting).aggregate(v=Max("version"))["v"] or 0) + 1
    report = ConsultationReport.objects.create(
        bureau_id=meeting.bureau_id,
        meeting=meeting,
        version=version,
        title=title or (_("Consultation report: %(title)s") % {"title": meeting.title})[:title_max],
        created_by=actor.user,
    )
    audit_record(actor=actor, action="report.create", target=report, to_state=report.status)
    return report


@transaction.atomic
def report_update(
    *, actor: Actor, report: ConsultationReport, title: str | None = None, number: str | None = None
) -> ConsultationReport:
    """Change a draft's title or issue number. A signed report never changes."""
    report = _lock(actor, report)
    if not perms.can_draft_report(actor, report):  # permission first: 403 before 409
        raise PermissionDenied(_("Only a forecaster or chair of the bureau edits its reports."))
    if report.is_frozen:
        raise InvalidTransition(_("A signed report never changes; issue a correction instead."))
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise InvalidTransition(_("Only a draft or a returned report can be edited."))
    if title is not None:
        report.title = clean_title(title, max_length=max_length_of(ConsultationReport, "title"))
    if number is not None:
        report.number = number.strip()
    report.save(update_fields=["title", "number", "updated_at"])
    audit_record(actor=actor, action="report.update", target=report)
    return report


def _meeting_closed(report: ConsultationReport) -> None:
    if report.meeting.status != Meeting.Status.CLOSED:
        raise InvalidTransition(_("Close the meeting before submitting its report."))


@transaction.atomic
def report_submit(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """DRAFT/RETURNED → SUBMITTED, by a forecaster or chair, once the meeting has closed.

    What the report says now is kept (``ReportSubmission``): the reviewer reads its changes."""

    def prepare(locked: ConsultationReport) -> dict[str, Any]:
        _meeting_closed(locked)
        return {"submitted_by": actor.user, "submitted_at": timezone.now()}

    report = transition(report, "submit", actor, comment, workflow=WORKFLOW, prepare=prepare)
    number = (report.submissions.aggregate(n=Max("number"))["n"] or 0) + 1
    ReportSubmission.objects.create(
        report=report, number=number, content=meeting_snapshot(report.meeting), submitted_by=actor.user
    )
    return report


@transaction.atomic
def report_return(*, actor: Actor, report: ConsultationReport, comment: str) -> ConsultationReport:
    """SUBMITTED/REVIEWED → RETURNED with comments, by an approver; the drafter is told the comment."""
    comment = (comment or "").strip()

    def prepare(locked: ConsultationReport) -> dict[str, Any]:
        if not comment:
            raise InvalidInput(_("Say what needs changing when returning a report."), field="comment")
        return {"review_comment": comment}

    return transition(report, "return", actor, comment, workflow=WORKFLOW, prepare=prepare)


@transaction.atomic
def report_review(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """SUBMITTED → REVIEWED, by an approver; the approvers who may sign are told."""
    return transition(
        report,
        "review",
        actor,
        comment,
        workflow=WORKFLOW,
        prepare=lambda locked: {"reviewed_by": actor.user, "reviewed_at": timezone.now()},
    )


@transaction.atomic
def report_sign_off(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """REVIEWED → SIGNED_OFF (签发), by an approver who did not submit it. Freezes the content."""

    def prepare(locked: ConsultationReport) -> dict[str, Any]:
        content = meeting_snapshot(locked.meeting)
        return {
            "content": content,
            "content_sha256": _digest(content),
            "signed_off_by": actor.user,
            "signed_off_at": timezone.now(),
        }

    return _pdf_once_fixed(transition(report, "sign_off", actor, comment, workflow=WORKFLOW, prepare=prepare))


@transaction.atomic
def report_issue(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """SIGNED_OFF → ISSUED: the level above (national units) can read it from now on."""
    report = transition(report, "issue", actor, comment, workflow=WORKFLOW, issued_at=timezone.now())
    url = report_url(report)
    report_id = report.pk
    transaction.on_commit(lambda: _notify_issued(report_id, url))
    return _pdf_once_fixed(report)


def _notify_issued(report_id: int, url: str) -> None:
    report = ConsultationReport.objects.select_related("bureau").get(pk=report_id)
    for bureau in Bureau.objects.filter(kind__in=[Bureau.Kind.NATIONAL, Bureau.Kind.CENTER], is_active=True):
        notify_bureau(
            bureau=bureau,
            title=_("%(bureau)s issued a consultation report") % {"bureau": report.bureau.name_zh},
            body=report.title,
            url=url,
            roles=[Role.FORECASTER, Role.CHAIR, Role.APPROVER],
            kind="consultation_report",
        )


@transaction.atomic
def report_archive(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """ISSUED → ARCHIVED, by an approver or the bureau admin."""
    return _pdf_once_fixed(
        transition(report, "archive", actor, comment, workflow=WORKFLOW, archived_at=timezone.now())
    )


@transaction.atomic
def report_correct(*, actor: Actor, report: ConsultationReport, note: str) -> ConsultationReport:
    """A correction of a signed report: a new draft version that says what it corrects.

    The signed version stays exactly as it was.
    """
    report = _lock(actor, report)
    if not perms.can_draft_report(actor, report):  # permission first: 403 before 409
        raise PermissionDenied(_("Only a forecaster or chair drafts a correction."))
    if not report.is_frozen:
        raise InvalidTransition(_("Only a signed-off report is corrected; a draft is simply edited."))
    if not (note or "").strip():
        raise InvalidInput(_("Say what the correction corrects."), field="note")
    if (
        ConsultationReport.objects.filter(meeting=report.meeting)
        .exclude(status__in=ConsultationReport.FROZEN)
        .exists()
    ):
        raise InvalidTransition(_("A correction of this meeting's report is already in progress."))
    version = (
        ConsultationReport.objects.filter(meeting=report.meeting).aggregate(v=Max("version"))["v"] or 0
    ) + 1
    correction = ConsultationReport.objects.create(
        bureau_id=report.bureau_id,
        meeting=report.meeting,
        version=version,
        corrects=report,
        correction_note=note.strip(),
        title=report.title,
        number=report.number,
        created_by=actor.user,
    )
    audit_record(
        actor=actor,
        action="report.correct",
        target=correction,
        to_state=correction.status,
        comment=note.strip(),
        extra={"corrects": report.pk, "corrects_version": report.version},
    )
    return correction
