"""Dashboard panels: reporters see their units due, experts the anomalies waiting for them
(overdue flagged), bureau admins the missing reports of the week."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.dashboard import Panel, PanelItem
from portal.tenancy import Actor

from . import selectors


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
