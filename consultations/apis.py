"""The consultations API: meetings, opinions, the conclusion, votes, comments and the
report workflow. One class per operation; fetch through selectors, act through services."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from portal.apis_base import TenantApi
from portal.fields import DateTimeField, IntegerField
from portal.files import serve_file
from portal.models import TokenScope
from portal.serializers import RenderedDocumentStatusSerializer
from portal.services import data_access_record_of

from . import selectors
from .models import ConsultationReport, Likelihood, Meeting, MeetingKind, MeetingMaterial, Vote
from .services import conclusion as conclusion_services
from .services import meetings as meeting_services
from .services import opinions as opinion_services
from .services import report_pdf as report_pdf_services
from .services import report_workflow as report_services
from .services import room as room_services

if TYPE_CHECKING:
    from django.http import HttpResponse
    from rest_framework.request import Request

# --- output ------------------------------------------------------------------------


class MeetingOutputSerializer(serializers.Serializer):
    id = IntegerField()
    bureau = serializers.CharField(source="bureau.code")
    kind = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    starts_at = DateTimeField()
    ends_at = DateTimeField(allow_null=True)
    place = serializers.CharField()
    chair = serializers.CharField(source="chair.username", allow_null=True, default=None)
    recorder = serializers.CharField(source="recorder.username", allow_null=True, default=None)
    agenda = serializers.CharField()
    last_seq = IntegerField()
    joint_bureaus = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    representatives = serializers.SerializerMethodField()

    def get_representatives(self, meeting: Meeting) -> dict[str, str]:
        return {
            r.discipline.code: r.user.username
            for r in meeting.representatives.select_related("discipline", "user")
        }

    def get_joint_bureaus(self, meeting: Meeting) -> list[str]:
        return sorted(b.code for b in meeting.joint_bureaus.all())

    def get_participants(self, meeting: Meeting) -> list[str]:
        return sorted(u.username for u in meeting.participants.all())


class ReportOutputSerializer(serializers.Serializer):
    id = IntegerField()
    bureau = serializers.CharField(source="bureau.code")
    meeting = IntegerField(source="meeting_id")
    version = IntegerField()
    corrects = IntegerField(source="corrects_id", allow_null=True)
    correction_note = serializers.CharField()
    title = serializers.CharField()
    number = serializers.CharField()
    status = serializers.CharField()
    review_comment = serializers.CharField()
    content_sha256 = serializers.CharField()
    signed_off_at = DateTimeField(allow_null=True)
    issued_at = DateTimeField(allow_null=True)


def _meeting_detail(request: Request, meeting: Meeting) -> dict[str, Any]:
    data = dict(MeetingOutputSerializer(meeting).data)
    conclusion = selectors.conclusion_of(meeting=meeting)
    data["opinions"] = [
        opinion_services.opinion_payload(o)
        for o in selectors.opinion_list(actor=request.actor, meeting=meeting)
    ]
    data["conclusion"] = conclusion.text if conclusion else ""
    data["forecasts"] = (
        [conclusion_services.forecast_payload(f) for f in conclusion.forecasts.all()] if conclusion else []
    )
    data["materials"] = [
        {"kind": m.kind, "object_id": m.object_id, "title": m.title, "url": m.href}
        for m in meeting.materials.all()
    ]
    data["votes"] = selectors.vote_tally(meeting=meeting)["counts"]
    data["reports"] = [r.pk for r in selectors.reports_of_meeting(actor=request.actor, meeting=meeting)]
    return data


# --- meetings ----------------------------------------------------------------------


class MeetingListApi(TenantApi):
    """GET: meetings (filters: kind, start, end, q). POST: schedule a meeting."""

    token_scopes = {"GET": TokenScope.CONSULTATIONS_READ}

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=MeetingKind.choices, required=False)
        start = DateTimeField(required=False)
        end = DateTimeField(required=False)
        q = serializers.CharField(required=False, max_length=100)

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=MeetingKind.choices)
        title = serializers.CharField(max_length=200)
        starts_at = DateTimeField()
        ends_at = DateTimeField(required=False, allow_null=True)
        place = serializers.CharField(required=False, allow_blank=True, max_length=200)
        agenda = serializers.CharField(required=False, allow_blank=True)
        chair = serializers.CharField(required=False)
        recorder = serializers.CharField(required=False, allow_null=True)
        participants = serializers.ListField(child=serializers.CharField(), required=False)
        joint_bureaus = serializers.ListField(child=serializers.CharField(), required=False)
        representatives = serializers.DictField(
            child=serializers.CharField(allow_null=True),
            required=False,
            help_text="discipline code -> username",
        )

    @extend_schema(request=None, responses=MeetingOutputSerializer(many=True), parameters=[FilterSerializer])
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        qs = selectors.meeting_list(
            actor=request.actor,
            kind=filters.get("kind"),
            start=filters.get("start"),
            end=filters.get("end"),
            text=filters.get("q"),
        ).prefetch_related("joint_bureaus", "participants")
        return self.paginate(request, qs, MeetingOutputSerializer)

    @extend_schema(request=InputSerializer, responses={201: MeetingOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = meeting_services.meeting_create(actor=request.actor, **_people(data))
        return Response(MeetingOutputSerializer(meeting).data, status=status.HTTP_201_CREATED)


def _people(data: dict[str, Any]) -> dict[str, Any]:
    """Resolve usernames and bureau codes of a meeting form into rows."""
    if data.get("chair"):
        data["chair"] = selectors.people_by_username(usernames=[data["chair"]], field="chair")[0]
    if "recorder" in data:
        name = data["recorder"]
        data["recorder"] = (
            selectors.people_by_username(usernames=[name], field="recorder")[0] if name else None
        )
    if "participants" in data:
        data["participants"] = selectors.people_by_username(
            usernames=data["participants"], field="participants"
        )
    if "representatives" in data:
        data["representatives"] = {
            code: selectors.people_by_username(usernames=[name], field="representatives")[0] if name else None
            for code, name in data["representatives"].items()
        }
    if "joint_bureaus" in data:
        data["joint_bureaus"] = selectors.bureaus_by_code(codes=data["joint_bureaus"], field="joint_bureaus")
    return data


class MeetingDetailApi(TenantApi):
    """GET: a meeting with its opinions, conclusion and material. PATCH: agenda, participants, …"""

    token_scopes = {"GET": TokenScope.CONSULTATIONS_READ}

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=200)
        starts_at = DateTimeField(required=False)
        ends_at = DateTimeField(required=False, allow_null=True)
        place = serializers.CharField(required=False, allow_blank=True, max_length=200)
        agenda = serializers.CharField(required=False, allow_blank=True)
        chair = serializers.CharField(required=False)
        recorder = serializers.CharField(required=False, allow_null=True)
        participants = serializers.ListField(child=serializers.CharField(), required=False)
        representatives = serializers.DictField(
            child=serializers.CharField(allow_null=True),
            required=False,
            help_text="discipline code -> username",
        )

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, meeting_id: int) -> Response:
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        return Response(_meeting_detail(request, meeting))

    @extend_schema(request=InputSerializer, responses=OpenApiTypes.OBJECT)
    def patch(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        meeting = meeting_services.meeting_update(actor=request.actor, meeting=meeting, **_people(data))
        return Response(_meeting_detail(request, meeting))


class MeetingOpenApi(TenantApi):
    @extend_schema(request=None, responses=MeetingOutputSerializer)
    def post(self, request: Request, meeting_id: int) -> Response:
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        meeting = meeting_services.meeting_open(actor=request.actor, meeting=meeting)
        return Response(MeetingOutputSerializer(meeting).data)


class MeetingCloseApi(TenantApi):
    @extend_schema(request=None, responses=MeetingOutputSerializer)
    def post(self, request: Request, meeting_id: int) -> Response:
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        meeting = meeting_services.meeting_close(actor=request.actor, meeting=meeting)
        return Response(MeetingOutputSerializer(meeting).data)


class MaterialAttachApi(TenantApi):
    """POST: put a product, anomaly, event, file (multipart) or report before the meeting."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=MeetingMaterial.Kind.choices)
        title = serializers.CharField(max_length=300)
        object_id = serializers.CharField(required=False, allow_blank=True, max_length=64)
        url = serializers.CharField(required=False, allow_blank=True, max_length=500)
        file = serializers.FileField(required=False)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        material = meeting_services.material_attach(actor=request.actor, meeting=meeting, **data)
        return Response(
            {"id": material.pk, "kind": material.kind, "title": material.title},
            status=status.HTTP_201_CREATED,
        )


@extend_schema_field(OpenApiTypes.OBJECT)
class GeoJSONField(serializers.Field):
    """GeoJSON geometry as a dict or text; checked by the service (parse_region)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            try:
                return json.loads(data)
            except ValueError:
                raise serializers.ValidationError("Not JSON.") from None
        if not isinstance(data, dict):
            raise serializers.ValidationError("Expected a GeoJSON object.")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class OpinionSubmitApi(TenantApi):
    """POST: submit or revise the discipline's opinion (until the meeting closes)."""

    class InputSerializer(serializers.Serializer):
        discipline = serializers.CharField(max_length=24)
        summary = serializers.CharField()
        anomalies_cited = serializers.ListField(child=serializers.JSONField(), required=False)
        window_start = serializers.DateField(required=False, allow_null=True)
        window_end = serializers.DateField(required=False, allow_null=True)
        regions = GeoJSONField(required=False, allow_null=True)
        min_magnitude = serializers.DecimalField(
            max_digits=3, decimal_places=1, required=False, allow_null=True
        )
        max_magnitude = serializers.DecimalField(
            max_digits=3, decimal_places=1, required=False, allow_null=True
        )
        likelihood = serializers.ChoiceField(choices=Likelihood.choices, required=False, allow_blank=True)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        opinion = opinion_services.opinion_submit(actor=request.actor, meeting=meeting, **data)
        return Response(opinion_services.opinion_payload(opinion), status=status.HTTP_201_CREATED)


class ConclusionEditApi(TenantApi):
    """PUT: the chair's conclusion text (draft, seen live by the room)."""

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(allow_blank=True, max_length=20000)

    @extend_schema(request=InputSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        conclusion = conclusion_services.conclusion_edit(
            actor=request.actor, meeting=meeting, text=data["text"]
        )
        return Response({"text": conclusion.text, "revision": conclusion.revision})


class ForecastAddApi(TenantApi):
    """POST: a forecast record of the conclusion."""

    class InputSerializer(serializers.Serializer):
        window_start = serializers.DateField()
        window_end = serializers.DateField()
        region = GeoJSONField()
        min_magnitude = serializers.DecimalField(max_digits=3, decimal_places=1)
        max_magnitude = serializers.DecimalField(
            max_digits=3, decimal_places=1, required=False, allow_null=True
        )
        likelihood = serializers.ChoiceField(choices=Likelihood.choices)
        note = serializers.CharField(required=False, allow_blank=True, max_length=300)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        forecast = conclusion_services.forecast_add(actor=request.actor, meeting=meeting, **data)
        return Response(conclusion_services.forecast_payload(forecast), status=status.HTTP_201_CREATED)


class ForecastRemoveApi(TenantApi):
    @extend_schema(request=None, responses=None)
    def delete(self, request: Request, meeting_id: int, forecast_id: int) -> Response:
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        conclusion_services.forecast_remove(actor=request.actor, meeting=meeting, forecast_id=forecast_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VoteCastApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        choice = serializers.ChoiceField(choices=Vote.Choice.choices)
        remark = serializers.CharField(required=False, allow_blank=True, max_length=500)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        vote = conclusion_services.vote_cast(actor=request.actor, meeting=meeting, **data)
        return Response({"choice": vote.choice, "remark": vote.remark}, status=status.HTTP_201_CREATED)


class CommentAddApi(TenantApi):
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses={201: OpenApiTypes.OBJECT})
    def post(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        comment = conclusion_services.comment_add(actor=request.actor, meeting=meeting, text=data["text"])
        return Response({"id": comment.pk, "text": comment.text}, status=status.HTTP_201_CREATED)


class RoomEventListApi(TenantApi):
    """GET ?since=N: the room's events after N (the same catch-up the websocket gives)."""

    token_scopes = {"GET": TokenScope.CONSULTATIONS_READ}

    class FilterSerializer(serializers.Serializer):
        since = IntegerField(min_value=0, default=0)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT, parameters=[FilterSerializer])
    def get(self, request: Request, meeting_id: int) -> Response:
        since = self.filters(request)["since"]
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        events = selectors.room_events_after(meeting=meeting, since=since)
        return Response(
            {"events": [room_services.room_event_message(e) for e in events], "last_seq": meeting.last_seq}
        )


# --- reports -----------------------------------------------------------------------


class ReportCreateApi(TenantApi):
    """POST: start (or fetch) the meeting's report in progress."""

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, allow_blank=True, max_length=200)

    @extend_schema(request=InputSerializer, responses={201: ReportOutputSerializer})
    def post(self, request: Request, meeting_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        meeting = selectors.meeting_get(actor=request.actor, meeting_id=meeting_id)
        report = report_services.report_create(
            actor=request.actor, meeting=meeting, title=data.get("title", "")
        )
        return Response(ReportOutputSerializer(report).data, status=status.HTTP_201_CREATED)


class ReportListApi(TenantApi):
    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        status = serializers.CharField(required=False)
        q = serializers.CharField(required=False, max_length=100)

    @extend_schema(request=None, responses=ReportOutputSerializer(many=True), parameters=[FilterSerializer])
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        qs = selectors.report_list(actor=request.actor, status=filters.get("status"), text=filters.get("q"))
        return self.paginate(request, qs, ReportOutputSerializer)


class ReportDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(required=False, max_length=200)
        number = serializers.CharField(required=False, allow_blank=True, max_length=60)

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(actor=request.actor, report_id=report_id)
        data_access_record_of(actor=request.actor, target=report, how="api")  # another bureau's, by a grant
        data = dict(ReportOutputSerializer(report).data)
        data["content"] = report_services.report_content(report)
        return Response(data)

    @extend_schema(request=InputSerializer, responses=ReportOutputSerializer)
    def patch(self, request: Request, report_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report = selectors.report_get(actor=request.actor, report_id=report_id)
        report = report_services.report_update(actor=request.actor, report=report, **data)
        return Response(ReportOutputSerializer(report).data)


class _ReportTransitionApi(TenantApi):
    service: ClassVar[Any]

    class InputSerializer(serializers.Serializer):
        comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)

    @extend_schema(request=InputSerializer, responses=ReportOutputSerializer)
    def post(self, request: Request, report_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report = selectors.report_get(actor=request.actor, report_id=report_id)
        report = type(self).service(actor=request.actor, report=report, comment=data.get("comment", ""))
        return Response(ReportOutputSerializer(report).data)


class ReportSubmitApi(_ReportTransitionApi):
    service = staticmethod(report_services.report_submit)


class ReportReturnApi(_ReportTransitionApi):
    service = staticmethod(report_services.report_return)


class ReportReviewApi(_ReportTransitionApi):
    service = staticmethod(report_services.report_review)


class ReportSignOffApi(_ReportTransitionApi):
    service = staticmethod(report_services.report_sign_off)


class ReportIssueApi(_ReportTransitionApi):
    service = staticmethod(report_services.report_issue)


class ReportArchiveApi(_ReportTransitionApi):
    service = staticmethod(report_services.report_archive)


class ReportCorrectApi(TenantApi):
    """POST: a new draft version correcting a signed report; ``note`` says what it corrects."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses={201: ReportOutputSerializer})
    def post(self, request: Request, report_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report = selectors.report_get(actor=request.actor, report_id=report_id)
        correction = report_services.report_correct(actor=request.actor, report=report, note=data["note"])
        return Response(ReportOutputSerializer(correction).data, status=status.HTTP_201_CREATED)


class ReportPdfApi(TenantApi):
    """The report's PDF, rendered once in a worker when the report is signed off (issued,
    archived), or on demand as a draft's preview; never rendered in the request.

    GET: 200 with the stored PDF when it is ready; 202 with the render's status while it is
    queued or rendering (asking again later gets the file) or after it failed; 404 for a report
    that is not yours. POST: render a failed PDF again (202; 403 for those who do not prepare
    the report; 409 unless it failed).
    """

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(
        request=None,
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            202: RenderedDocumentStatusSerializer,
        },
    )
    def get(self, request: Request, report_id: int) -> HttpResponse:
        report: ConsultationReport = selectors.report_get(actor=request.actor, report_id=report_id)
        document = report_pdf_services.report_pdf_document(actor=request.actor, report=report)
        if document.is_ready:
            data_access_record_of(
                actor=request.actor, target=report, how="download"
            )  # another bureau's, by a grant
            return serve_file(
                request,
                document.file,
                filename=f"consultation-report-{report.pk}-v{report.version}.pdf",
                content_type="application/pdf",
            )
        return Response(RenderedDocumentStatusSerializer(document).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={202: RenderedDocumentStatusSerializer})
    def post(self, request: Request, report_id: int) -> Response:
        report = selectors.report_get(actor=request.actor, report_id=report_id)
        document = report_pdf_services.report_pdf_retry(actor=request.actor, report=report)
        return Response(RenderedDocumentStatusSerializer(document).data, status=status.HTTP_202_ACCEPTED)
