"""Pages of the catalog: event list and live map, event page, quick reports, imports."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.exceptions import NotFound

from . import selectors


def event_list(request: HttpRequest) -> HttpResponse:
    events = selectors.event_list(actor=request.actor)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "catalog/event_list.html", {"page": page})


def event_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    try:
        event = selectors.event_get(actor=request.actor, public_id=public_id)
    except NotFound:
        return render(request, "portal/error.html", {"message": "Not found."}, status=404)
    return render(request, "catalog/event_detail.html", {"event": event})
