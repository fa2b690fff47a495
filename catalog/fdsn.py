"""FDSN event web service 1.2 under ``/fdsnws/event/1/``.

query (xml = QuakeML 1.2, text, geojson), count, version, application.wadl,
catalogs, contributors. Errors are the plain-text ASCII documents of the
specification, naming the parameter. Published events are served to
anyone; a bureau's unpublished events only to its signed-in people
(session cookie, or ``Authorization: Token <key>`` with an optional
``X-Bureau`` header), and to programs with a personal API token of scope
``catalog:read`` (``Authorization: Bearer ispat_…``, portal.tokens: refused
with 401 when revoked or expired, 403 without the scope, 429 with
``Retry-After`` past its rate; every request logged).

Results stream: rows are read from a server-side cursor in chunks and
written in ~64 kB pieces, so memory does not grow with the result; an answer
with a ``limit`` of at most ``IN_MEMORY_ROWS`` is read at once and sent as one
body (issue 18: a plain query planned for all rows, no hop per piece). A
request that would return more than ``max_events()`` events (after
``offset`` and ``limit``, with or without ``limit``) is refused with 413
and a body naming how many it would return, as SeisComP's fdsnws does.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_GET

from portal.middleware import requested_bureau_code
from portal.models import TokenScope
from portal.services import data_access_record
from portal.tenancy import Actor, actor_for
from portal.tokens import TokenRefusal, plain_view_actor

from . import selectors
from .fdsn_params import (
    SERVICE_VERSION,
    FdsnParamError,
    FdsnQuery,
    application_wadl,
    catalogs_xml,
    contributors_xml,
    error_body,
    parse_fdsn_query,
)
from .formats import (
    QUAKEML_TAIL,
    ROW_FIELDS,
    TEXT_ROW_FIELDS,
    quakeml_events,
    quakeml_head,
    write_fdsn_text,
    write_fdsn_text_rows,
    write_geojson,
    write_quakeml,
)
from .formats.events import EventOut, MagnitudeOut, OriginOut

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

#: The most events one response may hold; ``settings.CATALOG_FDSN_MAX_EVENTS`` overrides.
DEFAULT_MAX_EVENTS = 20_000
CHUNK_ROWS = 2000
IN_MEMORY_ROWS = 5000
PIECE_BYTES = 64 * 1024

VALUE_FIELDS = (
    "id",
    "public_id",
    "origin_time",
    "latitude",
    "longitude",
    "depth_km",
    "magnitude",
    "magnitude_type",
    "location_name",
    "source",
    "status",
    "event_type",
    "strike",
    "dip",
    "rake",
    "updated_at",
    "created_at",
    "version",
    "bureau__code",
)


def max_events() -> int:
    return int(getattr(settings, "CATALOG_FDSN_MAX_EVENTS", DEFAULT_MAX_EVENTS))


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("fdsn-version")).rsplit("version", 1)[0]


def _actor(request: HttpRequest) -> Actor | None:
    """The session's actor, or the one a token names (programs)."""
    actor = getattr(request, "actor", None)
    if actor is not None:
        return actor
    header = request.headers.get("Authorization", "")
    if header.startswith("Token "):
        from rest_framework.authentication import TokenAuthentication
        from rest_framework.exceptions import AuthenticationFailed

        try:
            found = TokenAuthentication().authenticate_credentials(header.split(" ", 1)[1].strip())
        except AuthenticationFailed:
            return None
        return actor_for(found[0], requested_bureau_code(request))
    return None


def _token_checked(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A request with a personal API token reads as its owner in its bureau, with the scope
    ``catalog:read``; a refused token is answered with the FDSN error document (and
    ``Retry-After`` past the token's rate), never silently as an anonymous request."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            with translation.override("en"):  # FDSN error documents are ASCII English
                actor = plain_view_actor(request, scope=TokenScope.CATALOG_READ)
        except TokenRefusal as refusal:
            response = _error(request, refusal.status, refusal.message)
            if refusal.retry_after is not None:
                response["Retry-After"] = str(refusal.retry_after)
            return response
        if actor is not None:
            request.actor = actor  # type: ignore[attr-defined]
        return view(request)

    return wrapper


def error_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """The portal's refusals under /fdsnws/ (a bad Host, a NUL byte) as the FDSN plain-text
    error document (registered with portal.errors in CatalogConfig.ready)."""
    body = error_body(
        status,
        message,
        request_url=_absolute(request, _printable(request.get_full_path())),
        documentation_url=_absolute(request, reverse("fdsn-wadl")),
    )
    return HttpResponse(body, status=status, content_type="text/plain; charset=us-ascii")


def _absolute(request: HttpRequest, path: str) -> str:
    try:
        return request.build_absolute_uri(path)
    except DisallowedHost:  # the refusal may be of that very Host header
        return path


def _printable(text: str) -> str:
    """Control characters shown as %XX, so an echoed request line stays one readable line."""
    return "".join(f"%{ord(c):02X}" if ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    body = error_body(
        status,
        message,
        request_url=request.build_absolute_uri(),
        documentation_url=_base_url(request) + "application.wadl",
    )
    return HttpResponse(body, status=status, content_type="text/plain; charset=us-ascii")


def _parse(request: HttpRequest) -> FdsnQuery:
    # No max_limit: a limit above the maximum is refused only when the result
    # is (``_selected``), with the count, as SeisComP does.
    return parse_fdsn_query(dict(request.GET.lists()))


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    automatic = row["status"] == "automatic"
    return {
        "id": row["public_id"],
        "time": row["origin_time"],
        "latitude": row["latitude"],
        "longitude": row["longitude"],
        "depth_km": row["depth_km"],
        "magnitude": row["magnitude"],
        "magnitude_type": row["magnitude_type"] or None,
        "location_name": row["location_name"],
        "agency": row["source"] or row["bureau__code"],
        "author": row["source"] or row["bureau__code"],
        "catalog": row["bureau__code"],
        "contributor": row["bureau__code"],
        "contributor_id": row["public_id"],
        "evaluation_mode": "automatic" if automatic else "manual",
        "evaluation_status": "preliminary" if automatic else "reviewed",
        "event_type": row["event_type"] or "earthquake",
        "strike": row["strike"],
        "dip": row["dip"],
        "rake": row["rake"],
        "updated": row["updated_at"],
        "creation_time": row["created_at"],
    }


def _with_versions(rows: list[dict[str, Any]], *, origins: bool, magnitudes: bool) -> Iterator[Any]:
    """Events with their versions as further origins and magnitudes."""
    versions = selectors.versions_for_events(event_ids=[r["id"] for r in rows])
    for row in rows:
        flat = _flat(row)
        history = versions.get(row["id"], [])
        if not history:
            yield flat
            continue
        public_id = row["public_id"]
        preferred = f"{public_id}-v{row['version']}"
        origin_list = [
            OriginOut(
                id=f"{public_id}-v{v.version}",
                time=v.origin_time,
                latitude=v.latitude,
                longitude=v.longitude,
                depth_km=v.depth_km,
                evaluation_mode="automatic" if v.status == "automatic" else "manual",
                evaluation_status="preliminary" if v.status == "automatic" else "reviewed",
                agency=v.source or row["bureau__code"],
                creation_time=v.created_at,
            )
            for v in history
        ]
        magnitude_list = [
            MagnitudeOut(
                id=f"{public_id}-v{v.version}",
                magnitude=v.magnitude,
                magnitude_type=v.magnitude_type or None,
                origin_id=f"{public_id}-v{v.version}",
                evaluation_mode="automatic" if v.status == "automatic" else "manual",
                agency=v.source or row["bureau__code"],
                creation_time=v.created_at,
            )
            for v in history
            if v.magnitude is not None
        ]
        chosen_origins = origin_list if origins else [o for o in origin_list if o.id == preferred]
        chosen_magnitudes = magnitude_list if magnitudes else [m for m in magnitude_list if m.id == preferred]
        if not chosen_origins:  # history without the preferred number: fall back to the row
            yield flat
            continue
        yield EventOut(
            id=public_id,
            origins=tuple(chosen_origins),
            magnitudes=tuple(chosen_magnitudes),
            preferred_origin_id=preferred,
            preferred_magnitude_id=preferred,
            location_name=flat["location_name"],
            event_type=flat["event_type"],
            catalog=flat["catalog"],
            contributor=flat["contributor"],
            contributor_id=public_id,
            agency=flat["agency"],
            creation_time=flat["creation_time"],
            updated=flat["updated"],
        )


def _events(rows: Iterator[dict[str, Any]], query: FdsnQuery) -> Iterator[Any]:
    if not (query.includeallorigins or query.includeallmagnitudes):
        for row in rows:
            yield _flat(row)
        return
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK_ROWS:
            yield from _with_versions(
                chunk, origins=query.includeallorigins, magnitudes=query.includeallmagnitudes
            )
            chunk = []
    if chunk:
        yield from _with_versions(
            chunk, origins=query.includeallorigins, magnitudes=query.includeallmagnitudes
        )


def _pieces(parts: Iterable[str | bytes]) -> Iterator[bytes]:
    """Join small writer pieces into ~64 kB ones (fewer round trips through the server);
    text is encoded once a piece, not once a line."""
    buffer: list[bytes] = []
    texts: list[str] = []
    size = 0
    for part in parts:
        if isinstance(part, str):
            texts.append(part)
        else:
            if texts:
                buffer.append("".join(texts).encode("utf-8"))
                texts = []
            buffer.append(part)
        size += len(part)
        if size >= PIECE_BYTES:
            if texts:
                buffer.append("".join(texts).encode("utf-8"))
                texts = []
            yield b"".join(buffer)
            buffer, size = [], 0
    if texts:
        buffer.append("".join(texts).encode("utf-8"))
    if buffer:
        yield b"".join(buffer)


def _whole(parts: Iterable[str | bytes]) -> bytes:
    """The writer's pieces as one body: text joined and encoded once (the writers give
    text, but for QuakeML's bytes; ``_pieces`` takes either)."""
    parts = list(parts)
    if all(type(part) is str for part in parts):
        return "".join(parts).encode("utf-8")  # type: ignore[arg-type]
    return b"".join(_pieces(parts))


def _with_head_and_tail(head: str, events: Iterator[str], tail: str) -> Iterator[str]:
    yield head
    yield from events
    yield tail


def _selected(request: HttpRequest, query: FdsnQuery, actor: Actor | None) -> tuple[Any, HttpResponse | None]:
    """The page of events to send, or a 413 naming how many the query would return.

    As SeisComP's fdsnws: the answer is refused when the events it would hold
    (after ``offset`` and ``limit``) exceed ``max_events()``, whether or not a
    limit was given, so a large ``limit`` on a small selection is answered in
    full and a query without ``limit`` never streams the whole catalog. A
    bounded probe decides; the full count is taken only to word the refusal.
    """
    qs = selectors.events_for_fdsn(actor=actor, query=query)
    start = query.start_index
    ceiling = max_events()
    wanted = ceiling if query.limit is None else min(query.limit, ceiling)
    # A limit within the maximum bounds the answer by itself: no probe needed.
    may_exceed = query.limit is None or query.limit > ceiling
    if may_exceed and qs[start : start + ceiling + 1].count() > ceiling:
        selected = max(0, qs.order_by().count() - start)
        if query.limit is not None:
            selected = min(selected, query.limit)
        return None, _error(
            request,
            413,
            f"the query would return {selected} events, more than the maximum of {ceiling} "
            "per request; narrow it (a shorter time span, a smaller area, a higher minmagnitude) "
            f"or page through it with limit (at most {ceiling}) and offset",
        )
    return qs[start : start + wanted], None


@require_GET
@_token_checked
def query(request: HttpRequest) -> HttpResponse:
    try:
        params = _parse(request)
    except FdsnParamError as problem:
        return _error(request, problem.status, problem.message)
    actor = _actor(request)
    qs, refusal = _selected(request, params, actor)
    if refusal is not None:
        return refusal
    # Text and QuakeML of the preferred solutions print value tuples straight into lines
    # (issue 18), read with each time as the database's text and only the columns the
    # format prints (selectors.fdsn_rows); versions (includeall*) and GeoJSON go through
    # mappings as before.
    tuples = params.format in ("text", "xml") and not (
        params.includeallorigins or params.includeallmagnitudes
    )
    # A plain query of a few rows is read at once: a server-side cursor makes PostgreSQL
    # plan for the first rows (cursor_tuple_fraction), walking the time index and
    # filtering, which was 10x slower on a million events (bench/catalog_bench.py).
    at_once = params.limit is not None and params.limit <= IN_MEMORY_ROWS
    rows: Iterator[Any]
    if tuples:
        fields = TEXT_ROW_FIELDS if params.format == "text" else ROW_FIELDS
        rows = selectors.fdsn_rows(
            qs,
            fields,
            chunk_size=None if at_once else CHUNK_ROWS,
            floats_as_text=True,
        )
    elif at_once:
        rows = iter(list(qs.values(*VALUE_FIELDS)))
    else:
        rows = qs.values(*VALUE_FIELDS).iterator(chunk_size=CHUNK_ROWS)
    first = next(rows, None)
    if first is None:
        return HttpResponse(status=params.nodata)
    # events of another bureau that only a grant opens (its unpublished ones) leave a record
    data_access_record(actor=actor, rows=qs, how="fdsn")

    def all_rows() -> Iterator[Any]:
        yield first
        yield from rows

    body: Iterable[str | bytes]
    if params.format == "text":
        body = write_fdsn_text_rows(all_rows()) if tuples else write_fdsn_text(_events(all_rows(), params))
        content_type = "text/plain; charset=utf-8"
    elif params.format == "geojson":
        event_url = request.build_absolute_uri("/events/") + "{id}/"
        body = write_geojson(
            _events(all_rows(), params),
            url=request.build_absolute_uri(),
            api=SERVICE_VERSION,
            net="ispec",
            event_url=event_url,
        )
        content_type = "application/json"
    else:
        if tuples:
            body = _with_head_and_tail(quakeml_head(), quakeml_events(all_rows()), QUAKEML_TAIL)
        else:
            body = write_quakeml(
                _events(all_rows(), params),
                include_all_origins=params.includeallorigins,
                include_all_magnitudes=params.includeallmagnitudes,
            )
        content_type = "application/xml"
    if at_once:
        # The rows are in memory already (at most IN_MEMORY_ROWS): the whole answer in one
        # body, which the server sends without coming back to this thread for each 64 kB
        # piece (under ASGI every piece of a stream is a hop to the sync thread and back).
        return HttpResponse(_whole(body), content_type=content_type)
    # Under ASGI the portal's handler reads the pieces one at a time on the request's thread,
    # where the cursor lives (portal/asgi_handler.py).
    return StreamingHttpResponse(_pieces(body), content_type=content_type)


@require_GET
@_token_checked
def count(request: HttpRequest) -> HttpResponse:
    """Number of events a query selects (as USGS's ``count``): plain text, or JSON with format=geojson."""
    try:
        params = _parse(request)
    except FdsnParamError as problem:
        return _error(request, problem.status, problem.message)
    qs = selectors.events_for_fdsn(actor=_actor(request), query=params)
    total = qs.order_by().count()
    total = max(0, total - params.start_index)
    if params.limit is not None:
        total = min(total, params.limit)
    if params.format == "geojson":
        return HttpResponse(
            json.dumps({"count": total, "maxAllowed": max_events()}), content_type="application/json"
        )
    return HttpResponse(f"{total}\n", content_type="text/plain; charset=us-ascii")


@require_GET
def version(request: HttpRequest) -> HttpResponse:
    return HttpResponse(SERVICE_VERSION, content_type="text/plain")


@require_GET
def wadl(request: HttpRequest) -> HttpResponse:
    return HttpResponse(application_wadl(_base_url(request)), content_type="application/xml")


@require_GET
@_token_checked
def catalogs(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        catalogs_xml(selectors.events_catalog_names(actor=_actor(request))), content_type="application/xml"
    )


@require_GET
@_token_checked
def contributors(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        contributors_xml(selectors.events_contributor_names(actor=_actor(request))),
        content_type="application/xml",
    )


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    base = _base_url(request)
    text = (
        "ISPEC FDSN event web service " + SERVICE_VERSION + "\n\n"
        f"{base}query?starttime=2024-01-01&minmagnitude=3&format=text\n"
        f"{base}count  {base}version  {base}application.wadl  {base}catalogs  {base}contributors\n"
    )
    return HttpResponse(text, content_type="text/plain; charset=us-ascii")
