"""Series APIs: read a channel's values (JSON, CSV or IAGA-2002), upload a series file to
import and follow its import."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.models import TokenScope
from portal.services import data_access_record

from . import series_selectors as selectors
from .series_output import series_csv, series_iaga2002
from .services.series_import import series_import_create, series_import_status

if TYPE_CHECKING:
    from rest_framework.request import Request

EARLIEST, LATEST = 1900, 2100


class _QueryFormatIsOurs(DefaultContentNegotiation):
    """``?format=`` chooses the series' output (json, csv, iaga2002), not DRF's renderer."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type  # JSON; CSV and IAGA-2002 are HttpResponses


def _plausible_time(field: str):  # type: ignore[no-untyped-def]
    def check(value: dt.datetime) -> dt.datetime:
        if not EARLIEST <= value.year < LATEST:
            raise serializers.ValidationError(
                _("%(field)s must be between %(first)d and %(last)d.")
                % {"field": field, "first": EARLIEST, "last": LATEST}
            )
        return value

    return check


class SeriesOutputSerializer(serializers.Serializer):
    channel = serializers.IntegerField()
    unit = serializers.CharField()
    resolution = serializers.CharField()
    start = serializers.DateTimeField(help_text="UTC time of the first value")
    step_seconds = serializers.IntegerField()
    values = serializers.ListField(child=portal_fields.FloatField(allow_null=True), help_text="null for gaps")


class SeriesReadApi(TenantApi):
    """A channel's values from ``start`` to ``end`` (UTC, end exclusive, widened to whole
    steps): raw or aggregated (``agg`` of the samples present in each bucket, null when
    none). More than ``SERIES_MAX_VALUES`` values: 413 with the count."""

    token_scopes = {"GET": TokenScope.SERIES_READ}

    content_negotiation_class = _QueryFormatIsOurs

    class FilterSerializer(serializers.Serializer):
        channel = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        start = portal_fields.DateTimeField(
            validators=[_plausible_time("start")], help_text="ISO 8601, UTC if no offset"
        )
        end = portal_fields.DateTimeField(
            validators=[_plausible_time("end")], help_text="ISO 8601, exclusive"
        )
        resolution = serializers.ChoiceField(
            choices=list(selectors.RESOLUTIONS), required=False, default="raw"
        )
        format = serializers.ChoiceField(choices=["json", "csv", "iaga2002"], required=False, default="json")
        agg = serializers.ChoiceField(choices=list(selectors.AGGREGATES), required=False, default="mean")

    @extend_schema(
        responses={
            (200, "application/json"): SeriesOutputSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "text/plain"): OpenApiTypes.STR,
            413: OpenApiResponse(
                description="More values than SERIES_MAX_VALUES; the message gives the count."
            ),
        }
    )
    def get(self, request: Request) -> Response | HttpResponse:
        query = self.filters(request)
        channel = selectors.series_channel_get(actor=request.actor, channel_id=query["channel"])
        start = query["start"].astimezone(dt.UTC)
        end = query["end"].astimezone(dt.UTC)
        series = selectors.series_read(
            actor=request.actor,
            channel=channel,
            start=start,
            end=end,
            resolution=query["resolution"],
            agg=query["agg"],
        )
        # another bureau reading what only a grant opens to it leaves a record (data sharing)
        data_access_record(
            actor=request.actor,
            rows=selectors.series_days(actor=request.actor, channel=channel, start=start, end=end),
            how=f"api:{query['format']}",
            target=channel,
        )
        name = f"{channel.station.code}-{channel.item.code}-{series.start:%Y%m%dT%H%M}-{query['resolution']}"
        if query["format"] == "csv":
            response = HttpResponse(series_csv(series), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if query["format"] == "iaga2002":
            response = HttpResponse(series_iaga2002(series), content_type="text/plain; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.iaga2002.txt"'
            return response
        return Response(
            {
                "channel": channel.pk,
                "unit": channel.unit,
                "resolution": series.resolution,
                "start": series.start.isoformat().replace("+00:00", "Z"),
                "step_seconds": series.step_seconds,
                "values": series.as_list(),
            }
        )


class SeriesImportStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    filename = serializers.CharField()
    format = serializers.CharField()
    progress = serializers.IntegerField(help_text="percent")
    samples_stored = serializers.IntegerField()
    samples_rejected = serializers.IntegerField()
    rejected_lines = serializers.ListField(child=serializers.IntegerField())
    flagged = serializers.IntegerField(help_text="samples outside the channel's plausible range (stored)")
    flagged_lines = serializers.ListField(child=serializers.IntegerField())
    channels_touched = serializers.ListField(child=serializers.IntegerField())
    error = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class SeriesImportAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_url = serializers.CharField()


class SeriesImportCreateApi(TenantApi):
    """POST multipart ``file`` + ``format`` (iaga2002, csv, cea), optionally ``channel`` (id)
    or ``station`` (code) → 202 with the import's id and status URL. Bureau admins and
    experts of the channels' disciplines; others 403."""

    token_scopes = {"POST": TokenScope.SERIES_IMPORT}

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["iaga2002", "csv", "cea"])
        channel = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
        station = serializers.CharField(required=False, max_length=16)

    @extend_schema(request=InputSerializer, responses={202: SeriesImportAcceptedSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        record = series_import_create(
            actor=request.actor,
            upload=data["file"],
            file_format=data["format"],
            channel_id=data.get("channel"),
            station_code=data.get("station"),
        )
        body = {
            "id": record.pk,
            "status": record.status,
            "status_url": f"/api/v1/series/imports/{record.pk}/",
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class SeriesImportDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.SERIES_IMPORT}

    @extend_schema(responses=SeriesImportStatusSerializer)
    def get(self, request: Request, import_id: int) -> Response:
        record = selectors.series_import_get(actor=request.actor, import_id=import_id)
        return Response(series_import_status(record))
