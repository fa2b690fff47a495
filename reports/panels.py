"""Dashboard panels: the latest special-topic reports and the pushes that failed."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext as _

from portal.dashboard import Panel, PanelItem, register
from portal.models import Role
from portal.timefmt import format_time

from . import selectors
from .models import TopicReport
from .permissions import can_see_topic_dashboard

if TYPE_CHECKING:
    from portal.tenancy import Actor

STUCK_AFTER = dt.timedelta(minutes=3)
LEVEL = {
    TopicReport.Status.FAILED: "danger",
    TopicReport.Status.QUEUED: "warning",
    TopicReport.Status.BUILDING: "warning",
}


@register(Role.FORECASTER, Role.CHAIR, Role.BUREAU_ADMIN)
def latest_topic_reports(actor: Actor) -> Panel | None:
    if not can_see_topic_dashboard(actor):
        return None
    reports = selectors.topic_report_list(actor=actor)
    if not actor.reads_published:
        reports = reports.filter(bureau_id=actor.bureau_id)
    failed_pushes = list(selectors.push_attempt_failed_list(actor=actor)[:5])
    items = [
        PanelItem(
            label=_("Push by %(channel)s failed: %(place)s")
            % {"channel": p.get_channel_display(), "place": p.report.event.location_name},
            url=p.report.get_absolute_url(),
            meta=p.last_error[:80],
            level="danger" if p.status == p.Status.FAILED else "warning",
        )
        for p in failed_pushes
    ]
    stuck_before = now() - STUCK_AFTER
    for report in reports[:5]:
        event = report.event
        stuck = report.status in (TopicReport.Status.QUEUED, TopicReport.Status.BUILDING) and (
            report.updated_at < stuck_before
        )
        if stuck:
            # A build that has not moved for minutes means no worker took it: say so.
            items.append(
                PanelItem(
                    label=_("Still %(status)s after %(minutes)s minutes: is the report worker running?")
                    % {
                        "status": report.get_status_display(),
                        "minutes": int(STUCK_AFTER.total_seconds() // 60),
                    },
                    url=report.get_absolute_url(),
                    level="danger",
                )
            )
        items.append(
            PanelItem(
                label=f"{event.magnitude_type}{event.magnitude or 0:.1f} {event.location_name}"
                + (f" · {report.bureau.code}" if report.bureau_id != actor.bureau_id else ""),
                url=report.get_absolute_url(),
                meta=f"{report.get_status_display()} · v{report.event_version} · {format_time(report.created_at, style='short')}",
                level=LEVEL.get(report.status, ""),
            )
        )
    return Panel(
        key="topic_reports",
        title=_("Special-topic reports"),
        count=len(failed_pushes) or None,
        items=items,
        url=reverse("reports:topic-list"),
        empty_text=_("No special-topic reports yet."),
    )
