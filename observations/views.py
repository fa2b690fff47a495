"""Pages of the master data: the station map and list, a station, a channel, the change
queue, a change, and the form that proposes one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.converters import parse_id
from portal.exceptions import NotFound, PortalError
from portal.pages import error_page

from . import availability_selectors, permissions, selectors
from .forms import ChangeForm
from .models import MasterDataChange, Station
from .services import change_workflow
from .services import changes as change_services
from .services.master_apply import snapshot

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

STATUS_COLOURS = {"active": "#27ae60", "suspended": "#e67e22", "closed": "#7f8c8d"}


def _no_actor(request: HttpRequest) -> HttpResponse | None:
    if request.actor is None or request.actor.bureau is None:
        return render(request, "portal/no_role.html", status=403)
    return None


def _choice(value: str | None, allowed: list[str]) -> str:
    return value if value in allowed else ""


@login_required
def station_list(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    kind = _choice(request.GET.get("kind"), Station.Kind.values)
    status = _choice(request.GET.get("status"), Station.Status.values)
    stations = selectors.station_list(actor=request.actor, kind=kind or None, status=status or None)
    page = Paginator(stations, 50).get_page(request.GET.get("page"))
    language = get_language()
    mapped = list(stations[:3000])
    # coloured by the last week's availability (observations.availability_selectors)
    week = availability_selectors.station_week_availability(actor=request.actor, stations=mapped)
    for s in page:
        s.week_availability = week.get(s.pk)  # type: ignore[attr-defined]
    points = [
        {
            "lat": s.location.y,
            "lon": s.location.x,
            "name": f"{s.code} {s.display_name(language)}",
            "status": s.status,
            "availability": week[s.pk].value,
            "css": week[s.pk].css,
            "url": s.get_absolute_url(),
        }
        for s in mapped
    ]
    query = "&".join(f"{k}={v}" for k, v in (("kind", kind), ("status", status)) if v)
    return render(
        request,
        "observations/station_list.html",
        {
            "page": page,
            "points": points,
            "kinds": Station.Kind.choices,
            "statuses": Station.Status.choices,
            "kind": kind,
            "status": status,
            "extra_query": f"{query}&" if query else "",
            "colours": STATUS_COLOURS,
            "can_propose": permissions.can_propose_master_data(request.actor),
            "week": availability_selectors.week_window(),
            "good": availability_selectors.GOOD,
            "fair": availability_selectors.FAIR,
        },
    )


@login_required
def station_detail(request: HttpRequest, code: str) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    try:
        station = selectors.station_get(actor=request.actor, code=code)
    except NotFound:
        return error_page(request, _("Not found."), 404)
    mine = station.bureau_id == request.actor.bureau_id
    return render(
        request,
        "observations/station_detail.html",
        {
            "station": station,
            "channels": selectors.station_channels(actor=request.actor, station=station),
            "instruments": selectors.station_instruments(station=station),
            "history": selectors.station_history(station=station),
            "pending": selectors.change_list(actor=request.actor, state="proposed", station=station)
            if mine
            else [],
            "can_propose": mine
            and permissions.can_propose_master_data(request.actor)
            and station.status != "closed",
            "show_qc_archives": mine or request.actor.is_system_admin,
            "qc_archives": availability_selectors.qc_archive_list(actor=request.actor, station=station),
            "can_generate_archive": permissions.can_generate_qc_archive(request.actor, station),
            "archive_default_month": availability_selectors.previous_month(
                availability_selectors.utc_today().replace(day=1)
            ),
            "point": {
                "lat": station.location.y,
                "lon": station.location.x,
                "name": station.code,
                "colour": STATUS_COLOURS.get(station.status, "#555"),
            },
        },
    )


@login_required
def channel_detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    try:
        channel = selectors.channel_get(actor=request.actor, channel_id=channel_id)
    except NotFound:
        return error_page(request, _("Not found."), 404)
    mine = channel.bureau_id == request.actor.bureau_id
    return render(
        request,
        "observations/channel_detail.html",
        {
            "channel": channel,
            "mine": mine,  # its QC days are read in its bureau only
            "history": selectors.channel_history(channel=channel),
            "can_propose": mine and permissions.can_propose_master_data(request.actor) and channel.is_active,
        },
    )


@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    state = _choice(request.GET.get("state"), MasterDataChange.State.values)
    changes = selectors.change_list(actor=request.actor, state=state or None)
    page = Paginator(changes, 30).get_page(request.GET.get("page"))
    rows = [(c, change_workflow.allowed_actions(request.actor, c)) for c in page]
    return render(
        request,
        "observations/change_list.html",
        {
            "page": page,
            "rows": rows,
            "states": MasterDataChange.State.choices,
            "state": state,
            "extra_query": f"state={state}&" if state else "",
            "buttons": change_workflow.ACTION_BUTTONS,
        },
    )


@login_required
def change_detail(request: HttpRequest, change_id: int) -> HttpResponse:
    if (refused := _no_actor(request)) is not None:
        return refused
    try:
        change = selectors.change_get(actor=request.actor, change_id=change_id)
    except NotFound:
        return error_page(request, _("Not found."), 404)
    return render(
        request,
        "observations/change_detail.html",
        {
            "change": change,
            "summary": change_workflow.summary(change),
            "actions": change_workflow.allowed_actions(request.actor, change),
            "buttons": change_workflow.ACTION_BUTTONS,
            "rows": _diff(change),
        },
    )


def _diff(change: MasterDataChange) -> list[tuple[str, Any, Any, Any]]:
    """(field, before, proposed, after) for the change page."""
    names = list(dict.fromkeys([*change.values, *(change.after or {})]))
    before, after = change.before or {}, change.after or {}
    return [(n, before.get(n), change.values.get(n), after.get(n)) for n in names]


@login_required
@require_POST
def change_transition(request: HttpRequest, change_id: int, action: str) -> HttpResponse:
    if request.actor is None or action not in change_services.TRANSITION_SERVICES:
        return error_page(request, _("Not found."), 404)
    try:
        change = selectors.change_get(actor=request.actor, change_id=change_id)
        change_services.TRANSITION_SERVICES[action](
            actor=request.actor, change=change, comment=request.POST.get("comment", "")
        )
    except NotFound:
        return error_page(request, _("Not found."), 404)
    except PortalError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Done: %(action)s.") % {"action": change_workflow.WORKFLOW.transitions[action].label}
        )
    return redirect("observations:change-detail", change_id)


@login_required
def change_new(request: HttpRequest) -> HttpResponse:
    """A bureau admin proposes a change: ``?target=&action=&object=`` (and ``station=`` to
    preselect a new channel's or instrument's station)."""
    if (refused := _no_actor(request)) is not None:
        return refused
    actor = request.actor
    if not permissions.can_propose_master_data(actor):
        return error_page(
            request, _("Only a bureau administrator proposes changes to stations and channels."), 403
        )
    params = request.POST if request.method == "POST" else request.GET
    target = _choice(params.get("target"), MasterDataChange.Target.values) or "station"
    action = _choice(params.get("action"), MasterDataChange.Action.values) or "create"
    object_id = parse_id(params.get("object"))
    row: Any = None
    if action != "create":
        row = selectors.change_target_row(actor=actor, target=target, object_id=object_id)
        if row is None:
            return error_page(request, _("Not found."), 404)
    stations = [(s.code, f"{s.code} {s.name_zh}") for s in selectors.station_options(actor=actor)]
    items = [(i.code, f"{i.code} {i.name_zh} ({i.unit})") for i in selectors.item_list()]
    current = snapshot(target, row) if row is not None else {}
    initial = {"station": params.get("station")} if action == "create" else None
    form = ChangeForm(
        request.POST or None,
        target=target,
        action=action,
        current=current,
        stations=stations,
        items=items,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            change = change_services.change_propose(
                actor=actor,
                target=target,
                action=action,
                object_id=object_id,
                values=form.values(),
                reason=form.cleaned_data["reason"],
            )
        except PortalError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Change proposed; a second administrator decides it."))
            return redirect("observations:change-detail", change.pk)
    return render(
        request,
        "observations/change_form.html",
        {
            "form": form,
            "target": target,
            "action": action,
            "row": row,
            "target_label": MasterDataChange.Target(target).label,
            "action_label": MasterDataChange.Action(action).label,
            "object_id": object_id,
        },
    )
