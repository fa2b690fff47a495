"""Pages of flows: the list, a flow (versions, runs, triggers, its nodes and edges), a run
(each node's state, live over the websocket), and a run's files (documents, datasets)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.exceptions import NotFound, PortalError
from portal.files import serve_file

from . import selectors
from .models import FlowRunStatus
from .permissions import can_author_flows, can_publish_flow, can_run_flow, can_set_triggers
from .registry import node_type
from .services import flows as flow_services
from .services import runs as run_services

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse


def _page_error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "portal/error.html", {"message": message}, status=status)


def _needs_actor(view):  # type: ignore[no-untyped-def]
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.actor is None:
            return render(request, "portal/no_role.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return _page_error(request, _("Not found."), 404)
        except PortalError as exc:
            return _page_error(request, exc.message, exc.status_code)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return login_required(wrapped)


@_needs_actor
def flow_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100].replace("\x00", "")
    triggers = {"on": True, "off": False}.get(request.GET.get("triggers", ""))
    flows = selectors.flow_list(actor=request.actor, search=search, triggers=triggers)
    page = Paginator(flows, 25).get_page(request.GET.get("page"))
    query = "&".join(
        f"{k}={v}" for k, v in (("q", search), ("triggers", request.GET.get("triggers", ""))) if v
    )
    return render(
        request,
        "flows/list.html",
        {
            "page": page,
            "q": search,
            "triggers": request.GET.get("triggers", ""),
            "extra_query": f"{query}&" if query else "",
            "may_author": can_author_flows(request.actor),
        },
    )


def _nodes_described(definition: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for node in definition["nodes"]:
        kind = node_type(node["type"])
        out.append(
            {**node, "title": kind.title() if kind else node["type"], "family": kind.family if kind else ""}
        )
    return out


@_needs_actor
def flow_detail(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    runs = Paginator(selectors.run_list(actor=request.actor, flow=flow), 20).get_page(request.GET.get("page"))
    definition = flow.current_version.definition if flow.current_version else {"nodes": [], "edges": []}
    return render(
        request,
        "flows/detail.html",
        {
            "flow": flow,
            "nodes": _nodes_described(definition),
            "edges": definition["edges"],
            "versions": selectors.flow_versions(flow=flow)[:20],
            "page": runs,
            "may_run": can_run_flow(request.actor, flow),
            "may_set_triggers": can_set_triggers(request.actor, flow),
            "may_publish": can_publish_flow(request.actor, flow),
        },
    )


@require_POST
@_needs_actor
def flow_run(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    run = run_services.run_request(actor=request.actor, flow=flow, dry_run=request.POST.get("dry_run") == "1")
    return redirect(run.get_absolute_url())


@require_POST
@_needs_actor
def flow_triggers(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    enabled = request.POST.get("enabled") == "1"
    flow_services.flow_set_triggers(actor=request.actor, flow=flow, enabled=enabled)
    messages.success(request, _("Triggers enabled.") if enabled else _("Triggers disabled."))
    return redirect(flow.get_absolute_url())


@_needs_actor
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    nodes = list(selectors.run_nodes(run=run))
    described = {n["id"]: n for n in _nodes_described(run.version.definition)}
    rows = [
        {
            "run": node,
            "title": described.get(node.node_id, {}).get("title", node.node_type),
            "output": json.dumps(node.output, ensure_ascii=False, indent=1)[:3000] if node.output else "",
            "files": _files_of(node.output),
        }
        for node in nodes
    ]
    return render(
        request,
        "flows/run.html",
        {
            "run": run,
            "rows": rows,
            "final": run.status in {s for s in FlowRunStatus.values if s not in ("queued", "running")},
        },
    )


def _files_of(output: Any) -> list[str]:
    """Files a node wrote under its run's directory (a document's PDF, a dataset's CSV)."""
    values = output.values() if isinstance(output, dict) else ()
    return [
        value[key]
        for value in values
        if isinstance(value, dict)
        for key in ("pdf", "file")
        if isinstance(value.get(key), str)
    ]


@_needs_actor
def run_file(request: HttpRequest, run_id: int, name: str) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    allowed = {n for node in selectors.run_nodes(run=run) for n in _files_of(node.output)}
    if name not in allowed:
        raise NotFound()
    path = run_services.run_directory(run.bureau_id, run.pk) / name
    if not path.exists():
        raise NotFound()
    return serve_file(request, path, filename=name)
