"""OpenAPI schema of the portal (drf-spectacular): one AutoSchema that tells the truth for
every operation, so that no API needs decorators for what they all share.

* error responses: every operation documents the portal's error body
  (``{"detail", "errors"}``, portal.exceptions) for the statuses it can answer;
* pagination: a list that a ``TenantApi`` answers to GET goes through
  ``TenantApi.paginate``, so it is documented as the ``Pagination`` envelope with the
  ``page`` and ``page_size`` parameters;
* filters: an API's nested ``FilterSerializer`` (what its GET parses from the query
  string) is documented as its query parameters;
* times of day (``TimeField``) are local wall-clock times, not RFC 3339 ``full-time``
  (which needs an offset): documented as a pattern, not ``format: time``;
* personal API tokens (``portal.tokens``): an operation open to them names its scope
  (``x-token-scope`` and a line of its description) and lists the ``personalToken`` bearer
  scheme among its securities; every other operation does not (tokens are refused there).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, get_doc
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings

ERROR_COMPONENT = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error of the API (portal.exceptions.api_exception_handler).",
    "properties": {
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {
            "type": "object",
            "description": "Messages per input field (nested as the input is).",
            "additionalProperties": True,
        },
    },
    "required": ["detail"],
}
TIME_OF_DAY: dict[str, Any] = {
    "type": "string",
    "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$",
    "description": "Time of day in Beijing time, HH:MM[:SS].",
    "example": "10:00:00",
}
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class PortalAutoSchema(AutoSchema):
    """Names nested serializers after their API class, and adds what every API shares.

    Every API declares its own ``InputSerializer`` (one class per operation), so the
    default component name ("Input") would collide; ``UserListApi.InputSerializer``
    becomes ``UserListApiInput`` instead.
    """

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        name = super().get_serializer_name(serializer, direction)
        qualname = type(serializer).__qualname__
        if "." in qualname:
            owner = qualname.rsplit(".", 1)[0].replace(".", "")
            return f"{owner}{name}"
        return name

    def get_description(self) -> str:
        from .apis_base import TenantApi

        description = super().get_description()
        # An API without a docstring would show the base class's, which says nothing about it.
        if description == get_doc(TenantApi):
            description = ""
        scope = self._token_scope()
        if scope is not None:
            line = f"Personal API tokens need the scope `{scope}`."
            description = f"{description}\n\n{line}" if description else line
        return description

    def _token_scope(self) -> str | None:
        from .tokens import scope_of_operation

        return scope_of_operation(self.view, self.method)

    def get_extensions(self) -> dict[str, Any]:
        extensions = dict(super().get_extensions())
        scope = self._token_scope()
        if scope is not None:
            extensions["x-token-scope"] = str(scope)
        return extensions

    # --- filters and pagination ------------------------------------------------------

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        filters = getattr(self.view, "FilterSerializer", None)
        if self.method == "GET" and filters is not None and filters not in parameters:
            parameters.append(filters)
        return parameters

    def _get_paginator(self) -> Any:
        from .apis_base import TenantApi

        # TenantApi.paginate() is how every list is answered; other methods answer one object
        # (or, as the attachment upload, a plain list of what was created).
        if self.method == "GET" and isinstance(self.view, TenantApi):
            return self.view.list_pagination()
        return super()._get_paginator()

    def map_parsers(self) -> list[Any]:
        # An API that keeps DRF's default parsers is a JSON API (it also takes form posts, as
        # every DRF view does, but that is not its contract); uploads declare their parsers.
        if type(self.view).parser_classes == api_settings.DEFAULT_PARSER_CLASSES:
            return ["application/json"]
        return super().map_parsers()

    # --- errors ----------------------------------------------------------------------

    def _error_statuses(self) -> dict[str, str]:
        view = self.view
        statuses = {"400": "Bad input: the message names the parameter or field."}
        if view.get_authenticators():
            statuses["401"] = "Not signed in, or the token is not valid."
        if not all(isinstance(p, AllowAny) for p in view.get_permissions()):
            statuses["403"] = "Signed in, but not allowed to do this."
        statuses["404"] = "Missing, or not visible to the caller (never told apart)."
        if self.method in UNSAFE:
            statuses["409"] = "Not allowed in the object's current state."
            statuses["415"] = "The body is not of a media type the operation reads."
        if view.get_throttles():
            statuses["429"] = "Too many attempts; wait and try again."
        return statuses

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        component = ResolvedComponent(
            name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, schema=ERROR_SCHEMA, object=ERROR_COMPONENT
        )
        self.registry.register_on_missing(component)
        for code, description in self._error_statuses().items():
            if code not in responses:
                responses[code] = {
                    "content": {"application/json": {"schema": component.ref}},
                    "description": description,
                }
        return responses

    # --- fields ----------------------------------------------------------------------

    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        if isinstance(field, serializers.TimeField):
            return dict(TIME_OF_DAY)
        return super()._map_serializer_field(field, direction, bypass_extensions)
