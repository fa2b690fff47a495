"""The consultation report and its workflow (one service per transition, ``TRANSITIONS``)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.models import Bureau, Role
from portal.services import audit_record, broadcast_on_commit, notify_bureau
from portal.tenancy import Actor
from portal.validators import clean_title

from .. import permissions as perms
from ..models import (
    Conclusion,
    ConsultationReport,
    DisciplineOpinion,
    Meeting,
    MeetingMaterial,
    MeetingRepresentative,
    ReportStatus,
    Vote,
)
from .conclusion import forecast_payload
from .meetings import _participant_names, _url
from .opinions import opinion_payload
from .report_pdf import report_pdf_requested

TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.SUBMITTED},
    ReportStatus.RETURNED: {ReportStatus.SUBMITTED},
    ReportStatus.SUBMITTED: {ReportStatus.RETURNED, ReportStatus.REVIEWED},
    ReportStatus.REVIEWED: {ReportStatus.SIGNED_OFF, ReportStatus.RETURNED},
    ReportStatus.SIGNED_OFF: {ReportStatus.ISSUED},
    ReportStatus.ISSUED: {ReportStatus.ARCHIVED},
}


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
            "chair": meeting.chair.label if meeting.chair_id else "",
            "recorder": meeting.recorder.label if meeting.recorder_id else "",
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


def _locked(report: ConsultationReport) -> ConsultationReport:
    return ConsultationReport.objects.select_for_update().select_related("meeting").get(pk=report.pk)


def _require(report: ConsultationReport, to: str) -> None:
    if to not in TRANSITIONS.get(report.status, set()):
        raise InvalidTransition(
            _("A report that is %(state)s cannot be %(to)s.")
            % {"state": report.get_status_display(), "to": ReportStatus(to).label}
        )


def _move(
    actor: Actor, report: ConsultationReport, to: str, action: str, comment: str, fields: list[str]
) -> ConsultationReport:
    previous = report.status
    report.status = to
    report.save(update_fields=["status", "updated_at", *fields])
    audit_record(actor=actor, action=action, target=report, from_state=previous, to_state=to, comment=comment)
    broadcast_on_commit(
        f"bureau.{report.bureau_id}.consultation_reports",
        {"kind": "consultation_report", "id": report.pk, "status": to},
    )
    if to in ConsultationReport.FROZEN:  # signed off, issued, archived: its PDF renders once now
        report_id = report.pk
        transaction.on_commit(lambda: report_pdf_requested(report_id))
    return report


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
    title_max = ConsultationReport._meta.get_field("title").max_length
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
    report = _locked(report)
    if not perms.can_draft_report(actor, report):  # permission first: 403 before 409
        raise PermissionDenied(_("Only a forecaster or chair of the bureau edits its reports."))
    if report.is_frozen:
        raise InvalidTransition(_("A signed report never changes; issue a correction instead."))
    if report.status not in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        raise InvalidTransition(_("Only a draft or a returned report can be edited."))
    if title is not None:
        report.title = clean_title(title, max_length=ConsultationReport._meta.get_field("title").max_length)
    if number is not None:
        report.number = number.strip()
    report.save(update_fields=["title", "number", "updated_at"])
    audit_record(actor=actor, action="report.update", target=report)
    return report


@transaction.atomic
def report_submit(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """DRAFT/RETURNED → SUBMITTED, by a forecaster or chair, once the meeting has closed."""
    report = _locked(report)
    if not perms.can_draft_report(actor, report):
        raise PermissionDenied(_("Only a forecaster or chair submits a report for review."))
    _require(report, ReportStatus.SUBMITTED)
    if report.meeting.status != Meeting.Status.CLOSED:
        raise InvalidTransition(_("Close the meeting before submitting its report."))
    report.submitted_by, report.submitted_at = actor.user, timezone.now()
    return _move(
        actor, report, ReportStatus.SUBMITTED, "report.submit", comment, ["submitted_by", "submitted_at"]
    )


@transaction.atomic
def report_return(*, actor: Actor, report: ConsultationReport, comment: str) -> ConsultationReport:
    """SUBMITTED/REVIEWED → RETURNED with comments, by an approver."""
    report = _locked(report)
    if not perms.can_review_report(actor, report):
        raise PermissionDenied(_("Only an approver returns a report."))
    _require(report, ReportStatus.RETURNED)
    if not (comment or "").strip():
        raise InvalidInput(_("Say what needs changing when returning a report."), field="comment")
    report.review_comment = comment.strip()
    return _move(actor, report, ReportStatus.RETURNED, "report.return", comment, ["review_comment"])


@transaction.atomic
def report_review(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """SUBMITTED → REVIEWED, by an approver."""
    report = _locked(report)
    if not perms.can_review_report(actor, report):
        raise PermissionDenied(_("Only an approver reviews a report."))
    _require(report, ReportStatus.REVIEWED)
    report.reviewed_by, report.reviewed_at = actor.user, timezone.now()
    return _move(
        actor, report, ReportStatus.REVIEWED, "report.review", comment, ["reviewed_by", "reviewed_at"]
    )


@transaction.atomic
def report_sign_off(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """REVIEWED → SIGNED_OFF (签发), by an approver who did not submit it. Freezes the content."""
    report = _locked(report)
    if not perms.can_sign_off_report(actor, report):
        raise PermissionDenied(_("Only an approver who did not submit the report signs it off."))
    _require(report, ReportStatus.SIGNED_OFF)
    report.content = meeting_snapshot(report.meeting)
    report.content_sha256 = _digest(report.content)
    report.signed_off_by, report.signed_off_at = actor.user, timezone.now()
    return _move(
        actor,
        report,
        ReportStatus.SIGNED_OFF,
        "report.sign_off",
        comment,
        ["content", "content_sha256", "signed_off_by", "signed_off_at"],
    )


@transaction.atomic
def report_issue(*, actor: Actor, report: ConsultationReport, comment: str = "") -> ConsultationReport:
    """SIGNED_OFF → ISSUED: the level above (national units) can read it from now on."""
    report = _locked(report)
    if not perms.can_review_report(actor, report):
        raise PermissionDenied(_("Only an approver issues a report."))
    _require(report, ReportStatus.ISSUED)
    report.issued_at = timezone.now()
    report = _move(actor, report, ReportStatus.ISSUED, "report.issue", comment, ["issued_at"])
    url = _url("consultations:report-detail", report.pk)
    transaction.on_commit(lambda: _notify_issued(report.pk, url))
    return report


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
    report = _locked(report)
    if not perms.can_archive_report(actor, report):
        raise PermissionDenied(_("Only an approver or the bureau admin archives a report."))
    _require(report, ReportStatus.ARCHIVED)
    report.archived_at = timezone.now()
    return _move(actor, report, ReportStatus.ARCHIVED, "report.archive", comment, ["archived_at"])


@transaction.atomic
def report_correct(*, actor: Actor, report: ConsultationReport, note: str) -> ConsultationReport:
    """A correction of a signed report: a new draft version that says what it corrects.

    The signed version stays exactly as it was.
    """
    report = _locked(report)
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
