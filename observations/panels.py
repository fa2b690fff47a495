"""What waits for a bureau admin: master-data changes another admin proposed; for a
discipline expert: the days quality control flagged that nobody reviewed yet (a count per
discipline with a link to the queue, and a dashboard panel of the oldest)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal import waiting
from portal.dashboard import Panel, PanelItem
from portal.models import DisciplineCode
from portal.timefmt import format_date

from . import review_selectors, selectors
from .services.change_workflow import summary

if TYPE_CHECKING:
    from portal.tenancy import Actor


@waiting.register
def changes_waiting_for_me(actor: Actor) -> list[waiting.WaitingItem]:
    """Proposed changes of the actor's bureau this admin may approve or reject."""
    if actor.bureau is None:
        return []
    return [
        waiting.WaitingItem(
            label=summary(change),
            url=change.get_absolute_url(),
            what=_("to approve or reject"),
            since=change.created_at,
            kind="master_data_change",
        )
        for change in selectors.changes_waiting(actor=actor)
    ]


def _discipline_label(code: str) -> str:
    return str(DisciplineCode(code).label) if code in DisciplineCode.values else code


@waiting.register
def qc_days_waiting_for_me(actor: Actor) -> list[waiting.WaitingItem]:
    """One item per discipline of the expert with flagged days nobody reviewed yet."""
    return [
        waiting.WaitingItem(
            label=_("QC days to review: %(n)d (%(discipline)s)")
            % {"n": row.count, "discipline": _discipline_label(row.discipline)},
            url=reverse("observations:qc-queue") + f"?status=auto&discipline={row.discipline}",
            what=pgettext("qc review", "to review"),
            since=row.since,
            kind="qc_day",
        )
        for row in review_selectors.qc_waiting(actor=actor)
    ]


def expert_qc_days(actor: Actor) -> Panel | None:
    """The expert's dashboard: how many flagged days wait, the oldest first."""
    if actor.bureau is None:
        return None
    count = sum(row.count for row in review_selectors.qc_waiting(actor=actor))
    return Panel(
        key="observations-qc",
        title=_("QC days to review"),
        count=count,
        items=[
            PanelItem(
                label=str(day.channel),
                url=reverse("observations:qc-day", args=[day.pk]),
                meta=format_date(day.day) + " UTC",
                level="warning",
            )
            for day in review_selectors.qc_waiting_days(actor=actor)
        ],
        url=reverse("observations:qc-queue") + "?status=auto",
        empty_text=_("No QC day is waiting for review."),
    )
