"""Pages of post-quake cases: the bureau's list with its countdowns, one case with its draft."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from portal.pages import page

from . import charts, selectors
from . import punctuality as punctuality_report
from .models import CaseState

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


@page
def case_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    state = state if state in CaseState.values else None
    cases = Paginator(selectors.case_list(actor=request.actor, state=state), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "postquake/case_list.html",
        {"page": cases, "states": CaseState.choices, "state": state or ""},
    )


@page
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_get(actor=request.actor, case_id=case_id)
    draft = case.draft or {}
    figures = (
        {
            "map": charts.case_map(case, draft),
            "magnitude_time": charts.magnitude_time(draft),
            "cumulative": charts.cumulative(draft),
            "probability_bars": charts.probability_bars(draft),
            "mechanisms": charts.mechanism_balls(draft),
        }
        if draft
        else {}
    )
    return render(
        request,
        "postquake/case_detail.html",
        {
            "case": case,
            "draft": draft,
            "probabilities": (draft.get("probabilities") or {}),
            "figures": figures,
        },
    )


@page
def punctuality(request: HttpRequest) -> HttpResponse:
    """The first opinions of a month against their deadlines (``?month=YYYY-MM``, this month
    by default; a bad month is a 400 naming it)."""
    month = punctuality_report.parse_month(request.GET.get("month"))
    start, end = punctuality_report.month_bounds(month)
    cases = selectors.cases_of_month(actor=request.actor, start=start, end=end)
    result = punctuality_report.report(cases, month=month, now=timezone.now())
    return render(
        request,
        "postquake/punctuality.html",
        {
            "report": result,
            "month": month,
            "previous": punctuality_report.month_step(month, -1),
            "next": punctuality_report.month_step(month, 1),
            "several_bureaus": len({row.case.bureau_id for row in result.rows}) > 1,
        },
    )
