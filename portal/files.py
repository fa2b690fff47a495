"""Serving uploaded and generated files: only after a view has applied the owner's visibility.

Nothing under ``MEDIA_ROOT`` is served by a static handler (``/media/`` is not a URL of the
portal). Each app has views that fetch the object owning a file through its selector
(``visible_to(actor)``: 404 when it is not the person's) and then call :func:`serve_file`,
which

* sends the bytes itself, or, when ``PORTAL_FILES_ACCEL_REDIRECT`` names the prefix of an
  nginx ``internal`` location aliased to ``MEDIA_ROOT``, answers with an empty body and
  ``X-Accel-Redirect`` so that nginx sends them (README, "Files in production");
* always sets ``X-Content-Type-Options: nosniff`` and ``Cache-Control: private``;
* lets the browser show a file inline only when it is an image of :data:`INLINE_TYPES` or a
  PDF; everything else (SVG, CSV, GeoJSON, Office files, XML) is an attachment, so no upload
  is ever rendered as a document of the portal's origin.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header

from .uploads import display_name, type_of_name

if TYPE_CHECKING:
    from .models import RenderedDocument

# The only types a browser is allowed to show in the page's origin: raster images and PDF.
# SVG is a document that can run script, so it is never among them.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def content_type_for(name: str) -> str:
    known = type_of_name(name)
    if known is not None:
        return known.content_type
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def _storage_name(source: FieldFile | Path | str) -> str:
    """The name inside the default storage (``MEDIA_ROOT``) of a stored file; Http404 otherwise."""
    if isinstance(source, FieldFile):
        name = source.name or ""
    elif isinstance(source, Path):
        root = Path(settings.MEDIA_ROOT).resolve()
        try:
            name = source.resolve().relative_to(root).as_posix()
        except ValueError:
            raise Http404 from None
    else:
        name = source
    if not name or name.startswith("/") or ".." in Path(name).parts:
        raise Http404
    return name


def _headers(
    response: HttpResponse, *, content_type: str, filename: str, inline_ok: bool, max_age: int
) -> None:
    inline = inline_ok and content_type.split(";")[0].strip() in INLINE_TYPES
    response["Content-Type"] = content_type
    response["Content-Disposition"] = content_disposition_header(not inline, display_name(filename))
    response["X-Content-Type-Options"] = "nosniff"
    # files follow their owner's visibility: a shared cache must never keep one
    response["Cache-Control"] = f"private, max-age={max_age}" if max_age else "private, no-cache"


def serve_file(
    request: HttpRequest,
    source: FieldFile | Path | str | bytes,
    *,
    filename: str,
    content_type: str | None = None,
    inline_ok: bool = True,
    max_age: int = 0,
) -> HttpResponse:
    """Answer with one file the caller has already decided ``request`` may read.

    ``source`` is a ``FieldFile``, a path under ``MEDIA_ROOT``, a storage name, or bytes
    built for this response (a rendered PDF, a GeoJSON export). ``filename`` is the name the
    browser offers (the uploader's, sanitised). Raises Http404 when the file is gone.
    ``request`` is the one the caller checked; the check itself is the caller's.
    """
    if isinstance(source, bytes):
        response: HttpResponse = HttpResponse(source)
        _headers(
            response,
            content_type=content_type or content_type_for(filename),
            filename=filename,
            inline_ok=inline_ok,
            max_age=max_age,
        )
        return response
    name = _storage_name(source)
    if not default_storage.exists(name):
        raise Http404
    kind = content_type or content_type_for(name)
    prefix = getattr(settings, "PORTAL_FILES_ACCEL_REDIRECT", "") or ""
    if prefix:
        response = HttpResponse(b"")
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
    else:
        handle: Any = default_storage.open(name, "rb")
        response = FileResponse(handle)
    _headers(response, content_type=kind, filename=filename, inline_ok=inline_ok, max_age=max_age)
    return response


def serve_document(
    request: HttpRequest,
    document: RenderedDocument,
    *,
    filename: str,
    title: str,
    can_retry: bool = False,
    back_url: str = "",
) -> HttpResponse:
    """A page's answer for a rendered document (portal.documents) the caller may read: the
    stored PDF when it is ready; otherwise 202 with a page that says how far it is and reloads
    until it is (or, failed, offers ``can_retry`` people a retry posted to the same URL).
    The PDF is never rendered here."""
    if document.is_ready:
        return serve_file(request, document.file, filename=filename, content_type="application/pdf")
    return render(
        request,
        "portal/document_pending.html",
        {
            "document": document,
            "title": title,
            "can_retry": can_retry,
            "back_url": back_url,
            "refresh_seconds": 2,
        },
        status=202,
    )
