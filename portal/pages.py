"""What every app's pages share: the error page and the ``@page`` decorator."""

from __future__ import annotations

from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from .exceptions import NotFound, PortalError

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse


def error_page(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """The portal's error page with a message, in the reader's language, with ``status``."""
    return render(request, "portal/error.html", {"message": message}, status=status)


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in, with an actor; NotFound → 404 page, any other refusal (PermissionDenied 403,
    InvalidTransition 409, a stored request that no longer validates 400) → the error page
    with its message and status."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.actor is None:
            return render(request, "portal/no_role.html", status=403)
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return error_page(request, _("Not found."), 404)
        except PortalError as exc:
            return error_page(request, exc.message, exc.status_code)

    return wrapper
