"""Dashboard panels: reporters see their units due, experts the anomalies waiting for them
(overdue flagged), bureau admins the missing reports of the week."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import waiting
from portal.dashboard import Panel, PanelItem
from portal.timefmt import format_time

from . import selectors

if TYPE_CHECKING:
    from portal.tenancy import Actor


def reporter_units_due(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    due = selectors.units_due(actor=actor)
    return Panel(
        key="disciplines-due",
        title=_("Zero-reports to submit"),
        count=len(due),
        items=[
            PanelItem(
                label=unit.name,
                url=reverse("disciplines:report") + f"?unit={unit.pk}",
                meta=(period.isoformat() + (" · " + _("missing") if overdue else "")),
                level="danger" if overdue else "",
            )
            for unit, period, overdue in due[:8]
        ],
        url=reverse("disciplines:report"),
        empty_text=_("All your units have reported."),
    )


def expert_anomalies(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    counts = selectors.anomaly_counts(actor=actor)
    now = timezone.now()
    waiting = selectors.anomalies_waiting(actor=actor)
    return Panel(
        key="disciplines-anomalies",
        title=_("Anomalies to assign, verify or assess"),
        count=counts["to_assign"] + counts["to_verify"] + counts["to_assess"],
        items=[
            PanelItem(
                label=f"{a.place} · {a.observation_item}",
                url=reverse("disciplines:anomaly-detail", args=[a.pk]),
                meta=str(a.get_state_display()) + (" · " + _("overdue") if a.is_overdue(now) else ""),
                level="danger" if a.is_overdue(now) else "",
            )
            for a in waiting
        ],
        url=reverse("disciplines:anomalies") + "?open=1",
        empty_text=_("No anomaly is waiting for you."),
    )


def admin_missing_reports(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    summary = selectors.missing_summary(actor=actor)
    names = {d.code: d.name_zh for d in selectors.discipline_list()}
    return Panel(
        key="disciplines-missing",
        title=_("Missing zero-reports, last 7 days"),
        count=sum(summary.values()),
        items=[
            PanelItem(
                label=names.get(code, code),
                url=reverse("disciplines:matrix") + f"?discipline={code}",
                meta=str(n),
                level="warning",
            )
            for code, n in sorted(summary.items())
        ],
        url=reverse("disciplines:matrix"),
        empty_text=_("No report is missing."),
    )


@waiting.register
def anomalies_waiting_for_me(actor: Actor) -> list[waiting.WaitingItem]:
    """Anomalies whose next step is this person's: assigned to them to verify, or (for the
    discipline office) to assign and to assess."""
    if actor.bureau is None:
        return []
    now = timezone.now()
    items = []
    for anomaly in selectors.anomalies_waiting(actor=actor, limit=20):
        if anomaly.state == "verifying":
            what = _("to verify by %(due)s") % {"due": format_time(anomaly.verify_due_at)}
            since = anomaly.assigned_at
        elif anomaly.state == "verified":
            what, since = _("to assess"), anomaly.updated_at
        else:
            what, since = _("to assign for verification"), anomaly.created_at
        items.append(
            waiting.WaitingItem(
                label=f"{anomaly.place} · {anomaly.observation_item}",
                url=reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
                what=what,
                since=since,
                level="danger" if anomaly.is_overdue(now) else "",
                kind="anomaly",
            )
        )
    return items
