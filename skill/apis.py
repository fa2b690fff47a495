"""The forecast-skill API: the ranking of the channels your bureau scored, and one channel's
score with its alarms and target quakes. One class per operation; reads through selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.fields import DateTimeField, IntegerField
from portal.models import TokenScope

from . import selectors

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .models import SkillScore


class MolchanSerializer(serializers.Serializer):
    tau = portal_fields.FloatField(help_text="alarm time fraction")
    nu = portal_fields.FloatField(allow_null=True, help_text="miss rate; null without target quakes")


class ParamsSerializer(serializers.Serializer):
    magnitude = portal_fields.FloatField()
    radius_km = portal_fields.FloatField()
    days = IntegerField()


class SkillScoreOutputSerializer(serializers.Serializer):
    channel = IntegerField(source="channel_id")
    station = serializers.CharField(source="channel.station.code")
    item = serializers.CharField(source="channel.item.code")
    bureau = serializers.CharField(source="channel.bureau.code")
    discipline = serializers.CharField(source="discipline.code")
    alarms = IntegerField()
    hits = IntegerField()
    misses = IntegerField()
    false_alarms = IntegerField()
    quakes = IntegerField()
    alarm_fraction = portal_fields.FloatField()
    r_score = portal_fields.FloatField(allow_null=True)
    r0 = portal_fields.FloatField(allow_null=True)
    significant = serializers.BooleanField(help_text="R > R0")
    gain = portal_fields.FloatField(allow_null=True)
    molchan = serializers.SerializerMethodField()
    params = serializers.SerializerMethodField()
    computed_at = DateTimeField()

    @extend_schema_field(MolchanSerializer)
    def get_molchan(self, score: SkillScore) -> dict[str, Any]:
        return {"tau": score.alarm_fraction, "nu": score.miss_rate}

    @extend_schema_field(ParamsSerializer)
    def get_params(self, score: SkillScore) -> dict[str, Any]:
        return {"magnitude": score.magnitude, "radius_km": score.radius_km, "days": score.days}


class SkillScoreDetailSerializer(SkillScoreOutputSerializer):
    period_start = DateTimeField()
    period_end = DateTimeField()
    quakes_hit = IntegerField()
    hit_anomalies = serializers.ListField(child=IntegerField(), source="hit_anomaly_ids")
    false_alarm_anomalies = serializers.ListField(child=IntegerField(), source="false_alarm_anomaly_ids")
    hit_events = serializers.ListField(child=IntegerField(), source="hit_event_ids")
    missed_events = serializers.ListField(child=IntegerField(), source="missed_event_ids")


class SkillScoreListApi(TenantApi):
    """GET: the channels your bureau scored, best R first (filters: discipline, bureau of the
    channel; paginated). A national unit's scores use the provinces' published anomalies."""

    token_scopes = {"GET": TokenScope.PRODUCTS_READ}

    class FilterSerializer(serializers.Serializer):
        discipline = serializers.ChoiceField(
            choices=["seismology", "deformation", "fluid", "electromagnetism"], required=False
        )
        bureau = serializers.CharField(required=False, max_length=16)

    @extend_schema(
        request=None, responses=SkillScoreOutputSerializer(many=True), parameters=[FilterSerializer]
    )
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        qs = selectors.score_list(
            actor=request.actor, discipline=filters.get("discipline", ""), bureau=filters.get("bureau", "")
        )
        return self.paginate(request, qs, SkillScoreOutputSerializer)


class SkillScoreDetailApi(TenantApi):
    """GET: one channel's score as your bureau computed it; 404 when it has none (another
    province's channel alike)."""

    token_scopes = {"GET": TokenScope.PRODUCTS_READ}

    @extend_schema(request=None, responses=SkillScoreDetailSerializer)
    def get(self, request: Request, channel_id: int) -> Response:
        score = selectors.score_get(actor=request.actor, channel_id=channel_id)
        return Response(SkillScoreDetailSerializer(score).data)
