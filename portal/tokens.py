"""Personal API tokens at work: who a request with one is, what it may reach, how often.

A program sends ``Authorization: Bearer ispat_…`` (``Token ispat_…`` is read the same way).
``token_auth.PersonalTokenAuthentication`` finds the token by the digest of the secret and refuses
(401) one that is unknown, revoked or expired, or whose owner can no longer sign in. The
request then acts as the owner in the token's bureau, built exactly as a session's actor
(``tenancy.actor_for``: the owner's roles there *now*, so a revoked role is gone from the
next request on, and ``visible_to`` decides what is read, unchanged). On top of that:

* **scopes** (``models.TokenScope``): every ``TenantApi`` names the scope each method needs
  (``token_scopes``); a method that names none, and every view that is not a
  ``TenantApi``, refuses personal tokens (403). A token lacking the scope is refused with a
  403 naming it. Tokens are never accepted by pages, and the token API itself is for
  people signed in (tokens do not make tokens);
* **rate** (``token_auth.PersonalTokenThrottle``): per token, ``rate_limit`` requests per minute
  (``settings.PERSONAL_TOKEN_RATE_LIMIT`` when it names none) over a sliding window kept in
  the Redis cache; past it, 429 with ``Retry-After``;
* **log** (``TokenAccessLogMiddleware``): every request made with a token, refused ones
  included, is one ``ApiTokenUse`` row (its owner reads them on the token's page).

The FDSN event service, which is not a DRF view, uses the same steps through
``plain_view_actor`` (scope ``catalog:read``).
"""

from __future__ import annotations

import dataclasses
import hmac
import logging
import math
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions

from .auth import client_address
from .exceptions import PermissionDenied, PortalError
from .models import ApiToken, TokenScope
from .tenancy import Actor, actor_for
from .timefmt import format_time
from .token_auth import PersonalTokenThrottle
from .token_selectors import token_by_digest
from .token_services import SECRET_PREFIX, secret_digest, token_use_record

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

SCHEME_NAME = "personalToken"
# Longer than any secret made (prefix + 43): a header of kilobytes is not hashed and looked up.
SECRET_MAX_LENGTH = 100
RATE_WINDOW_SECONDS = 60


def _django_request(request: Any) -> HttpRequest:
    return getattr(request, "_request", request)


def presented_secret(request: Any) -> str | None:
    """The secret of a personal token the request presents, or None when it presents none
    (no ``Authorization`` header, or another kind: a sign-in token, a password)."""
    header = _django_request(request).headers.get("Authorization", "")
    keyword, _sep, value = header.strip().partition(" ")
    value = value.strip()
    if keyword.lower() == "bearer":
        return value
    if keyword.lower() == "token" and value.startswith(SECRET_PREFIX):
        return value
    return None


def _refused(message: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(message)


def token_authenticate(request: Any) -> ApiToken | None:
    """The personal token the request presents, checked; None when it presents none.

    AuthenticationFailed (401) for a malformed or unknown secret, a revoked or expired
    token, or an owner who can no longer sign in. A token that was found is kept on the
    request (``personal_token``) even when refused, so that the attempt is logged.
    """
    secret = presented_secret(request)
    if secret is None:
        return None
    if not secret or len(secret) > SECRET_MAX_LENGTH or not secret.isascii() or " " in secret:
        raise _refused(_("The Authorization header does not hold a token."))
    digest = secret_digest(secret)
    token = token_by_digest(digest=digest)
    # The look-up is by digest (an attacker cannot steer it byte by byte); the comparison
    # is constant-time all the same.
    if token is None or not hmac.compare_digest(token.digest, digest):
        raise _refused(_("The token is not valid."))
    _django_request(request).personal_token = token  # type: ignore[attr-defined]
    if token.revoked_at is not None:
        raise _refused(
            _("This token was revoked at %(when)s.") % {"when": format_time(token.revoked_at, label=True)}
        )
    if token.expires_at <= timezone.now():
        raise _refused(
            _("This token expired at %(when)s.") % {"when": format_time(token.expires_at, label=True)}
        )
    if not token.owner.is_active:
        raise _refused(_("The token's owner can no longer sign in."))
    return token


def personal_token(request: Any) -> ApiToken | None:
    """The personal token a DRF request was authenticated with (authenticating it if not yet)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def token_actor(token: ApiToken) -> Actor | None:
    """The owner acting in the token's bureau with the roles held there now (None: none left),
    marked with the token so that what it reads is recorded as read through it."""
    actor = actor_for(token.owner, token.bureau.code)
    return dataclasses.replace(actor, token_id=token.pk) if actor is not None else None


def token_check(
    token: ApiToken, *, scope: str | None, what: str, actor: Actor | None, bureau_code: str | None
) -> None:
    """PermissionDenied (403) unless ``token`` may do ``what`` (e.g. "GET /api/v1/events/"),
    which needs ``scope`` (None: not open to tokens), as ``actor``."""
    if token.owner.is_superuser:
        raise PermissionDenied(
            _("Tokens of system administrators are not accepted: use a personal account's token.")
        )
    if scope is None:
        raise PermissionDenied(
            _("Personal API tokens cannot be used for %(what)s: it needs a person signed in.")
            % {"what": what}
        )
    if scope not in token.scopes:
        raise PermissionDenied(
            _("This token lacks the scope %(scope)s, which %(what)s needs.") % {"scope": scope, "what": what}
        )
    if bureau_code and bureau_code.strip().upper() != token.bureau.code:
        raise PermissionDenied(
            _("This token acts for %(code)s only; drop the X-Bureau header or make a token for %(other)s.")
            % {"code": token.bureau.code, "other": bureau_code.strip().upper()}
        )
    if actor is None:
        raise PermissionDenied(
            _("The token's owner no longer holds a role in %(code)s: the token grants nothing there.")
            % {"code": token.bureau.code}
        )


def authenticate_request(request: Any) -> tuple[Any, ApiToken] | None:
    """``PersonalTokenAuthentication.authenticate``: the owner and the token, None without one.

    Views that are not a ``TenantApi`` (the schema, the sign-in token endpoint) declare no
    scopes and refuse personal tokens here, before anything else runs.
    """
    token = token_authenticate(request)
    if token is None:
        return None
    view = (getattr(request, "parser_context", None) or {}).get("view")
    if not hasattr(view, "token_scope_for"):
        what = f"{request.method} {request.path}"
        raise exceptions.PermissionDenied(
            _("Personal API tokens cannot be used for %(what)s: it needs a person signed in.")
            % {"what": what}
        )
    return token.owner, token


# --- rate --------------------------------------------------------------------------------


def _rate_key(token: ApiToken, slot: int) -> str:
    # the digest's start keeps a token's counts apart from a later token of the same id
    return f"ptoken-rate:{token.pk}:{token.digest[:8]}:{slot}"


def _wait(before: int, count: int, limit: int, elapsed: float, window: float) -> float:
    """Seconds until one more request fits: the window's estimate is ``before`` (the last
    window's count) weighted by how much of it still overlaps, plus ``count`` (this one's)."""
    if count + 1 <= limit and before > 0:
        # still in this window, once enough of the last one has slid out
        wait = window * (1 - (limit - count - 1) / before) - elapsed
        if wait < window - elapsed:
            return max(wait, 0.0)
    # in the next window, where this one's count is the weight that slides out
    spill = window * (1 - (limit - 1) / count) if count > limit - 1 else 0.0
    return (window - elapsed) + max(spill, 0.0)


def rate_hit(token: ApiToken, *, now: float | None = None) -> float | None:
    """Count one request of ``token``; None when it fits its rate, else the seconds to wait
    (the refused request is not counted).

    A sliding window over two fixed one-minute counters in the cache (the estimate
    ``last × overlap + this``, as Cloudflare's rate limiting), so a burst across a minute's
    edge is not twice the rate. ``incr`` is atomic in Redis: concurrent requests of one
    token never both take the last place.
    """
    now = time.time() if now is None else now
    limit = token.rate_limit or settings.PERSONAL_TOKEN_RATE_LIMIT
    window = RATE_WINDOW_SECONDS
    slot = int(now // window)
    elapsed = now - slot * window
    key = _rate_key(token, slot)
    cache.add(key, 0, timeout=window * 2 + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window * 2 + 5)
        count = 1
    before = int(cache.get(_rate_key(token, slot - 1)) or 0)
    if before * (1 - elapsed / window) + count <= limit:
        return None
    cache.decr(key)
    return _wait(before, count - 1, limit, elapsed, window)


# --- views outside DRF -------------------------------------------------------------------


class TokenRefusal(Exception):
    """A request with a personal token refused by a view outside DRF (401, 403 or 429)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


def plain_view_actor(request: HttpRequest, *, scope: str) -> Actor | None:
    """For a view outside DRF that serves ``scope``: the actor of the personal token the
    request presents, checked, counted against its rate; None when it presents none.
    TokenRefusal as the API would answer."""
    try:
        token = token_authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        raise TokenRefusal(401, str(exc.detail)) from None
    if token is None:
        return None
    actor = token_actor(token)
    try:
        token_check(
            token,
            scope=scope,
            what=f"{request.method} {request.path}",
            actor=actor,
            bureau_code=request.headers.get("X-Bureau"),
        )
    except PortalError as exc:
        raise TokenRefusal(exc.status_code, exc.message) from None
    wait = rate_hit(token, now=PersonalTokenThrottle.timer())
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise TokenRefusal(
            429,
            _("Too many requests with this token; try again in %(seconds)d seconds.") % {"seconds": seconds},
            retry_after=seconds,
        )
    return actor


# --- log ---------------------------------------------------------------------------------


class TokenAccessLogMiddleware:
    """Logs each request made with a personal token (``ApiTokenUse``), after its answer.

    A program hammering past its rate would write a row per refused request: of the 429s,
    only the first of each token and minute is logged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        token = getattr(request, "personal_token", None)
        if token is None:
            return response
        if response.status_code == 429:
            slot = int(time.time() // RATE_WINDOW_SECONDS)
            if not cache.add(f"ptoken-429-logged:{token.pk}:{slot}", 1, timeout=RATE_WINDOW_SECONDS * 2):
                return response
        address = client_address(request)
        try:
            token_use_record(
                token=token,
                method=request.method or "",
                path=request.path,
                status_code=response.status_code,
                address=address if address != "unknown" else None,
            )
        except DatabaseError:
            # The answer stands; a log that cannot be written (the database blinked) is reported.
            logger.exception("token log: could not record a request of token %s", token.pk)
        return response


# --- OpenAPI -----------------------------------------------------------------------------


def scope_of_operation(view: Any, method: str) -> str | None:
    """The scope a personal token needs for ``method`` on ``view`` (None: not open to tokens)."""
    scope_for = getattr(view, "token_scope_for", None)
    return scope_for(method) if scope_for is not None else None


def _scheme_description() -> str:
    lines = [
        "Personal API token, made by a person signed in to the portal (`POST /api/v1/tokens/`, "
        "or the page *My API tokens*) and shown once: `Authorization: Bearer ispat_…`. "
        "It acts as its owner in its bureau, with the roles the owner holds there now, "
        "for the operations its scopes open; each operation open to tokens names its scope "
        "(`x-token-scope`), every other operation refuses tokens (403). Revoked or expired: 401. "
        "Past its rate (requests per minute): 429 with `Retry-After`.",
        "",
        "| scope | opens |",
        "|---|---|",
    ]
    with translation.override("en"):  # one schema, whatever the reader's language
        lines += [f"| `{scope.value}` | {scope.label} |" for scope in TokenScope]
    return "\n".join(lines)


class PersonalTokenScheme(OpenApiAuthenticationExtension):
    """The bearer scheme in the schema, required only by the operations open to tokens."""

    target_class = "portal.token_auth.PersonalTokenAuthentication"
    name = SCHEME_NAME

    def get_security_requirement(self, auto_schema: Any) -> Any:
        if scope_of_operation(auto_schema.view, auto_schema.method) is None:
            return []
        return {self.name: []}

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ispat_…",
            "description": _scheme_description(),
        }
