"""The danger-zone API: the year's zones (GET, filter ``year``), one zone, entry (POST),
change (PATCH) and the workflow's moves (POST .../transition/). One class per operation
group; reads through selectors, writes through services."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.fields import DateTimeField, IdField, IntegerField
from portal.models import TokenScope

from . import selectors, services
from .models import DangerZone, ZoneLevel

if TYPE_CHECKING:
    from rest_framework.request import Request


class GeoJsonPolygonSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["Polygon"])
    coordinates = serializers.ListField(
        child=serializers.ListField(child=serializers.ListField(child=portal_fields.FloatField())),
        help_text="one outer ring of [longitude, latitude], closed",
    )


class YearScoreSerializer(serializers.Serializer):
    zones = IntegerField(help_text="zones of the bureau's year")
    zones_hit = IntegerField()
    R = portal_fields.FloatField(allow_null=True, help_text="R-score over all zones of the year")
    R0 = portal_fields.FloatField(allow_null=True, help_text="R0 at 97.5 %")
    hits = IntegerField(help_text="target quakes hit")
    n_events = IntegerField(help_text="target quakes")
    alarm_fraction = portal_fields.FloatField(allow_null=True)
    molchan = serializers.ListField(child=serializers.ListField(child=portal_fields.FloatField()))
    area_skill_score = portal_fields.FloatField(allow_null=True)
    molchan_bound = portal_fields.FloatField(
        allow_null=True, help_text="95 % bound of the miss rate at the final τ"
    )
    reason = serializers.CharField(help_text="why R is null")


class HitEventSerializer(serializers.Serializer):
    id = IntegerField()
    public_id = serializers.CharField()
    magnitude = portal_fields.FloatField(allow_null=True)
    origin_time = serializers.CharField()
    place = serializers.CharField()


class ZoneScoreSerializer(serializers.Serializer):
    hit = serializers.BooleanField()
    events = HitEventSerializer(many=True)
    year = YearScoreSerializer()


class ZoneOutputSerializer(serializers.Serializer):
    id = IntegerField()
    year = IntegerField()
    name = serializers.CharField()
    polygon = serializers.SerializerMethodField()
    min_magnitude = portal_fields.FloatField()
    max_magnitude = portal_fields.FloatField(allow_null=True)
    level = serializers.ChoiceField(choices=ZoneLevel.choices)
    bureau = serializers.CharField(source="bureau.code", help_text="the bureau that entered it")
    bureaus = serializers.SerializerMethodField(help_text="codes of the responsible bureaus")
    status = serializers.ChoiceField(choices=DangerZone.Status.choices)
    origin = serializers.CharField()
    meeting = IntegerField(source="meeting_id", allow_null=True)
    basis = serializers.CharField()
    score = serializers.SerializerMethodField(help_text="null until the zone is scored")
    scored_at = DateTimeField(allow_null=True)
    url = serializers.CharField(source="get_absolute_url")

    @extend_schema_field(GeoJsonPolygonSerializer)
    def get_polygon(self, zone: DangerZone) -> dict[str, Any]:
        return json.loads(zone.polygon.geojson)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_bureaus(self, zone: DangerZone) -> list[str]:
        return sorted(b.code for b in zone.bureaus.all())

    @extend_schema_field(ZoneScoreSerializer(allow_null=True))
    def get_score(self, zone: DangerZone) -> dict[str, Any] | None:
        return zone.score if zone.status == DangerZone.Status.SCORED else None


class ZoneInputSerializer(serializers.Serializer):
    year = IntegerField(min_value=1900, max_value=2199)
    name = serializers.CharField(max_length=120)
    polygon = serializers.JSONField(help_text="a GeoJSON Polygon (or a MultiPolygon of one polygon)")
    min_magnitude = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=Decimal("3"), max_value=Decimal("9.5")
    )
    max_magnitude = serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("3"),
        max_value=Decimal("9.5"),
        required=False,
        allow_null=True,
    )
    level = serializers.ChoiceField(choices=ZoneLevel.choices, required=False)
    bureaus = serializers.ListField(child=serializers.CharField(max_length=16), required=False, max_length=40)
    basis = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    meeting = IdField(required=False, allow_null=True, help_text="the annual consultation of your bureau")


class ZoneUpdateSerializer(ZoneInputSerializer):
    year = IntegerField(min_value=1900, max_value=2199, required=False)
    name = serializers.CharField(max_length=120, required=False)
    polygon = serializers.JSONField(required=False)
    min_magnitude = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=Decimal("3"), max_value=Decimal("9.5"), required=False
    )


def _out(request: Request, zone: DangerZone) -> dict[str, Any]:
    return ZoneOutputSerializer(zone, context={"request": request}).data


class ZoneListApi(TenantApi):
    """GET: the danger zones you read (a year's with ``year``; the national ones and your
    bureau's own, with the provinces' published ones for a national unit), paginated.
    POST: enter a zone as a draft (201); 403 without a forecaster's, chair's or admin's role."""

    token_scopes = {"GET": TokenScope.CONSULTATIONS_READ}

    class FilterSerializer(serializers.Serializer):
        year = IntegerField(required=False, min_value=1900, max_value=2199)
        level = serializers.ChoiceField(choices=ZoneLevel.choices, required=False)
        status = serializers.ChoiceField(choices=DangerZone.Status.choices, required=False)
        bureau = serializers.CharField(required=False, max_length=16, help_text="code of the zone's bureau")

    @extend_schema(request=None, responses=ZoneOutputSerializer(many=True), parameters=[FilterSerializer])
    def get(self, request: Request) -> Response:
        f = self.filters(request)
        qs = selectors.zone_list(
            actor=request.actor,
            year=f.get("year"),
            level=f.get("level", ""),
            status=f.get("status", ""),
            bureau=f.get("bureau", ""),
        )
        return self.paginate(request, qs, ZoneOutputSerializer)

    @extend_schema(request=ZoneInputSerializer, responses={201: ZoneOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(ZoneInputSerializer, request.data)
        zone = services.zone_create(actor=request.actor, **data)
        return Response(_out(request, zone), status=status.HTTP_201_CREATED)


class ZoneDetailApi(TenantApi):
    """GET: one zone (404 when you may not read it). PATCH: change it (its bureau; a published
    zone only its basis and bureaus: 409 otherwise)."""

    token_scopes = {"GET": TokenScope.CONSULTATIONS_READ}

    @extend_schema(request=None, responses=ZoneOutputSerializer)
    def get(self, request: Request, zone_id: int) -> Response:
        return Response(_out(request, selectors.zone_get(actor=request.actor, zone_id=zone_id)))

    @extend_schema(request=ZoneUpdateSerializer, responses=ZoneOutputSerializer)
    def patch(self, request: Request, zone_id: int) -> Response:
        data = self.parse(ZoneUpdateSerializer, request.data, partial=True)
        zone = selectors.zone_get(actor=request.actor, zone_id=zone_id)
        zone = services.zone_update(actor=request.actor, zone=zone, **data)
        return Response(_out(request, selectors.zone_get(actor=request.actor, zone_id=zone.pk)))


class ZoneTransitionApi(TenantApi):
    """POST: publish or withdraw a zone (403 without the right, 409 from the wrong state)."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=["publish", "withdraw"])
        comment = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses=ZoneOutputSerializer)
    def post(self, request: Request, zone_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        zone = selectors.zone_get(actor=request.actor, zone_id=zone_id)
        services.zone_move(
            actor=request.actor, zone=zone, action=data["action"], comment=data.get("comment", "")
        )
        return Response(_out(request, selectors.zone_get(actor=request.actor, zone_id=zone.pk)))
