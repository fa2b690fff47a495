"""Pages of the danger zones: the year's list and map, a zone's page (plan, linked material,
tracking history, score), entry and change, the tracking plan, the quarterly tracking reports,
the year-end score button and the anomaly page's "link to danger zone"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.converters import parse_id
from portal.exceptions import InvalidInput, PermissionDenied, PortalError
from portal.files import serve_document
from portal.pages import page
from portal.readership import record_view

from . import permissions, selectors, services
from .documents import report_pdf_document
from .forms import PlanForm, ReportForm, ZoneForm
from .geojson import zones_geojson
from .models import DangerZone, TrackingReport, ZoneLevel
from .workflows import REPORT_WORKFLOW, ZONE_WORKFLOW

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

PER_PAGE = 25


def _year_param(request: HttpRequest) -> int | None:
    raw = request.GET.get("year", "")
    if not raw:
        return selectors.current_year()
    if raw == "all":
        return None
    year = parse_id(raw)
    return year if year is not None and 1900 <= year <= 2199 else selectors.current_year()


def _bureau_name(bureau: Any) -> str:
    return bureau.display_name(get_language())


@page
def zone_list(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    year = _year_param(request)
    status = request.GET.get("status", "")
    if status not in DangerZone.Status.values:
        status = ""
    level = request.GET.get("level", "")
    if level not in ZoneLevel.values:
        level = ""
    bureau = request.GET.get("bureau", "")[:16]
    zones = selectors.zone_list(actor=actor, year=year, status=status, level=level, bureau=bureau)
    page_obj = Paginator(zones, PER_PAGE).get_page(request.GET.get("page"))
    kept = urlencode(
        {
            k: v
            for k, v in {"year": year or "all", "status": status, "level": level, "bureau": bureau}.items()
            if v
        }
    )
    now = selectors.current_year()
    return render(
        request,
        "zones/zone_list.html",
        {
            "page": page_obj,
            "zones": list(page_obj),
            "year": year,
            "years": list(range(now + 1, now - 6, -1)),
            "status": status,
            "statuses": DangerZone.Status.choices,
            "level": level,
            "levels": ZoneLevel.choices,
            "bureau": bureau,
            "extra_query": f"{kept}&",
            "geojson": zones_geojson(selectors.zones_on_map(actor=actor, year=year or now)[:200]),
            "can_create": permissions.can_create_zone(actor),
            "can_score": permissions.can_create_zone(actor),
            "score_year": now - 1,
        },
    )


def _zone_form(request: HttpRequest, initial: dict[str, Any] | None = None) -> ZoneForm:
    actor = request.actor
    bureaus = [(b.code, f"{b.code} {_bureau_name(b)}") for b in selectors.bureaus_all()]
    meetings = [(m.pk, f"{m.title}") for m in selectors.annual_meetings(actor=actor)[:50]]
    return ZoneForm(request.POST or None, initial=initial, bureaus=bureaus, meetings=meetings)


def _apply_errors(form: Any, exc: PortalError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@page
def zone_new(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not permissions.can_create_zone(actor):
        raise PermissionDenied(_("Only forecasters, chairs and bureau admins enter danger zones."))
    form = _zone_form(request, initial={"year": selectors.current_year(), "level": ZoneLevel.MEDIUM})
    if request.method == "POST" and form.is_valid():
        try:
            zone = services.zone_create(actor=actor, **form.cleaned_data)
        except PortalError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Danger zone saved as a draft."))
            return redirect(zone.get_absolute_url())
    return render(request, "zones/zone_form.html", {"form": form, "zone": None})


@page
def zone_edit(request: HttpRequest, zone_id: int) -> HttpResponse:
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    if not permissions.can_manage_zone(actor, zone):
        raise PermissionDenied(_("Only the zone's bureau changes it."))
    initial = {
        "name": zone.name,
        "year": zone.year,
        "level": zone.level,
        "min_magnitude": zone.min_magnitude,
        "max_magnitude": zone.max_magnitude,
        "bureaus": [b.code for b in zone.bureaus.all()],
        "meeting": zone.meeting_id,
        "basis": zone.basis,
        "polygon": zone.polygon.geojson,
    }
    form = _zone_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if zone.status != DangerZone.Status.DRAFT:
            data = {"basis": data["basis"], "bureaus": data["bureaus"]}
        try:
            services.zone_update(actor=actor, zone=zone, **data)
        except PortalError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Danger zone saved."))
            return redirect(zone.get_absolute_url())
    return render(request, "zones/zone_form.html", {"form": form, "zone": zone})


@page
def zone_detail(request: HttpRequest, zone_id: int) -> HttpResponse:
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    plans = [
        {
            "plan": plan,
            "channels": list(selectors.plan_channels(actor=actor, plan=plan)),
            "schedules": list(selectors.plan_schedules(actor=actor, plan=plan)),
            "flows": list(selectors.plan_flows(actor=actor, plan=plan)),
        }
        for plan in selectors.zone_plans(actor=actor, zone=zone)
    ]
    can_track = permissions.can_track_zone(actor, zone)
    now = selectors.current_year()
    return render(
        request,
        "zones/zone_detail.html",
        {
            "zone": zone,
            "geojson": zones_geojson([zone]),
            "bureaus": list(zone.bureaus.all()),
            "plans": plans,
            "anomalies": list(selectors.zone_anomalies(actor=actor, zone=zone)[:100]),
            "runs": list(selectors.zone_runs(actor=actor, zone=zone)[:100]),
            "meetings": list(selectors.zone_meetings(actor=actor, zone=zone)[:100]),
            "reports": list(selectors.report_list(actor=actor, zone=zone)[:40]),
            "history": list(selectors.zone_history(zone=zone)[:100]),
            "actions": [
                (a, ZONE_WORKFLOW.transitions[a].button)
                for a in ZONE_WORKFLOW.allowed_actions(actor, zone)
                if a != "score"
            ],
            "can_manage": permissions.can_manage_zone(actor, zone),
            "can_track": can_track,
            "linkable_meetings": list(selectors.meetings_linkable(actor=actor, year=zone.year))
            if can_track
            else [],
            "year_now": now,
            "quarter_now": selectors.current_quarter(),
            "year_score": (zone.score or {}).get("year"),
            "hit_events": (zone.score or {}).get("events", []),
        },
    )


@page
@require_POST
def zone_move(request: HttpRequest, zone_id: int) -> HttpResponse:
    zone = selectors.zone_get(actor=request.actor, zone_id=zone_id)
    services.zone_move(
        actor=request.actor,
        zone=zone,
        action=request.POST.get("action", ""),
        comment=request.POST.get("comment", "")[:500],
    )
    messages.success(request, _("Done."))
    return redirect(zone.get_absolute_url())


@page
@require_POST
def zone_link(request: HttpRequest, zone_id: int) -> HttpResponse:
    """Link an anomaly, a product run or a meeting (by id) to the zone."""
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    kind = request.POST.get("kind", "")
    target = parse_id(request.POST.get("target"))
    if target is None:
        raise InvalidInput(_("Give the number of what to link."), field="target")
    if kind == "anomaly":
        services.zone_link_anomaly(
            actor=actor, zone=zone, anomaly=selectors.anomaly_for_link(actor=actor, anomaly_id=target)
        )
    elif kind == "run":
        services.zone_link_run(actor=actor, zone=zone, run=selectors.run_for_link(actor=actor, run_id=target))
    elif kind == "meeting":
        services.zone_link_meeting(
            actor=actor, zone=zone, meeting=selectors.meeting_for_link(actor=actor, meeting_id=target)
        )
    else:
        raise InvalidInput(_("Unknown kind."), field="kind")
    messages.success(request, _("Linked."))
    return redirect(zone.get_absolute_url())


@page
@require_POST
def zone_unlink_anomaly(request: HttpRequest, zone_id: int, anomaly_id: int) -> HttpResponse:
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    anomaly = selectors.anomaly_for_link(actor=actor, anomaly_id=anomaly_id)
    services.zone_unlink_anomaly(actor=actor, zone=zone, anomaly=anomaly)
    messages.success(request, _("Unlinked."))
    return redirect(zone.get_absolute_url())


def _link_from_page(request: HttpRequest, link: Callable[[DangerZone], Any], back: str) -> HttpResponse:
    """A page's "link to danger zone" form: the zone chosen, read through the actor's
    selector, then ``link(zone)``, then back to the page."""
    zone_id = parse_id(request.POST.get("zone"))
    if zone_id is None:
        raise InvalidInput(_("Choose a danger zone."), field="zone")
    zone = selectors.zone_get(actor=request.actor, zone_id=zone_id)
    link(zone)
    messages.success(request, _("Linked to danger zone %(name)s.") % {"name": zone.name})
    return redirect(back)


@page
@require_POST
def anomaly_link(request: HttpRequest, anomaly_id: int) -> HttpResponse:
    """The anomaly page's "link to danger zone"."""
    actor = request.actor
    anomaly = selectors.anomaly_for_link(actor=actor, anomaly_id=anomaly_id)
    return _link_from_page(
        request,
        lambda zone: services.zone_link_anomaly(actor=actor, zone=zone, anomaly=anomaly),
        reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
    )


@page
@require_POST
def meeting_link(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The meeting page's "link to danger zone" (a joint consultation of a tectonic zone)."""
    actor = request.actor
    meeting = selectors.meeting_for_link(actor=actor, meeting_id=meeting_id)
    return _link_from_page(
        request,
        lambda zone: services.zone_link_meeting(actor=actor, zone=zone, meeting=meeting),
        reverse("consultations:meeting-detail", args=[meeting.pk]),
    )


@page
def plan_edit(request: HttpRequest, zone_id: int) -> HttpResponse:
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    if not permissions.can_track_zone(actor, zone):
        raise PermissionDenied(
            _("Only forecasters, chairs and experts of the bureaus tracking the zone keep a plan.")
        )
    plan = selectors.plan_of_bureau(actor=actor, zone=zone)
    options = {
        "channels": [(str(c.pk), str(c)) for c in selectors.channel_options(actor=actor)],
        "schedules": [(str(s.pk), str(s)) for s in selectors.schedule_options(actor=actor)],
        "flows": [(str(f.pk), f.name) for f in selectors.flow_options(actor=actor)],
        "watchers": [(str(u.pk), u.label) for u in selectors.watcher_options(actor=actor)],
    }
    initial: dict[str, Any] = {"frequency": "weekly", "watchers": [str(actor.user.pk)]}
    if plan is not None:
        initial = {
            "items": plan.items,
            "catalogs": plan.catalogs,
            "notes": plan.notes,
            "frequency": plan.frequency,
            "channels": [str(pk) for pk in plan.channels.values_list("pk", flat=True)],
            "schedules": [str(pk) for pk in plan.schedules.values_list("pk", flat=True)],
            "flows": [str(pk) for pk in plan.flows.values_list("pk", flat=True)],
            "watchers": [str(pk) for pk in plan.watchers.values_list("pk", flat=True)],
        }
    form = PlanForm(request.POST or None, initial=initial, options=options)
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_save(actor=actor, zone=zone, **form.cleaned_data)
        except PortalError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Tracking plan saved."))
            return redirect(zone.get_absolute_url())
    return render(request, "zones/plan_form.html", {"form": form, "zone": zone})


@page
@require_POST
def plan_add_schedule(request: HttpRequest, zone_id: int) -> HttpResponse:
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    method = request.POST.get("method", "bvalue")
    if method not in ("bvalue", "mc", "rate_change"):
        method = "bvalue"
    services.plan_add_schedule(actor=actor, zone=zone, method=method)
    messages.success(request, _("A scheduled product over the zone was added to your plan."))
    return redirect(zone.get_absolute_url())


@page
@require_POST
def score_year(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    year = parse_id(request.POST.get("year"))
    if year is None:
        raise InvalidInput(_("A year such as 2026."), field="year")
    count = services.zones_score_year(actor=actor, bureau=actor.bureau, year=services.parse_year(year))
    messages.success(request, _("%(n)d danger zones scored.") % {"n": count})
    return redirect(f"{reverse('zones:zone-list')}?year={year}")


# ---------------------------------------------------------------- tracking reports


@page
@require_POST
def report_new(request: HttpRequest, zone_id: int) -> HttpResponse:
    actor = request.actor
    zone = selectors.zone_get(actor=actor, zone_id=zone_id)
    report = services.report_create(
        actor=actor, zone=zone, year=request.POST.get("year"), quarter=request.POST.get("quarter")
    )
    return redirect(report.get_absolute_url())


@page
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    actor = request.actor
    report = selectors.report_get(actor=actor, report_id=report_id)
    editable = permissions.can_write_report(actor, report) and report.status == TrackingReport.Status.DRAFT
    form = ReportForm(
        request.POST or None,
        initial={"title": report.title, "body": report.body, "judgement": report.judgement},
    )
    if request.method == "POST" and editable and form.is_valid():
        try:
            services.report_update(actor=actor, report=report, **form.cleaned_data)
        except PortalError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Tracking report saved."))
            return redirect(report.get_absolute_url())
    if request.method == "GET":
        record_view(
            request=request, report_kind="tracking_report", report_id=report.pk, bureau_id=report.bureau_id
        )
    return render(
        request,
        "zones/report_detail.html",
        {
            "report": report,
            "form": form if editable else None,
            "actions": [
                (a, REPORT_WORKFLOW.transitions[a].button)
                for a in REPORT_WORKFLOW.allowed_actions(actor, report)
            ],
            "history": list(selectors.report_history(report=report)[:50]),
        },
    )


@page
@require_POST
def report_move(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(actor=request.actor, report_id=report_id)
    services.report_move(
        actor=request.actor,
        report=report,
        action=request.POST.get("action", ""),
        comment=request.POST.get("comment", "")[:500],
    )
    messages.success(request, _("Done."))
    return redirect(report.get_absolute_url())


@page
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.report_get(actor=request.actor, report_id=report_id)
    document = report_pdf_document(actor=request.actor, report=report)
    if document.is_ready:
        record_view(
            request=request,
            report_kind="tracking_report",
            report_id=report.pk,
            bureau_id=report.bureau_id,
            pdf=True,
        )
    return serve_document(
        request,
        document,
        filename=f"tracking-report-{report.bureau.code}-{report.year}Q{report.quarter}.pdf",
        title=report.title,
        back_url=report.get_absolute_url(),
    )
