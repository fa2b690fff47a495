"""Pages of flows: the list, a flow (versions, runs, triggers, its nodes and edges), a run
(each node's state, live over the websocket), and a run's files (documents, datasets)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.exceptions import NotFound, PermissionDenied
from portal.files import serve_file
from portal.models import DisciplineCode
from portal.pages import page

from . import selectors
from .diffwords import diff_in_words
from .models import FlowRunStatus
from .nodes.methods import MethodNode
from .permissions import (
    can_author_flows,
    can_cancel_run,
    can_edit_flow,
    can_publish_flow,
    can_run_flow,
    can_set_triggers,
)
from .registry import node_type, node_types
from .services import documents as document_services
from .services import flows as flow_services
from .services import runs as run_services
from .validation import definition_diff

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Flow


@page
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


@page
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
            "may_edit": can_edit_flow(request.actor, flow),
            "graph": _graph(definition),
            "may_set_triggers": can_set_triggers(request.actor, flow),
            "may_publish": can_publish_flow(request.actor, flow),
        },
    )


@require_POST
@page
def flow_run(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    run = run_services.run_request(actor=request.actor, flow=flow, dry_run=request.POST.get("dry_run") == "1")
    return redirect(run.get_absolute_url())


@require_POST
@page
def flow_triggers(request: HttpRequest, flow_id: int) -> HttpResponse:
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    enabled = request.POST.get("enabled") == "1"
    flow_services.flow_set_triggers(actor=request.actor, flow=flow, enabled=enabled)
    messages.success(request, _("Triggers enabled.") if enabled else _("Triggers disabled."))
    return redirect(flow.get_absolute_url())


@page
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
            "document": document_services.document_of(node.output) is not None,
        }
        for node in nodes
    ]
    final = run.status in {s for s in FlowRunStatus.values if s not in ("queued", "running")}
    return render(
        request,
        "flows/run.html",
        {
            "run": run,
            "rows": rows,
            "final": final,
            "may_cancel": not final and can_cancel_run(request.actor, run),
            "graph": _graph(run.version.definition, {node.node_id: node.status for node in nodes}),
            "state_labels": _states(),
        },
    )


@require_POST
@page
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    run_services.run_cancel(actor=request.actor, run=run, comment=request.POST.get("comment", "")[:200])
    messages.success(request, _("Run cancelled."))
    return redirect(run.get_absolute_url())


@page
def run_document(request: HttpRequest, run_id: int, node_id: str) -> HttpResponse:
    """A document the run made, as a phone page (the PDF's template through the one renderer)."""
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    node = selectors.run_nodes(run=run).filter(node_id=node_id).first()
    if node is None:
        raise NotFound()
    return HttpResponse(document_services.document_html(run=run, node=node))


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


@page
def run_file(request: HttpRequest, run_id: int, name: str) -> HttpResponse:
    run = selectors.run_get(actor=request.actor, run_id=run_id)
    allowed = {n for node in selectors.run_nodes(run=run) for n in _files_of(node.output)}
    if name not in allowed:
        raise NotFound()
    path = run_services.run_directory(run.bureau_id, run.pk) / name
    if not path.exists():
        raise NotFound()
    return serve_file(request, path, filename=name)


def _palette() -> list[dict[str, Any]]:
    """The node types as ``GET /api/v1/flow-nodes/`` gives them (titles in the reader's
    language), each method with its discipline and the discipline's name, for the palette."""
    labels = dict(DisciplineCode.choices)
    out = []
    for kind in node_types():
        described = kind.describe()
        if isinstance(kind, MethodNode):
            method = kind.method
            described["discipline"] = method.discipline
            described["discipline_title"] = str(labels.get(method.discipline, method.discipline))
        out.append(described)
    return out


def _graph(definition: dict[str, Any], states: dict[str, str] | None = None) -> dict[str, Any]:
    """What static/flows/graph.js draws read-only: the definition, each node's ports and title
    (by its type), and on a run page each node's state."""
    types = {}
    for node in definition.get("nodes", []):
        kind = node_type(node["type"])
        if kind is not None and node["type"] not in types:
            types[node["type"]] = {
                "title": kind.title(),
                "family": kind.family,
                "inputs": dict(kind.inputs),
                "outputs": dict(kind.outputs),
            }
    return {"definition": definition, "types": types, "states": states or {}}


STATE_LABELS = {
    "pending": gettext_lazy("pending"),
    "queued": gettext_lazy("queued"),
    "running": gettext_lazy("running"),
    "succeeded": gettext_lazy("succeeded"),
    "failed": gettext_lazy("failed"),
    "skipped": gettext_lazy("skipped"),
    "cancelled": gettext_lazy("cancelled"),
}


def _states() -> dict[str, str]:
    return {key: str(label) for key, label in STATE_LABELS.items()}


def _editor_labels() -> dict[str, Any]:
    """The editor's words in the reader's language (static/flows/editor.js fills the %(name)s)."""
    return {
        "families": {
            "trigger": _("Triggers"),
            "source": _("Sources"),
            "method": _("Methods"),
            "logic": _("Logic"),
            "output": _("Outputs"),
        },
        "states": _states(),
        "wrong_type": _("Refused: a %(from)s output cannot feed a %(to)s input."),
        "input_taken": _("Refused: this input is already connected."),
        "self_loop": _("Refused: a node cannot feed itself."),
        "valid": _("The flow is valid."),
        "invalid": _("The flow has problems: see the marked nodes."),
        "fix_fields": _("Correct the marked fields first."),
        "saved": _("Saved as version %(n)s."),
        "unchanged": _("Nothing changed: no new version saved."),
        "save_first": _("Save the flow first: a dry run runs the saved version."),
        "dry_run_state": _("Dry run #%(id)s: %(status)s."),
        "dry_run_output": _("Dry run"),
        "open_run": _("Open the run"),
        "required": _("Required."),
        "number": _("Enter a number."),
        "integer": _("Enter a whole number."),
        "minimum": _("At least %(n)s."),
        "maximum": _("At most %(n)s."),
        "max_length": _("At most %(n)s characters."),
        "json": _("Enter valid JSON."),
        "none": _("(none)"),
        "empty": _("(empty)"),
        "node_id": _("Node id"),
        "bad_id": _("Letters, digits, - and _, starting with a letter (40 at most)."),
        "id_taken": _("Another node has this id."),
        "no_params": _("This node has no parameters."),
        "select_node": _("Select a node to set its parameters."),
        "empty_canvas": _(
            "Drag node types from the palette onto the canvas (or tap one), then wire an output to an input."
        ),
        "network": _("The server could not be reached."),
        "nodes_added": _("Nodes added: %(ids)s"),
        "nodes_removed": _("Nodes removed: %(ids)s"),
        "type_changed": _("Node %(id)s: type %(old)s → %(new)s"),
        "param_changed": _("Node %(id)s: %(param)s %(old)s → %(new)s"),
        "edge_added": _("Connection added: %(from)s → %(to)s"),
        "edge_removed": _("Connection removed: %(from)s → %(to)s"),
        "only_positions": _("Only positions changed."),
    }


def _editor(request: HttpRequest, flow: Flow | None) -> HttpResponse:
    version = flow.current_version if flow is not None else None
    return render(
        request,
        "flows/editor.html",
        {
            "flow": flow,
            "labels": _editor_labels(),
            "editor_data": {
                "palette": _palette(),
                "flow": (
                    {
                        "id": flow.pk,
                        "name": flow.name,
                        "description": flow.description,
                        "version": version.number if version else None,
                        "url": flow.get_absolute_url(),
                    }
                    if flow is not None
                    else None
                ),
                "definition": version.definition if version else {"nodes": [], "edges": []},
            },
        },
    )


@page
def flow_new(request: HttpRequest) -> HttpResponse:
    """The editor for a new flow (forecasters and experts of the bureau)."""
    if not can_author_flows(request.actor):
        raise PermissionDenied(_("Forecasters and experts of a bureau compose its flows."))
    return _editor(request, None)


@page
def flow_edit(request: HttpRequest, flow_id: int) -> HttpResponse:
    """The editor of a flow of the actor's bureau (another bureau's flow: 404)."""
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    if not can_edit_flow(request.actor, flow):
        raise PermissionDenied(_("Forecasters and experts of the flow's bureau change its flows."))
    return _editor(request, flow)


@page
def flow_versions(request: HttpRequest, flow_id: int) -> HttpResponse:
    """A flow's versions, newest first, each with what changed from the one before, in words."""
    flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
    page = Paginator(selectors.flow_versions(flow=flow), 20).get_page(request.GET.get("page"))
    rows = []
    for version in page.object_list:
        before = selectors.version_previous(version=version)
        diff = definition_diff(before.definition if before else None, version.definition)
        rows.append({"version": version, "changes": diff_in_words(diff), "first": before is None})
    return render(request, "flows/versions.html", {"flow": flow, "page": page, "rows": rows})
