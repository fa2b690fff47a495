"""The subscriptions API: a person's own subscriptions (another person's answer 404)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.fields import DateTimeField, IntegerField

from . import selectors
from .models import Channel
from .services import subscriptions as subscription_services

if TYPE_CHECKING:
    from rest_framework.request import Request

    from .models import Subscription


class MagnitudeField(serializers.FloatField):
    """A magnitude: a number, never ``true``/``false`` (which DRF would read as 1.0 and 0.0)."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class SubscriptionInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    region = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='GeoJSON Polygon/MultiPolygon, {"center": [lon, lat], "radius_km": r}, {"bureau": "JX"}, '
        "or null for all of China (epicentres within 100 km of China's outline)",
    )
    min_magnitude = MagnitudeField(min_value=-2, max_value=10, help_text="by day (Beijing time)")
    min_magnitude_night = MagnitudeField(
        min_value=-2, max_value=10, required=False, help_text="22:00–07:00 Beijing time; default: the day's"
    )
    quiet_hours = serializers.ListField(
        child=serializers.CharField(max_length=8),
        min_length=2,
        max_length=2,
        required=False,
        allow_null=True,
        help_text='["HH:MM", "HH:MM"] Beijing time, start and end',
    )
    products = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        max_length=20,
        help_text="quick_report, topic_report, postquake_opinion, trend_report_issued, anomalies:<discipline>",
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False, max_length=3
    )
    wechat_webhook_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    digest = serializers.BooleanField(required=False)
    suppress_aftershocks = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)


class SubscriptionOutputSerializer(serializers.Serializer):
    id = IntegerField()
    name = serializers.CharField()
    region = serializers.SerializerMethodField()
    region_spec = serializers.JSONField()
    min_magnitude = portal_fields.FloatField()
    min_magnitude_night = portal_fields.FloatField()
    quiet_hours = serializers.SerializerMethodField()
    products = serializers.ListField(child=serializers.CharField())
    channels = serializers.ListField(child=serializers.CharField())
    digest = serializers.BooleanField()
    suppress_aftershocks = serializers.BooleanField()
    is_active = serializers.BooleanField()
    created_at = DateTimeField()

    @extend_schema_field(
        {"type": "object", "nullable": True, "description": "GeoJSON MultiPolygon; null: China"}
    )
    def get_region(self, subscription: Subscription) -> Any:
        import json

        return json.loads(subscription.region.geojson) if subscription.region is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), allow_null=True))
    def get_quiet_hours(self, subscription: Subscription) -> list[str] | None:
        if subscription.quiet_start is None or subscription.quiet_end is None:
            return None
        return [subscription.quiet_start.strftime("%H:%M"), subscription.quiet_end.strftime("%H:%M")]


class SubscriptionListApi(TenantApi):
    """GET: your own subscriptions (paginated). POST: a new one (201)."""

    @extend_schema(responses=SubscriptionOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginate(
            request, selectors.subscription_list(actor=request.actor), SubscriptionOutputSerializer
        )

    @extend_schema(request=SubscriptionInputSerializer, responses={201: SubscriptionOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(SubscriptionInputSerializer, request.data)
        subscription = subscription_services.subscription_create(actor=request.actor, data=data)
        return Response(SubscriptionOutputSerializer(subscription).data, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(TenantApi):
    """GET/PATCH/DELETE one of your subscriptions; another person's is 404."""

    @extend_schema(responses=SubscriptionOutputSerializer)
    def get(self, request: Request, subscription_id: int) -> Response:
        subscription = selectors.subscription_get(actor=request.actor, subscription_id=subscription_id)
        return Response(SubscriptionOutputSerializer(subscription).data)

    @extend_schema(request=SubscriptionInputSerializer(partial=True), responses=SubscriptionOutputSerializer)
    def patch(self, request: Request, subscription_id: int) -> Response:
        subscription = selectors.subscription_get(actor=request.actor, subscription_id=subscription_id)
        data = self.parse(SubscriptionInputSerializer, request.data, partial=True)
        subscription = subscription_services.subscription_update(
            actor=request.actor, subscription=subscription, data=data
        )
        return Response(SubscriptionOutputSerializer(subscription).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, subscription_id: int) -> Response:
        subscription = selectors.subscription_get(actor=request.actor, subscription_id=subscription_id)
        subscription_services.subscription_delete(actor=request.actor, subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)
