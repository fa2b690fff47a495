"""Error pages: JSON under /api/, the portal's own pages elsewhere (never Django's debug page).

403 and 404 extend the base layout; 500 is rendered without the request, the database or
the static-files manifest, since any of them may be what failed.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A stale or missing CSRF token: say how to recover, in the portal's language."""
    no_cookie = not request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return render(request, "403_csrf.html", {"no_cookie": no_cookie}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    message = _("Something went wrong on our side. The error has been logged.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=500)
    try:
        body = loader.get_template("500.html").render({"static_url": settings.STATIC_URL})
    except Exception:  # the error page must answer even if templates are what broke
        logger.exception("the 500 page could not be rendered")
        return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")
    return HttpResponse(body, status=500)
