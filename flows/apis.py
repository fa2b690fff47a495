"""The flows API (/api/v1/...), as issue 14 names it (names may be added to, never changed):

* ``GET flow-nodes/``: the node types ``[{type, title, inputs, outputs, params_schema, ...}]``;
* ``GET flows/`` (paginated, ``?q=``), ``POST flows/`` ``{name, definition, description?}`` → 201;
  a bad definition is 400 ``{"detail", "errors": {"nodes.<id>.params.<key>" | "edges.<i>": [...]}}``;
* ``GET``/``PUT flows/<id>/`` (a PUT saves a new version), ``GET flows/<id>/versions/``
  (each with its diff against the previous one);
* ``POST flows/<id>/runs/`` ``{input?}`` → 202 with the run; ``POST flows/<id>/dry-run/``
  ``{input?}`` → 202 (a run whose outputs do not notify, create or publish);
* ``POST flows/validate/`` ``{definition}`` → 200 ``{"valid": true, "definition"}`` (defaults
  filled) or 400 like a save (the editor's "validate");
* ``POST flows/<id>/triggers/`` ``{enabled}`` (a bureau admin);
* ``GET flow-runs/<id>/`` → ``{id, flow, version, status, nodes: [{id, status, output, error}]}``;
* ``POST flow-runs/<id>/cancel/`` ``{comment?}`` → the cancelled run (the flow's authors and the
  bureau admin; a finished run is 409).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.exceptions import PermissionDenied
from portal.schema import PortalAutoSchema

from . import selectors
from .permissions import can_author_flows
from .registry import node_types
from .services import flows as flow_services
from .services import runs as run_services
from .validation import FlowInvalid, definition_clean, definition_diff

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .models import Flow, FlowRun, FlowVersion


def _invalid(exc: FlowInvalid) -> Response:
    return Response(
        {"detail": exc.message, "errors": {k: [v] for k, v in exc.errors.items()}},
        status=status.HTTP_400_BAD_REQUEST,
    )


class NodeTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    family = serializers.CharField()
    title = serializers.CharField()
    title_zh = serializers.CharField()
    title_en = serializers.CharField()
    description = serializers.CharField()
    inputs = serializers.DictField(child=serializers.CharField())
    optional_inputs = serializers.ListField(child=serializers.CharField())
    outputs = serializers.DictField(child=serializers.CharField())
    params_schema = serializers.JSONField()
    retries = serializers.IntegerField()
    time_limit = serializers.IntegerField()


class FlowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bureau = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    author = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(allow_null=True)
    definition = serializers.JSONField()
    triggers_enabled = serializers.BooleanField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, flow: Flow) -> dict[str, Any]:
        version = flow.current_version
        return {
            "id": flow.pk,
            "bureau": flow.bureau.code,
            "name": flow.name,
            "description": flow.description,
            "author": flow.author.username if flow.author else None,
            "version": version.number if version else None,
            "definition": version.definition if version else None,
            "triggers_enabled": flow.triggers_enabled,
            "updated_at": flow.updated_at.isoformat(),
        }


class VersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    author = serializers.CharField(allow_null=True)
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()
    definition = serializers.JSONField()
    diff = serializers.JSONField()

    def to_representation(self, version: FlowVersion) -> dict[str, Any]:
        before = selectors.version_previous(version=version)
        previous = before.definition if before is not None else None
        return {
            "number": version.number,
            "author": version.author.username if version.author else None,
            "comment": version.comment,
            "created_at": version.created_at.isoformat(),
            "definition": version.definition,
            "diff": definition_diff(previous, version.definition),
        }


class NodeRunSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField()
    status = serializers.CharField()
    output = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_null=True)
    attempts = serializers.IntegerField()
    duration_s = portal_fields.FloatField(allow_null=True)
    input_hash = serializers.CharField()
    reused = serializers.BooleanField()


class RunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    flow = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    dry_run = serializers.BooleanField()
    trigger = serializers.JSONField()
    error = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()
    nodes = NodeRunSerializer(many=True)

    def to_representation(self, run: FlowRun) -> dict[str, Any]:
        return {
            "id": run.pk,
            "flow": run.flow_id,
            "version": run.version.number,
            "status": run.status,
            "dry_run": run.dry_run,
            "trigger": run.trigger,
            "error": run.error or None,
            "created_at": run.created_at.isoformat(),
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "url": run.get_absolute_url(),
            "nodes": [
                {
                    "id": node.node_id,
                    "type": node.node_type,
                    "status": node.status,
                    "output": node.output,
                    "error": node.error or None,
                    "attempts": node.attempts,
                    "duration_s": node.duration_s,
                    "input_hash": node.input_hash,
                    "reused": node.reused_from_id is not None,
                }
                for node in selectors.run_nodes(run=run)
            ],
        }


class _PlainListSchema(PortalAutoSchema):
    """The node types come as a plain array (issue 14's contract): a fixed, short list."""

    def _get_paginator(self) -> Any:
        return None


class NodeTypeListApi(TenantApi):
    schema = _PlainListSchema()

    @extend_schema(operation_id="flow_nodes_list", responses=NodeTypeSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response([node.describe() for node in node_types()])


class FlowListCreateApi(TenantApi):
    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False, max_length=100, help_text="words of the name or description"
        )

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
        definition = serializers.JSONField()
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(operation_id="flows_list", responses=FlowSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        flows = selectors.flow_list(actor=request.actor, search=filters.get("q", ""))
        return self.paginate(request, flows, FlowSerializer)

    @extend_schema(operation_id="flows_create", request=InputSerializer, responses={201: FlowSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        try:
            flow = flow_services.flow_create(actor=request.actor, **data)
        except FlowInvalid as exc:
            return _invalid(exc)
        return Response(FlowSerializer(flow).data, status=status.HTTP_201_CREATED)


class FlowValidateApi(TenantApi):
    """Check a definition without saving it (the editor's "validate")."""

    class InputSerializer(serializers.Serializer):
        definition = serializers.JSONField()

    class OutputSerializer(serializers.Serializer):
        valid = serializers.BooleanField()
        definition = serializers.JSONField()

    @extend_schema(operation_id="flows_validate", request=InputSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        if not can_author_flows(request.actor):
            raise PermissionDenied(_("Forecasters and experts of a bureau compose its flows."))
        data = self.parse(self.InputSerializer, request.data)
        try:
            clean = definition_clean(data["definition"])
        except FlowInvalid as exc:
            return _invalid(exc)
        return Response({"valid": True, "definition": clean})


class FlowDetailApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(required=False, max_length=120)
        description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
        definition = serializers.JSONField()
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(operation_id="flows_retrieve", responses=FlowSerializer)
    def get(self, request: Request, flow_id: int) -> Response:
        return Response(FlowSerializer(selectors.flow_get(actor=request.actor, flow_id=flow_id)).data)

    @extend_schema(operation_id="flows_update", request=InputSerializer, responses=FlowSerializer)
    def put(self, request: Request, flow_id: int) -> Response:
        flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
        data = self.parse(self.InputSerializer, request.data)
        try:
            flow = flow_services.flow_update(actor=request.actor, flow=flow, **data)
        except FlowInvalid as exc:
            return _invalid(exc)
        return Response(FlowSerializer(selectors.flow_get(actor=request.actor, flow_id=flow.pk)).data)


class FlowVersionListApi(TenantApi):
    @extend_schema(operation_id="flows_versions_list", responses=VersionSerializer(many=True))
    def get(self, request: Request, flow_id: int) -> Response:
        flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
        return self.paginate(request, selectors.flow_versions(flow=flow), VersionSerializer)


class RunInputSerializer(serializers.Serializer):
    input = serializers.DictField(
        required=False, default=dict, help_text='the run\'s sample input, e.g. {"event": {...}}'
    )


class FlowRunCreateApi(TenantApi):
    dry_run = False

    @extend_schema(
        operation_id="flows_runs_create", request=RunInputSerializer, responses={202: RunSerializer}
    )
    def post(self, request: Request, flow_id: int) -> Response:
        flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
        data = self.parse(RunInputSerializer, request.data)
        run = run_services.run_request(
            actor=request.actor, flow=flow, input=data["input"], dry_run=self.dry_run
        )
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class FlowDryRunApi(FlowRunCreateApi):
    dry_run = True

    @extend_schema(operation_id="flows_dry_run", request=RunInputSerializer, responses={202: RunSerializer})
    def post(self, request: Request, flow_id: int) -> Response:
        return super().post(request, flow_id)


class FlowTriggersApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        enabled = serializers.BooleanField()
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(operation_id="flows_triggers", request=InputSerializer, responses=FlowSerializer)
    def post(self, request: Request, flow_id: int) -> Response:
        flow = selectors.flow_get(actor=request.actor, flow_id=flow_id)
        data = self.parse(self.InputSerializer, request.data)
        flow = flow_services.flow_set_triggers(actor=request.actor, flow=flow, **data)
        return Response(FlowSerializer(selectors.flow_get(actor=request.actor, flow_id=flow.pk)).data)


class FlowRunDetailApi(TenantApi):
    @extend_schema(operation_id="flow_runs_retrieve", responses=RunSerializer)
    def get(self, request: Request, flow_run_id: int) -> Response:
        return Response(RunSerializer(selectors.run_get(actor=request.actor, run_id=flow_run_id)).data)


class FlowRunCancelApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(operation_id="flow_runs_cancel", request=InputSerializer, responses=RunSerializer)
    def post(self, request: Request, flow_run_id: int) -> Response:
        run = selectors.run_get(actor=request.actor, run_id=flow_run_id)
        data = self.parse(self.InputSerializer, request.data)
        run_services.run_cancel(actor=request.actor, run=run, comment=data["comment"])
        return Response(RunSerializer(selectors.run_get(actor=request.actor, run_id=run.pk)).data)
