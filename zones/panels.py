"""What the zones app adds to the portal's shared places: the dashboard's map of this year's
zones (every role), "waiting for me" (tracking reports to issue), the anomaly page's
"link to danger zone" and the trend report's marks of quakes inside a zone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import dashboard, related, waiting
from portal.dashboard import Panel, PanelItem

from . import selectors
from .geojson import zones_geojson
from .permissions import can_track_zone

if TYPE_CHECKING:
    from django.http import HttpRequest

    from portal.tenancy import Actor


def zones_panel(actor: Actor) -> Panel | None:
    year = selectors.current_year()
    zones = list(selectors.zones_on_map(actor=actor, year=year)[:50])
    return Panel(
        key="danger-zones",
        title=_("Danger zones of %(year)s") % {"year": year},
        count=len(zones),
        items=[
            PanelItem(
                label=f"{z.name} {z.magnitude_text}",
                url=z.get_absolute_url(),
                meta=str(z.get_level_display()),
            )
            for z in zones[:8]
        ],
        url=reverse("zones:zone-list"),
        empty_text=_("No danger zone this year."),
        template="zones/_dashboard_map.html",
        context={"geojson": zones_geojson(zones)},
    )


WAITING_WORDS = {"issue": gettext_lazy("tracking report to issue")}


def reports_waiting(actor: Actor) -> list[waiting.WaitingItem]:
    if actor.bureau is None:
        return []
    from .workflows import REPORT_WORKFLOW

    items = []
    for report in selectors.reports_waiting(actor=actor):
        if "issue" not in REPORT_WORKFLOW.allowed_actions(actor, report):
            continue
        items.append(
            waiting.WaitingItem(
                label=report.title,
                url=report.get_absolute_url(),
                what=str(WAITING_WORDS["issue"]),
                since=report.updated_at,
                kind="tracking_report",
            )
        )
    return items


def _zones_section(actor: Actor, *, linked: list[Any], prefix: str, action: str) -> related.Section | None:
    """The zones a row is linked to, and this year's zones the actor tracks to link it to."""
    linked_ids = {z.pk for z in linked}
    choices = [
        z
        for z in selectors.zones_trackable(actor=actor, year=selectors.current_year())[:100]
        if z.pk not in linked_ids and can_track_zone(actor, z)
    ]
    if not linked and not choices:
        return None
    return related.Section(
        template="zones/_linked_zones.html",
        context={"linked": linked, "choices": choices, "prefix": prefix, "action": action},
    )


def anomaly_section(request: HttpRequest, anomaly: Any) -> related.Section | None:
    """On the anomaly page: the zones it is linked to, and the form to link it to another."""
    actor = request.actor  # type: ignore[attr-defined]
    return _zones_section(
        actor,
        linked=list(selectors.zones_of_anomaly(actor=actor, anomaly=anomaly)),
        prefix="anomaly",
        action=reverse("zones:anomaly-link", args=[anomaly.pk]),
    )


def meeting_section(request: HttpRequest, meeting: Any) -> related.Section | None:
    """On the meeting page: the zones the consultation concerns (a joint consultation of a
    tectonic zone, 构造片区联合会商), and the form to link another."""
    actor = request.actor  # type: ignore[attr-defined]
    return _zones_section(
        actor,
        linked=list(selectors.zones_of_meeting(actor=actor, meeting=meeting)),
        prefix="meeting",
        action=reverse("zones:meeting-link", args=[meeting.pk]),
    )


def register() -> None:
    dashboard.register(dashboard.EVERYONE)(zones_panel)
    waiting.register(reports_waiting)
    related.register("disciplines.anomaly", anomaly_section)
    related.register("consultations.meeting", meeting_section)
