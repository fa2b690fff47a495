"""Pages of the flow store: the store (cards, search, filters), an entry (description,
screenshots, inputs, versions, ratings, install and rate), a screenshot, and publishing a
flow of the bureau."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import InvalidInput
from portal.files import serve_file
from portal.pages import page

from . import selectors
from .permissions import can_feature_entries, can_install_flows, can_publish_flow, can_rate_entry
from .registry import node_type
from .services import store as store_services
from .validation import FlowInvalid

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

SORTS = ("newest", "rating", "installs")


def _text(request: HttpRequest, key: str, limit: int = 100) -> str:
    return request.GET.get(key, "").strip()[:limit].replace("\x00", "")


@page
def store_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "q": _text(request, "q"),
        "discipline": _text(request, "discipline", 32),
        "node_type": _text(request, "node_type", 64),
        "bureau": _text(request, "bureau", 32),
        "sort": _text(request, "sort", 16) if _text(request, "sort", 16) in SORTS else "newest",
    }
    entries = selectors.store_entry_list(
        actor=request.actor,
        search=filters["q"],
        discipline=filters["discipline"],
        node_type=filters["node_type"],
        bureau=filters["bureau"],
        sort=filters["sort"],
    )
    page = Paginator(entries, 12).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in filters.items() if v and not (k == "sort" and v == "newest")})
    choices = selectors.store_filter_choices()
    types = [(name, kind.title() if (kind := node_type(name)) else name) for name in choices["node_types"]]
    return render(
        request,
        "flows/store_list.html",
        {
            "page": page,
            "filters": filters,
            "choices": choices,
            "type_choices": types,
            "extra_query": f"{query}&" if query else "",
        },
    )


@page
def store_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
    versions = list(selectors.store_versions(entry=entry)[:20])
    latest = versions[0] if versions else None
    nodes = []
    if latest is not None:
        for node in latest.definition["nodes"]:
            kind = node_type(node["type"])
            nodes.append(
                {"id": node["id"], "type": node["type"], "title": kind.title() if kind else node["type"]}
            )
    ratings = Paginator(selectors.store_ratings(entry=entry), 10).get_page(request.GET.get("page"))
    mine = selectors.store_rating_of(entry=entry, user_id=request.user.pk)
    return render(
        request,
        "flows/store_detail.html",
        {
            "entry": entry,
            "versions": versions,
            "latest": latest,
            "nodes": nodes,
            "screenshots": selectors.store_screenshots(entry=entry),
            "page": ratings,
            "my_rating": mine,
            "install": selectors.store_install_in_bureau(actor=request.actor, entry=entry),
            "may_install": can_install_flows(request.actor),
            "may_rate": can_rate_entry(request.actor, entry),
            "may_feature": can_feature_entries(request.actor),
            "stars": range(1, 6),
        },
    )


@require_POST
@page
def store_install(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
    params = {
        f"{item['node']}.{item['param']}": value
        for item in entry.inputs
        if (value := request.POST.get(f"{item['node']}.{item['param']}", "").strip())
        and item["param"] != "channels"
    }
    try:
        install, to_fill = store_services.store_install(
            actor=request.actor, entry=entry, name=request.POST.get("name", "").strip()[:120], params=params
        )
    except FlowInvalid as exc:
        messages.error(request, exc.message)
        return redirect(entry.get_absolute_url())
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect(entry.get_absolute_url())
    missing = [f"{i['node']}.{i['param']}" for i in to_fill if not i["filled"]]
    messages.success(
        request, _("Installed. Its triggers start nothing until your bureau admin enables them.")
    )
    if missing:
        messages.warning(request, _("Still to fill: %(params)s.") % {"params": ", ".join(missing)})
    return redirect(install.flow.get_absolute_url())


@require_POST
@page
def store_rate(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
    raw = request.POST.get("stars", "")
    stars = int(raw) if raw.isascii() and raw.isdigit() and len(raw) == 1 else 0
    try:
        store_services.store_rate(
            actor=request.actor, entry=entry, stars=stars, comment=request.POST.get("comment", "")[:2000]
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you for rating."))
    return redirect(entry.get_absolute_url())


@require_POST
@page
def store_feature(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
    store_services.store_feature(
        actor=request.actor, entry=entry, featured=request.POST.get("featured") == "1"
    )
    return redirect(entry.get_absolute_url())


@page
def store_screenshot(request: HttpRequest, entry_id: int, screenshot_id: int) -> HttpResponse:
    entry = selectors.store_entry_get(actor=request.actor, entry_id=entry_id)
    shot = selectors.store_screenshot_get(entry=entry, screenshot_id=screenshot_id)
    return serve_file(request, shot.file, filename=shot.display_name or "screenshot.png", max_age=3600)


@page
def flow_publish(request: HttpRequest, flow_id: int) -> HttpResponse:
    """GET: the publishing form; POST: publish the flow's current version."""
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    if not can_publish_flow(request.actor, flow):
        return render(request, "portal/error.html", {"message": _("Not allowed.")}, status=403)
    entry = selectors.store_entry_of_flow(flow=flow)
    definition = flow.current_version.definition if flow.current_version else {"nodes": []}
    params = [
        {"key": f"{node['id']}.{key}", "node": node["id"], "param": key}
        for node in definition["nodes"]
        for key in sorted(node.get("params", {}))
    ]
    if request.method == "POST":
        chosen = set(request.POST.getlist("inputs"))
        inputs = [{"node": p["node"], "param": p["param"], "label": ""} for p in params if p["key"] in chosen]
        try:
            entry, created = store_services.store_publish(
                actor=request.actor,
                flow=flow,
                title=request.POST.get("title", "")[:120],
                description_zh=request.POST.get("description_zh", "")[:8000],
                description_en=request.POST.get("description_en", "")[:8000],
                inputs=inputs,
                inputs_note=request.POST.get("inputs_note", "")[:4000],
                note=request.POST.get("note", "")[:200],
            )
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Published.") if created else _("Saved; this version was already published.")
            )
            return redirect(entry.get_absolute_url())
    chosen_keys = {f"{i['node']}.{i['param']}" for i in (entry.inputs if entry else [])}
    return render(
        request,
        "flows/store_publish.html",
        {"flow": flow, "entry": entry, "params": params, "chosen": chosen_keys},
    )
