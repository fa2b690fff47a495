"""The DRF authentication and throttle classes of personal API tokens (``portal.tokens``).

Apart from ``portal.tokens`` because DRF imports the classes named in ``REST_FRAMEWORK``
while the apps are still loading (the models are not ready then): this module imports no
model and reaches ``portal.tokens`` only when a request comes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:
    from collections.abc import Callable


class PersonalTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer ispat_…``: the token's owner, and the token as ``request.auth``
    (``portal.tokens.authenticate_request``)."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        from .tokens import authenticate_request

        return authenticate_request(request)

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'


class PersonalTokenThrottle(BaseThrottle):
    """Requests made with a personal token, per token (``portal.tokens.rate_hit``); others pass."""

    timer: Callable[[], float] = time.time

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Any, view: Any) -> bool:
        from .tokens import personal_token, rate_hit

        token = personal_token(request)
        if token is None:
            return True
        self._wait = rate_hit(token, now=type(self).timer())
        return self._wait is None

    def wait(self) -> float | None:
        return self._wait
