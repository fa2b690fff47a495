"""API of the reports app: GIS layers (upload, list, read, delete) and special-topic reports."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.exceptions import InvalidInput
from portal.fields import DateTimeField, IntegerField
from portal.models import TokenScope
from portal.services import data_access_record_of

from . import selectors
from .models import GisLayerKind, TopicReport
from .services import gis_layers as gis_layer_services

if TYPE_CHECKING:
    from rest_framework.request import Request


class GisLayerOutputSerializer(serializers.Serializer):
    id = IntegerField()
    bureau = serializers.CharField(source="bureau.code")
    name = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField()
    source_filename = serializers.CharField()
    feature_count = IntegerField()
    created_at = DateTimeField()


class PushOutputSerializer(serializers.Serializer):
    channel = serializers.CharField()
    status = serializers.CharField()
    target = serializers.CharField()
    attempts = IntegerField()
    last_error = serializers.CharField()
    sent_at = DateTimeField(allow_null=True)


class TopicReportOutputSerializer(serializers.Serializer):
    id = IntegerField()
    bureau = serializers.CharField(source="bureau.code")
    event = serializers.CharField(source="event.public_id")
    event_version = IntegerField()
    report_kind = serializers.CharField()
    status = serializers.CharField()
    received_at = DateTimeField()
    ready_at = DateTimeField(allow_null=True)
    build_seconds = portal_fields.FloatField(allow_null=True)
    timings = serializers.JSONField()
    error = serializers.CharField()
    url = serializers.CharField(source="get_absolute_url")
    pdf_url = serializers.SerializerMethodField()

    def get_pdf_url(self, report: TopicReport) -> str | None:
        from django.urls import reverse

        return reverse("reports:topic-pdf", args=[report.pk]) if report.pdf else None


class GisLayerListApi(TenantApi):
    """``GET``: the bureau's layers. ``POST``: upload one (multipart ``file``, or JSON with
    a ``geojson`` object); a malformed file is a 400 naming the feature index and why."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=120)
        kind = serializers.ChoiceField(choices=GisLayerKind.choices)
        description = serializers.CharField(required=False, allow_blank=True, default="")
        file = serializers.FileField(required=False)
        geojson = serializers.JSONField(required=False)

    @extend_schema(responses=GisLayerOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginate(request, selectors.gis_layer_list(actor=request.actor), GisLayerOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: GisLayerOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        upload = data.get("file")
        if upload is not None:
            if upload.size > gis_layer_services.gis_max_bytes():
                raise InvalidInput(
                    _("The file is %(size)s bytes; at most %(max)s bytes are accepted.")
                    % {"size": upload.size, "max": gis_layer_services.gis_max_bytes()},
                    field="file",
                )
            content, filename = upload.read(), upload.name
        elif data.get("geojson") is not None:
            content, filename = json.dumps(data["geojson"]).encode(), ""
        else:
            raise InvalidInput(_("Send the layer as a 'file' upload or a 'geojson' object."), field="file")
        layer = gis_layer_services.gis_layer_upload(
            actor=request.actor,
            name=data["name"],
            kind=data["kind"],
            description=data["description"],
            content=content,
            filename=filename,
        )
        return Response(GisLayerOutputSerializer(layer).data, status=status.HTTP_201_CREATED)


class GisLayerDetailApi(TenantApi):
    @extend_schema(responses=GisLayerOutputSerializer)
    def get(self, request: Request, layer_id: int) -> Response:
        layer = selectors.gis_layer_get(actor=request.actor, layer_id=layer_id)
        return Response(GisLayerOutputSerializer(layer).data)

    @extend_schema(responses=None)
    def delete(self, request: Request, layer_id: int) -> Response:
        layer = selectors.gis_layer_get(actor=request.actor, layer_id=layer_id)
        gis_layer_services.gis_layer_delete(actor=request.actor, layer=layer)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TopicReportListApi(TenantApi):
    """Special-topic reports the person may read; ``?event=<public id>`` narrows to one event."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        event = serializers.CharField(required=False, help_text="public id of the event")

    @extend_schema(responses=TopicReportOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        reports = selectors.topic_report_list(actor=request.actor)
        event = self.filters(request).get("event")
        if event:
            reports = reports.filter(event__public_id=event)
        return self.paginate(request, reports, TopicReportOutputSerializer)


class TopicReportDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(responses=TopicReportOutputSerializer)
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.topic_report_get(actor=request.actor, report_id=report_id)
        data_access_record_of(actor=request.actor, target=report, how="api")  # another bureau's, by a grant
        body: dict[str, Any] = dict(TopicReportOutputSerializer(report).data)
        body["pushes"] = PushOutputSerializer(selectors.push_attempt_list(report=report), many=True).data
        body["content"] = report.context
        return Response(body)
