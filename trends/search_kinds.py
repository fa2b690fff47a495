"""Trend reports and briefs (daily, weekly, discipline reports) as searchable kinds
(``portal.search``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Brief, TrendReport, TrendSection


def _trend_report(report: TrendReport) -> search.SearchDoc:
    sections = TrendSection.objects.filter(report=report).order_by("position")
    return search.SearchDoc(
        title=report.title,
        body=search.text_of(
            report.search_text,
            report.number,
            search.both(_("monthly trend report")),
            report.correction_note,
            [section.text for section in sections],
        ),
        url=report.get_absolute_url(),
        date=report.issued_at or report.created_at,
    )


def _brief(brief: Brief) -> search.SearchDoc:
    return search.SearchDoc(
        title=brief.title,
        body=search.text_of(
            search.both(brief.get_kind_display()),
            brief.discipline.name_zh if brief.discipline else "",
            brief.content,
        ),
        url=brief.get_absolute_url(),
        date=brief.period_end,
    )


def register_search_kinds() -> None:
    """From ``TrendsConfig.ready()``."""
    search.register(
        search.SearchKind(
            key="trend_report",
            label=_("monthly trend reports"),
            model=TrendReport,
            document=_trend_report,
            watch=((TrendSection, lambda section: [section.report_id]),),
            order=42,
        )
    )
    search.register(
        search.SearchKind(
            key="brief",
            label=_("briefs and discipline reports"),
            model=Brief,
            document=_brief,
            related=("discipline",),
            order=43,
        )
    )
