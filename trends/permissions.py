"""Who may do what with a monthly trend report (pure functions: pages, APIs and services ask).

Drafting (request, recompile, edit a section's text, submit, correct) is a forecaster's or
a chair's of the report's bureau; reviewing, returning, signing off and issuing are an
approver's; archiving is an approver's or the bureau admin's. The system admin may do what
a bureau's people may. Four eyes: the reviewer did not draft or submit the report, and the
signer neither drafted, submitted nor reviewed it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from portal.models import Role

if TYPE_CHECKING:
    from portal.models import Bureau
    from portal.tenancy import Actor

    from .models import TrendReport


def _in_bureau(actor: Actor | None, bureau_id: int | None) -> bool:
    return bool(actor and (actor.is_system_admin or (bureau_id and actor.bureau_id == bureau_id)))


def _holds(actor: Actor | None, *roles: str) -> bool:
    return bool(actor and (actor.is_system_admin or any(actor.has_role(role) for role in roles)))


def can_draft_for(actor: Actor | None, bureau: Bureau | int) -> bool:
    """A forecaster or chair of ``bureau`` (request a report, draft it)."""
    bureau_id = bureau if isinstance(bureau, int) else bureau.pk
    return _in_bureau(actor, bureau_id) and _holds(actor, Role.FORECASTER, Role.CHAIR)


def can_draft_trend_report(actor: Actor | None, report: TrendReport) -> bool:
    return can_draft_for(actor, report.bureau_id)


def can_approve_trend_report(actor: Actor | None, report: TrendReport) -> bool:
    """An approver of the report's bureau (review, return, issue)."""
    return _in_bureau(actor, report.bureau_id) and _holds(actor, Role.APPROVER)


def drafter_ids(report: TrendReport) -> set[int]:
    """Who drafted the report: its submitter and the person who asked for it."""
    return {pk for pk in (report.submitted_by_id, report.created_by_id) if pk}


def four_eyes_review_refusal(actor: Actor | None, report: TrendReport) -> bool:
    """True when ``actor`` drafted or submitted the report (they may not review it)."""
    return bool(actor and actor.user.pk in drafter_ids(report))


def four_eyes_sign_refusal(actor: Actor | None, report: TrendReport) -> bool:
    """True when ``actor`` drafted, submitted or reviewed the report (they may not sign it)."""
    return bool(actor and actor.user.pk in {*drafter_ids(report), report.reviewed_by_id})


def can_review_trend_report(actor: Actor | None, report: TrendReport) -> bool:
    return can_approve_trend_report(actor, report) and not four_eyes_review_refusal(actor, report)


def can_sign_off_trend_report(actor: Actor | None, report: TrendReport) -> bool:
    return can_approve_trend_report(actor, report) and not four_eyes_sign_refusal(actor, report)


def can_archive_trend_report(actor: Actor | None, report: TrendReport) -> bool:
    return _in_bureau(actor, report.bureau_id) and _holds(actor, Role.APPROVER, Role.BUREAU_ADMIN)
