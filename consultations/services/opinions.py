"""Discipline opinions submitted to a meeting."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from consultations import permissions as perms
from consultations.models import DisciplineOpinion, Meeting, OpinionRevision
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.links import check_link
from portal.models import Discipline
from portal.services import audit_record

from .forecasts import _forecast_terms, parse_region
from .room import _room_event

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor


def _opinion_content(opinion: DisciplineOpinion) -> dict[str, Any]:
    return {
        "summary": opinion.summary,
        "anomalies_cited": opinion.anomalies_cited,
        "window_start": opinion.window_start.isoformat() if opinion.window_start else None,
        "window_end": opinion.window_end.isoformat() if opinion.window_end else None,
        "regions": json.loads(opinion.regions.geojson) if opinion.regions else None,
        "min_magnitude": str(opinion.min_magnitude) if opinion.min_magnitude is not None else None,
        "max_magnitude": str(opinion.max_magnitude) if opinion.max_magnitude is not None else None,
        "likelihood": opinion.likelihood,
    }


def _clean_anomalies(value: Any) -> list[dict[str, str]]:
    """Anomalies cited: a list of {id, title, url}; plain strings are titles."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise InvalidInput(_("Anomalies cited must be a list."), field="anomalies_cited")
    cleaned = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict) or not str(item.get("title") or item.get("id") or "").strip():
            raise InvalidInput(
                _("Anomaly %(n)d needs a title or an id.") % {"n": index + 1}, field="anomalies_cited"
            )
        cleaned.append(
            {
                "id": str(item.get("id", ""))[:64],
                "title": str(item.get("title") or item.get("id"))[:300],
                "url": check_link(str(item.get("url") or "")[:500], field="anomalies_cited"),
            }
        )
    return cleaned


@transaction.atomic
def opinion_submit(
    *,
    actor: Actor,
    meeting: Meeting,
    discipline: str,
    summary: str,
    anomalies_cited: Any = None,
    window_start: dt.date | None = None,
    window_end: dt.date | None = None,
    regions: Any = None,
    min_magnitude: Any = None,
    max_magnitude: Any = None,
    likelihood: str = "",
) -> DisciplineOpinion:
    """Submit or revise the actor's bureau's opinion of one discipline, until the meeting closes.

    Every submitted version is kept as an :class:`OpinionRevision`. Raises PermissionDenied
    for someone who is not an expert of the discipline in one of the meeting's bureaus.
    """
    discipline_obj = Discipline.objects.filter(code=discipline).first()
    if discipline_obj is None:
        raise InvalidInput(_("Unknown discipline %(code)s.") % {"code": discipline}, field="discipline")
    if not perms.can_give_opinion(actor, meeting, discipline) or actor.bureau is None:
        raise PermissionDenied(
            _("Only an expert of %(discipline)s in the meeting's bureaus can give this opinion.")
            % {"discipline": discipline_obj.name_zh}
        )
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed; opinions can no longer be revised."))
    if not (summary or "").strip():
        raise InvalidInput(_("Say what the discipline observed."), field="summary")
    low, high = _forecast_terms(
        window_start=window_start,
        window_end=window_end,
        min_magnitude=min_magnitude,
        max_magnitude=max_magnitude,
        likelihood=likelihood,
        required=False,
    )
    area = parse_region(regions, field="regions", meeting=meeting) if regions else None
    opinion = (
        DisciplineOpinion.objects.select_for_update()
        .filter(meeting=meeting, bureau=actor.bureau, discipline=discipline_obj)
        .first()
    )
    created = opinion is None
    if opinion is None:
        opinion = DisciplineOpinion(
            meeting=meeting, bureau=actor.bureau, discipline=discipline_obj, revision=1
        )
    else:
        opinion.revision += 1
    opinion.author = actor.user
    opinion.summary = summary.strip()
    opinion.anomalies_cited = _clean_anomalies(anomalies_cited)
    opinion.window_start, opinion.window_end = window_start, window_end
    opinion.regions = area
    opinion.min_magnitude, opinion.max_magnitude = low, high
    opinion.likelihood = likelihood or ""
    opinion.save()
    OpinionRevision.objects.create(
        opinion=opinion, revision=opinion.revision, author=actor.user, content=_opinion_content(opinion)
    )
    audit_record(
        actor=actor,
        action="opinion.submit" if created else "opinion.revise",
        target=opinion,
        extra={"meeting": meeting.pk, "discipline": discipline, "revision": opinion.revision},
    )
    _room_event(meeting, "opinion", opinion_payload(opinion), actor.user)
    return opinion


def opinion_payload(opinion: DisciplineOpinion) -> dict[str, Any]:
    return {
        "id": opinion.pk,
        "discipline": opinion.discipline.code,
        "discipline_name": opinion.discipline.name_zh,
        "bureau": opinion.bureau.code if opinion.bureau_id else None,
        "author": opinion.author.label,
        "revision": opinion.revision,
        **_opinion_content(opinion),
    }
