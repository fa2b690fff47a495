"""Dashboard panels of consultations, one per role that has work here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import waiting
from portal.dashboard import Panel, PanelItem, register
from portal.models import Role
from portal.timefmt import format_date, format_time

from . import selectors
from .services import report_workflow

if TYPE_CHECKING:
    from portal.tenancy import Actor

#: What the person is asked to do, by the step the workflow allows them next.
WAITING_WORDS = {
    "submit": gettext_lazy("returned to you: revise and resubmit"),
    "review": gettext_lazy("to review"),
    "sign_off": gettext_lazy("to sign off"),
    "issue": gettext_lazy("to issue"),
}


@waiting.register
def reports_waiting(actor: Actor) -> list[waiting.WaitingItem]:
    """Consultation reports whose next step is this person's (not "return": that is a
    choice within reviewing, never a step of its own)."""
    if actor.bureau is None:
        return []
    items = []
    for report in selectors.reports_in_hand(actor=actor):
        actions = [a for a in report_workflow.allowed_actions(actor, report) if a in WAITING_WORDS]
        if not actions:
            continue
        items.append(
            waiting.WaitingItem(
                label=report.title,
                url=report_workflow.report_url(report),
                what=str(WAITING_WORDS[actions[0]]),
                since=report.updated_at,
                level="warning" if report.status == "returned" else "",
                kind="consultation_report",
            )
        )
    return items


@register(Role.CHAIR)
def meetings_to_chair(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    meetings = selectors.meeting_upcoming_chaired(actor=actor)
    return Panel(
        key="consultations-chair",
        title=_("Meetings I chair"),
        count=meetings.count(),
        items=[
            PanelItem(
                label=m.title,
                url=m.get_absolute_url(),
                meta=format_time(m.starts_at),
                level="danger" if m.kind in ("emergency", "post_earthquake") else "",
            )
            for m in meetings[:5]
        ],
        url=reverse("consultations:calendar"),
        empty_text=_("No meetings to chair."),
    )


@register(Role.EXPERT)
def meetings_needing_my_opinion(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    pending = selectors.meetings_needing_opinion(actor=actor)
    return Panel(
        key="consultations-opinions",
        title=_("Meetings waiting for my discipline's opinion"),
        count=len(pending),
        items=[
            PanelItem(
                label=m.title,
                url=reverse("consultations:opinion-edit", args=[m.pk]) + f"?discipline={code}",
                meta=format_time(m.starts_at),
                level="warning" if m.status == "open" else "",
            )
            for m, code in pending[:5]
        ],
        url=reverse("consultations:calendar"),
        empty_text=_("Every opinion is in."),
    )


@register(Role.APPROVER)
def reports_awaiting_sign_off(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    reports = selectors.reports_awaiting_sign_off(actor=actor)
    return Panel(
        key="consultations-sign-off",
        title=_("Consultation reports awaiting review and sign-off"),
        count=reports.count(),
        items=[
            PanelItem(
                label=r.title,
                url=reverse("consultations:report-detail", args=[r.pk]),
                meta=r.get_status_display(),
            )
            for r in reports[:5]
        ],
        url=reverse("consultations:report-list") + "?status=submitted",
        empty_text=_("Nothing to sign off."),
    )


@register(Role.FORECASTER)
def report_drafts(actor: Actor) -> Panel | None:
    if actor.bureau is None:
        return None
    drafts = selectors.report_drafts(actor=actor)
    return Panel(
        key="consultations-drafts",
        title=_("Consultation report drafts"),
        count=drafts.count(),
        items=[
            PanelItem(
                label=r.title,
                url=reverse("consultations:report-detail", args=[r.pk]),
                meta=r.get_status_display(),
                level="warning" if r.status == "returned" else "",
            )
            for r in drafts[:5]
        ],
        url=reverse("consultations:report-list") + "?status=draft",
        empty_text=_("No drafts."),
    )


@register(Role.VIEWER, Role.FORECASTER, Role.CHAIR)
def latest_issued_reports(actor: Actor) -> Panel | None:
    reports = selectors.reports_issued_latest(actor=actor)[:5]
    return Panel(
        key="consultations-issued",
        title=_("Latest issued consultation reports"),
        items=[
            PanelItem(
                label=f"{r.bureau.code} · {r.title}",
                url=reverse("consultations:report-read", args=[r.pk]),
                meta=format_date(r.issued_at),
            )
            for r in reports
        ],
        url=reverse("consultations:report-list") + "?status=issued",
        empty_text=_("No issued reports yet."),
    )
