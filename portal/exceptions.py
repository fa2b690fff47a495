"""Errors the services raise, and the API's handler that turns every error into JSON."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler


class PortalError(Exception):
    """Base of the domain errors; ``message`` is shown to people as it is."""

    status_code = 400

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message()
        self.field = field
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("The request could not be processed.")


class NotFound(PortalError):
    """Missing, or not yours: the two are never told apart (no existence leak)."""

    status_code = 404

    def default_message(self) -> str:
        return _("Not found.")


class PermissionDenied(PortalError):
    status_code = 403

    def default_message(self) -> str:
        return _("You do not have permission to do this.")


class InvalidTransition(PortalError):
    """A workflow step that the object's state or the person's role does not allow."""

    status_code = 409

    def default_message(self) -> str:
        return _("This step is not allowed in the current state.")


class InvalidInput(PortalError):
    status_code = 400


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    if isinstance(detail, dict):
        lines: list[str] = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            lines += _flatten(value, f"{prefix}{name}." if name else prefix)
        return lines
    if isinstance(detail, list):
        lines = []
        for index, value in enumerate(detail):
            inner = f"{prefix}{index}." if isinstance(value, dict) else prefix
            lines += _flatten(value, inner)
        return lines
    label = prefix.rstrip(".")
    return [f"{label}: {detail}" if label else str(detail)]


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error is JSON: ``{"detail": "<human-readable>", "errors": {...}}``."""
    if isinstance(exc, PortalError):
        body: dict[str, Any] = {"detail": exc.message}
        if exc.field:
            body["errors"] = {exc.field: [exc.message]}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = drf.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, drf.ValidationError):
        errors = response.data
        response.data = {"detail": "; ".join(_flatten(errors)), "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"])}
    else:
        response.data = {"detail": "; ".join(_flatten(response.data))}
    return response
