"""Quarterly tracking reports in the report list across kinds (``portal.report_index``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import report_index
from portal.report_index import ReportFilter, ReportKind, ReportRow

from . import selectors
from .models import TrackingReport

if TYPE_CHECKING:
    from collections.abc import Sequence

    from portal.tenancy import Actor

KEY = "tracking_report"
LIMIT = 2000


def _row(report: TrackingReport) -> ReportRow:
    return ReportRow(
        kind=KEY,
        id=report.pk,
        title=report.title,
        bureau_code=report.bureau.code,
        bureau_name=report.bureau.name_zh,
        date=report.updated_at,
        url=reverse("zones:report-detail", args=[report.pk]),
        status=report.status,
        status_label=str(report.get_status_display()),
        month=dt.date(report.year, 3 * report.quarter - 2, 1),
        bureau_id=report.bureau_id,
    )


def rows(actor: Actor, report_filter: ReportFilter) -> list[ReportRow]:
    if report_filter.status and report_filter.status not in TrackingReport.Status.values:
        return []
    qs = selectors.report_list(actor=actor, status=report_filter.status)
    if report_filter.bureau:
        qs = qs.filter(bureau__code=report_filter.bureau)
    if report_filter.month is not None:
        qs = qs.filter(year=report_filter.month.year, quarter=(report_filter.month.month - 1) // 3 + 1)
    if report_filter.month_of_year is not None:
        qs = qs.filter(quarter=(report_filter.month_of_year - 1) // 3 + 1)
    if report_filter.q:
        qs = qs.filter(title__icontains=report_filter.q)
    return [_row(report) for report in qs[:LIMIT]]


def lookup(actor: Actor, ids: Sequence[int]) -> dict[int, ReportRow]:
    return {r.pk: _row(r) for r in selectors.report_list(actor=actor).filter(pk__in=list(ids))}


KIND = ReportKind(
    key=KEY,
    label=_("tracking report"),
    rows=rows,
    states=lambda: [(value, str(label)) for value, label in TrackingReport.Status.choices],
    words=("跟踪", "震情跟踪", "危险区", "tracking"),
    lookup=lookup,
)


def register() -> None:
    report_index.register(KIND)
