"""Sign-in details: what a locked-out person sees (django-axes calls this), and the
token endpoint's throttle, which counts failed sign-ins only.

Two limits apply, both to failures only, so that many people signing in through
one gateway address never lock each other out:

* django-axes locks one username at one address after ``AXES_FAILURE_LIMIT``
  failures (the sign-in form and the token API alike); a success resets it;
* ``LoginFailureThrottle`` refuses the token API to an address from which more
  than the ``login`` rate of sign-ins failed (password spraying across many
  usernames); successful sign-ins are not counted.

Both read the client address the same way (``client_address``: axes' setting,
``REMOTE_ADDR`` unless a proxy is configured), so a forged ``X-Forwarded-For``
header buys no fresh attempts.
"""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.throttling import SimpleRateThrottle


def lockout_response(
    request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    message = _("Too many failed sign-in attempts. Please wait 15 minutes and try again.")
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    return render(request, "registration/locked_out.html", {"message": message}, status=429)


def client_address(request: Any) -> str:
    """The address sign-in limits are kept for (the one django-axes uses)."""
    django_request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    return get_client_ip_address(django_request) or "unknown"


class LoginFailureThrottle(SimpleRateThrottle):
    """DRF throttle of the token endpoint: at most the ``login`` rate of *failed*
    sign-ins per address. ``allow_request`` only reads the count; the view calls
    ``record_failure`` when a sign-in fails."""

    scope = "login"
    cache_format = "throttle_%(scope)s_failures_%(ident)s"

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}

    def throttle_success(self) -> bool:
        return True  # a request that is let through costs nothing until it fails

    def record_failure(self, request: Any, view: Any = None) -> None:
        if self.rate is None:
            return
        key = self.get_cache_key(request, view)
        now = self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - self.duration]
        self.cache.set(key, [now, *history], self.duration)
