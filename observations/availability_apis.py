"""The availability API: one month of the channels' daily availability (UTC days)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.exceptions import InvalidInput
from portal.models import TokenScope

from . import availability_selectors as selectors

if TYPE_CHECKING:
    import datetime as dt

    from rest_framework.request import Request


class AvailabilityChannelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    station = serializers.CharField(help_text="station code")
    item = serializers.CharField(help_text="observation item code")
    orientation = serializers.CharField(allow_blank=True)
    discipline = serializers.CharField(help_text="discipline code")
    availability = serializers.ListField(
        child=portal_fields.FloatField(allow_null=True),
        help_text="% of expected samples present, one per day of `days`; null where no check exists",
    )


class AvailabilityOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    days = serializers.ListField(child=serializers.DateField(), help_text="the UTC days of the month")
    channels = AvailabilityChannelSerializer(many=True)


class AvailabilityMatrixApi(TenantApi):
    """Daily availability of the channels whose QC the caller reads (their bureau's), one
    value per UTC day of ``month`` (default: the current UTC month)."""

    token_scopes = {"GET": TokenScope.SERIES_READ}

    class FilterSerializer(serializers.Serializer):
        month = serializers.CharField(
            required=False, max_length=7, help_text="YYYY-MM (UTC month); default the current one"
        )
        station = serializers.CharField(required=False, max_length=16, help_text="station code")
        discipline = serializers.CharField(required=False, max_length=32, help_text="discipline code")
        item = serializers.CharField(required=False, max_length=16, help_text="observation item code")

        def validate_month(self, value: str) -> dt.date:
            try:
                return selectors.month_parse(value)
            except InvalidInput as exc:
                raise serializers.ValidationError(exc.message) from None

    @extend_schema(responses=AvailabilityOutputSerializer)
    def get(self, request: Request) -> Response:
        query = self.filters(request)
        month = query.get("month") or selectors.month_parse(None)
        channels = list(
            selectors.availability_channels(
                actor=request.actor,
                station=query.get("station") or None,
                discipline=query.get("discipline") or None,
                item=query.get("item") or None,
            )
        )
        matrix = selectors.availability_matrix(actor=request.actor, channels=channels, month=month)
        body = {
            "month": month.strftime("%Y-%m"),
            "days": matrix.days,
            "channels": [
                {
                    "id": row.channel.pk,
                    "station": row.channel.station.code,
                    "item": row.channel.item.code,
                    "orientation": row.channel.orientation,
                    "discipline": row.channel.discipline.code,
                    "availability": [None if c is None else c.availability for c in row.cells],
                }
                for row in matrix.rows
            ],
        }
        return Response(AvailabilityOutputSerializer(body).data)
