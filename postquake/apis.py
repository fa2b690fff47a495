"""The post-quake cases' API (/api/v1/post-quake-cases/...).

* ``GET ""``: the bureau's cases, newest first (paginated; ``?status=``);
* ``GET <id>/``: one case with its draft (another bureau's: 404).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from portal.apis_base import TenantApi

from . import selectors
from .models import CaseState, PostQuakeCase

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
    draft_error = serializers.CharField(help_text="Why the draft failed (draft_status failed); else empty.")
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
            "draft_error": case.draft_error,
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
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=CaseState.choices, required=False)

    @extend_schema(operation_id="postquake_cases_list", responses=CaseOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.filters(request)
        cases = selectors.case_list(actor=request.actor, state=filters.get("status"))
        return self.paginate(request, cases, CaseOutputSerializer)


class CaseDetailApi(TenantApi):
    @extend_schema(operation_id="postquake_cases_retrieve", responses=CaseOutputSerializer)
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.case_get(actor=request.actor, case_id=case_id)
        return Response(CaseOutputSerializer(case, context={"request": request}).data)
