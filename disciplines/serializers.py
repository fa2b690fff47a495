"""Output shapes of the disciplines API (input serializers live on each API class)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from portal import workflow
from portal.fields import DateTimeField, IntegerField

from .models import Anomaly, AssessmentRating, Attachment, ReportingUnit, VerificationReport, ZeroReport


def _point(value: Any) -> dict[str, Any] | None:
    return {"type": "Point", "coordinates": [round(value.x, 5), round(value.y, 5)]} if value else None


class ReportingUnitOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code")
    discipline = serializers.CharField(source="discipline.code")
    station = serializers.CharField(
        source="station.code", allow_null=True, default=None, help_text="code of the station record"
    )
    location = serializers.SerializerMethodField()

    class Meta:
        model = ReportingUnit
        fields = [
            "id",
            "bureau",
            "code",
            "name",
            "kind",
            "discipline",
            "location",
            "observation_items",
            "schedule",
            "deadline_time",
            "is_active",
            "station",
        ]

    def get_location(self, obj: ReportingUnit) -> dict[str, Any] | None:
        return _point(obj.location)


class ZeroReportRevisionOutputSerializer(serializers.Serializer):
    revision = IntegerField()
    status = serializers.CharField()
    submitted_by = serializers.CharField(source="submitted_by.username")
    submitted_at = DateTimeField()
    is_late = serializers.BooleanField()
    source = serializers.CharField()
    content = serializers.JSONField()


class ZeroReportOutputSerializer(serializers.ModelSerializer):
    unit = IntegerField(source="unit_id")
    unit_code = serializers.CharField(source="unit.code")
    reported_by = serializers.CharField(source="reported_by.username")

    class Meta:
        model = ZeroReport
        fields = [
            "id",
            "unit",
            "unit_code",
            "period",
            "status",
            "reported_by",
            "submitted_at",
            "is_late",
            "revision",
            "source",
            "anomaly",
        ]


class AttachmentOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "purpose", "caption", "url"]

    def get_url(self, obj: Attachment) -> str:
        return reverse("disciplines:attachment", args=[obj.pk])


class AnomalyOutputSerializer(serializers.ModelSerializer):
    bureau = serializers.CharField(source="bureau.code")
    discipline = serializers.CharField(source="discipline.code")
    unit = IntegerField(source="unit_id", allow_null=True)
    channel = IntegerField(source="channel_id", allow_null=True, help_text="id of the channel it is seen in")
    reported_by = serializers.CharField(source="reported_by.username")
    assignee = serializers.SerializerMethodField()
    location = serializers.SerializerMethodField()

    class Meta:
        model = Anomaly
        fields = [
            "id",
            "bureau",
            "source",
            "kind",
            "unit",
            "station",
            "channel",
            "observation_item",
            "discipline",
            "onset_at",
            "description",
            "location",
            "state",
            "reported_by",
            "assignee",
            "assigned_at",
            "verify_due_at",
            "verified_at",
            "assess_due_at",
            "assessed_at",
            "decision",
            "decision_comment",
            "closed_at",
            "product_reference",
            "created_at",
        ]

    def get_assignee(self, obj: Anomaly) -> str | None:
        return obj.assignee.username if obj.assignee_id else None

    def get_location(self, obj: Anomaly) -> dict[str, Any] | None:
        return _point(obj.location)


class VerificationOutputSerializer(serializers.ModelSerializer):
    verifier = serializers.CharField(source="verifier.username")

    class Meta:
        model = VerificationReport
        fields = [
            "observation",
            "instrument",
            "onset_at",
            "shape",
            "amplitude",
            "checks",
            "analysis",
            "conclusion",
            "verifier",
            "submitted_at",
        ]


class RatingOutputSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="expert.username")

    class Meta:
        model = AssessmentRating
        fields = ["expert", "credibility", "relation", "recommendation", "comment", "updated_at"]


class HistoryOutputSerializer(serializers.Serializer):
    at = DateTimeField(source="created_at")
    actor = serializers.SerializerMethodField()
    actor_name = serializers.SerializerMethodField()
    action = serializers.CharField()
    action_label = serializers.SerializerMethodField()  # the action in the reader's language
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    comment = serializers.CharField()

    def get_actor(self, obj: Any) -> str | None:
        return obj.actor.username if obj.actor_id else None

    def get_actor_name(self, obj: Any) -> str | None:
        return obj.actor.label if obj.actor_id else None

    def get_action_label(self, obj: Any) -> str:
        return workflow.label(obj.action)
