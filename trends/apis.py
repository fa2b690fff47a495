"""The trend report API: request (or fetch) a bureau's report of a month, read it, write a
section's text, recompile, move it through its workflow, correct it, its PDF and figures.
One class per operation; fetch through selectors, act through services."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.apis_base import TenantApi
from portal.exceptions import InvalidInput
from portal.fields import DateTimeField, IntegerField
from portal.files import serve_file
from portal.models import TokenScope
from portal.services import data_access_record_of

from . import selectors
from .compilation import section_title
from .models import TrendReport, TrendSection, TrendStatus
from .services import trend_pdf, trend_workflow
from .services import trend_reports as trend_report_services

if TYPE_CHECKING:
    from django.http import HttpResponse
    from rest_framework.request import Request

MONTH_RE = re.compile(r"^\d{4}-\d{2}$")

# --- output ------------------------------------------------------------------------


class FigureOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, figure: Any) -> str:
        return reverse("api-trend-report-figure", args=[figure.section.report_id, figure.pk])


class SectionOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.SerializerMethodField()
    data = serializers.JSONField()
    text = serializers.CharField()
    compiled_at = DateTimeField(allow_null=True)
    n_events = IntegerField(allow_null=True)
    review_comment = serializers.CharField()
    figures = FigureOutputSerializer(many=True)

    def get_title(self, section: TrendSection) -> str:
        return section_title(section.key)


class TrendReportOutputSerializer(serializers.Serializer):
    id = IntegerField()
    bureau = serializers.CharField(source="bureau.code")
    month = serializers.CharField(source="month_label")
    status = serializers.CharField()
    version = IntegerField()
    corrects = IntegerField(source="corrects_id", allow_null=True)
    correction_note = serializers.CharField()
    title = serializers.CharField()
    compiled_at = DateTimeField(allow_null=True)
    compile_status = serializers.CharField()
    compile_progress = IntegerField()
    compile_note = serializers.CharField()
    review_comment = serializers.CharField()
    content_sha256 = serializers.CharField()
    submitted_at = DateTimeField(allow_null=True)
    reviewed_at = DateTimeField(allow_null=True)
    signed_off_at = DateTimeField(allow_null=True)
    issued_at = DateTimeField(allow_null=True)
    url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    def get_url(self, report: TrendReport) -> str:
        return report.get_absolute_url()

    def get_pdf_url(self, report: TrendReport) -> str:
        return reverse("api-trend-report-pdf", args=[report.pk])


class TrendReportDetailSerializer(TrendReportOutputSerializer):
    sections = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    @extend_schema_field(SectionOutputSerializer(many=True))
    def get_sections(self, report: TrendReport) -> list[dict[str, Any]]:
        return list(SectionOutputSerializer(selectors.trend_sections(report=report), many=True).data)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, report: TrendReport) -> list[str]:
        request = self.context.get("request")
        return trend_workflow.allowed_actions(getattr(request, "actor", None), report)


def _detail(request: Request, report: TrendReport, code: int = status.HTTP_200_OK) -> Response:
    return Response(TrendReportDetailSerializer(report, context={"request": request}).data, status=code)


def _month_filter(value: str) -> dt.date | None:
    """``YYYY-MM`` of the list filter (any month: a future one simply lists nothing)."""
    if not value:
        return None
    year, month = (int(part) for part in value.split("-"))
    if not (1 <= month <= 12 and year >= 1):
        raise InvalidInput(_("Give the month as YYYY-MM, e.g. 2026-10."), field="month")
    return dt.date(year, month, 1)


# --- list and request --------------------------------------------------------------


class TrendReportListApi(TenantApi):
    """GET: the trend reports you may read (filters: bureau, month, status; paginated).
    POST: ask for a bureau's report of a month: 202 with the new report (its compilation runs
    in a worker), 200 with the existing one; 400 for a bad month or an unknown bureau, 403
    for a bureau you do not draft for."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        bureau = serializers.CharField(required=False, max_length=16)
        month = serializers.RegexField(MONTH_RE, required=False, help_text="YYYY-MM")
        status = serializers.ChoiceField(choices=TrendStatus.choices, required=False)
        q = serializers.CharField(required=False, max_length=100)

    class InputSerializer(serializers.Serializer):
        bureau = serializers.CharField(max_length=16)
        month = serializers.RegexField(MONTH_RE, help_text="YYYY-MM")

    @extend_schema(
        request=None, responses=TrendReportOutputSerializer(many=True), parameters=[FilterSerializer]
    )
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        month = _month_filter(filters.get("month", ""))
        qs = selectors.trend_report_list(
            actor=request.actor,
            bureau=filters.get("bureau", ""),
            month=month,
            status=filters.get("status", ""),
            q=filters.get("q", ""),
        )
        return self.paginate(request, qs, TrendReportOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={200: TrendReportDetailSerializer, 202: TrendReportDetailSerializer},
    )
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report, created = trend_report_services.trend_report_request_by_code(
            actor=request.actor, bureau_code=data["bureau"], month_text=data["month"]
        )
        return _detail(request, report, status.HTTP_202_ACCEPTED if created else status.HTTP_200_OK)


class TrendReportDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(request=None, responses=TrendReportDetailSerializer)
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        data_access_record_of(actor=request.actor, target=report, how="api")  # another bureau's, by a grant
        return _detail(request, report)


class TrendSectionApi(TenantApi):
    """PATCH: a draft section's text (forecasters and chairs): 403 for others, 404 for an
    unknown section, 409 once the report left draft."""

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(
            allow_blank=True, max_length=trend_report_services.TEXT_MAX, trim_whitespace=False
        )

    @extend_schema(request=InputSerializer, responses=SectionOutputSerializer)
    def patch(self, request: Request, report_id: int, key: str) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        section = trend_report_services.trend_section_update(
            actor=request.actor, report=report, key=key, text=data["text"]
        )
        return Response(SectionOutputSerializer(section).data)


class TrendReportRecompileApi(TenantApi):
    """POST: compile a draft's data again (202); 403 for others than its drafters, 409 past
    draft or while a compilation runs."""

    @extend_schema(request=None, responses={202: TrendReportDetailSerializer})
    def post(self, request: Request, report_id: int) -> Response:
        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        report = trend_report_services.trend_report_recompile(actor=request.actor, report=report)
        return _detail(request, report, status.HTTP_202_ACCEPTED)


class TrendReportTransitionApi(TenantApi):
    """POST: move the report (submit, review, return, sign_off, issue, archive): 200 with the
    report, 403 for a person who may not, 409 for a wrong state, 400 for an unknown action or
    a return without a comment. ``section_comments`` (key → text) go with a return."""

    class InputSerializer(serializers.Serializer):
        action = serializers.ChoiceField(choices=list(trend_workflow.ACTIONS))
        comment = serializers.CharField(
            required=False, allow_blank=True, max_length=trend_workflow.COMMENT_MAX
        )
        section_comments = serializers.DictField(
            child=serializers.CharField(allow_blank=True, max_length=trend_workflow.COMMENT_MAX),
            required=False,
        )

    @extend_schema(request=InputSerializer, responses=TrendReportDetailSerializer)
    def post(self, request: Request, report_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        report = trend_workflow.trend_report_transition(
            actor=request.actor,
            report=report,
            action=data["action"],
            comment=data.get("comment", ""),
            section_comments=data.get("section_comments"),
        )
        return _detail(request, report)


class TrendReportCorrectApi(TenantApi):
    """POST: a new draft version correcting a signed report (201); ``note`` says what it corrects."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, responses={201: TrendReportDetailSerializer})
    def post(self, request: Request, report_id: int) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        correction = trend_report_services.trend_report_correct(
            actor=request.actor, report=report, note=data["note"]
        )
        return _detail(request, correction, status.HTTP_201_CREATED)


class TrendReportChangesApi(TenantApi):
    """GET: what this version changed against the one before (text per section, data values);
    ``against`` is null for a first version."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, report_id: int) -> Response:
        from .changes import trend_report_changes

        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        changes = trend_report_changes(report)
        if changes is None:
            return Response({"against": None, "sections": []})
        return Response(
            {
                "against": {"id": changes.against.pk, "version": changes.against.version},
                "sections": [
                    {
                        "key": s.key,
                        "text": [{"op": line.op, "text": line.text} for line in s.text if line.op != " "],
                        "data": [{"key": v.key, "before": v.before, "after": v.after} for v in s.data],
                    }
                    for s in changes.sections
                ],
            }
        )


class TrendReportPdfApi(TenantApi):
    """GET: the report's PDF (the stored one of a frozen report; rendered now when none is stored)."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(request=None, responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, report_id: int) -> HttpResponse:
        from portal.readership import record_view

        report = selectors.trend_report_get(actor=request.actor, report_id=report_id)
        source: Any = trend_pdf.trend_pdf_source(actor=request.actor, report=report)
        record_view(
            request=request,
            report_kind="trend_report",
            report_id=report.pk,
            bureau_id=report.bureau_id,
            version=report.version,
            pdf=True,
        )
        data_access_record_of(
            actor=request.actor, target=report, how="download"
        )  # another bureau's, by a grant
        return serve_file(
            request,
            source,
            filename=f"trend-report-{report.bureau.code}-{report.month_label}-v{report.version}.pdf",
            content_type="application/pdf",
        )


class TrendFigureApi(TenantApi):
    """GET: one figure of a report you may read (PNG)."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(request=None, responses={(200, "image/png"): OpenApiTypes.BINARY})
    def get(self, request: Request, report_id: int, figure_id: int) -> HttpResponse:
        figure = selectors.trend_figure_get(actor=request.actor, figure_id=figure_id)
        if figure.section.report_id != report_id:
            from portal.exceptions import NotFound

            raise NotFound()
        return serve_file(request, bytes(figure.png), filename=f"{figure.name}.png", content_type="image/png")
