"""The product engine's API (/api/v1/products/...).

* ``GET methods/``: the methods with parameter schemas, input kind and result;
* ``POST ""``: ``{"method", "params", "catalog", "series"}`` queues a run: 202 ``{"id",
  "status"}``; 400 names the unknown method, each bad parameter (``params.<name>``), each
  bad catalog key (``catalog.<key>``) and each bad series part (``series.<i>.<key>``);
* ``GET ""``: the bureau's runs (paginated; ``?status=``, ``?method=``);
* ``GET <id>/``: one run with result, figure URLs, error and provenance;
* ``POST <id>/rerun/``: run a failed or stuck run again (idempotent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.fields import IntegerField
from portal.models import TokenScope
from portal.services import data_access_record_of

from . import selectors
from .catalogue import methods_described
from .models import ProductRun
from .services import run_requests as request_services
from .services import runs as run_services

if TYPE_CHECKING:
    from rest_framework.request import Request


def figure_urls(request: Request, run: ProductRun) -> list[str]:
    return [
        request.build_absolute_uri(reverse("products:run-figure", args=[run.pk, name]))
        for name in run.figures
    ]


class RunSummarySerializer(serializers.Serializer):
    """One line of the run list; the fields are declared for the schema."""

    id = serializers.IntegerField()
    method = serializers.CharField()
    status = serializers.CharField()
    progress = portal_fields.FloatField()
    error = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, run: ProductRun) -> dict[str, Any]:
        return {
            "id": run.pk,
            "method": run.method,
            "status": run.status,
            "progress": run.progress,
            "error": run.error_text or None,
            "created_at": run.created_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        }


class RunOutputSerializer(RunSummarySerializer):
    """One run with its result, figures and provenance; the fields are declared for the schema."""

    bureau = serializers.CharField()
    params = serializers.JSONField()
    selection = serializers.JSONField()
    result = serializers.JSONField(allow_null=True)
    figures = serializers.ListField(child=serializers.URLField())
    provenance = serializers.JSONField()
    schedule = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField()

    def to_representation(self, run: ProductRun) -> dict[str, Any]:
        request = self.context["request"]
        return {
            "id": run.pk,
            "bureau": run.bureau.code,
            "method": run.method,
            "status": run.status,
            "progress": run.progress,
            "params": run.params,
            "selection": run.selection,
            "result": run.result,
            "figures": figure_urls(request, run),
            "error": run.error_text or None,
            "provenance": {
                **run.provenance,
                "params_hash": run.params_hash,
                "input_hash": run.input_hash or None,
                "input_count": run.input_count,
                "reused_from": run.reused_from_id,
            },
            "schedule": run.schedule_id,
            "created_at": run.created_at.isoformat(),
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "url": request.build_absolute_uri(run.get_absolute_url()),
        }


def _invalid(exc: request_services.RunRequestInvalid) -> Response:
    return Response(
        {"detail": exc.message, "errors": {k: [v] for k, v in exc.errors.items()}},
        status=status.HTTP_400_BAD_REQUEST,
    )


ACCEPTED = inline_serializer(
    "ProductRunAccepted",
    {"id": IntegerField(), "status": serializers.CharField(), "url": serializers.URLField()},
)


class MethodListApi(TenantApi):
    token_scopes = {"GET": TokenScope.PRODUCTS_READ}

    @extend_schema(operation_id="products_methods_list", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response({"results": methods_described()})


class RunListCreateApi(TenantApi):
    token_scopes = {"GET": TokenScope.PRODUCTS_READ, "POST": TokenScope.PRODUCTS_RUN}

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ProductRun.Status.choices, required=False)
        method = serializers.CharField(required=False, help_text="method name (see methods/)")

    class InputSerializer(serializers.Serializer):
        method = serializers.CharField()
        params = serializers.JSONField(required=False, default=dict)
        catalog = serializers.JSONField(required=False, default=dict)
        series = serializers.JSONField(
            required=False,
            default=None,
            help_text=(
                "observation series of series methods: {channel, start, end} or a list of them "
                "(or {channel, days}); spans QC or a review marked faulty are left out"
            ),
        )

    @extend_schema(operation_id="products_runs_list", responses=RunSummarySerializer(many=True))
    def get(self, request: Request) -> Response:
        runs = selectors.run_list(actor=request.actor)
        filters = self.filters(request)
        if filters.get("status"):
            runs = runs.filter(status=filters["status"])
        if filters.get("method"):
            runs = runs.filter(method=filters["method"])
        return self.paginate(request, runs, RunSummarySerializer)

    @extend_schema(operation_id="products_runs_create", request=InputSerializer, responses={202: ACCEPTED})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        try:
            run = run_services.run_create(
                actor=request.actor,
                method=data["method"],
                params=data["params"],
                catalog=data["catalog"],
                series=data["series"],
            )
        except request_services.RunRequestInvalid as exc:
            return _invalid(exc)
        return Response(
            {"id": run.pk, "status": run.status, "url": request.build_absolute_uri(run.get_absolute_url())},
            status=status.HTTP_202_ACCEPTED,
        )


class RunDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.PRODUCTS_READ}

    @extend_schema(operation_id="products_runs_retrieve", responses=RunOutputSerializer)
    def get(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get(actor=request.actor, run_id=run_id)
        data_access_record_of(actor=request.actor, target=run, how="api")  # another bureau's, by a grant
        return Response(RunOutputSerializer(run, context={"request": request}).data)


class RunRerunApi(TenantApi):
    token_scopes = {"POST": TokenScope.PRODUCTS_RUN}

    @extend_schema(operation_id="products_runs_rerun", request=None, responses={202: ACCEPTED})
    def post(self, request: Request, run_id: int) -> Response:
        run = selectors.run_get(actor=request.actor, run_id=run_id)
        run = run_services.run_rerun(actor=request.actor, run=run)
        return Response(
            {"id": run.pk, "status": run.status, "url": request.build_absolute_uri(run.get_absolute_url())},
            status=status.HTTP_202_ACCEPTED,
        )
