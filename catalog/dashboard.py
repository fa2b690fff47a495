"""Dashboard panels of the catalog (registered in ``CatalogConfig.ready``)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.dashboard import Panel, PanelItem
from portal.timefmt import format_time

from . import selectors

if TYPE_CHECKING:
    from portal.tenancy import Actor

RECENT_DAYS = 30
MIN_MAGNITUDE = 3.0


def recent_events_panel(actor: Actor) -> Panel | None:
    """Forecasters: the latest events of M3 and above in the bureau's jurisdiction."""
    if actor.bureau is None or actor.bureau.jurisdiction is None:
        return None
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    events = selectors.events_in_jurisdiction(actor=actor, min_magnitude=MIN_MAGNITUDE, since=since)
    items = [
        PanelItem(
            label=f"{e.magnitude_type} {e.magnitude:.1f} {e.location_name}",
            url=e.get_absolute_url(),
            meta=format_time(e.origin_time),
            level="danger" if (e.magnitude or 0) >= 5 else ("warning" if (e.magnitude or 0) >= 4 else ""),
        )
        for e in events[:8]
    ]
    return Panel(
        key="catalog-recent",
        title=_("Earthquakes M%(m)s+ in the jurisdiction, last %(days)s days")
        % {"m": f"{MIN_MAGNITUDE:g}", "days": RECENT_DAYS},
        count=events.count(),
        items=items,
        url=reverse("catalog:event-list") + f"?minmag={MIN_MAGNITUDE:g}",
        empty_text=_("No earthquakes of this size recently."),
    )


def failed_quick_reports_panel(actor: Actor) -> Panel | None:
    """Bureau admins: quick reports that could not be parsed and wait for a correction."""
    failed = selectors.quick_reports_failed(actor=actor)
    items = [
        PanelItem(
            label=m.text[:60],
            url=reverse("catalog:quick-report-inbox") + "?status=failed",
            meta=format_time(m.received_at, style="short"),
            level="warning",
        )
        for m in failed[:5]
    ]
    return Panel(
        key="catalog-inbox",
        title=_("Quick reports to correct"),
        count=failed.count(),
        items=items,
        url=reverse("catalog:quick-report-inbox") + "?status=failed",
        empty_text=_("Every quick report was read."),
    )
