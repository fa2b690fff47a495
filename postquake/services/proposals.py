"""Proposing opinions from a case's draft: the first when the first draft is in, then an update
(or a recomputation of the one in hand) at each re-evaluation, and after an issue that a
re-evaluation waited on.

A case has at most one opinion in progress (``postquakeopinion_one_in_progress``):

* none in progress: the first opinion (nothing issued yet) or an update (kind ``update``,
  ``changes`` against the last issued one) is created, proposed (state ``draft``);
* one proposed: its snapshot and changes are recomputed in place; the chair's text, if
  written, is kept and the page says the figures moved under it (``recomputed_at``);
* one awaiting sign-off: it is left as the approver sees it; the re-evaluation waits and an
  update is proposed as soon as that opinion is issued (:func:`propose_after_issue`).

Whoever must act is told: the bureau's chairs and its duty team (``selectors.on_duty``).
Rows are created in their state (a creation is no move); state changes are the workflow's.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.models import Notification
from portal.services import audit_record
from portal.timefmt import format_time
from portal.workflow import Handoff, tell
from postquake.changes import opinion_changes
from postquake.models import (
    CaseState,
    OpinionKind,
    OpinionState,
    PostQuakeCase,
    PostQuakeOpinion,
    PostQuakeReevaluation,
    ReevaluationOutcome,
)
from postquake.selectors import aftershocks_triggering, on_duty, opinion_last_issued, settings_for
from postquake.wording import changes_in_words, trigger_words

from .cases import WORKFLOW as CASE_WORKFLOW

if TYPE_CHECKING:
    from collections.abc import Iterable

logger = logging.getLogger(__name__)

FIRST = "first"
TRIGGER_MAX = 200


def aftershock_key(public_id: str) -> str:
    """The once-only key of an aftershock trigger (its id: a revised magnitude is the same quake)."""
    return f"aftershock {public_id}"


def aftershock_label(public_id: str, magnitude: float | None) -> str:
    """``aftershock <public_id> M4.3``."""
    return f"{aftershock_key(public_id)} M{float(magnitude or 0.0):.1f}"


def joined(labels: Iterable[str]) -> str:
    """Several triggers of one re-evaluation, as one trigger text (cut to the column)."""
    text = "; ".join(labels)
    return text if len(text) <= TRIGGER_MAX else text[: TRIGGER_MAX - 1] + "…"


def computed_at(draft: dict[str, Any]) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(draft.get("computed_at")))
    except ValueError:
        return None


def _tell_duty(
    case: PostQuakeCase, title: str, body: str = "", *, level: str = Notification.Level.WARNING
) -> None:
    tell(CASE_WORKFLOW, case, [Handoff(on_duty(bureau=case.bureau), title=title, body=body, level=level)])


def opinion_first_propose(*, case_id: int) -> PostQuakeOpinion | None:
    """Opinion No. 1 (kind ``first``), proposed from the case's first draft; once per case.

    The aftershocks already counted in that draft that would trigger a re-evaluation are
    recorded as such (outcome ``in_first_draft``), so they do not trigger one again. The
    chairs and the duty team are told the draft is in and when the opinion is due.
    """
    with transaction.atomic():
        case = (
            PostQuakeCase.objects.select_for_update(of=("self",))
            .select_related("event", "bureau")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.state == CaseState.CLOSED or not case.draft:
            return None
        if PostQuakeOpinion.objects.filter(case=case).exists():
            return None
        try:
            with transaction.atomic():
                opinion = PostQuakeOpinion.objects.create(
                    bureau=case.bureau,
                    case=case,
                    number=1,
                    kind=OpinionKind.FIRST,
                    trigger=FIRST,
                    snapshot=case.draft,
                    changes={"against": None, "changed": False},
                    state=OpinionState.DRAFT,
                )
        except IntegrityError:  # proposed by a concurrent call
            return None
        drafted = computed_at(case.draft) or timezone.now()
        options = settings_for(bureau=case.bureau)
        PostQuakeReevaluation.objects.bulk_create(
            [
                PostQuakeReevaluation(
                    bureau=case.bureau,
                    case=case,
                    key=aftershock_key(event.public_id),
                    label=aftershock_label(event.public_id, event.magnitude),
                    event=event,
                    fired_at=drafted,
                    outcome=ReevaluationOutcome.IN_FIRST_DRAFT,
                    opinion=opinion,
                )
                for event in aftershocks_triggering(
                    case=case, magnitude=options.reevaluate_magnitude, now=drafted
                )
            ],
            ignore_conflicts=True,
        )
        audit_record(
            actor=None,
            action="postquake_opinion.propose",
            target=opinion,
            to_state=opinion.state,
            extra={"trigger": FIRST, "number": 1},
        )
        with translation.override(settings.LANGUAGE_CODE):
            _tell_duty(
                case,
                _("Post-quake case %(event)s: the first draft is in; the opinion is due at %(time)s")
                % {"event": case.event, "time": format_time(case.due_at)},
                level=Notification.Level.URGENT,
            )
    return opinion


def opinion_propose(
    *, case: PostQuakeCase, draft: dict[str, Any], trigger: str, now: dt.datetime
) -> tuple[PostQuakeOpinion | None, str]:
    """Propose (or recompute) the case's opinion from ``draft`` after ``trigger``; the case is
    locked by the caller. Returns (the opinion, the outcome); (None, ``waiting``) while an
    opinion awaits sign-off. The chairs and the duty team are told."""
    last = opinion_last_issued(case=case)
    changes = opinion_changes(last.snapshot if last else None, draft, against=last.number if last else None)
    current = (
        PostQuakeOpinion.objects.select_for_update()
        .filter(case=case, state__in=[OpinionState.DRAFT, OpinionState.SUBMITTED])
        .first()
    )
    opinion: PostQuakeOpinion | None
    if current is None:
        number = (PostQuakeOpinion.objects.filter(case=case).aggregate(n=Max("number"))["n"] or 0) + 1
        opinion = PostQuakeOpinion.objects.create(
            bureau=case.bureau,
            case=case,
            number=number,
            kind=OpinionKind.UPDATE if last else OpinionKind.FIRST,
            trigger=joined([trigger]) if last else FIRST,
            snapshot=draft,
            changes=changes,
            state=OpinionState.DRAFT,
        )
        outcome = ReevaluationOutcome.PROPOSED
        audit_record(
            actor=None,
            action="postquake_opinion.propose",
            target=opinion,
            to_state=opinion.state,
            extra={"trigger": trigger, "number": number, "changed": changes.get("changed", False)},
        )
    elif current.state == OpinionState.DRAFT:
        opinion = current
        opinion.snapshot, opinion.changes, opinion.recomputed_at = draft, changes, now
        opinion.save(update_fields=["snapshot", "changes", "recomputed_at", "updated_at"])
        outcome = ReevaluationOutcome.REFRESHED
        audit_record(
            actor=None,
            action="postquake_opinion.recompute",
            target=opinion,
            extra={"trigger": trigger, "changed": changes.get("changed", False)},
        )
    else:
        opinion, outcome = None, ReevaluationOutcome.WAITING
    with translation.override(settings.LANGUAGE_CODE):
        words = "\n".join(changes_in_words(changes))
        titles = {
            ReevaluationOutcome.PROPOSED: _(
                "Post-quake case %(event)s: updated opinion proposed (%(trigger)s)"
            ),
            ReevaluationOutcome.REFRESHED: _(
                "Post-quake case %(event)s: the proposed opinion was recomputed (%(trigger)s)"
            ),
            ReevaluationOutcome.WAITING: _(
                "Post-quake case %(event)s: re-evaluated (%(trigger)s) while an opinion awaits sign-off"
            ),
        }
        if (
            opinion is not None
            and opinion.kind == OpinionKind.FIRST
            and outcome == ReevaluationOutcome.PROPOSED
        ):
            title = _("Post-quake case %(event)s: the first draft is in; the opinion is due at %(time)s") % {
                "event": case.event,
                "time": format_time(case.due_at),
            }
        else:
            title = titles[outcome] % {"event": case.event, "trigger": trigger_words(trigger)}
        _tell_duty(case, title, words)
    return opinion, outcome


def propose_after_issue(*, case: PostQuakeCase, issued: PostQuakeOpinion) -> PostQuakeOpinion | None:
    """The re-evaluations that waited while ``issued`` awaited sign-off: an update from the
    case's latest draft, when that draft is newer than the one issued. Case locked by the caller."""
    waiting = PostQuakeReevaluation.objects.filter(
        case=case, outcome=ReevaluationOutcome.WAITING, opinion__isnull=True
    ).order_by("fired_at", "id")
    labels = [row.label for row in waiting]
    latest, issued_from = computed_at(case.draft or {}), computed_at(issued.snapshot or {})
    if not labels or latest is None or (issued_from is not None and latest <= issued_from):
        return None
    opinion, _outcome = opinion_propose(
        case=case, draft=case.draft, trigger=joined(labels), now=timezone.now()
    )
    if opinion is not None:
        waiting.update(opinion=opinion)
    return opinion
