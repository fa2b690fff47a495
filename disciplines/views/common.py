"""What the pages of the disciplines app share: error pages, dates, state colours."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from disciplines import selectors
from portal.exceptions import NotFound
from portal.validators import is_work_date

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from disciplines.models import Anomaly

STATE_COLOURS = {
    "reported": "#e67e22",
    "returned": "#95a5a6",
    "verifying": "#2980b9",
    "verified": "#8e44ad",
    "assessed": "#16a085",
    "tracking": "#c0392b",
    "closed": "#7f8c8d",
}


def _page_error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "portal/error.html", {"message": message}, status=status)


def _no_actor(request: HttpRequest) -> HttpResponse | None:
    if request.actor is None or request.actor.bureau is None:
        return render(request, "portal/no_role.html", status=403)
    return None


def _date(value: str | None, default: date) -> date:
    try:
        parsed = parse_date(value) if value else None
    except ValueError:  # well-formed but impossible dates fall back to the default
        parsed = None
    if parsed is not None and not is_work_date(parsed):  # 0001 or 9999: a typo, and 500s later
        parsed = None
    return parsed or default


def _default_period(unit_schedule: str = "daily") -> date:
    """Before 10:00 people are still reporting yesterday; after, today."""
    now = timezone.localtime()
    return now.date() - timedelta(days=1) if now.hour < 10 else now.date()


def _anomaly_for_page(request: HttpRequest, anomaly_id: int) -> Anomaly | HttpResponse:
    """The anomaly the signed-in person may see, or the refusal page to return instead."""
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    try:
        return selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
    except NotFound:
        return _page_error(request, _("Not found."), 404)
