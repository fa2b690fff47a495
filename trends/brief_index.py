"""The briefs and discipline reports in the portal's report list (``portal.report_index``)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from portal.report_index import ReportFilter, ReportKind, ReportRow, register
from portal.timefmt import BEIJING, beijing

from . import brief_selectors
from .models import BriefKind

if TYPE_CHECKING:
    from collections.abc import Sequence

    from portal.tenancy import Actor

    from .models import Brief

BRIEF_KINDS = [BriefKind.DAILY.value, BriefKind.WEEKLY.value]
DISCIPLINE_KINDS = [BriefKind.DISCIPLINE.value]


def _row(key: str, brief: Brief) -> ReportRow:
    end = beijing(brief.period_end)
    return ReportRow(
        kind=key,
        id=brief.pk,
        title=brief.title,
        bureau_code=brief.bureau.code,
        bureau_name=brief.bureau.name_zh,
        date=brief.period_end,
        url=brief.get_absolute_url(),
        month=end.date().replace(day=1),
    )


def _rows(key: str, kinds: list[str]):  # type: ignore[no-untyped-def]
    def rows(actor: Actor, report_filter: ReportFilter) -> list[ReportRow]:
        if report_filter.status:  # briefs pass through no states
            return []
        month_start = month_end = None
        if report_filter.month is not None:
            first = report_filter.month.replace(day=1)
            days = calendar.monthrange(first.year, first.month)[1]
            month_start = dt.datetime.combine(first, dt.time(0), tzinfo=BEIJING)
            month_end = month_start + dt.timedelta(days=days)
        found = brief_selectors.brief_rows(
            actor=actor,
            kinds=kinds,
            month_start=month_start,
            month_end=month_end,
            month_of_year=report_filter.month_of_year,
            bureau=report_filter.bureau,
            q=report_filter.q,
        )
        return [_row(key, brief) for brief in found]

    return rows


def _lookup(key: str, kinds: list[str]):  # type: ignore[no-untyped-def]
    def lookup(actor: Actor, ids: Sequence[int]) -> dict[int, ReportRow]:
        found = brief_selectors.brief_rows(actor=actor, kinds=kinds, ids=list(ids), limit=len(ids) or 1)
        return {brief.pk: _row(key, brief) for brief in found}

    return lookup


def register_report_kinds() -> None:
    """From ``TrendsConfig.ready()``."""
    register(
        ReportKind(
            key="brief",
            label=_("daily/weekly brief"),
            rows=_rows("brief", BRIEF_KINDS),
            words=("简报", "日报", "周报", "每日简报", "brief", "daily brief", "weekly brief"),
            lookup=_lookup("brief", BRIEF_KINDS),
        )
    )
    register(
        ReportKind(
            key="discipline_report",
            label=_("discipline report"),
            rows=_rows("discipline_report", DISCIPLINE_KINDS),
            words=("学科报告", "discipline report"),
            lookup=_lookup("discipline_report", DISCIPLINE_KINDS),
        )
    )
