"""Base classes every API of the portal uses."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from .middleware import resolve_actor
from .permissions import HasActor


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class TenantApi(APIView):
    """Resolves ``request.actor`` after DRF authentication (token clients included).

    Subclasses fetch through selectors and act through services; ``parse`` runs
    an input serializer and raises a 400 naming the fields.
    """

    permission_classes = [HasActor]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF authenticates lazily; the middleware saw no token user, so resolve again.
        request.actor = resolve_actor(request)  # type: ignore[attr-defined]
        request._request.actor = request.actor  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)

    @staticmethod
    def parse(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def paginate(
        self, request: Request, queryset: Any, serializer_class: type[serializers.Serializer]
    ) -> Any:
        paginator = Pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            serializer_class(page, many=True, context={"request": request}).data
        )
