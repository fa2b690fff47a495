"""The post-quake cases' API (/api/v1/post-quake-cases/...).

* ``GET ""``: the cases the reader may see, newest first (paginated; ``?bureau=<code>`` narrows
  them to one bureau's, an unknown code or one not read lists nothing, as the other lists'
  bureau filters do; ``?status=``);
* ``GET <id>/``: one case with its draft (another bureau's: 404);
* ``GET punctuality/?month=YYYY-MM``: the month's first opinions against their deadlines
  (a bad month: 400 naming ``month``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal.apis_base import TenantApi

from . import punctuality, selectors
from .models import CaseState, PostQuakeCase

#: A bureau's code as the filters take it (the codes are short Latin letters and digits).
BUREAU_CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,23}$"

if TYPE_CHECKING:
    from rest_framework.request import Request


class CaseOutputSerializer(serializers.Serializer):
    """A case with its draft; ``draft.parameters.source`` says generic or fitted."""

    id = serializers.IntegerField()
    event = serializers.CharField()
    bureau = serializers.CharField()
    opened_at = serializers.DateTimeField()
    clock_start = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    status = serializers.CharField()
    issued_at = serializers.DateTimeField(allow_null=True)
    draft_status = serializers.CharField()
    draft = serializers.JSONField()
    opinions = serializers.ListField(child=serializers.JSONField())
    url = serializers.URLField()

    def to_representation(self, case: PostQuakeCase) -> dict[str, Any]:
        request = self.context["request"]
        return {
            "id": case.pk,
            "event": case.event.public_id,
            "bureau": case.bureau.code,
            "opened_at": case.opened_at.isoformat(),
            "clock_start": case.clock_start.isoformat(),
            "deadline": case.due_at.isoformat(),
            "status": case.state,
            "issued_at": case.issued_at.isoformat() if case.issued_at else None,
            "draft_status": case.draft_status,
            "draft": _draft(case.draft or {}),
            "opinions": [],
            "url": request.build_absolute_uri(case.get_absolute_url()),
        }


def _draft(draft: dict[str, Any]) -> dict[str, Any]:
    """The issue's summary keys first, then every section as computed."""
    if not draft:
        return {}
    probabilities = draft.get("probabilities") or {}
    fitted = probabilities.get("fitted") or None
    chosen = fitted or probabilities
    return {
        "sequence_type": (draft.get("sequence_type") or {}).get("type"),
        "bath_max_aftershock": (draft.get("bath") or {}).get("max_aftershock"),
        "probabilities": chosen.get("probabilities", []),
        "parameters": chosen.get("parameters"),
        "analogues": (draft.get("analogues") or {}).get("analogues", []),
        "sections": draft,
    }


class CaseListApi(TenantApi):
    """The post-quake cases the reader may see, newest first."""

    class FilterSerializer(serializers.Serializer):
        bureau = serializers.RegexField(
            BUREAU_CODE, required=False, help_text="bureau code: that bureau's cases (of those you may see)"
        )
        status = serializers.ChoiceField(choices=CaseState.choices, required=False)

    @extend_schema(operation_id="postquake_cases_list", responses=CaseOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        cases = selectors.case_list(
            actor=request.actor, state=filters.get("status"), bureau=filters.get("bureau")
        )
        return self.paginate(request, cases, CaseOutputSerializer)


class CaseDetailApi(TenantApi):
    @extend_schema(operation_id="postquake_cases_retrieve", responses=CaseOutputSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(actor=request.actor, case_id=case_id)
        return Response(CaseOutputSerializer(case, context={"request": request}).data)


class PunctualityCaseSerializer(serializers.Serializer):
    """One case of the month: its deadline and when its first opinion was issued."""

    id = serializers.IntegerField()
    event = serializers.CharField()
    magnitude = serializers.FloatField(allow_null=True)
    place = serializers.CharField()
    bureau = serializers.CharField()
    clock_start = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    issued_at = serializers.DateTimeField(allow_null=True)
    minutes = serializers.FloatField(
        allow_null=True, help_text="issued minus deadline, in minutes (negative: early); null: no opinion"
    )
    minutes_to_issue = serializers.FloatField(allow_null=True, help_text="issued minus clock start")
    on_time = serializers.BooleanField(allow_null=True)
    status = serializers.ChoiceField(choices=list(punctuality.STATUS_LABELS))
    url = serializers.CharField()

    def to_representation(self, row: punctuality.Row) -> dict[str, Any]:
        case = row.case
        return {
            "id": case.pk,
            "event": case.event.public_id,
            "magnitude": case.event.magnitude,
            "place": case.event.location_name,
            "bureau": case.bureau.code,
            "clock_start": case.clock_start.isoformat(),
            "deadline": case.due_at.isoformat(),
            "issued_at": case.issued_at.isoformat() if case.issued_at else None,
            "minutes": row.minutes,
            "minutes_to_issue": row.minutes_to_issue,
            "on_time": row.on_time,
            "status": row.status,
            "url": case.get_absolute_url(),
        }


class PunctualitySummarySerializer(serializers.Serializer):
    cases = serializers.IntegerField()
    issued = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    still_open = serializers.IntegerField(help_text="no opinion yet (overdue included)")
    overdue = serializers.IntegerField(help_text="no opinion and past the deadline")
    closed_without_opinion = serializers.IntegerField()
    on_time_share = serializers.FloatField(allow_null=True, help_text="on time among the issued, 0-1")
    median_minutes = serializers.FloatField(
        allow_null=True, help_text="median of issued minus deadline (negative: early)"
    )
    median_minutes_to_issue = serializers.FloatField(allow_null=True)


class PunctualityOutputSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM (Beijing time): the cases whose clock started in it")
    summary = PunctualitySummarySerializer()
    cases = PunctualityCaseSerializer(many=True)

    def to_representation(self, report: punctuality.Report) -> dict[str, Any]:
        return {
            "month": report.month.strftime("%Y-%m"),
            "summary": report.summary,
            "cases": [PunctualityCaseSerializer(row).data for row in report.rows],
        }


class PunctualityApi(TenantApi):
    """The month's first opinions against their deadlines, with the summary (cases, on time,
    late, still open, median minutes); the cases the reader may see."""

    class FilterSerializer(serializers.Serializer):
        month = serializers.CharField(
            required=False, max_length=7, help_text="YYYY-MM (Beijing time); this month when left out"
        )

    @extend_schema(operation_id="postquake_cases_punctuality", responses=PunctualityOutputSerializer)
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        month = punctuality.parse_month(filters.get("month"))
        start, end = punctuality.month_bounds(month)
        cases = selectors.cases_of_month(actor=request.actor, start=start, end=end)
        report = punctuality.report(cases, month=month, now=timezone.now())
        return Response(PunctualityOutputSerializer(report).data)
