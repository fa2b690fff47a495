"""The Content-Security-Policy of every page: django-csp, plus the two sources known only at run time.

``settings.CONTENT_SECURITY_POLICY`` holds the fixed policy (no inline script, no eval). Two
sources depend on where the portal runs, so this middleware adds them per request:

- ``connect-src``: the websocket origin of the host the page was served from (``ws://`` and
  ``wss://`` are other schemes than the page's ``http(s)://``; CSP 3 lets ``'self'`` match
  them, older browsers do not, so say it explicitly);
- ``img-src``: the host of ``MAP_TILE_URL`` when tiles are configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.exceptions import DisallowedHost, ImproperlyConfigured

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase


def tile_source(url: str) -> str | None:
    """The CSP source expression that admits the tiles of a Leaflet URL template, or None.

    ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` → ``https://*.tile.example.org``: Leaflet
    fills ``{s}`` with a subdomain, and CSP allows a wildcard only as the leftmost label.
    """
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ImproperlyConfigured(f"MAP_TILE_URL must be an http(s) URL, not {url!r}")
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels) or ("{" in port):
        raise ImproperlyConfigured(
            f"MAP_TILE_URL {url!r}: a placeholder may stand only for the leftmost label of the host"
        )
    return f"{parts.scheme}://{'.'.join(labels)}" + (f":{port}" if port else "")


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        extra: dict[str, list[str]] = {}
        try:
            host = request.get_host()
        except DisallowedHost:
            host = ""  # the 400 for a foreign Host header gets the fixed policy only
        if host:
            extra["connect-src"] = (
                [f"wss://{host}"] if request.is_secure() else [f"ws://{host}", f"wss://{host}"]
            )
        tiles = tile_source(settings.MAP_TILE_URL)
        if tiles:
            extra["img-src"] = [tiles]
        update = dict(parts.update or {})
        for directive, sources in extra.items():
            given = update.get(directive) or []
            update[directive] = [*([given] if isinstance(given, str) else given), *sources]
        parts.update = update
        return parts
