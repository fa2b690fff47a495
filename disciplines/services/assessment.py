"""The assessment of a verified anomaly: the experts' ratings, the group's assessment and
its decision (keep tracking or close).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disciplines import permissions
from disciplines.models import (
    Anomaly,
    AssessmentRating,
)
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.services import audit_record, broadcast_on_commit
from portal.workflow import transition

from . import live_group
from .anomaly_workflow import WORKFLOW, State, _comment_required, _event, _lock

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from portal.tenancy import Actor


@transaction.atomic
def rating_save(
    *,
    actor: Actor,
    anomaly: Anomaly | int,
    credibility: str,
    relation: str,
    recommendation: str,
    comment: str = "",
) -> AssessmentRating:
    """An expert's line on the assessment form; saving again replaces the expert's line."""
    anomaly = _lock(actor, anomaly)
    if not permissions.can_rate_anomaly(actor, anomaly):  # permission first: 403 before 409
        raise PermissionDenied(_("Only experts of the discipline rate this anomaly."))
    if anomaly.state != State.VERIFIED:
        raise InvalidTransition(_("Ratings are given while the verified anomaly awaits assessment."))
    for name, value, choices in (
        ("credibility", credibility, AssessmentRating.Credibility),
        ("relation", relation, AssessmentRating.Relation),
        ("recommendation", recommendation, Anomaly.Decision),
    ):
        if value not in choices.values:
            raise InvalidInput(
                _("%(field)s must be one of %(all)s.") % {"field": name, "all": ", ".join(choices.values)},
                field=name,
            )
    rating, _created = AssessmentRating.objects.update_or_create(
        anomaly=anomaly,
        expert=actor.user,
        defaults={
            "bureau_id": anomaly.bureau_id,
            "credibility": credibility,
            "relation": relation,
            "recommendation": recommendation,
            "comment": (comment or "").strip(),
        },
    )
    audit_record(
        actor=actor,
        action="assessment.rate",
        target=anomaly,
        comment=rating.comment,
        extra={"credibility": credibility, "relation": relation, "recommendation": recommendation},
    )
    broadcast_on_commit(live_group(anomaly.bureau_id), _event(anomaly, "rate"))
    return rating


def rating_summary(ratings: Iterable[AssessmentRating]) -> dict[str, Any]:
    """Counts of credibility and recommendation, and the majority recommendation (ties: keep tracking)."""
    ratings = list(ratings)
    credibility = dict.fromkeys(AssessmentRating.Credibility.values, 0)
    recommendation = dict.fromkeys(Anomaly.Decision.values, 0)
    for rating in ratings:
        credibility[rating.credibility] += 1
        recommendation[rating.recommendation] += 1
    majority = (
        Anomaly.Decision.CLOSE
        if recommendation[Anomaly.Decision.CLOSE] > recommendation[Anomaly.Decision.TRACK]
        else Anomaly.Decision.TRACK
    )
    return {
        "n": len(ratings),
        "credibility": credibility,
        "recommendation": recommendation,
        "majority": majority,
    }


@transaction.atomic
def anomaly_assess(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """verified → assessed: the discipline group has rated it (at least one rating)."""
    audit: dict[str, Any] = {}

    def prepare(locked: Anomaly) -> dict[str, Any]:
        ratings = list(AssessmentRating.objects.filter(anomaly=locked))
        if not ratings:
            raise InvalidInput(_("No expert has rated this anomaly yet."), field="ratings")
        audit.update(rating_summary(ratings))
        return {"assessed_at": timezone.now()}

    return transition(anomaly, "assess", actor, comment, workflow=WORKFLOW, prepare=prepare, extra=audit)


@transaction.atomic
def anomaly_return_assessment(*, actor: Actor, anomaly: Anomaly | int, comment: str) -> Anomaly:
    """assessed → verified: the group reopens its assessment before deciding."""
    return transition(
        anomaly,
        "return_assessment",
        actor,
        (comment or "").strip(),
        workflow=WORKFLOW,
        prepare=_comment_required(comment),
        assessed_at=None,
    )


def _decision(action: str, decision: str, comment: str) -> Callable[[Anomaly], dict[str, Any]]:
    def prepare(locked: Anomaly) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        if locked.state == State.ASSESSED:  # the end of tracking keeps the group's decision
            changes.update(decision=decision, decision_comment=(comment or "").strip())
        if action == "close":
            changes["closed_at"] = timezone.now()
        return changes

    return prepare


@transaction.atomic
def anomaly_track(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """assessed → tracking: the group's decision to keep watching it; the reporter is told."""
    prepare = _decision("track", Anomaly.Decision.TRACK, comment)
    return transition(anomaly, "track", actor, comment, workflow=WORKFLOW, prepare=prepare)


@transaction.atomic
def anomaly_close(*, actor: Actor, anomaly: Anomaly | int, comment: str = "") -> Anomaly:
    """assessed | tracking → closed: the group's decision, or the end of tracking; the reporter is told."""
    prepare = _decision("close", Anomaly.Decision.CLOSE, comment)
    return transition(anomaly, "close", actor, comment, workflow=WORKFLOW, prepare=prepare)
