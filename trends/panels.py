"""What trends adds to the portal's shared lists: "waiting for me" and the report index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy

from portal import report_index, waiting

from . import selectors
from .models import TrendReport, TrendStatus
from .services import trend_workflow

if TYPE_CHECKING:
    from collections.abc import Sequence

    from portal.tenancy import Actor

WAITING_WORDS = {
    "submit": gettext_lazy("returned to you: revise and resubmit"),
    "review": gettext_lazy("to review"),
    "sign_off": gettext_lazy("to sign off"),
}


def trend_reports_waiting(actor: Actor) -> list[waiting.WaitingItem]:
    """Approvers: submitted and reviewed reports they may act on; drafters: returned drafts
    (with the reviewer's comment)."""
    if actor.bureau is None:
        return []
    items = []
    for report in selectors.trend_reports_waiting(actor=actor):
        actions = [a for a in trend_workflow.allowed_actions(actor, report) if a in WAITING_WORDS]
        if not actions:
            continue
        what = str(WAITING_WORDS[actions[0]])
        if report.status == TrendStatus.DRAFT and report.review_comment:
            what = f"{what}: {report.review_comment[:80]}"
        items.append(
            waiting.WaitingItem(
                label=report.title,
                url=report.get_absolute_url(),
                what=what,
                since=report.updated_at,
                level="warning" if report.status == TrendStatus.DRAFT else "",
                kind="trend_report",
            )
        )
    return items


def _row(report: TrendReport) -> report_index.ReportRow:
    return report_index.ReportRow(
        kind="trend_report",
        id=report.pk,
        title=report.title,
        bureau_code=report.bureau.code,
        bureau_name=report.bureau.name_zh,
        date=report.updated_at,
        url=report.get_absolute_url(),
        status=report.status,
        status_label=str(report.get_status_display()),
        month=report.month,
        version=report.version,
    )


def trend_report_rows(actor: Actor, filters: report_index.ReportFilter) -> list[report_index.ReportRow]:
    qs = selectors.trend_report_list(
        actor=actor,
        bureau=filters.bureau,
        month=filters.month,
        month_of_year=filters.month_of_year,
        status=filters.status,
        q=filters.q,
    )
    return [_row(r) for r in qs.order_by("-updated_at")[:500]]


def trend_report_lookup(actor: Actor, ids: Sequence[int]) -> dict[int, report_index.ReportRow]:
    return {r.pk: _row(r) for r in selectors.trend_report_list(actor=actor).filter(pk__in=list(ids))}


def register() -> None:
    waiting.register(trend_reports_waiting)
    report_index.register(
        report_index.ReportKind(
            key="trend_report",
            label=gettext_lazy("monthly trend report"),
            rows=trend_report_rows,
            states=lambda: [(value, str(label)) for value, label in TrendStatus.choices],
            words=("月报", "月度趋势", "每月震情", "趋势会商", "月报告", "monthly"),
            lookup=trend_report_lookup,
        )
    )
