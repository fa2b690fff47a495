"""Who may do what with meetings, opinions, conclusions and consultation reports."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role
from portal.selectors import memberships_active

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
    """An expert of that discipline, acting in one of the meeting's bureaus.

    The expert role is one of ``CONSULTATION_ROLES``, so whoever may give an
    opinion also takes part (``can_take_part``); a viewer never does.
    """
    if actor is None or actor.bureau is None:
        return False
    return _takes_part(actor, meeting) and actor.has_role(Role.EXPERT, discipline=discipline_code)


def can_join_room(user: User, meeting: Meeting, *, listed: bool, member: bool) -> bool:
    """Read the meeting live: participants and people holding any role in its bureaus.

    Joining is reading; acting in the room is ``can_take_part``. The two facts that need
    the database come with the meeting, read in the same query
    (``selectors.meeting_for_room``: one query for the whole check, issue 18):
    ``listed``, the person is one of the meeting's participants; ``member``, the person
    holds an unrevoked membership (any role) in the owning bureau or a joint partner.
    """
    if not user.is_active:
        return False
    if user.is_superuser or meeting.chair_id == user.pk or meeting.recorder_id == user.pk:
        return True
    return listed or member


#: The roles that work in a consultation (DOMAIN.md): experts give discipline
#: opinions, forecasters draft, the chair leads, approvers review what the meeting
#: concludes. A viewer reads. A reporter's work reaches the meeting as zero-reports
#: and anomalies (put before it as material by those who work in it), and a bureau
#: admin manages people and stations: in a meeting both read, as a viewer does.
CONSULTATION_ROLES = (Role.EXPERT, Role.FORECASTER, Role.CHAIR, Role.APPROVER)


def can_take_part(actor: Actor | None, meeting: Meeting) -> bool:
    """Vote, comment and add material: a working role in one of the meeting's bureaus.

    The one rule for "taking part" (HTTP pages, API and the live room alike):
    the meeting's own chair or recorder, or a person holding a current
    (unrevoked) membership with a role of ``CONSULTATION_ROLES`` in the
    owning bureau or a joint partner, whichever bureau the person is acting
    in. Being listed as a participant, holding only a viewer, reporter or
    bureau-admin role, or being the system admin, gives reading only
    (``can_join_room``); a vote of a non-participant would skew the show of
    hands. Opinions additionally need the expert role of their discipline
    (``can_give_opinion``).
    """
    if actor is None or not actor.user.is_active:
        return False
    user = actor.user
    if user.pk in (meeting.chair_id, meeting.recorder_id):
        return True
    return memberships_active(
        user=user, bureau_ids=meeting_bureau_ids(meeting), roles=CONSULTATION_ROLES
    ).exists()


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
