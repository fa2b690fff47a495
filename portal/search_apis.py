"""``GET /api/v1/search/``: the portal's search for programs, ranked, what the caller may read.

Answers the ``Pagination`` envelope ``{"count", "next", "previous", "results": [{"kind",
"id", "title", "snippet", "url", "score"}]}`` with ``capped_kinds``: the kinds that had more
matches than the search ranks (``portal.search_selectors.KIND_CAP``, their newest); a
personal token needs ``search:read``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from . import search
from .apis_base import Pagination, TenantApi
from .fields import FloatField, WorkDateField
from .models import TokenScope
from .search_input import Q_MAX_LENGTH, search_filter
from .search_selectors import KIND_CAP, SearchResults

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response


class SearchHitSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="what it is: event, anomaly, meeting, opinion, conclusion, "
        "consultation_report, topic_report, trend_report, brief, postquake_case, "
        "postquake_opinion, station, channel, flow, dataset"
    )
    id = serializers.IntegerField(
        help_text="the row's id in its kind (an event's page uses its public id: see url)"
    )
    title = serializers.CharField()
    snippet = serializers.CharField(help_text="plain text around the first matching word (not HTML)")
    url = serializers.CharField(help_text="the page of the thing, on this portal")
    score = FloatField(help_text="rank (PostgreSQL ts_rank_cd; title words weigh most), higher first")
    date = serializers.DateTimeField(allow_null=True, help_text="what the date filter narrows by")
    bureau = serializers.CharField(source="bureau_code", help_text="the owning bureau's code")


class SearchPagination(Pagination):
    """The paginated envelope with ``capped_kinds``, so a program knows where ``count`` is
    a floor rather than every match."""

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> Any:
        self.results = queryset
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        response.data["capped_kinds"] = sorted(self.results.found.capped)
        return response

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        envelope = super().get_paginated_response_schema(schema)
        envelope["properties"]["capped_kinds"] = {
            "type": "array",
            "items": {"type": "string"},
            "description": f"kinds with more than {KIND_CAP:,} matches the caller may read: of "
            f"each, its newest {KIND_CAP:,} are ranked and counted (count is then a floor); "
            "another word, a kind, a bureau or dates narrow to the rest",
        }
        envelope["required"] = [*envelope.get("required", []), "capped_kinds"]
        return envelope


class SearchApi(TenantApi):
    """Everything the caller may read whose text holds every word of ``q`` (Chinese is
    segmented into words: 九江 水位, 逐日比 异常, 玛多 7.4), ranked; tenancy as for every
    read (another bureau's draft is never found nor counted)."""

    token_scopes = {"GET": TokenScope.SEARCH_READ}
    list_pagination = SearchPagination

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            max_length=Q_MAX_LENGTH,
            trim_whitespace=True,
            help_text="the words to search for (every one must occur)",
        )
        bureau = serializers.CharField(
            required=False, max_length=16, help_text="only this bureau's (its code)"
        )

        def get_fields(self) -> dict[str, Any]:
            fields = super().get_fields()
            fields["kind"] = serializers.ChoiceField(
                choices=[kind.key for kind in search.kinds()],
                required=False,
                help_text="only this kind; default every kind",
            )
            # "from" and "to" are Python keywords (or nearly): named here
            fields["from"] = WorkDateField(required=False, help_text="on or after this day (Beijing time)")
            fields["to"] = WorkDateField(required=False, help_text="on or before this day (Beijing time)")
            return fields

    @extend_schema(responses=SearchHitSerializer(many=True))
    def get(self, request: Request) -> Response:
        data = self.filters(request)
        flt = search_filter(
            q=data["q"],
            kinds=[data["kind"]] if data.get("kind") else [],
            bureau_code=data.get("bureau") or "",
            date_from=data.get("from"),
            date_to=data.get("to"),
        )
        return self.paginate(request, SearchResults(actor=request.actor, flt=flt), SearchHitSerializer)  # type: ignore[attr-defined]
