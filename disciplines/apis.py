"""The disciplines API: reporting units, zero-reports (submit, list, import, matrix), anomalies
and their transitions, verification reports, assessment ratings, bureau settings."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from observations import selectors as station_selectors
from portal import fields as portal_fields
from portal.apis_base import TenantApi
from portal.converters import parse_id
from portal.exceptions import InvalidInput, NotFound, PermissionDenied
from portal.fields import DateTimeField, IntegerField, WorkDateField
from portal.models import TokenScope
from portal.selectors import user_by_id

from . import permissions, selectors
from .models import Anomaly, Attachment, ReportingUnit, ZeroReport
from .serializers import (
    AnomalyOutputSerializer,
    AttachmentOutputSerializer,
    HistoryOutputSerializer,
    RatingOutputSerializer,
    ReportingUnitOutputSerializer,
    VerificationOutputSerializer,
    ZeroReportOutputSerializer,
    ZeroReportRevisionOutputSerializer,
)
from .services import anomalies as anomaly_services
from .services import anomaly_workflow
from .services import assessment as assessment_services
from .services import units as unit_services
from .services import verification as verification_services
from .services import zero_reports as zero_report_services

if TYPE_CHECKING:
    from rest_framework.request import Request


def _json_field(request: Request, name: str) -> Any:
    """A nested object sent as JSON, or as a JSON string in a multipart form."""
    value = request.data.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else None
        except ValueError:
            raise InvalidInput(_("%(name)s is not valid JSON.") % {"name": name}, field=name) from None
    return value


# --- reporting units -----------------------------------------------------------------------


class ReportingUnitListApi(TenantApi):
    """``GET``: units of the bureau (``?mine=1`` the ones I report for, ``?discipline=``);
    ``POST``: a new unit (bureau admins)."""

    token_scopes = {"GET": TokenScope.ZERO_REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        mine = serializers.BooleanField(
            required=False, default=False, help_text="only the units I report for"
        )
        discipline = serializers.CharField(required=False, help_text="discipline code")

    class InputSerializer(serializers.Serializer):
        code = serializers.CharField(max_length=32)
        name = serializers.CharField(max_length=100)
        kind = serializers.ChoiceField(choices=ReportingUnit.Kind.choices, default=ReportingUnit.Kind.STATION)
        discipline = serializers.CharField()
        lon = portal_fields.FloatField(min_value=-180, max_value=180)
        lat = portal_fields.FloatField(min_value=-90, max_value=90)
        observation_items = serializers.ListField(child=serializers.CharField(max_length=60), required=False)
        reporters = serializers.ListField(child=IntegerField(), required=False)
        schedule = serializers.ChoiceField(choices=ReportingUnit.Schedule.choices, default="daily")
        deadline_time = serializers.TimeField(required=False)
        station = serializers.RegexField(
            r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,15}$", required=False, help_text="code of the station record"
        )

    @extend_schema(responses=ReportingUnitOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        actor = request.actor
        filters = self.filters(request)
        if filters["mine"]:
            units = selectors.units_held_by(actor=actor)
        else:
            units = selectors.unit_list(actor=actor, discipline=filters.get("discipline"))
        return self.paginate(request, units, ReportingUnitOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: ReportingUnitOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        discipline = selectors.discipline_by_code(code=data.pop("discipline"))
        if discipline is None:
            raise InvalidInput(_("Unknown discipline."), field="discipline")
        reporters = []
        for user_id in data.pop("reporters", []):
            user = user_by_id(user_id=user_id)
            if user is None:
                raise InvalidInput(_("Unknown person %(id)s.") % {"id": user_id}, field="reporters")
            reporters.append(user)
        if "station" in data:
            try:
                data["station"] = station_selectors.station_get(actor=request.actor, code=data["station"])
            except NotFound:
                raise InvalidInput(_("Unknown station."), field="station") from None
        unit = unit_services.unit_create(
            actor=request.actor, discipline=discipline, reporters=reporters, **data
        )
        return Response(ReportingUnitOutputSerializer(unit).data, status=status.HTTP_201_CREATED)


class ReportingUnitDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.ZERO_REPORTS_READ}

    @extend_schema(responses=ReportingUnitOutputSerializer)
    def get(self, request: Request, unit_id: int) -> Response:
        unit = selectors.unit_get(actor=request.actor, unit_id=unit_id)
        return Response(ReportingUnitOutputSerializer(unit).data)


# --- zero-reports --------------------------------------------------------------------------


class AnomalyDetailsSerializer(serializers.Serializer):
    observation_item = serializers.CharField(max_length=60, allow_blank=True, required=False, default="")
    description = serializers.CharField(allow_blank=True, required=False, default="")
    onset_at = DateTimeField(required=False, allow_null=True, default=None)


class ZeroReportListApi(TenantApi):
    """``GET``: reports (``?unit= &discipline= &start= &end= &status=none|anomaly|late``);
    ``POST {"unit", "period", "status": "none"|"anomaly", "anomaly": {...}}`` (JSON, or
    multipart with ``anomaly`` as a JSON string and ``attachments`` files)."""

    token_scopes = {"GET": TokenScope.ZERO_REPORTS_READ, "POST": TokenScope.ZERO_REPORTS_SUBMIT}

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        unit = IntegerField()
        period = serializers.CharField(max_length=20)
        status = serializers.ChoiceField(choices=ZeroReport.Status.choices)

    class FilterSerializer(serializers.Serializer):
        unit = serializers.IntegerField(
            required=False, min_value=0, max_value=2**31 - 1, help_text="reporting unit id"
        )
        discipline = serializers.CharField(required=False, help_text="discipline code")
        start = WorkDateField(required=False)
        end = WorkDateField(required=False)
        status = serializers.ChoiceField(choices=[*ZeroReport.Status.values, "late"], required=False)

    @extend_schema(responses=ZeroReportOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        unit = request.query_params.get("unit")
        unit_id = parse_id(unit)
        if unit and unit_id is None:
            raise InvalidInput(_("unit must be a number."), field="unit")
        filters = self.filters(request)
        reports = selectors.zero_report_list(
            actor=request.actor,
            unit_id=filters.get("unit"),
            discipline=filters.get("discipline"),
            start=filters.get("start"),
            end=filters.get("end"),
            status=filters.get("status"),
        )
        return self.paginate(request, reports, ZeroReportOutputSerializer)

    @extend_schema(
        request=InputSerializer, responses={201: ZeroReportOutputSerializer, 200: ZeroReportOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        unit = selectors.unit_get(actor=request.actor, unit_id=data["unit"])
        details = None
        if data["status"] == ZeroReport.Status.ANOMALY:
            raw = _json_field(request, "anomaly")
            if not isinstance(raw, dict):
                raise InvalidInput(_("An anomaly report needs its details."), field="anomaly")
            serializer = AnomalyDetailsSerializer(data=raw)
            if not serializer.is_valid():
                raise serializers.ValidationError({"anomaly": serializer.errors})
            details = zero_report_services.AnomalyInput(**serializer.validated_data)
        report = zero_report_services.zero_report_submit(
            actor=request.actor,
            unit=unit,
            period=data["period"],
            status=data["status"],
            anomaly=details,
            files=request.FILES.getlist("attachments"),
            source=ZeroReport.Source.API,
        )
        return Response(
            ZeroReportOutputSerializer(report).data,
            status=status.HTTP_201_CREATED if report.revision == 1 else status.HTTP_200_OK,
        )


class ZeroReportDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.ZERO_REPORTS_READ}

    @extend_schema(responses=ZeroReportOutputSerializer)
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.zero_report_get(actor=request.actor, report_id=report_id)
        body = ZeroReportOutputSerializer(report).data
        body["history"] = ZeroReportRevisionOutputSerializer(report.history, many=True).data
        return Response(body)


class ZeroReportImportApi(TenantApi):
    """``POST`` multipart ``file`` (CSV) and ``import_valid`` (true to store the valid lines anyway).

    201 with the counts when stored; 400 with ``errors`` per line (and nothing stored) otherwise.
    """

    token_scopes = {"POST": TokenScope.ZERO_REPORTS_SUBMIT}

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField()
        import_valid = serializers.BooleanField(default=False)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        result = zero_report_services.zero_report_import_csv(
            actor=request.actor,
            raw=data["file"].read(),
            import_valid=data["import_valid"],
            filename=data["file"].name,
        )
        body = result.as_dict()
        if result.imported or (result.ok and result.lines == 0):
            return Response(body, status=status.HTTP_201_CREATED)
        body["detail"] = _("%(n)d line(s) have errors; nothing was stored.") % {"n": len(result.errors)}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)


class ZeroReportMatrixApi(TenantApi):
    """``GET ?start=&end=&discipline=``: units by days, each cell o|l|a|m|p|- (see selectors)."""

    token_scopes = {"GET": TokenScope.ZERO_REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        start = WorkDateField(required=False)
        end = WorkDateField(required=False)
        discipline = serializers.CharField(required=False, help_text="discipline code")

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        if not permissions.can_view_matrix(request.actor):
            raise PermissionDenied(_("The submission matrix is for the bureau's discipline office."))
        today = selectors.beijing_today()
        filters = self.filters(request)
        end = filters.get("end") or today
        start = filters.get("start") or end - timedelta(days=30)
        if start > end or (end - start).days > 92:
            raise InvalidInput(_("Choose at most 93 days, start before end."), field="start")
        units = list(selectors.unit_list(actor=request.actor, discipline=filters.get("discipline")))
        matrix = selectors.zero_report_matrix(actor=request.actor, units=units, start=start, end=end)
        return Response(
            {
                "days": [d.isoformat() for d in matrix.days],
                "rows": [
                    {"unit": r.unit.pk, "code": r.unit.code, "cells": "".join(r.cells)} for r in matrix.rows
                ],
                "totals": matrix.totals(),
            }
        )


# --- anomalies -----------------------------------------------------------------------------


class AnomalyListApi(TenantApi):
    """``GET ?state=&discipline=&open=1``; ``POST`` an anomaly from an expert or a product."""

    token_scopes = {"GET": TokenScope.ANOMALIES_READ}

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=Anomaly.State.choices, required=False)
        discipline = serializers.CharField(required=False, help_text="discipline code")
        open = serializers.BooleanField(required=False, default=False, help_text="only the open ones")

    class InputSerializer(serializers.Serializer):
        source = serializers.ChoiceField(
            choices=[Anomaly.Source.EXPERT, Anomaly.Source.PRODUCT], default=Anomaly.Source.EXPERT
        )
        discipline = serializers.CharField()
        observation_item = serializers.CharField(max_length=60)
        onset_at = DateTimeField()
        description = serializers.CharField()
        station = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
        unit = IntegerField(required=False, allow_null=True)
        lon = portal_fields.FloatField(required=False, min_value=-180, max_value=180)
        lat = portal_fields.FloatField(required=False, min_value=-90, max_value=90)
        product_reference = serializers.CharField(
            max_length=100, required=False, allow_blank=True, default=""
        )
        channel = IntegerField(
            required=False,
            allow_null=True,
            help_text="id of the channel the anomaly is seen in (an active channel of your bureau)",
        )

    @extend_schema(responses=AnomalyOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        anomalies = selectors.anomaly_list(
            actor=request.actor,
            state=filters.get("state"),
            discipline=filters.get("discipline"),
            open_only=filters["open"],
        )
        return self.paginate(request, anomalies, AnomalyOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: AnomalyOutputSerializer})
    def post(self, request: Request) -> Response:
        from django.contrib.gis.geos import Point

        data = self.parse(self.InputSerializer, request.data)
        discipline = selectors.discipline_by_code(code=data["discipline"])
        if discipline is None:
            raise InvalidInput(_("Unknown discipline."), field="discipline")
        unit = selectors.unit_get(actor=request.actor, unit_id=data["unit"]) if data.get("unit") else None
        location = None
        if "lon" in data and "lat" in data:
            location = Point(data["lon"], data["lat"], srid=4326)
        anomaly = anomaly_services.anomaly_report(
            actor=request.actor,
            source=data["source"],
            discipline=discipline,
            observation_item=data["observation_item"],
            onset_at=data["onset_at"],
            description=data["description"],
            station=data["station"],
            unit=unit,
            location=location,
            product_reference=data["product_reference"],
            files=request.FILES.getlist("attachments"),
            channel_id=data.get("channel"),
        )
        return Response(AnomalyOutputSerializer(anomaly).data, status=status.HTTP_201_CREATED)


class AnomalyDetailApi(TenantApi):
    """One anomaly with its history, attachments, verification report, ratings and the moves open to me."""

    token_scopes = {"GET": TokenScope.ANOMALIES_READ}

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, anomaly_id: int) -> Response:
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        body = AnomalyOutputSerializer(anomaly).data
        body["history"] = HistoryOutputSerializer(selectors.anomaly_history(anomaly=anomaly), many=True).data
        body["attachments"] = AttachmentOutputSerializer(
            selectors.anomaly_attachments(anomaly=anomaly), many=True
        ).data
        verification = selectors.anomaly_verification(anomaly=anomaly)
        body["verification"] = VerificationOutputSerializer(verification).data if verification else None
        body["ratings"] = RatingOutputSerializer(selectors.anomaly_ratings(anomaly=anomaly), many=True).data
        body["allowed_actions"] = anomaly_workflow.allowed_actions(request.actor, anomaly)
        return Response(body)


class TransitionInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AssignInputSerializer(TransitionInputSerializer):
    assignee = IntegerField()
    due_at = DateTimeField(required=False, allow_null=True, default=None)


class ResubmitInputSerializer(TransitionInputSerializer):
    description = serializers.CharField(required=False, allow_null=True, default=None)
    observation_item = serializers.CharField(max_length=60, required=False, allow_null=True, default=None)
    onset_at = DateTimeField(required=False, allow_null=True, default=None)


TRANSITION_INPUTS: dict[str, type[serializers.Serializer]] = {
    "assign": AssignInputSerializer,
    "reassign": AssignInputSerializer,
    "resubmit": ResubmitInputSerializer,
}


class AnomalyTransitionApi(TenantApi):
    """``POST anomalies/<id>/<action>/ {"comment", ...}``: one lifecycle move (``action`` is set by the URL).

    409 when the state does not allow it, 403 when the role does not, 400 for bad input.
    """

    action_name = ""

    @extend_schema(request=TransitionInputSerializer, responses=AnomalyOutputSerializer)
    def post(self, request: Request, anomaly_id: int) -> Response:
        data = self.parse(TRANSITION_INPUTS.get(self.action_name, TransitionInputSerializer), request.data)
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        if self.action_name in ("assign", "reassign"):
            assignee = user_by_id(user_id=data.pop("assignee"))
            if assignee is None:
                raise InvalidInput(_("Unknown person."), field="assignee")
            data["assignee"] = assignee
        service = anomaly_services.TRANSITION_SERVICES[self.action_name]
        anomaly = service(actor=request.actor, anomaly=anomaly, **data)
        return Response(AnomalyOutputSerializer(anomaly).data)


class VerificationApi(TenantApi):
    """``GET`` the verification report; ``PUT`` (the assigned verifier) writes it while verifying."""

    token_scopes = {"GET": TokenScope.ANOMALIES_READ}

    class InputSerializer(serializers.Serializer):
        observation = serializers.CharField(max_length=200, required=False, allow_blank=True)
        instrument = serializers.CharField(max_length=200, required=False, allow_blank=True)
        onset_at = DateTimeField(required=False, allow_null=True)
        shape = serializers.CharField(required=False, allow_blank=True)
        amplitude = serializers.CharField(max_length=200, required=False, allow_blank=True)
        checks = serializers.JSONField(required=False)
        analysis = serializers.CharField(required=False, allow_blank=True)
        conclusion = serializers.CharField(required=False, allow_blank=True)

    @extend_schema(responses=VerificationOutputSerializer)
    def get(self, request: Request, anomaly_id: int) -> Response:
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        verification = selectors.anomaly_verification(anomaly=anomaly)
        if verification is None:
            return Response({"detail": _("No verification report yet.")}, status=status.HTTP_404_NOT_FOUND)
        return Response(VerificationOutputSerializer(verification).data)

    @extend_schema(request=InputSerializer, responses=VerificationOutputSerializer)
    def put(self, request: Request, anomaly_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        report = verification_services.verification_save(actor=request.actor, anomaly=anomaly, **data)
        return Response(VerificationOutputSerializer(report).data)


class RatingApi(TenantApi):
    """``POST {"credibility": A|B|C, "relation", "recommendation": track|close, "comment"}``: my line
    on the assessment form."""

    class InputSerializer(serializers.Serializer):
        credibility = serializers.CharField(max_length=1)
        relation = serializers.CharField(max_length=10)
        recommendation = serializers.CharField(max_length=8)
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: RatingOutputSerializer})
    def post(self, request: Request, anomaly_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        rating = assessment_services.rating_save(actor=request.actor, anomaly=anomaly, **data)
        return Response(RatingOutputSerializer(rating).data, status=status.HTTP_201_CREATED)


class AttachmentUploadApi(TenantApi):
    """``POST`` multipart ``attachments`` (files), ``purpose`` (evidence | figure), ``caption``."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        purpose = serializers.ChoiceField(
            choices=Attachment.Purpose.choices, default=Attachment.Purpose.EVIDENCE
        )
        caption = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: AttachmentOutputSerializer(many=True)})
    def post(self, request: Request, anomaly_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        files = request.FILES.getlist("attachments")
        if not files:
            raise InvalidInput(_("Choose at least one file."), field="attachments")
        anomaly = selectors.anomaly_get(actor=request.actor, anomaly_id=anomaly_id)
        rows = anomaly_services.anomaly_attach(actor=request.actor, anomaly=anomaly, files=files, **data)
        return Response(AttachmentOutputSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class DashboardCountsApi(TenantApi):
    """What waits for me: zero-reports due, anomalies to assign/verify/assess, overdue."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        actor = request.actor
        due = selectors.units_due(actor=actor)
        body: dict[str, Any] = {
            "units_due": len(due),
            "units_overdue": sum(1 for _u, _p, overdue in due if overdue),
        }
        body.update(selectors.anomaly_counts(actor=actor))
        if permissions.can_manage_units(actor):
            body["missing_7d"] = sum(selectors.missing_summary(actor=actor).values())
        return Response(body)


class AnomalySettingsApi(TenantApi):
    """The bureau's verification and assessment deadlines (hours); bureau admins change them."""

    class InputSerializer(serializers.Serializer):
        verification_hours = IntegerField(min_value=1, max_value=1440)
        assessment_hours = IntegerField(min_value=1, max_value=1440)

    @extend_schema(responses=InputSerializer)
    def get(self, request: Request) -> Response:
        if request.actor.bureau is None:
            raise InvalidInput(_("Choose a bureau first."), field="bureau")
        row = selectors.anomaly_settings_for(bureau=request.actor.bureau)
        return Response(
            {"verification_hours": row.verification_hours, "assessment_hours": row.assessment_hours}
        )

    @extend_schema(request=InputSerializer, responses=InputSerializer)
    def put(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        row = unit_services.anomaly_settings_update(actor=request.actor, **data)
        return Response(
            {"verification_hours": row.verification_hours, "assessment_hours": row.assessment_hours}
        )
