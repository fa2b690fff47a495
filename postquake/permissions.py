"""Who may do what with post-quake cases and opinions (pure predicates; services re-check)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import OpinionPush, PostQuakeCase, PostQuakeOpinion


def _holds(actor: Actor | None, bureau_id: int, *roles: str) -> bool:
    return actor is not None and actor.bureau_id == bureau_id and any(actor.has_role(role) for role in roles)


def can_chair_case(actor: Actor | None, case: PostQuakeCase) -> bool:
    """The bureau's chair edits and issues (or submits) the opinions and closes the case."""
    return _holds(actor, case.bureau_id, Role.CHAIR)


def can_write_opinion(actor: Actor | None, opinion: PostQuakeOpinion) -> bool:
    return _holds(actor, opinion.bureau_id, Role.CHAIR)


def can_review_opinion(actor: Actor | None, opinion: PostQuakeOpinion) -> bool:
    """An approver of the bureau signs off or returns a submitted opinion."""
    return _holds(actor, opinion.bureau_id, Role.APPROVER)


def can_sign_off_opinion(actor: Actor | None, opinion: PostQuakeOpinion) -> bool:
    """An approver who did not submit it (four eyes)."""
    return (
        can_review_opinion(actor, opinion) and actor is not None and opinion.submitted_by_id != actor.user.pk
    )


def can_issue_case(actor: Actor | None, case: PostQuakeCase) -> bool:
    """Whoever issues an opinion (the chair directly, an approver by signing off) moves the
    case on with its first one."""
    return _holds(actor, case.bureau_id, Role.CHAIR, Role.APPROVER)


def can_manage_postquake_settings(actor: Actor | None) -> bool:
    """The bureau admin sets the bureau's deadline, parameters, sign-off and re-evaluations."""
    return actor is not None and actor.bureau is not None and actor.has_role(Role.BUREAU_ADMIN)


def can_retry_opinion_push(actor: Actor | None, push: OpinionPush) -> bool:
    """Those told of a failed push can retry it: forecasters, chairs and the bureau admin."""
    return _holds(actor, push.bureau_id, Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN)
