"""Re-evaluating a post-quake case as its sequence unfolds.

A case not closed is re-evaluated (its draft recomputed, an updated opinion proposed with what
changed, see ``proposals``) when

* a time of ``PostQuakeSettings.reevaluate_hours`` after the clock start has come (default 2,
  24 and 72 hours; keys ``2h``, ``24h``, ``72h``), or
* an aftershock of magnitude ``reevaluate_magnitude`` or more (default 4.0) lies inside the
  sequence zone (``science.zone_radius_km`` of the mainshock, the draft's own rule; key
  ``aftershock <public_id>``), whichever way it reached the catalog (quick-report SMS, FDSN
  or file import, a solution entered by hand).

Each trigger fires once per case: ``PostQuakeReevaluation`` has a unique (case, key), written
under the case's lock together with the proposal. Triggers due at the same moment (a burst of
aftershocks, a beat run after a pause) make one re-evaluation. The beat job
``postquake.reevaluate_sweep`` runs every minute over every case not closed; the
``catalog.arrival`` listener runs the same sweep for the bureau at once when a quake concerns
it. Closing the case ends its re-evaluations. A case whose first draft has not come yet is not
re-evaluated (its first draft counts what arrived before it); one whose draft task was lost is
drafted again by the sweep.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portal import search_services
from postquake.models import (
    CaseState,
    PostQuakeCase,
    PostQuakeOpinion,
    PostQuakeReevaluation,
    PostQuakeSettings,
)
from postquake.selectors import (
    aftershocks_triggering,
    case_get_for_worker,
    cases_to_reevaluate_for_worker,
    cases_without_draft_for_worker,
    settings_for,
)

from .draft import draft_build, draft_compute
from .proposals import aftershock_key, aftershock_label, computed_at, joined, opinion_propose

logger = logging.getLogger(__name__)

#: A first draft still pending this long after the case opened lost its task: draft it again.
DRAFT_LOST_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Trigger:
    key: str  # once per case
    label: str  # what the opinion and the page say
    event_id: int | None = None


def hours_key(hours: int) -> str:
    return f"{hours}h"


def _fired(case: PostQuakeCase) -> set[str]:
    return set(PostQuakeReevaluation.objects.filter(case=case).values_list("key", flat=True))


def due_triggers(
    *, case: PostQuakeCase, options: PostQuakeSettings, now: dt.datetime, fired: set[str]
) -> list[Trigger]:
    """The triggers of ``case`` that are due at ``now`` and have not fired."""
    due = [
        Trigger(hours_key(hours), hours_key(hours))
        for hours in sorted({int(h) for h in options.reevaluate_hours or []})
        if case.clock_start + dt.timedelta(hours=hours) <= now and hours_key(hours) not in fired
    ]
    for event in aftershocks_triggering(case=case, magnitude=options.reevaluate_magnitude, now=now):
        key = aftershock_key(event.public_id)
        if key not in fired:
            due.append(Trigger(key, aftershock_label(event.public_id, event.magnitude), event.pk))
    return due


def case_reevaluate(*, case_id: int, now: dt.datetime | None = None) -> list[PostQuakeReevaluation]:
    """Fire the case's due triggers, if any: recompute the draft (kept on the case) and propose
    the updated opinion. Returns the re-evaluations recorded (empty: nothing was due)."""
    now = now or timezone.now()
    case = case_get_for_worker(case_id=case_id)
    if case is None or case.state == CaseState.CLOSED:
        return []
    if not PostQuakeOpinion.objects.filter(case=case).exists():
        return []  # the first draft is not in: it will count what arrived before it
    options = settings_for(bureau=case.bureau)
    if not due_triggers(case=case, options=options, now=now, fired=_fired(case)):
        return []
    draft = draft_compute(case, now)  # seconds of reading: outside the lock
    with transaction.atomic():
        case = (
            PostQuakeCase.objects.select_for_update(of=("self",))
            .select_related("event", "bureau")
            .get(pk=case.pk)
        )
        if case.state == CaseState.CLOSED:
            return []
        triggers = due_triggers(case=case, options=options, now=now, fired=_fired(case))
        if not triggers:  # a concurrent run fired them
            return []
        stored = computed_at(case.draft or {})
        if stored is None or stored <= now:
            PostQuakeCase.objects.filter(pk=case.pk).update(draft=draft, drafted_at=timezone.now())
            search_services.reindex_on_commit("postquake_case", case.pk)  # the draft is searched
        label = joined(t.label for t in triggers)
        opinion, outcome = opinion_propose(case=case, draft=draft, trigger=label, now=now)
        rows = PostQuakeReevaluation.objects.bulk_create(
            [
                PostQuakeReevaluation(
                    bureau=case.bureau,
                    case=case,
                    key=t.key,
                    label=t.label,
                    event_id=t.event_id,
                    fired_at=now,
                    outcome=outcome,
                    opinion=opinion,
                )
                for t in triggers
            ]
        )
    logger.info("post-quake case %s re-evaluated after %s: %s", case.pk, label, outcome)
    return rows


def reevaluate_sweep(*, now: dt.datetime | None = None, bureau_id: int | None = None) -> dict[int, list[str]]:
    """Re-evaluate every case not closed (of one bureau, for the arrival listener) whose
    triggers are due; redraft the cases whose first draft was lost. Returns the keys fired
    per case. One case failing is logged and does not stop the others."""
    now = now or timezone.now()
    if bureau_id is None:
        for lost in cases_without_draft_for_worker(before=now - DRAFT_LOST_AFTER).values_list(
            "pk", flat=True
        ):
            try:
                draft_build(case_id=lost)
            except Exception:  # the next minute's sweep tries again
                logger.exception("redrafting post-quake case %s failed", lost)
    fired: dict[int, list[str]] = {}
    for case_id in cases_to_reevaluate_for_worker(bureau_id=bureau_id).values_list("pk", flat=True):
        try:
            rows = case_reevaluate(case_id=case_id, now=now)
        except Exception:  # one broken case must not keep the others from re-evaluating
            logger.exception("re-evaluating post-quake case %s failed", case_id)
            continue
        if rows:
            fired[case_id] = [row.key for row in rows]
    return fired
