"""Base classes every API of the portal uses."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.views import APIView

from .exceptions import InvalidInput
from .middleware import resolve_actor
from .permissions import HasActor
from .tokens import personal_token, token_actor, token_check

if TYPE_CHECKING:
    from collections.abc import Mapping

    from rest_framework import serializers
    from rest_framework.request import Request


class Pagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` (at most 500, larger is capped). A page or page size
    that is not a positive whole number (``page=`` empty included: DRF would read it as page
    1) is a 400, not silently the default; a page past the last is a 404 (DRF's "Invalid
    page.")."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
            raise InvalidInput(_("page_size must be a whole number from 1."), field="page_size")
        return super().get_page_size(request)

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param)
        whole = raw is not None and raw.isascii() and raw.isdigit() and int(raw) > 0
        if raw is not None and raw not in self.last_page_strings and not whole:
            raise InvalidInput(_("page must be a whole number from 1."), field="page")
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
        return parameters


class TenantApi(APIView):
    """Resolves ``request.actor`` after DRF authentication (token clients included).

    Subclasses fetch through selectors and act through services; ``parse`` runs
    an input serializer and raises a 400 naming the fields.

    ``token_scopes`` names the ``TokenScope`` a personal API token needs for each method
    (``{"GET": TokenScope.CATALOG_READ}``; HEAD and OPTIONS follow GET). A method it does
    not name refuses personal tokens (403): programs reach only what is declared for them
    (``portal.tokens``). Sessions and sign-in tokens are not concerned.
    """

    permission_classes = [HasActor]
    #: the envelope a list is answered in (``paginate``), and documented in (``portal.schema``)
    list_pagination: ClassVar[type[Pagination]] = Pagination
    token_scopes: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def token_scope_for(cls, method: str) -> str | None:
        """The scope a personal token needs for ``method`` (None: tokens refused)."""
        method = method.upper()
        return cls.token_scopes.get("GET" if method in ("HEAD", "OPTIONS") else method)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # DRF authenticates lazily; the middleware saw no token user, so resolve again. A
        # personal token acts in its own bureau, with the owner's roles there now.
        token = personal_token(request)
        request.actor = token_actor(token) if token is not None else resolve_actor(request)  # type: ignore[attr-defined]
        request._request.actor = request.actor  # type: ignore[attr-defined]
        super().initial(request, *args, **kwargs)

    def check_permissions(self, request: Request) -> None:
        token = personal_token(request)
        if token is not None:
            token_check(
                token,
                scope=self.token_scope_for(request.method or "GET"),
                what=f"{request.method} {request.path}",
                actor=request.actor,  # type: ignore[attr-defined]
                bureau_code=request.headers.get("X-Bureau"),
            )
        super().check_permissions(request)

    def filters(self, request: Request) -> dict[str, Any]:
        """The query string parsed by the API's nested ``FilterSerializer`` (which the schema
        documents as its query parameters); a bad value is a 400 naming the parameter."""
        # A plain dict, not the QueryDict: DRF reads an empty QueryDict value as "absent", so
        # ``?start=`` would pass where the schema (and this API) says a date is expected.
        return self.parse(self.FilterSerializer, request.query_params.dict())  # type: ignore[attr-defined]

    @staticmethod
    def parse(serializer_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
        serializer = serializer_class(data=data, **kwargs)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def paginate(
        self, request: Request, queryset: Any, serializer_class: type[serializers.Serializer]
    ) -> Any:
        paginator = self.list_pagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(
            serializer_class(page, many=True, context={"request": request}).data
        )
