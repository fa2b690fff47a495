"""Output shapes of the observations master-data API (input serializers live on each API)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from portal.fields import DateTimeField

from .models import Channel, Instrument, MasterDataChange, ObservationItem, Station


class ItemOutputSerializer(serializers.ModelSerializer):
    discipline = serializers.CharField(source="discipline.code")

    class Meta:
        model = ObservationItem
        fields = ["code", "name_zh", "name_en", "discipline", "unit", "is_auxiliary", "source"]


class InstrumentOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Instrument
        fields = ["id", "model", "serial_number", "installed_on", "removed_on"]


class ChannelOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code")
    station = serializers.CharField(source="station.code")
    item = serializers.CharField(source="item.code")
    item_name = serializers.CharField(source="item.name_zh")
    discipline = serializers.CharField(source="discipline.code")
    instrument = serializers.IntegerField(source="instrument_id", allow_null=True)

    class Meta:
        model = Channel
        fields = [
            "id",
            "bureau",
            "station",
            "item",
            "item_name",
            "discipline",
            "orientation",
            "unit",
            "interval",
            "plausible_min",
            "plausible_max",
            "instrument",
            "is_active",
        ]


class StationOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code")
    lon = serializers.SerializerMethodField()
    lat = serializers.SerializerMethodField()

    class Meta:
        model = Station
        fields = [
            "id",
            "code",
            "bureau",
            "name_zh",
            "name_en",
            "lon",
            "lat",
            "elevation_m",
            "kind",
            "status",
            "opened_on",
            "closed_on",
        ]

    def get_lon(self, obj: Station) -> float:
        return round(obj.location.x, 6)

    def get_lat(self, obj: Station) -> float:
        return round(obj.location.y, 6)


class StationDetailOutputSerializer(StationOutputSerializer):
    channels = serializers.SerializerMethodField()
    instruments = serializers.SerializerMethodField()

    class Meta(StationOutputSerializer.Meta):
        fields = [*StationOutputSerializer.Meta.fields, "channels", "instruments"]

    @extend_schema_field(ChannelOutputSerializer(many=True))
    def get_channels(self, obj: Station) -> Any:
        return ChannelOutputSerializer(self.context.get("channels", []), many=True).data

    @extend_schema_field(InstrumentOutputSerializer(many=True))
    def get_instruments(self, obj: Station) -> Any:
        return InstrumentOutputSerializer(self.context.get("instruments", []), many=True).data


class ChangeOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code")
    station = serializers.CharField(source="station.code", allow_null=True, default=None)
    proposed_by = serializers.CharField(source="proposed_by.username", allow_null=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    created_at = DateTimeField()
    decided_at = DateTimeField(allow_null=True)
    values = serializers.JSONField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)

    class Meta:
        model = MasterDataChange
        fields = [
            "id",
            "bureau",
            "target",
            "action",
            "object_id",
            "station",
            "values",
            "reason",
            "state",
            "proposed_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "before",
            "after",
        ]


__all__ = [
    "ChangeOutputSerializer",
    "ChannelOutputSerializer",
    "InstrumentOutputSerializer",
    "ItemOutputSerializer",
    "StationDetailOutputSerializer",
    "StationOutputSerializer",
]
