"""Who may do what with meetings, opinions, conclusions and consultation reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Membership, Role

if TYPE_CHECKING:
    from portal.models import User
    from portal.tenancy import Actor

    from .models import ConsultationReport, Meeting


def meeting_bureau_ids(meeting: Meeting) -> set[int]:
    """The bureau that owns the meeting and, for a joint meeting, its partners."""
    return {meeting.bureau_id, *meeting.joint_bureaus.values_list("id", flat=True)}


def _takes_part(actor: Actor, meeting: Meeting) -> bool:
    if actor.is_system_admin:
        return True
    return actor.bureau_id in meeting_bureau_ids(meeting)


def can_create_meeting(actor: Actor | None) -> bool:
    return bool(actor and actor.bureau and (actor.has_role(Role.CHAIR) or actor.has_role(Role.FORECASTER)))


def can_manage_meeting(actor: Actor | None, meeting: Meeting) -> bool:
    """The meeting's own chair, or a chair or forecaster of the owning bureau."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if actor.bureau_id != meeting.bureau_id:
        return False
    return meeting.chair_id == actor.user.pk or actor.has_role(Role.CHAIR) or actor.has_role(Role.FORECASTER)


def can_chair_meeting(actor: Actor | None, meeting: Meeting) -> bool:
    """Opening, closing and writing the conclusion are the chair's."""
    if actor is None:
        return False
    if actor.is_system_admin:
        return True
    if not _takes_part(actor, meeting):
        return False
    return meeting.chair_id == actor.user.pk or (
        actor.bureau_id == meeting.bureau_id and actor.has_role(Role.CHAIR)
    )


def can_give_opinion(actor: Actor | None, meeting: Meeting, discipline_code: str) -> bool:
    """An expert of that discipline in one of the meeting's bureaus."""
    if actor is None or actor.bureau is None:
        return False
    return _takes_part(actor, meeting) and actor.has_role(Role.EXPERT, discipline=discipline_code)


def can_join_room(user: User, meeting: Meeting) -> bool:
    """Participants and people holding any role in one of the meeting's bureaus."""
    if not user.is_active:
        return False
    if user.is_superuser or meeting.chair_id == user.pk or meeting.recorder_id == user.pk:
        return True
    if meeting.participants.filter(pk=user.pk).exists():
        return True
    return Membership.objects.filter(
        user=user, revoked_at__isnull=True, bureau_id__in=meeting_bureau_ids(meeting)
    ).exists()


def can_take_part(actor: Actor | None, meeting: Meeting) -> bool:
    """Comment and vote: anyone who may be in the room."""
    if actor is None:
        return False
    return _takes_part(actor, meeting) or can_join_room(actor.user, meeting)


# --- reports -----------------------------------------------------------------------


def _own_bureau(actor: Actor | None, report: ConsultationReport) -> bool:
    return bool(actor and (actor.is_system_admin or actor.bureau_id == report.bureau_id))


def can_draft_report(actor: Actor | None, report: ConsultationReport) -> bool:
    return _own_bureau(actor, report) and bool(
        actor and (actor.is_system_admin or actor.has_role(Role.FORECASTER) or actor.has_role(Role.CHAIR))
    )


def can_review_report(actor: Actor | None, report: ConsultationReport) -> bool:
    return _own_bureau(actor, report) and bool(
        actor and (actor.is_system_admin or actor.has_role(Role.APPROVER))
    )


def can_sign_off_report(actor: Actor | None, report: ConsultationReport) -> bool:
    """An approver of the bureau who did not submit the report (no signing one's own draft)."""
    return can_review_report(actor, report) and bool(actor and report.submitted_by_id != actor.user.pk)


def can_archive_report(actor: Actor | None, report: ConsultationReport) -> bool:
    return _own_bureau(actor, report) and bool(
        actor
        and (actor.is_system_admin or actor.has_role(Role.APPROVER) or actor.has_role(Role.BUREAU_ADMIN))
    )
