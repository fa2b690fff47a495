"""Sections 6 and 7: the bureau's monthly meeting of the month and, from its conclusion, the
trend opinion for the next month.

The meeting is the bureau's monthly consultation meeting that started within the month
(Beijing time). Until it is closed the section says so ("pending", or "none" without a
meeting) and a recompilation fills it in. Once closed, the content is what was signed
(the newest signed-off report's frozen content) or, before any sign-off, the meeting as it
stands (``consultations.services.report_workflow.meeting_snapshot``): discipline opinions,
conclusion text, forecasts (GeoJSON), votes; the map is the consultation report's
(``consultations.reporting.forecast_map_png``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from consultations.models import Meeting
from consultations.reporting import forecast_map_png
from consultations.services.report_workflow import meeting_snapshot

from . import CompileContext, Compiled, Figure, compiler, queries


def _meeting_content(context: CompileContext) -> tuple[Meeting | None, dict[str, Any] | None]:
    start, end = queries.month_bounds(context.month)
    meeting = queries.monthly_meeting(context.reader, context.bureau, start, end)
    if meeting is None or meeting.status != Meeting.Status.CLOSED:
        return meeting, None
    signed = queries.signed_report_of(context.reader, meeting)
    if signed is not None and signed.content:
        return meeting, {**signed.content, "report": {"id": signed.pk, "status": signed.status}}
    return meeting, meeting_snapshot(meeting)


def _not_yet(meeting: Meeting | None) -> dict[str, Any]:
    if meeting is None:
        return {
            "state": "none",
            "message": _(
                "No monthly meeting of the bureau started this month; "
                "this section fills in when the meeting concludes."
            ),
        }
    return {
        "state": "pending",
        "meeting": {"id": meeting.pk, "title": meeting.title, "starts_at": meeting.starts_at.isoformat()},
        "message": _("The monthly meeting has not concluded yet; this section fills in when it does."),
    }


def _meeting_row(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "title": meeting.title,
        "starts_at": meeting.starts_at.isoformat(),
        "closed_at": meeting.closed_at.isoformat() if meeting.closed_at else None,
        "url": meeting.get_absolute_url(),
    }


@compiler("meeting")
def compile_meeting(context: CompileContext) -> Compiled:
    meeting, content = _meeting_content(context)
    if meeting is None or content is None:
        return Compiled(data=_not_yet(meeting), n_events=None, figures=[])
    data = {
        "state": "closed",
        "meeting": _meeting_row(meeting),
        "details": content.get("meeting", {}),
        "participants": content.get("participants", []),
        "opinions": content.get("opinions", []),
        "conclusion": content.get("conclusion", ""),
        "forecasts": content.get("forecasts", []),
        "votes": content.get("votes", {}),
        "report": content.get("report"),
    }
    png = forecast_map_png(content)
    figures = [Figure("forecast_map", _("Forecast regions"), png)] if png else []
    return Compiled(data=data, n_events=None, figures=figures)


def _covers(forecast: dict[str, Any], first: dt.date, last: dt.date) -> bool:
    """The forecast's window overlaps [first, last] (both days included)."""
    return (
        dt.date.fromisoformat(forecast["window_start"]) <= last
        and dt.date.fromisoformat(forecast["window_end"]) >= first
    )


@compiler("opinion")
def compile_opinion(context: CompileContext) -> Compiled:
    meeting, content = _meeting_content(context)
    if meeting is None or content is None:
        return Compiled(data=_not_yet(meeting), n_events=None, figures=[])
    first = queries.add_months(context.month, 1)
    last = queries.add_months(context.month, 2) - dt.timedelta(days=1)
    forecasts = [f for f in content.get("forecasts", []) if _covers(f, first, last)]
    data = {
        "state": "closed",
        "meeting": _meeting_row(meeting),
        "next_month": first.strftime("%Y-%m"),
        "forecasts": forecasts,
        "conclusion": content.get("conclusion", ""),
    }
    png = forecast_map_png({**content, "forecasts": forecasts}) if forecasts else None
    figures = [Figure("forecast_map", _("Forecast regions for the next month"), png)] if png else []
    return Compiled(data=data, n_events=None, figures=figures)
