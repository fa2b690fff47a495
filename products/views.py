"""Pages of the product engine: gallery, runs, run form, product page, schedules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import PermissionDenied
from portal.files import serve_file
from portal.pages import page
from portal.services import data_access_record_of

from . import selectors
from .catalogue import describe
from .forms import fields_for, request_from_post, series_from_post
from .methods.registry import METHODS
from .models import RunStatus
from .permissions import can_change_schedule, can_manage_schedules, can_rerun_run, can_run_products
from .services import execution as execution_services
from .services import run_requests as request_services
from .services import runs as run_services
from .services import schedules as schedule_services

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _status_labels() -> str:
    """Status names in the page's language, for the live badges (escaped by the template)."""
    return json.dumps({value: str(label) for value, label in RunStatus.choices}, ensure_ascii=False)


def _method_choices() -> list[dict[str, str]]:
    return [{"name": m.name, "title_zh": m.title_zh, "title_en": m.title_en} for m in METHODS.values()]


@page
def gallery(request: HttpRequest) -> HttpResponse:
    """The latest result of each scheduled product of the bureau, with its figure."""
    actor = request.actor
    return render(
        request,
        "products/gallery.html",
        {
            "items": selectors.gallery(actor=actor),
            "recent": selectors.runs_latest(actor=actor, limit=8),
            "can_run": can_run_products(actor),
            "can_schedule": can_manage_schedules(actor),
            "status_labels": _status_labels(),
        },
    )


@page
def run_list(request: HttpRequest) -> HttpResponse:
    runs = selectors.run_list(actor=request.actor)
    status = request.GET.get("status", "")
    if status in RunStatus.values:
        runs = runs.filter(status=status)
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "products/run_list.html",
        {
            "page": page,
            "status": status,
            "statuses": RunStatus.choices,
            "extra_query": f"status={status}&" if status else "",
            "status_labels": _status_labels(),
        },
    )


@page
def run_new(request: HttpRequest) -> HttpResponse:
    """The run form, generated from the chosen method's parameter schema."""
    actor = request.actor
    if not can_run_products(actor):
        raise PermissionDenied(
            _("Only forecasters and experts of the method's discipline of a bureau run products.")
        )
    mine = [m for m in METHODS if can_run_products(actor, method=m)]
    name = request.POST.get("method") or request.GET.get("method") or ""
    if name not in METHODS:
        name = "bvalue" if "bvalue" in mine else mine[0]
    described = describe(METHODS[name])
    series: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    catalog: dict[str, Any] = {"jurisdiction": True, "days": 365} if described["input"] == "catalog" else {}
    if request.GET.get("mainshock"):
        params["mainshock"] = request.GET["mainshock"]
    errors: dict[str, str] = {}
    if request.method == "POST":
        params, catalog = request_from_post(described, request.POST)
        series = series_from_post(request.POST) if described["input"] == "series" else []
        try:
            run = run_services.run_create(
                actor=actor, method=name, params=params, catalog=catalog, series=series or None
            )
        except request_services.RunRequestInvalid as exc:
            errors = exc.errors
        else:
            return redirect(run.get_absolute_url())
    param_fields, catalog_fields = fields_for(described, params, catalog, errors)
    return render(
        request,
        "products/run_form.html",
        {
            "method": described,
            "methods": [m for m in _method_choices() if m["name"] in mine],
            "param_fields": param_fields,
            "catalog_fields": catalog_fields,
            "series_channels": selectors.series_channel_options(actor=actor)
            if described["input"] == "series"
            else [],
            "series_chosen": {str(part.get("channel")) for part in series},
            "series_days": request.POST.get("series.days", "365"),
            "series_start": request.POST.get("series.start", ""),
            "series_end": request.POST.get("series.end", ""),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@page
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    method = METHODS.get(run.method)
    result = run.result if isinstance(run.result, dict) else {}
    scalars = [(k, v) for k, v in result.items() if not isinstance(v, list | dict) and k != "type"]
    return render(
        request,
        "products/run_detail.html",
        {
            "run": run,
            "method": method,
            "scalars": scalars,
            "figures": [(name, name.rsplit(".", 1)[-1]) for name in run.figures],
            "interactive": run.method in ("bvalue_series", "bvalue_grid", "rate_change")
            and run.status == RunStatus.SUCCEEDED,
            "can_rerun": can_rerun_run(request.actor, run) and run.status == RunStatus.FAILED,
            # seismicity patterns list what they found (gaps, bands, swarms) below the figure
            "pattern_methods": ("seismic_gap", "seismic_band", "swarm"),
            "status_labels": _status_labels(),
        },
    )


@login_required
@page
def run_figure(request: HttpRequest, run_id: int, name: str) -> HttpResponse:
    """A run's figure file, to people who may read the run (media is not served publicly).
    PNG shows inline; SVG is a document that could carry script, so it is a download."""
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    if name not in run.figures:
        raise Http404
    path = execution_services.run_directory(run.bureau_id, run.figure_run_id) / Path(name).name
    data_access_record_of(actor=request.actor, target=run, how="download")  # another bureau's, by a grant
    return serve_file(
        request,
        path,
        filename=f"{run.method}-{run.pk}{path.suffix}",
        content_type=CONTENT_TYPES.get(path.suffix[1:], "application/octet-stream"),
        max_age=86400,  # a run's figures never change
    )


@require_POST
@page
def run_rerun(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    run_services.run_rerun(actor=request.actor, run=run)
    messages.info(request, _("The run was queued again."))
    return redirect(run.get_absolute_url())


# --- schedules --------------------------------------------------------------------


@page
def schedule_list(request: HttpRequest) -> HttpResponse:
    schedules = selectors.schedule_list(actor=request.actor)
    page = Paginator(schedules, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "products/schedule_list.html",
        {
            "page": page,
            "can_schedule": can_manage_schedules(request.actor),
            # an expert changes the schedules of their discipline's methods only
            "changeable": {s.pk for s in page.object_list if can_change_schedule(request.actor, s)},
        },
    )


CRON_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


def _schedule_form(request: HttpRequest, schedule: Any = None) -> HttpResponse:
    actor = request.actor
    name = (
        request.POST.get("method") or request.GET.get("method") or (schedule.method if schedule else "bvalue")
    )
    mine = [m for m in METHODS if can_run_products(actor, method=m)] or ["bvalue"]
    if request.method == "POST" and name in METHODS and not can_manage_schedules(actor, method=name):
        raise PermissionDenied(
            _("Only forecasters, and the experts of the method's discipline, set up recurring products.")
        )
    if name not in mine and (schedule is None or name != schedule.method):
        name = "bvalue" if "bvalue" in mine else mine[0]
    described = describe(METHODS[name])
    series: list[dict[str, Any]] = []
    if schedule is not None and schedule.method == name:
        params = dict(schedule.params)
        catalog = schedule_services.selection_catalog(schedule.selection)
        series = list(schedule.selection.get("series") or [])
    else:
        params, catalog = {}, ({"jurisdiction": True, "days": 365} if described["input"] == "catalog" else {})
    # A schedule's series window moves with it: the last N days before each firing.
    series_days = f"{series[0].get('days') or 365:g}" if series else "365"
    values = {
        "name": schedule.name if schedule else "",
        "is_enabled": schedule.is_enabled if schedule else True,
        **{
            k: getattr(schedule, k) if schedule else d
            for k, d in zip(CRON_FIELDS, ("0", "6", "*", "*", "*"), strict=True)
        },
    }
    errors: dict[str, str] = {}
    if request.method == "POST" and request.POST.get("save"):
        params, catalog = request_from_post(described, request.POST)
        series = series_from_post(request.POST) if described["input"] == "series" else []
        series_days = request.POST.get("series.days", "365")
        values = {
            "name": request.POST.get("name", ""),
            "is_enabled": "is_enabled" in request.POST,
            **{k: request.POST.get(k, "") for k in CRON_FIELDS},
        }
        data = {**values, "method": name, "params": params, "catalog": catalog, "series": series or None}
        try:
            if schedule is None:
                schedule = schedule_services.schedule_create(actor=actor, **data)
            else:
                schedule = schedule_services.schedule_update(actor=actor, schedule=schedule, **data)
        except request_services.RunRequestInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, _("The schedule was saved."))
            return redirect("products:schedule-list")
    param_fields, catalog_fields = fields_for(described, params, catalog, errors)
    return render(
        request,
        "products/schedule_form.html",
        {
            "schedule": schedule,
            "method": described,
            "methods": [m for m in _method_choices() if m["name"] in mine or m["name"] == name],
            "param_fields": param_fields,
            "catalog_fields": catalog_fields,
            "series_channels": selectors.series_channel_options(actor=actor)
            if described["input"] == "series"
            else [],
            "series_chosen": {str(part.get("channel")) for part in series},
            "series_days": series_days,
            "values": values,
            "errors": errors,
            "cron_fields": [(k, values[k], errors.get(k)) for k in CRON_FIELDS],
        },
        status=400 if errors else 200,
    )


@page
def schedule_new(request: HttpRequest) -> HttpResponse:
    if not can_manage_schedules(request.actor):
        raise PermissionDenied(
            _("Only forecasters, and the experts of the method's discipline, set up recurring products.")
        )
    return _schedule_form(request)


@page
def schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    schedule = selectors.schedule_get(actor=request.actor, schedule_id=schedule_id)
    if not can_change_schedule(request.actor, schedule):
        raise PermissionDenied(_("Only forecasters of the schedule's bureau may change it."))
    return _schedule_form(request, schedule)


@require_POST
@page
def schedule_action(request: HttpRequest, schedule_id: int, action: str) -> HttpResponse:
    schedule = selectors.schedule_get(actor=request.actor, schedule_id=schedule_id)
    actor = request.actor
    if action == "pause":
        schedule_services.schedule_set_enabled(actor=actor, schedule=schedule, enabled=False)
        messages.info(request, _("The schedule is paused."))
    elif action == "resume":
        schedule_services.schedule_set_enabled(actor=actor, schedule=schedule, enabled=True)
        messages.info(request, _("The schedule runs again."))
    elif action == "run":
        run = schedule_services.schedule_run_now(actor=actor, schedule=schedule)
        return redirect(run.get_absolute_url())
    elif action == "delete":
        schedule_services.schedule_delete(actor=actor, schedule=schedule)
        messages.info(request, _("The schedule was removed; its runs are kept."))
    else:
        raise Http404
    return redirect("products:schedule-list")
