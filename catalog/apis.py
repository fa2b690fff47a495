"""API of the catalog: quick-report intake and inbox, events, imports, the bureau's alert rule."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.fields import DateTimeField, IntegerField
from portal.models import TokenScope

from . import arrival, selectors
from .models import MAX_ALERT_DISTANCE_KM, AlertRule, Event, QuickReportMessage
from .quick_report import BEIJING
from .services.imports import event_import_create, import_progress
from .services.quick_reports import QuickReportRejected, quick_report_correct, quick_report_submit

if TYPE_CHECKING:
    from rest_framework.request import Request


class EventOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    origin_time = serializers.SerializerMethodField()
    latitude = portal_fields.FloatField()
    longitude = portal_fields.FloatField()
    depth_km = portal_fields.FloatField(allow_null=True)
    magnitude = portal_fields.FloatField(allow_null=True)
    magnitude_type = serializers.CharField()
    location_name = serializers.CharField()
    report_kind = serializers.CharField()
    source = serializers.CharField()
    status = serializers.CharField()
    version = IntegerField()
    is_published = serializers.BooleanField()
    bureau = serializers.CharField(source="bureau.code")
    url = serializers.CharField(source="get_absolute_url")

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_origin_time(self, event: Event) -> str:
        """ISO 8601 in Beijing time (+08:00), to the millisecond."""
        return event.origin_time.astimezone(BEIJING).isoformat(timespec="milliseconds")


class VersionOutputSerializer(serializers.Serializer):
    version = IntegerField()
    origin_time = serializers.SerializerMethodField()
    latitude = portal_fields.FloatField()
    longitude = portal_fields.FloatField()
    depth_km = portal_fields.FloatField(allow_null=True)
    magnitude = portal_fields.FloatField(allow_null=True)
    magnitude_type = serializers.CharField()
    location_name = serializers.CharField()
    report_kind = serializers.CharField()
    status = serializers.CharField()
    data_origin = serializers.CharField()
    created_at = DateTimeField()

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_origin_time(self, version: Any) -> str:
        return version.origin_time.astimezone(BEIJING).isoformat(timespec="milliseconds")


class QuickReportMessageOutputSerializer(serializers.Serializer):
    id = IntegerField()
    text = serializers.CharField()
    received_at = DateTimeField()
    status = serializers.CharField()
    error = serializers.CharField()
    error_part = serializers.CharField()
    corrected_text = serializers.CharField()
    event = serializers.CharField(source="event.public_id", allow_null=True, default=None)


def _report_response(result: Any) -> Response:
    body = dict(EventOutputSerializer(result.event).data)
    body["message_id"] = result.message.pk
    body["repeated"] = result.repeated
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _rejected(problem: QuickReportRejected) -> Response:
    return Response(
        {
            "detail": problem.message,
            "errors": {problem.field: [problem.message]},
            "message_id": problem.inbox_message.pk,
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


class QuickReportApi(TenantApi):
    """POST a quick-report SMS; GET the bureau's inbox."""

    token_scopes = {"GET": TokenScope.CATALOG_READ, "POST": TokenScope.QUICK_REPORTS_SUBMIT}

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=QuickReportMessage.Status.choices, required=False)

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(trim_whitespace=True, max_length=2000)
        received_at = DateTimeField(required=False, default_timezone=BEIJING)

    @extend_schema(
        request=InputSerializer, responses={201: EventOutputSerializer, 200: EventOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        """201: a new event; 200: the same text again, or a new version of an existing event."""
        data = self.parse(self.InputSerializer, request.data)
        try:
            result = quick_report_submit(
                actor=request.actor, text=data["text"], received_at=data.get("received_at") or timezone.now()
            )
        except QuickReportRejected as problem:
            return _rejected(problem)
        return _report_response(result)

    @extend_schema(responses=QuickReportMessageOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        messages = selectors.quick_report_list(actor=request.actor)
        wanted = self.filters(request).get("status")
        if wanted:
            messages = messages.filter(status=wanted)
        return self.paginate(request, messages, QuickReportMessageOutputSerializer)


class QuickReportCorrectApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(trim_whitespace=True, max_length=2000)

    @extend_schema(
        request=InputSerializer, responses={201: EventOutputSerializer, 200: EventOutputSerializer}
    )
    def post(self, request: Request, message_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        message = selectors.quick_report_get(actor=request.actor, message_id=message_id)
        try:
            result = quick_report_correct(actor=request.actor, message=message, text=data["text"])
        except QuickReportRejected as problem:
            return _rejected(problem)
        return _report_response(result)


class EventListApi(TenantApi):
    """Events visible to the caller (anonymous: published), FDSN-style filters, paginated."""

    token_scopes = {"GET": TokenScope.CATALOG_READ}

    permission_classes = [AllowAny]

    class FilterSerializer(serializers.Serializer):
        """What ``events_for_selection`` reads: checked here for type and range, there for sense."""

        q = serializers.CharField(required=False, help_text="text in the place name or the event id")
        starttime = serializers.CharField(required=False, help_text="ISO 8601 date or date-time, UTC")
        endtime = serializers.CharField(required=False, help_text="ISO 8601 date or date-time, UTC")
        updatedafter = serializers.CharField(required=False, help_text="ISO 8601 date or date-time, UTC")
        minlatitude = portal_fields.FloatField(required=False, min_value=-90, max_value=90)
        maxlatitude = portal_fields.FloatField(required=False, min_value=-90, max_value=90)
        minlongitude = portal_fields.FloatField(required=False, min_value=-180, max_value=180)
        maxlongitude = portal_fields.FloatField(required=False, min_value=-180, max_value=180)
        latitude = portal_fields.FloatField(required=False, min_value=-90, max_value=90)
        longitude = portal_fields.FloatField(required=False, min_value=-180, max_value=180)
        minradius = portal_fields.FloatField(required=False, min_value=0, max_value=180)
        maxradius = portal_fields.FloatField(required=False, min_value=0, max_value=180)
        minmagnitude = portal_fields.FloatField(required=False)
        maxmagnitude = portal_fields.FloatField(required=False)
        mindepth = portal_fields.FloatField(required=False)
        maxdepth = portal_fields.FloatField(required=False)
        magnitudetype = serializers.CharField(required=False)
        eventtype = serializers.CharField(required=False)

    @extend_schema(responses=EventOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        self.filters(request)
        selection = {k: v for k, v in request.query_params.items() if k not in ("page", "page_size", "q")}
        events = selectors.events_for_selection(actor=request.actor, selection=selection)
        text = request.query_params.get("q", "").strip()
        if text:
            events = selectors.events_matching_text(events, text)
        return self.paginate(request, events.order_by("-origin_time", "-id"), EventOutputSerializer)


class EventDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.CATALOG_READ}
    permission_classes = [AllowAny]

    @extend_schema(responses=EventOutputSerializer)
    def get(self, request: Request, public_id: str) -> Response:
        event = selectors.event_get(actor=request.actor, public_id=public_id)
        body = dict(EventOutputSerializer(event).data)
        body["versions"] = VersionOutputSerializer(selectors.event_versions(event=event), many=True).data
        return Response(body)


class EventImportOutputSerializer(serializers.Serializer):
    """``import_progress(record)``; the fields are declared for the schema."""

    id = serializers.IntegerField()
    filename = serializers.CharField()
    format = serializers.CharField()
    status = serializers.CharField()
    error = serializers.CharField()
    rows_read = serializers.IntegerField()
    inserted = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    errors = serializers.JSONField()
    progress = portal_fields.FloatField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    file_url = serializers.CharField(help_text="where the original file is read (never a /media/ path)")

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return _import_body(instance)


def _import_body(record: Any) -> dict[str, Any]:
    """An import's progress and where its original file is read (never a /media/ path)."""
    return {**import_progress(record), "file_url": reverse("catalog:import-file", args=[record.pk])}


class EventImportAcceptedSerializer(EventImportOutputSerializer):
    status_url = serializers.CharField()


class EventImportCreateApi(TenantApi):
    """POST multipart ``file`` (+ ``format`` csv|text|quakeml, ``publish``) → 202 with the import id."""

    token_scopes = {"GET": TokenScope.CATALOG_IMPORT, "POST": TokenScope.CATALOG_IMPORT}

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        format = serializers.ChoiceField(choices=["csv", "text", "quakeml"], required=False)
        publish = serializers.BooleanField(required=False, default=True)

    @extend_schema(request=InputSerializer, responses={202: EventImportAcceptedSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        record = event_import_create(
            actor=request.actor, upload=data["file"], file_format=data.get("format"), publish=data["publish"]
        )
        body = _import_body(record)
        body["status_url"] = f"/api/v1/events/imports/{record.pk}/"
        return Response(body, status=status.HTTP_202_ACCEPTED)

    @extend_schema(operation_id="v1_events_imports_list", responses=EventImportOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        records = selectors.event_import_list(actor=request.actor)
        paginator_page = self.paginate(request, records, EventImportOutputSerializer)
        return paginator_page


class EventImportDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.CATALOG_IMPORT}

    @extend_schema(responses=EventImportOutputSerializer)
    def get(self, request: Request, import_id: int) -> Response:
        record = selectors.event_import_get(actor=request.actor, import_id=import_id)
        return Response(_import_body(record))


def _magnitude_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=Decimal("0.0"),
        max_value=Decimal("9.9"),
        coerce_to_string=False,
        **kwargs,
    )


def _distance_field(**kwargs: Any) -> serializers.FloatField:
    return portal_fields.FloatField(min_value=0.0, max_value=MAX_ALERT_DISTANCE_KM, **kwargs)


class AlertRuleOutputSerializer(serializers.Serializer):
    """The bureau's alert rule; ``saved`` false: the defaults of its kind, nothing saved yet."""

    bureau = serializers.CharField(source="bureau.code")
    saved = serializers.SerializerMethodField()
    threshold_magnitude = _magnitude_field()
    distance_km = _distance_field()
    topic_report = serializers.BooleanField()
    pushes = serializers.BooleanField()
    emergency_meeting = serializers.BooleanField()
    post_quake_case = serializers.BooleanField()
    post_quake_min_magnitude = _magnitude_field(allow_null=True)
    post_quake_distance_km = _distance_field()
    post_quake_min_magnitude_china = _magnitude_field(allow_null=True)
    post_quake_min_magnitude_abroad = _magnitude_field(allow_null=True)

    def get_saved(self, rule: AlertRule) -> bool:
        return rule.pk is not None


class AlertRuleApi(TenantApi):
    """The actor's bureau's alert rule (bureau admins): which quakes concern the bureau and what
    it then does. ``threshold_magnitude`` and ``distance_km`` select the quakes of the
    special-topic report and the emergency meeting; a post-quake case opens when the quake
    reaches any post-quake magnitude that is not null (in or near the jurisdiction within
    ``post_quake_distance_km``, anywhere in China, abroad)."""

    class InputSerializer(serializers.Serializer):
        threshold_magnitude = _magnitude_field(required=False)
        distance_km = _distance_field(required=False)
        topic_report = serializers.BooleanField(required=False)
        pushes = serializers.BooleanField(required=False)
        emergency_meeting = serializers.BooleanField(required=False)
        post_quake_case = serializers.BooleanField(required=False)
        post_quake_min_magnitude = _magnitude_field(required=False, allow_null=True)
        post_quake_distance_km = _distance_field(required=False)
        post_quake_min_magnitude_china = _magnitude_field(required=False, allow_null=True)
        post_quake_min_magnitude_abroad = _magnitude_field(required=False, allow_null=True)

    @extend_schema(operation_id="alert_rule_retrieve", responses=AlertRuleOutputSerializer)
    def get(self, request: Request) -> Response:
        rule = arrival.alert_rule_get(actor=request.actor)
        return Response(AlertRuleOutputSerializer(rule).data)

    @extend_schema(
        operation_id="alert_rule_update", request=InputSerializer, responses=AlertRuleOutputSerializer
    )
    def patch(self, request: Request) -> Response:
        """Change the fields given; the others keep their values (a first save starts from the
        defaults of the bureau's kind)."""
        data = self.parse(self.InputSerializer, request.data)
        rule = arrival.alert_rule_save(actor=request.actor, **data)
        return Response(AlertRuleOutputSerializer(rule).data)
