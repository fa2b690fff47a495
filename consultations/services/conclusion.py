"""A meeting's conclusion, its forecasts, votes and comments."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from consultations import permissions as perms
from consultations.models import Comment, Conclusion, Forecast, Meeting, Vote
from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.services import audit_record

from .forecasts import _forecast_terms, parse_region
from .room import _room_event, _take_part_refused

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor


def _require_open_for_chair(actor: Actor, meeting: Meeting) -> Meeting:
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not perms.can_chair_meeting(actor, meeting):
        raise PermissionDenied(_("Only the meeting's chair writes the conclusion."))
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed; the conclusion no longer changes."))
    return meeting


@transaction.atomic
def conclusion_edit(*, actor: Actor, meeting: Meeting, text: str) -> Conclusion:
    """The chair's conclusion draft; every participant sees it change live."""
    meeting = _require_open_for_chair(actor, meeting)
    conclusion, _created = Conclusion.objects.select_for_update().get_or_create(
        meeting=meeting, defaults={"bureau_id": meeting.bureau_id}
    )
    conclusion.text = text or ""
    conclusion.updated_by = actor.user
    conclusion.revision += 1
    conclusion.save()
    _room_event(meeting, "conclusion", {"text": conclusion.text, "revision": conclusion.revision}, actor.user)
    return conclusion


def forecast_payload(forecast: Forecast) -> dict[str, Any]:
    return {
        "id": forecast.pk,
        "window_start": forecast.window_start.isoformat(),
        "window_end": forecast.window_end.isoformat(),
        "region": json.loads(forecast.region.geojson),
        "min_magnitude": str(forecast.min_magnitude),
        "max_magnitude": str(forecast.max_magnitude) if forecast.max_magnitude is not None else None,
        "likelihood": forecast.likelihood,
        "note": forecast.note,
    }


@transaction.atomic
def forecast_add(
    *,
    actor: Actor,
    meeting: Meeting,
    window_start: dt.date,
    window_end: dt.date,
    region: Any,
    min_magnitude: Any,
    likelihood: str,
    max_magnitude: Any = None,
    note: str = "",
) -> Forecast:
    """Add a forecast record to the conclusion (chair, while the meeting is not closed)."""
    meeting = _require_open_for_chair(actor, meeting)
    low, high = _forecast_terms(
        window_start=window_start,
        window_end=window_end,
        min_magnitude=min_magnitude,
        max_magnitude=max_magnitude,
        likelihood=likelihood,
        required=True,
    )
    if low is None:  # required=True: _forecast_terms raised InvalidInput instead
        raise RuntimeError("a conclusion forecast passed the checks without a smallest magnitude")
    area = parse_region(region, field="region", meeting=meeting)
    conclusion, _created = Conclusion.objects.get_or_create(
        meeting=meeting, defaults={"bureau_id": meeting.bureau_id}
    )
    forecast = Forecast.objects.create(
        bureau_id=meeting.bureau_id,
        conclusion=conclusion,
        window_start=window_start,
        window_end=window_end,
        region=area,
        min_magnitude=low,
        max_magnitude=high,
        likelihood=likelihood,
        note=(note or "")[:300],
    )
    audit_record(actor=actor, action="forecast.add", target=forecast, extra={"meeting": meeting.pk})
    _room_event(meeting, "forecast", forecast_payload(forecast), actor.user)
    return forecast


@transaction.atomic
def forecast_remove(*, actor: Actor, meeting: Meeting, forecast_id: int) -> None:
    meeting = _require_open_for_chair(actor, meeting)
    deleted, _rows = Forecast.objects.filter(pk=forecast_id, conclusion__meeting=meeting).delete()
    if not deleted:
        raise InvalidInput(_("No such forecast in this meeting."), field="forecast")
    audit_record(actor=actor, action="forecast.remove", target=meeting, extra={"forecast": forecast_id})
    _room_event(meeting, "forecast_removed", {"id": forecast_id}, actor.user)


def _require_taking_part(actor: Actor, meeting: Meeting) -> Meeting:
    """Lock the meeting, then permission (403) before state (409)."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if not perms.can_take_part(actor, meeting):
        raise _take_part_refused()
    if meeting.status == Meeting.Status.CLOSED:
        raise InvalidTransition(_("The meeting is closed."))
    return meeting


@transaction.atomic
def vote_cast(*, actor: Actor, meeting: Meeting, choice: str, remark: str = "") -> Vote:
    """A show of hands on the conclusion; a later vote replaces the person's earlier one."""
    if choice not in Vote.Choice.values:
        raise InvalidInput(
            _("A vote is one of %(choices)s.") % {"choices": ", ".join(Vote.Choice.values)}, field="choice"
        )
    meeting = _require_taking_part(actor, meeting)
    vote, _created = Vote.objects.update_or_create(
        meeting=meeting, user=actor.user, defaults={"choice": choice, "remark": (remark or "")[:500]}
    )
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for value in Vote.objects.filter(meeting=meeting).values_list("choice", flat=True):
        counts[value] += 1
    _room_event(
        meeting,
        "vote",
        {"user": actor.user.label, "choice": choice, "remark": vote.remark, "counts": counts},
        actor.user,
    )
    return vote


@transaction.atomic
def comment_add(*, actor: Actor, meeting: Meeting, text: str) -> Comment:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("A comment cannot be empty."), field="text")
    if len(text) > 4000:
        raise InvalidInput(_("A comment is at most 4000 characters."), field="text")
    meeting = _require_taking_part(actor, meeting)
    comment = Comment.objects.create(meeting=meeting, author=actor.user, text=text)
    _room_event(meeting, "comment", {"id": comment.pk, "author": actor.user.label, "text": text}, actor.user)
    return comment
