"""Pages of the QC review: the bureau's queue of flagged days and one day (its numbers, its
flags, its reviews and, for an expert of the discipline or the bureau admin, the review form).
Every person of the bureau reads them; another bureau's day is not found."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from portal.exceptions import NotFound, PermissionDenied, PortalError
from portal.pages import error_page
from portal.timefmt import format_date

from . import review_selectors, selectors
from .models import QcFlag
from .qc_forms import QcQueueFilterForm, QcReviewForm
from .services.qc_review import qc_review
from .services.qc_review_workflow import WORKFLOW, can_review

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

    from .models import QcDay

KINDS = QcFlag.Kind.choices
ONE_DAY = dt.timedelta(days=1)


def _no_actor(request: HttpRequest) -> HttpResponse | None:
    if request.actor is None or request.actor.bureau is None:
        return render(request, "portal/no_role.html", status=403)
    return None


@login_required
def qc_queue(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    stations = [
        (s.code, f"{s.code} {s.name_zh}")
        for s in selectors.station_list(actor=actor, bureau=actor.bureau.code)
    ]
    form = QcQueueFilterForm(request.GET or None, stations=stations)
    filters: dict[str, str | dt.date | None] = {}
    if form.is_bound and not form.is_valid():
        days: list[QcDay] = []
        page = Paginator(days, 50).get_page(1)
        status = 400
    else:
        if form.is_bound:
            filters = {k: v for k, v in form.cleaned_data.items() if v}
        queue = review_selectors.qc_queue(actor=actor, **filters)  # type: ignore[arg-type]
        page = Paginator(queue, 50).get_page(request.GET.get("page"))
        status = 200
    query = urlencode({k: (format_date(v) if k in ("start", "end") else v) for k, v in filters.items()})
    return render(
        request,
        "observations/qc_queue.html",
        {
            "form": form,
            "page": page,
            "rows": [(day, [getattr(day, f"n_{kind}") for kind in QcFlag.Kind.values]) for day in page],
            "kinds": KINDS,
            "extra_query": f"{query}&" if query else "",
        },
        status=status,
    )


def _candidates(request: HttpRequest, day: QcDay) -> list[tuple[int, str]]:
    return [
        (other.pk, f"{format_date(other.day)} · {other.availability:.1f}%")
        for other in review_selectors.qc_batch_candidates(actor=request.actor, qc_day=day)
    ]


@login_required
def qc_day(request: HttpRequest, qc_day_id: int) -> HttpResponse:
    """GET: the day; POST: review it (and the days ticked with it)."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    try:
        day = review_selectors.qc_day_get(actor=actor, qc_day_id=qc_day_id)
    except NotFound:
        return error_page(request, _("Not found."), 404)
    allowed = can_review(actor, day)
    candidates = _candidates(request, day) if allowed else []
    form = QcReviewForm(request.POST if request.method == "POST" else None, candidates=candidates)
    status = 200
    if request.method == "POST":
        if not allowed:
            return error_page(
                request,
                _(
                    "Only an expert of the channel's discipline or the bureau administrator reviews its QC days."
                ),
                403,
            )
        if form.is_valid():
            data = form.cleaned_data
            try:
                reviewed = qc_review(
                    actor=actor,
                    qc_day=day,
                    verdict=data["verdict"],
                    cause=data["cause"],
                    comment=data["comment"],
                    start=data["start"],
                    end=data["end"],
                    days=data.get("days") or [],
                )
            except NotFound:
                return error_page(request, _("Not found."), 404)
            except PermissionDenied as exc:
                return error_page(request, exc.message, 403)
            except PortalError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Review saved for %(n)d day(s).") % {"n": len(reviewed)})
                return redirect("observations:qc-day", day.pk)
        status = 400
    return render(
        request,
        "observations/qc_day.html",
        {
            "day": day,
            "channel": day.channel,
            "flags": review_selectors.qc_day_flags(qc_day=day),
            "reviews": review_selectors.qc_day_reviews(qc_day=day),
            "form": form if allowed else None,
            "button": WORKFLOW.transitions["review" if day.status == "auto" else "correct"].button,
            "plot_start": f"{day.day.isoformat()}T00:00:00Z",
            "plot_end": f"{(day.day + ONE_DAY).isoformat()}T00:00:00Z",
        },
        status=status,
    )
