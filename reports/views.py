"""Pages of the reports app: special-topic reports (list, page, printable HTML, PDF, maps),
GIS layers (upload, list, preview, delete) and the bureau's topic-report settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import NotFound, PortalError
from portal.files import serve_file
from portal.pages import error_page
from portal.readership import record_view
from portal.services import data_access_record_of
from printing.rendering import render_html

from . import selectors
from .forms import GisLayerUploadForm, TopicReportSettingsForm
from .models import TopicReport
from .permissions import can_manage_gis_layers, can_manage_topic_settings, can_rebuild_topic_report
from .services import gis_layers as gis_layer_services
from .services import pushes as push_services
from .services import topic_reports as topic_report_services
from .services import topic_settings as topic_settings_services


def _not_found(request: HttpRequest) -> HttpResponse:
    return error_page(request, _("Not found."), 404)


def _no_actor(request: HttpRequest) -> HttpResponse | None:
    if request.actor is None:
        return render(request, "portal/no_role.html", status=403)
    return None


# --- special-topic reports -----------------------------------------------------------------


@login_required
def topic_list(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    reports = selectors.topic_report_list(actor=request.actor)
    status = request.GET.get("status", "")
    if status in TopicReport.Status.values:
        reports = reports.filter(status=status)
    page = Paginator(reports, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/topic/list.html",
        {
            "page": page,
            "status": status,
            "statuses": TopicReport.Status.choices,
            "extra_query": f"status={status}&" if status else "",
        },
    )


def _report_or_none(request: HttpRequest, report_id: int) -> TopicReport | None:
    try:
        return selectors.topic_report_get(actor=request.actor, report_id=report_id)
    except NotFound:
        return None


def _map_urls(report: TopicReport) -> dict[str, str]:
    from django.urls import reverse

    return {
        key: reverse("reports:topic-map", args=[report.pk, key])
        for key in (report.context.get("map_files") or {})
    }


@login_required
def topic_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    report = _report_or_none(request, report_id)
    if report is None:
        return _not_found(request)
    actor = request.actor
    versions = list(selectors.topic_report_versions(actor=actor, report=report).order_by("-event_version"))
    _record(request, report)  # before the page: its readers table counts this reading
    return render(
        request,
        "reports/topic/detail.html",
        {
            "report": report,
            "c": report.context,
            "maps": _map_urls(report),
            "pushes": selectors.push_attempt_list(report=report),
            "versions": versions,
            "version_ids": [v.pk for v in versions],
            "can_rebuild": can_rebuild_topic_report(actor, report),
            "map_data": _map_data(report.context),
            "timings": _timings(report),
        },
    )


def _record(request: HttpRequest, report: TopicReport, *, pdf: bool = False) -> None:
    """A reading of the report served (after the visibility check: never a 404)."""
    record_view(
        request=request,
        report_kind="topic_report",
        report_id=report.pk,
        bureau_id=report.bureau_id,
        version=report.event_version,
        pdf=pdf,
    )


def _timings(report: TopicReport) -> list[tuple[str, float]]:
    labels = [
        ("queries", _("queries (towns, layers, history)")),
        ("maps", _("maps")),
        ("pdf", _("PDF")),
        ("total", _("from the event's arrival to ready")),
    ]
    return [(label, report.timings[key]) for key, label in labels if key in report.timings]


def _map_data(content: dict[str, Any]) -> dict[str, Any]:
    """What the Leaflet map on the page draws (the same content the PDF shows)."""
    if not content:
        return {}
    return {
        "event": content.get("event"),
        "towns": content.get("towns", {}).get("rows", []),
        "history": content.get("history", {}).get("points", []),
        "layers": content.get("layers", []),
        "options": content.get("options", {}),
    }


@login_required
def topic_html(request: HttpRequest, report_id: int) -> HttpResponse:
    """The report itself as one phone-friendly document (the PDF's HTML twin)."""
    if (refused := _no_actor(request)) is not None:
        return refused
    report = _report_or_none(request, report_id)
    if report is None or report.status != TopicReport.Status.READY:
        return _not_found(request)
    response = HttpResponse(
        render_html("reports/topic/print.html", {"c": report.context, "maps": _map_urls(report)})
    )
    _record(request, report)
    return response


@login_required
def topic_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    report = _report_or_none(request, report_id)
    if report is None or not report.pdf:
        return _not_found(request)
    filename = f"topic-report-{report.bureau.code}-{report.event.public_id}-v{report.event_version}.pdf"
    try:
        response = serve_file(request, report.pdf, filename=filename, content_type="application/pdf")
    except Http404:
        return _not_found(request)
    _record(request, report, pdf=True)
    data_access_record_of(actor=request.actor, target=report, how="download")  # another bureau's, by a grant
    return response


@login_required
def topic_map(request: HttpRequest, report_id: int, name: str) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    report = _report_or_none(request, report_id)
    path = (report.context.get("map_files") or {}).get(name) if report else None
    if not path:
        return _not_found(request)
    try:
        return serve_file(request, path, filename=Path(path).name, content_type="image/png")
    except Http404:
        return _not_found(request)


@login_required
@require_POST
def topic_requeue(request: HttpRequest, report_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    report = _report_or_none(request, report_id)
    if report is None:
        return _not_found(request)
    try:
        topic_report_services.topic_report_requeue(
            actor=request.actor, report=report, comment=request.POST.get("comment", "")
        )
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The report is queued for building again."))
    return redirect("reports:topic-detail", report_id=report.pk)


@login_required
@require_POST
def push_retry(request: HttpRequest, attempt_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    try:
        attempt = selectors.push_attempt_get(actor=request.actor, attempt_id=attempt_id)
    except NotFound:
        return _not_found(request)
    try:
        push_services.push_retry(actor=request.actor, attempt=attempt)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The push is being tried again."))
    return redirect("reports:topic-detail", report_id=attempt.report_id)


# --- GIS layers ------------------------------------------------------------------------------


@login_required
def layer_list(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    can_manage = can_manage_gis_layers(actor)
    form = GisLayerUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if not can_manage:
            return error_page(request, _("Only bureau admins and forecasters can upload GIS layers."), 403)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > gis_layer_services.gis_max_bytes():
                form.add_error(
                    "file",
                    _("The file is too large (at most %(n)s bytes).")
                    % {"n": gis_layer_services.gis_max_bytes()},
                )
            else:
                try:
                    layer = gis_layer_services.gis_layer_upload(
                        actor=actor,
                        name=form.cleaned_data["name"],
                        kind=form.cleaned_data["kind"],
                        description=form.cleaned_data["description"],
                        content=upload.read(),
                        filename=upload.name,
                    )
                except PortalError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    messages.success(
                        request,
                        _("Layer %(name)s stored with %(n)s features.")
                        % {"name": layer.name, "n": layer.feature_count},
                    )
                    return redirect("reports:layer-detail", layer_id=layer.pk)
        status = 400
    page = Paginator(selectors.gis_layer_list(actor=actor), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/layers/list.html",
        {
            "page": page,
            "form": form,
            "can_manage": can_manage,
            "max_bytes": gis_layer_services.gis_max_bytes(),
        },
        status=status,
    )


@login_required
def layer_detail(request: HttpRequest, layer_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    try:
        layer = selectors.gis_layer_get(actor=request.actor, layer_id=layer_id)
    except NotFound:
        return _not_found(request)
    if request.method == "POST":
        try:
            gis_layer_services.gis_layer_delete(actor=request.actor, layer=layer)
        except PortalError as exc:
            return error_page(request, exc.message, exc.status_code)
        messages.success(request, _("Layer %(name)s deleted.") % {"name": layer.name})
        return redirect("reports:layer-list")
    page = Paginator(selectors.gis_feature_list(layer=layer), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/layers/detail.html",
        {"layer": layer, "page": page, "can_manage": can_manage_gis_layers(request.actor)},
    )


@login_required
def layer_geojson(request: HttpRequest, layer_id: int) -> HttpResponse:
    if request.actor is None:  # as every other page: a person with no role may not use it (403)
        message = _(
            "Your account holds no role in any active bureau. Ask your bureau administrator to grant you one."
        )
        return JsonResponse({"detail": message}, status=403)
    try:
        layer = selectors.gis_layer_get(actor=request.actor, layer_id=layer_id)
    except NotFound:
        return JsonResponse({"detail": _("Not found.")}, status=404)
    features = [
        {
            "type": "Feature",
            "id": f.pk,
            "geometry": json.loads(f.geometry.geojson),
            "properties": {**f.properties, "_name": f.name},
        }
        for f in selectors.gis_feature_list(layer=layer)
    ]
    body = json.dumps({"type": "FeatureCollection", "name": layer.name, "features": features})
    # the layer's data as a file: a download when opened, still readable by the map's fetch()
    return serve_file(
        request, body.encode(), filename=f"{layer.name}.geojson", content_type="application/geo+json"
    )


# --- settings ----------------------------------------------------------------------------------


@login_required
def topic_settings(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    if not can_manage_topic_settings(actor):
        return error_page(
            request, _("Only a bureau admin can change the special-topic report settings."), 403
        )
    current = selectors.topic_report_settings_get(actor=actor)
    form = TopicReportSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        data = {
            name: form.cleaned_data[name]
            for name in topic_settings_services.SETTINGS_FIELDS
            if name in form.cleaned_data
        }
        try:
            topic_settings_services.topic_report_settings_update(actor=actor, **data)
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Special-topic report settings saved."))
            return redirect("reports:topic-settings")
    return render(request, "reports/topic/settings.html", {"form": form, "settings_row": current})
