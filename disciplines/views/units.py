"""Reporting units and the bureau's anomaly settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disciplines import permissions, selectors
from disciplines.forms import SettingsForm, UnitForm
from disciplines.services import units as unit_services
from observations import selectors as station_selectors
from portal.exceptions import PortalError

from .common import _no_actor, _page_error

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


@login_required
def unit_list(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    discipline = request.GET.get("discipline") or None
    units = selectors.unit_list(actor=request.actor, discipline=discipline)
    listed = units.select_related("station").prefetch_related("reporters")
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    points = [
        {
            "lat": u.location.y,
            "lon": u.location.x,
            "name": f"{u.code} {u.name}",
            "discipline": u.discipline.code,
        }
        for u in units.only("code", "name", "location", "discipline__code")[:3000]
    ]
    return render(
        request,
        "disciplines/unit_list.html",
        {
            "page": page,
            "points": points,
            "disciplines": selectors.discipline_list(),
            "discipline": discipline or "",
            "extra_query": f"discipline={discipline}&" if discipline else "",
            "can_manage": permissions.can_manage_units(request.actor),
        },
    )


@login_required
def unit_new(request: HttpRequest) -> HttpResponse:
    """A bureau admin adds a reporting unit and names its reporters."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    if not permissions.can_manage_units(actor):
        return _page_error(request, _("Only a bureau administrator manages reporting units."), 403)
    reporters = list(selectors.bureau_reporters(actor=actor))
    stations = {s.code: s for s in station_selectors.station_options(actor=actor)}
    form = UnitForm(
        request.POST or None,
        disciplines=selectors.discipline_list(),
        reporters=reporters,
        stations=stations.values(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [u for u in reporters if u.pk in set(data["reporters"])]
        try:
            unit = unit_services.unit_create(
                actor=actor,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                discipline=selectors.discipline_by_code(code=data["discipline"]),
                lon=data["lon"],
                lat=data["lat"],
                observation_items=form.observation_item_list(),
                reporters=chosen,
                station=stations.get(data["station"]),
                schedule=data["schedule"],
                deadline_time=data["deadline_time"],
            )
        except PortalError as exc:
            field = exc.field if exc.field in form.fields else ("lon" if exc.field == "location" else None)
            form.add_error(field, exc.message)
        else:
            messages.success(request, _("Reporting unit %(code)s added.") % {"code": unit.code})
            return redirect("disciplines:units")
    return render(request, "disciplines/unit_form.html", {"form": form})


@login_required
def anomaly_settings(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    if not permissions.can_manage_anomaly_settings(request.actor):
        return _page_error(request, _("Only a bureau administrator changes these settings."), 403)
    current = selectors.anomaly_settings_for(bureau=request.actor.bureau)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            unit_services.anomaly_settings_update(
                actor=request.actor,
                verification_hours=form.cleaned_data["verification_hours"],
                assessment_hours=form.cleaned_data["assessment_hours"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("disciplines:settings")
    return render(request, "disciplines/settings.html", {"form": form})
