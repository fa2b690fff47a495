"""Output shapes of the portal core's API (input serializers live on each API class)."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Bureau, Membership, Notification, RenderedDocument, User


@extend_schema_field(OpenApiTypes.OBJECT)
class GeoJSONField(serializers.Field):
    """A GEOS geometry as a GeoJSON object; parsing is left to the service (portal.geo)."""

    def to_representation(self, value: Any) -> Any:
        return json.loads(value.geojson) if value else None

    def to_internal_value(self, data: Any) -> Any:
        return data


class BureauOutputSerializer(serializers.ModelSerializer):
    jurisdiction = GeoJSONField()

    class Meta:
        model = Bureau
        fields = ["code", "name_zh", "name_en", "kind", "is_active", "jurisdiction"]


class BureauListOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Bureau
        fields = ["code", "name_zh", "name_en", "kind", "is_active"]


class MembershipOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code")
    discipline = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "bureau", "role", "discipline"]

    def get_discipline(self, obj: Membership) -> str | None:
        return obj.discipline.code if obj.discipline_id else None


class UserOutputSerializer(serializers.ModelSerializer):
    memberships = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "display_name",
            "email",
            "phone",
            "is_active",
            "is_superuser",
            "memberships",
        ]

    def get_memberships(self, obj: User) -> list[dict[str, Any]]:
        rows = getattr(obj, "active_memberships", None)
        if rows is None:
            rows = obj.memberships.filter(revoked_at__isnull=True).select_related("bureau", "discipline")
        return MembershipOutputSerializer(rows, many=True).data


class NotificationOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code", default=None)

    class Meta:
        model = Notification
        fields = ["id", "kind", "level", "title", "body", "url", "bureau", "created_at", "read_at"]


class RenderedDocumentStatusSerializer(serializers.ModelSerializer):
    """How far a document's PDF is (the 202 answer of a PDF endpoint while it is not ready)."""

    status = serializers.ChoiceField(choices=RenderedDocument.Status.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = RenderedDocument
        fields = ["status", "status_label", "error", "requested_at", "rendered_at"]
        read_only_fields = fields
