"""Request middleware of the portal: NUL bytes refused at the door, and ``request.actor``
resolved once per request (the person in the bureau they selected)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.http import parse_header_parameters
from django.utils.translation import gettext as _

from .errors import language_of, refusal
from .tenancy import Actor, actor_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from django.http import HttpRequest, HttpResponse

SESSION_BUREAU_KEY = "portal_bureau"


def requested_bureau_code(request: HttpRequest) -> str | None:
    """The bureau named by the ``X-Bureau`` header (API clients) or chosen in the session."""
    code = request.headers.get("X-Bureau")
    if code:
        return code.strip().upper()
    session = getattr(request, "session", None)
    return session.get(SESSION_BUREAU_KEY) if session is not None else None


def resolve_actor(request: HttpRequest) -> Actor | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    actor = actor_for(user, requested_bureau_code(request))
    if actor is None and not request.headers.get("X-Bureau"):
        # the bureau kept in the session may have been revoked: fall back to the first one
        actor = actor_for(user)
    return actor


class ActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = resolve_actor(request)  # type: ignore[attr-defined]
        return self.get_response(request)


# A JSON string escape for U+0000 that is not itself an escaped backslash followed by "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
FDSN_NUL_MESSAGE = "The request contains a NUL character (%00), which is not accepted."


def _nul_in_multipart(body: bytes, content_type: str) -> bool:
    """A NUL in a field value or in any part's headers; file contents may be binary."""
    boundary = parse_header_parameters(content_type)[1].get("boundary", "")
    if not boundary:
        return False
    for part in body.split(b"--" + boundary.encode("latin-1")):
        head, _sep, content = part.partition(b"\r\n\r\n")
        if b"\x00" in head:
            return True
        if b"filename=" not in head.lower() and b"\x00" in content:
            return True
    return False


def _nul_in_form_fields(request: HttpRequest) -> bool:
    try:
        fields, files = request.POST, request.FILES
    except (MultiPartParserError, SuspiciousOperation):
        return False  # a malformed or oversized form: the view's own parsing refuses it
    texts = [*fields.keys(), *(v for vs in fields.lists() for v in vs[1]), *files.keys()]
    texts += [f.name or "" for fs in files.lists() for f in fs[1]]
    return any("\x00" in text for text in texts)


def request_has_nul(request: HttpRequest) -> bool:
    """Whether the path, the query string, a header or a text body carries a NUL byte,
    raw or percent-encoded (or, in JSON, escaped as ``\\u0000``)."""
    if "\x00" in request.path or "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return True
    for key, value in request.META.items():
        if (key.startswith("HTTP_") or key == "CONTENT_TYPE") and isinstance(value, str) and "\x00" in value:
            return True
    content_type = request.META.get("CONTENT_TYPE", "").lower()
    kind = content_type.split(";", 1)[0].strip()
    is_json = kind == "application/json" or kind.endswith("+json")
    if not (is_json or kind in ("application/x-www-form-urlencoded", "multipart/form-data")):
        return False
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0:
        return False
    if limit is not None and length > limit:
        # Too large to read into memory here. A large form is an upload: Django's parser
        # streams its files to disk and gives the fields; anything else is refused as too
        # large by the view's own parsing. (Django parses forms of POST only.)
        if kind == "multipart/form-data" and request.method == "POST":
            return _nul_in_form_fields(request)
        return False
    body = request.body
    if kind == "multipart/form-data":
        return _nul_in_multipart(body, request.META.get("CONTENT_TYPE", ""))
    if b"\x00" in body:
        return True
    if is_json:
        return _JSON_NUL.search(body) is not None
    return b"%00" in body


class RefuseNulMiddleware:
    """Refuses a request that carries a NUL byte with a 400 that says so, before any view.

    PostgreSQL text cannot hold U+0000: a NUL that reaches a query or a save is a 500
    (``DataError``) in whichever filter, path id or field it arrives, so it is refused
    here, once, for every page, API and the FDSN service. Near the top of MIDDLEWARE:
    sessions, the signed-in user and the bureau header are all looked up in the database.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request_has_nul(request):
            with translation.override(language_of(request)):
                message = _("The request contains a NUL character (%00), which is not accepted.")
                return refusal(request, 400, message, plain_message=FDSN_NUL_MESSAGE)
        return self.get_response(request)
