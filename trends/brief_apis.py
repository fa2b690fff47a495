"""API of the briefs: list, read, and compile on demand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from portal.apis_base import TenantApi
from portal.fields import DateTimeField, IntegerField
from portal.models import DisciplineCode, TokenScope

from . import brief_selectors
from .models import Brief, BriefKind
from .services import briefs as brief_services

if TYPE_CHECKING:
    from rest_framework.request import Request


class BriefOutputSerializer(serializers.Serializer):
    id = IntegerField()
    bureau = serializers.CharField(source="bureau.code")
    kind = serializers.ChoiceField(choices=BriefKind.choices)
    discipline = serializers.CharField(source="discipline.code", allow_null=True, default=None)
    period_start = DateTimeField()
    period_end = DateTimeField()
    title = serializers.CharField()
    content = serializers.JSONField()
    url = serializers.CharField(source="get_absolute_url")
    pdf_url = serializers.SerializerMethodField()

    def get_pdf_url(self, brief: Brief) -> str:
        return reverse("trends:brief-pdf", args=[brief.pk])


class BriefListApi(TenantApi):
    """``GET ?kind=&discipline=&date=``: the bureau's briefs, newest first (``date``: the
    Beijing date the period ends on). ``POST``: compile one now (forecasters, chairs, the
    bureau admin): 201 with a new brief, 200 with the one compiled before."""

    token_scopes = {"GET": TokenScope.REPORTS_READ}

    class FilterSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=BriefKind.choices, required=False)
        discipline = serializers.ChoiceField(choices=DisciplineCode.choices, required=False)
        date = serializers.DateField(required=False, help_text="the Beijing date the period ends on")

    class InputSerializer(serializers.Serializer):
        bureau = serializers.CharField(
            max_length=16, required=False, help_text="bureau code (default: the bureau acted in)"
        )
        kind = serializers.ChoiceField(choices=BriefKind.choices)
        date = serializers.DateField(help_text="the period ends on this date at the bureau's brief time")
        discipline = serializers.ChoiceField(
            choices=DisciplineCode.choices, required=False, help_text="discipline reports only"
        )
        refresh = serializers.BooleanField(
            required=False, default=False, help_text="compile an existing one again"
        )

    @extend_schema(responses=BriefOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        day = filters.get("date")
        briefs = brief_selectors.brief_list(
            actor=request.actor,
            kind=filters.get("kind"),
            discipline=filters.get("discipline"),
            start=day,
            end=day,
        )
        return self.paginate(request, briefs, BriefOutputSerializer)

    @extend_schema(
        request=InputSerializer, responses={200: BriefOutputSerializer, 201: BriefOutputSerializer}
    )
    def post(self, request: Request) -> Response:
        data = self.parse(self.InputSerializer, request.data)
        brief, created = brief_services.brief_compile_on_demand(
            actor=request.actor,  # type: ignore[attr-defined]
            kind=data["kind"],
            day=data["date"],
            bureau_code=data.get("bureau"),
            discipline_code=data.get("discipline"),
            refresh=data["refresh"],
        )
        return Response(
            BriefOutputSerializer(brief).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class BriefDetailApi(TenantApi):
    token_scopes = {"GET": TokenScope.REPORTS_READ}

    @extend_schema(responses=BriefOutputSerializer)
    def get(self, request: Request, brief_id: int) -> Response:
        brief = brief_selectors.brief_get(actor=request.actor, brief_id=brief_id)  # type: ignore[attr-defined]
        return Response(BriefOutputSerializer(brief).data)
