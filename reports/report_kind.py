"""Special-topic reports in the report list across kinds (``portal.report_index``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from portal.report_index import ReportFilter, ReportKind, ReportRow
from portal.timefmt import beijing

from . import selectors
from .models import TopicReport

if TYPE_CHECKING:
    from collections.abc import Sequence

    from portal.tenancy import Actor

KEY = "topic_report"
LIMIT = 2000  # rows one kind gives the merged list


def _title(report: TopicReport) -> str:
    event = report.event
    magnitude = f"{event.magnitude_type or 'M'}{event.magnitude:.1f} " if event.magnitude is not None else ""
    return f"{magnitude}{event.location_name}".strip() or str(_("special-topic report"))


def _row(report: TopicReport) -> ReportRow:
    return ReportRow(
        kind=KEY,
        id=report.pk,
        title=_title(report),
        bureau_code=report.bureau.code,
        bureau_name=report.bureau.name_zh,
        date=report.updated_at,
        url=report.get_absolute_url(),
        status=report.status,
        status_label=str(report.get_status_display()),
        month=beijing(report.event.origin_time).date().replace(day=1),
        version=report.event_version,
        bureau_id=report.bureau_id,
    )


def rows(actor: Actor, report_filter: ReportFilter) -> list[ReportRow]:
    if report_filter.status and report_filter.status not in TopicReport.Status.values:
        return []  # a state this kind never has
    qs = selectors.topic_report_search(
        actor=actor,
        month=report_filter.month,
        month_of_year=report_filter.month_of_year,
        bureau=report_filter.bureau,
        status=report_filter.status,
        text=report_filter.q,
    )
    return [_row(report) for report in qs[:LIMIT]]


def lookup(actor: Actor, ids: Sequence[int]) -> dict[int, ReportRow]:
    return {r.pk: _row(r) for r in selectors.topic_report_list(actor=actor).filter(pk__in=list(ids))}


KIND = ReportKind(
    key=KEY,
    label=_("special-topic report"),
    rows=rows,
    states=lambda: TopicReport.Status.choices,
    words=("专题报告", "震区专题", "专题", "special-topic", "topic report"),
    lookup=lookup,
)
