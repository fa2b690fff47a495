"""Pages of the catalog: event list with live map, event page, quick reports and inbox, imports.

The event list and event pages are open to anyone for published events
(like the networks' own public pages); people of a bureau also see its
unpublished ones. Quick reports, the inbox and imports need a forecaster or
bureau admin of the bureau.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.exceptions import NotFound, PermissionDenied, PortalError
from portal.files import serve_file
from portal.pages import error_page

from . import arrival, selectors
from .forms import AlertRuleForm
from .models import Event, EventStatus
from .quick_report import BEIJING
from .services.imports import event_import_create, import_progress
from .services.quick_reports import (
    QuickReportRejected,
    can_post_quick_report,
    quick_report_correct,
    quick_report_submit,
)

MAP_LIMIT = 2000
NEARBY_KM = 200.0
NEARBY_LIMIT = 200


def _marker(event: Event) -> dict[str, Any]:
    return {
        "id": event.public_id,
        "lat": event.latitude,
        "lon": event.longitude,
        "mag": event.magnitude,
        "type": event.magnitude_type,
        "depth": event.depth_km,
        "time": int(event.origin_time.timestamp() * 1000),
        "place": event.location_name,
        "url": event.get_absolute_url(),
        "published": event.is_published and event.status != EventStatus.DELETED,
    }


MARKER_FIELDS = (
    "public_id",
    "latitude",
    "longitude",
    "magnitude",
    "magnitude_type",
    "depth_km",
    "origin_time",
    "location_name",
    "is_published",
    "status",
)


def _markers(events: Any) -> list[dict[str, Any]]:
    """Map markers from plain rows: no model instances, no geometry objects (2,000 of them)."""
    url = reverse("catalog:event-detail", kwargs={"public_id": "ID"})
    return [
        {
            "id": row["public_id"],
            "lat": row["latitude"],
            "lon": row["longitude"],
            "mag": row["magnitude"],
            "type": row["magnitude_type"],
            "depth": row["depth_km"],
            "time": int(row["origin_time"].timestamp() * 1000),
            "place": row["location_name"],
            "url": url.replace("ID", row["public_id"]),
            "published": row["is_published"] and row["status"] != EventStatus.DELETED,
        }
        for row in events.values(*MARKER_FIELDS)
    ]


def _date(value: str, *, end: bool = False) -> datetime | None:
    """A date typed in the form (Beijing calendar day) as a UTC instant."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    moment = datetime.combine(day, time.max if end else time.min, tzinfo=BEIJING)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 in Beijing is before year 1 in UTC
        return None


def _filters(request: HttpRequest) -> tuple[dict[str, Any], dict[str, str], str]:
    """The list page's form → an FDSN-style selection, the values to show back, free text."""
    form = {
        k: request.GET.get(k, "").strip()
        for k in ("start", "end", "minmag", "maxmag", "minlat", "maxlat", "minlon", "maxlon", "q")
    }
    selection: dict[str, Any] = {}
    if form["start"]:
        selection["starttime"] = _date(form["start"]) or form["start"]
    if form["end"]:
        selection["endtime"] = _date(form["end"], end=True) or form["end"]
    for key, name in (
        ("minmag", "minmagnitude"),
        ("maxmag", "maxmagnitude"),
        ("minlat", "minlatitude"),
        ("maxlat", "maxlatitude"),
        ("minlon", "minlongitude"),
        ("maxlon", "maxlongitude"),
    ):
        if form[key]:
            selection[name] = form[key]
    return selection, form, form["q"]


def event_list(request: HttpRequest) -> HttpResponse:
    """The catalog with filters, a live map and a paginated table."""
    selection, form, text = _filters(request)
    error = ""
    try:
        events = selectors.events_for_selection(actor=request.actor, selection=selection)
    except PortalError as problem:
        error = problem.message
        events = selectors.events_for_selection(actor=request.actor, selection={})
    if text:
        events = selectors.events_matching_text(events, text)
    events = events.select_related("bureau").order_by("-origin_time", "-id")
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    markers = _markers(events[:MAP_LIMIT])
    others = request.GET.copy()
    for key in ("page", "q"):
        others.pop(key, None)
    extra_query = others.urlencode() + "&" if others else ""
    return render(
        request,
        "catalog/event_list.html",
        {
            "page": page,
            "form": form,
            "error": error,
            "markers": markers,
            "map_limit": MAP_LIMIT,
            "query": text,
            "extra_query": extra_query,
            "can_post": can_post_quick_report(request.actor),
            "live": not any(form.values()),
        },
    )


def _clock(moment: datetime) -> str:
    """ "2024-01-02 10:14:37.7": tenths, as the networks publish origin times."""
    return moment.strftime("%Y-%m-%d %H:%M:%S") + f".{moment.microsecond // 100000}"


def event_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """The event page: parameters (Beijing and UTC), versions, maps, nearby seismicity, reports."""
    try:
        event = selectors.event_get(actor=request.actor, public_id=public_id)
    except NotFound:
        return error_page(request, _("Not found."), 404)
    nearby = list(
        selectors.events_near(
            actor=request.actor, lon=event.longitude, lat=event.latitude, radius_km=NEARBY_KM
        )
        .exclude(pk=event.pk)
        .filter(magnitude__isnull=False, origin_time__lt=event.origin_time)
        .order_by("-magnitude", "-origin_time")[:NEARBY_LIMIT]
    )
    return render(
        request,
        "catalog/event_detail.html",
        {
            "event": event,
            "beijing": _clock(event.origin_time.astimezone(BEIJING)),
            "utc": _clock(event.origin_time.astimezone(UTC)),
            "versions": list(selectors.event_versions(event=event)),
            "nearby": nearby[:50],
            "nearby_count": len(nearby),
            "nearby_km": int(NEARBY_KM),
            "event_marker": _marker(event),
            "nearby_markers": [_marker(e) for e in nearby],  # at most NEARBY_LIMIT
            # what the apps above made of it (reports, meetings), registered with catalog.arrival
            "outcomes": arrival.outcomes_for(actor=request.actor, event=event),
            "fdsn_url": reverse("fdsn-query") + f"?eventid={event.public_id}&includeallorigins=true",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def quick_report_new(request: HttpRequest) -> HttpResponse:
    """Paste a quick-report SMS (phone-friendly)."""
    if not can_post_quick_report(request.actor):
        return error_page(request, _("Only forecasters and bureau admins can post quick reports."), 403)
    text = ""
    error = ""
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            result = quick_report_submit(actor=request.actor, text=text, received_at=timezone.now())
        except QuickReportRejected as problem:
            error = problem.message
        except PortalError as problem:
            error = problem.message
        else:
            if result.repeated:
                messages.info(request, _("This quick report was received before; here is its event."))
            elif result.created:
                messages.success(request, _("The event was created from the quick report."))
            else:
                messages.success(request, _("The quick report was added to the event as a new version."))
            return HttpResponseRedirect(result.event.get_absolute_url())
    return render(
        request, "catalog/quick_report_new.html", {"text": text, "error": error}, status=400 if error else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def quick_report_inbox(request: HttpRequest) -> HttpResponse:
    """The bureau's received quick reports; failed ones can be corrected and resubmitted."""
    if not can_post_quick_report(request.actor):
        return error_page(
            request, _("Only forecasters and bureau admins can see the quick-report inbox."), 403
        )
    errors: dict[int, str] = {}
    if request.method == "POST":
        try:
            message = selectors.quick_report_get(
                actor=request.actor, message_id=int(request.POST.get("message", "0"))
            )
            result = quick_report_correct(
                actor=request.actor, message=message, text=request.POST.get("text", "")
            )
        except (ValueError, NotFound):
            return error_page(request, _("Not found."), 404)
        except QuickReportRejected as problem:
            errors[problem.inbox_message.pk] = problem.message
        except (PermissionDenied, PortalError) as problem:
            messages.error(request, problem.message)
        else:
            messages.success(request, _("Corrected: the event is stored."))
            return HttpResponseRedirect(result.event.get_absolute_url())
    status = request.GET.get("status", "")
    inbox = selectors.quick_report_list(actor=request.actor)
    if status in ("parsed", "failed", "corrected"):
        inbox = inbox.filter(status=status)
    page = Paginator(inbox, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/quick_report_inbox.html",
        {
            "page": page,
            "errors": errors,
            "status": status,
            "extra_query": f"status={status}&" if status else "",
        },
        status=400 if errors else 200,
    )


@login_required
def import_file(request: HttpRequest, import_id: int) -> HttpResponse:
    """The original file of an import, to the people of its bureau who see its imports."""
    try:
        record = selectors.event_import_get(actor=request.actor, import_id=import_id)
    except NotFound:
        return error_page(request, _("Not found."), 404)
    return serve_file(request, record.file, filename=record.filename)


@login_required
@require_http_methods(["GET", "POST"])
def import_list(request: HttpRequest) -> HttpResponse:
    """Upload a catalog file; see the imports of the bureau with their progress."""
    if not can_post_quick_report(request.actor):
        return error_page(request, _("Only forecasters and bureau admins can import catalogs."), 403)
    error = ""
    if request.method == "POST":
        try:
            record = event_import_create(
                actor=request.actor,
                upload=request.FILES.get("file"),
                file_format=request.POST.get("format") or None,
                publish=request.POST.get("publish") == "on",
            )
        except PortalError as problem:
            error = problem.message
        else:
            messages.success(request, _("The file is queued for import."))
            return HttpResponseRedirect(reverse("catalog:import-list") + f"#import-{record.pk}")
    page = Paginator(selectors.event_import_list(actor=request.actor), 20).get_page(request.GET.get("page"))
    rows = [
        {**import_progress(record), "file_url": reverse("catalog:import-file", args=[record.pk])}
        for record in page
    ]
    return render(
        request,
        "catalog/import_list.html",
        {"page": page, "rows": rows, "error": error, "live_window_days": 3},
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def alert_rule(request: HttpRequest) -> HttpResponse:
    """The bureau's alert rule: which quakes concern it and what it then does (bureau admins)."""
    try:
        current = arrival.alert_rule_get(actor=request.actor)
    except PermissionDenied as exc:
        return error_page(request, exc.message, 403)
    form = AlertRuleForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in arrival.RULE_FIELDS if name in form.cleaned_data}
        try:
            arrival.alert_rule_save(actor=request.actor, **data)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Alert rule saved."))
            return HttpResponseRedirect(reverse("catalog:alert-rule"))
    return render(request, "catalog/alert_rule.html", {"form": form, "rule": current})
