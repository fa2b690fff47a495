"""Demo data of post-quake cases: JX's case on the largest quake of its demo catalog (the demo
sequence's mainshock), with its first draft computed in place, its first opinion issued by the
chair, then an M4.2 aftershock entered in the sequence zone and the updated opinion that its
re-evaluation proposes (what changed, for the chair to edit and issue). Idempotent (one case
per bureau and event; the aftershock is found again as the same event; a trigger fires once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import translation

from catalog.models import DataOrigin, Event
from catalog.services.events import Solution, event_record_solution
from portal.models import Bureau, User
from portal.tenancy import actor_for

from .models import OpinionState, PostQuakeOpinion
from .services import case_open, case_reevaluate, draft_build, opinion_transition

DEMO_AFTERSHOCK_MAGNITUDE = 4.2


def seed(stdout: Any) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _seed(stdout)


def _seed(stdout: Any) -> None:
    bureau = Bureau.objects.filter(code="JX").first()
    if bureau is None:
        return
    mainshock = (
        Event.objects.filter(bureau=bureau, magnitude__isnull=False)
        .exclude(status="deleted")
        .order_by("-magnitude", "-origin_time")
        .first()
    )
    if mainshock is None:
        return
    case = case_open(event_id=mainshock.pk, bureau_id=bureau.pk)
    if case is None:
        return
    if not PostQuakeOpinion.objects.filter(case=case).exists():
        case = draft_build(case_id=case.pk) or case
    stdout.write(f"postquake JX: case {case.pk} on {mainshock.public_id} (M{mainshock.magnitude})\n")
    chair = User.objects.filter(username="jx_chair").first()
    first = PostQuakeOpinion.objects.filter(case=case, number=1).first()
    actor = actor_for(chair, "JX") if chair is not None else None
    if first is None or actor is None:
        return
    if first.state == OpinionState.DRAFT:
        opinion_transition(actor=actor, opinion=first, action="issue")
        stdout.write("postquake JX: first opinion issued by jx_chair\n")
    # An aftershock two days on, 2 km from the epicentre: inside the zone, above the threshold.
    event_record_solution(
        bureau=bureau,
        solution=Solution(
            origin_time=mainshock.origin_time + dt.timedelta(days=2, minutes=37),
            latitude=round(mainshock.latitude + 0.018, 3),
            longitude=mainshock.longitude,
            depth_km=9.0,
            magnitude=DEMO_AFTERSHOCK_MAGNITUDE,
            magnitude_type=mainshock.magnitude_type or "ML",
            location_name=mainshock.location_name,
            source="JX",
        ),
        data_origin=DataOrigin.DEMO,
        publish=mainshock.is_published,
    )
    fired = case_reevaluate(case_id=case.pk)
    if fired:
        stdout.write(
            f"postquake JX: re-evaluated after {', '.join(r.label for r in fired)}: update proposed\n"
        )
