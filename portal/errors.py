"""Error pages: JSON under /api/, the format of the owning app where one registered a renderer
(the catalog's FDSN plain-text document under /fdsnws/), the portal's own pages elsewhere
(never Django's debug page).

403 and 404 extend the base layout; 500 is rendered without the request, the database or
the static-files manifest, since any of them may be what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils import translation
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"

# Paths whose clients read errors in a format of their own register a renderer here from
# their app's ready() (as dashboard panels do), so the ground app knows no feature app.
ErrorRenderer = Callable[[HttpRequest, int, str], HttpResponse]
_RENDERERS: dict[str, ErrorRenderer] = {}


def register_error_renderer(prefix: str, renderer: ErrorRenderer) -> None:
    """Answer refusals under ``prefix`` with ``renderer(request, status, plain_message)``."""
    _RENDERERS[prefix] = renderer


def refusal(request: HttpRequest, status: int, message: str, *, plain_message: str = "") -> HttpResponse:
    """The error answer of ``status`` in the form the caller of this path reads.

    API clients get the portal's error body, paths with a registered renderer its format
    (``plain_message``: English ASCII for machine-read formats such as the FDSN text, whose
    specification allows ASCII only), people a page.
    """
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=status)
    for prefix, renderer in _RENDERERS.items():
        if request.path.startswith(prefix):
            return renderer(request, status, plain_message or message)
    return render(request, "portal/error.html", {"message": message}, status=status)


def language_of(request: HttpRequest) -> str:
    """The language LocaleMiddleware chose, or would choose when the request never got there."""
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's own 400s (a body over the size limit, too many fields, a bad Host)."""
    with translation.override(language_of(request)):
        return refusal(request, 400, _("The request could not be read."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": _("You may not do this.")}, status=403)
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale or missing CSRF token: say how to recover, in the portal's language."""
    no_cookie = not request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return render(request, "403_csrf.html", {"no_cookie": no_cookie}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    message = _("Something went wrong on our side. The error has been logged.")
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": message}, status=500)
    try:
        body = loader.get_template("500.html").render({"static_url": settings.STATIC_URL})
    except Exception:  # the error page must answer even if templates are what broke
        logger.exception("the 500 page could not be rendered")
        return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")
    return HttpResponse(body, status=500)
