"""Consultation reports in the report list across kinds (``portal.report_index``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.report_index import ReportFilter, ReportKind, ReportRow
from portal.timefmt import beijing

from . import selectors
from .models import ConsultationReport, ReportStatus

if TYPE_CHECKING:
    from collections.abc import Sequence

    from portal.tenancy import Actor

KEY = "consultation_report"
LIMIT = 2000  # rows one kind gives the merged list (a bureau's reports of many years)


def _row(report: ConsultationReport) -> ReportRow:
    starts_at = beijing(report.meeting.starts_at)
    return ReportRow(
        kind=KEY,
        id=report.pk,
        title=report.title,
        bureau_code=report.bureau.code,
        bureau_name=report.bureau.name_zh,
        date=report.updated_at,
        url=reverse("consultations:report-detail", args=[report.pk]),
        status=report.status,
        status_label=str(report.get_status_display()),
        month=starts_at.date().replace(day=1),
        version=report.version,
        bureau_id=report.bureau_id,
    )


def rows(actor: Actor, report_filter: ReportFilter) -> list[ReportRow]:
    if report_filter.status and report_filter.status not in ReportStatus.values:
        return []  # a state this kind never has
    qs = selectors.report_search(
        actor=actor,
        month=report_filter.month,
        month_of_year=report_filter.month_of_year,
        bureau=report_filter.bureau,
        status=report_filter.status,
        text=report_filter.q,
    )
    return [_row(report) for report in qs[:LIMIT]]


def lookup(actor: Actor, ids: Sequence[int]) -> dict[int, ReportRow]:
    return {r.pk: _row(r) for r in selectors.report_list(actor=actor).filter(pk__in=list(ids))}


KIND = ReportKind(
    key=KEY,
    label=_("consultation report"),
    rows=rows,
    states=lambda: ReportStatus.choices,
    words=("会商报告", "会商意见", "consultation"),
    lookup=lookup,
)
