"""Every file people upload to the portal passes here: type checked by content, stored under a
generated name.

* Each use names the types it accepts (``allowed``: extensions of :data:`TYPES`). A file is
  accepted when its name ends in one of them *and* its content is what that type looks like
  (magic bytes, a zip with the right parts, text that is not markup). A ``.html``, ``.svg`` or
  ``.js`` file is never in a list, and HTML renamed ``.png`` fails the content check: either
  way the refusal names the file and the accepted types.
* The stored name is ``<kind>/<bureau_id>/<yyyy>/<uuid>.<ext>`` with ``ext`` from the checked
  type: never the uploader's name, which is kept only as display metadata
  (:func:`display_name`) and sent back as the download's file name.
* Serving is :mod:`portal.files`: inline only for the images and PDF of
  :data:`portal.files.INLINE_TYPES`, always with ``nosniff``.
"""

from __future__ import annotations

import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, TYPE_CHECKING, Any

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

HEAD_BYTES = 2048  # how much of a file the content checks read
# Markup a browser would run if it ever rendered the file as a document.
MARKUP = (
    b"<!doctype html",
    b"<html",
    b"<head",
    b"<body",
    b"<script",
    b"<svg",
    b"<iframe",
    b"<?xml-stylesheet",
)
BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _head(fileobj: IO[bytes], size: int = HEAD_BYTES) -> bytes:
    fileobj.seek(0)
    head = fileobj.read(size)
    fileobj.seek(0)
    return head


def _text_start(head: bytes) -> bytes:
    for bom in BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip().lower()


def _has_markup(head: bytes) -> bool:
    lowered = head.lower()
    return any(tag in lowered for tag in MARKUP)


def _magic(*prefixes: bytes) -> Callable[[IO[bytes]], bool]:
    return lambda f: _head(f, 16).startswith(prefixes)


def _webp(f: IO[bytes]) -> bool:
    head = _head(f, 16)
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _gif(f: IO[bytes]) -> bool:
    return _head(f, 6) in (b"GIF87a", b"GIF89a")


def _office(folder: str) -> Callable[[IO[bytes]], bool]:
    """An Office Open XML file: a zip holding ``[Content_Types].xml`` and the ``folder/`` part."""

    def check(f: IO[bytes]) -> bool:
        if _head(f, 4) != b"PK\x03\x04":
            return False
        try:
            with zipfile.ZipFile(f) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        finally:
            f.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(folder + "/") for n in names)

    return check


def _plain_text(f: IO[bytes]) -> bool:
    """Text, not markup: no NUL at the start (binary and UTF-16 files have one), no HTML/SVG."""
    head = _head(f)
    start = _text_start(head)
    return b"\x00" not in head[:16] and not start.startswith(b"<") and not _has_markup(head)


def _xml(f: IO[bytes]) -> bool:
    """An XML document (QuakeML), not an (X)HTML or SVG page."""
    head = _head(f)
    return b"\x00" not in head[:16] and _text_start(head).startswith(b"<") and not _has_markup(head)


def _json_object(f: IO[bytes]) -> bool:
    """JSON whose top level is an object (GeoJSON); the parser checks the rest."""
    head = _head(f)
    return _text_start(head).startswith(b"{") and not _has_markup(head)


@dataclass(frozen=True)
class FileType:
    ext: str  # the extension files of this type are stored and served with
    content_type: str
    looks_right: Callable[[IO[bytes]], bool]


TYPES: dict[str, FileType] = {
    t.ext: t
    for t in (
        FileType("png", "image/png", _magic(b"\x89PNG\r\n\x1a\n")),
        FileType("jpg", "image/jpeg", _magic(b"\xff\xd8\xff")),
        FileType("gif", "image/gif", _gif),
        FileType("webp", "image/webp", _webp),
        FileType("pdf", "application/pdf", _magic(b"%PDF-")),
        FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office("xl")),
        FileType(
            "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _office("word")
        ),
        FileType(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _office("ppt"),
        ),
        FileType("csv", "text/csv", _plain_text),
        FileType("txt", "text/plain", _plain_text),
        FileType("xml", "application/xml", _xml),
        FileType("geojson", "application/geo+json", _json_object),
    )
}
# Other names people give the same types.
ALIASES = {"jpeg": "jpg", "tsv": "csv", "text": "txt", "quakeml": "xml", "qml": "xml", "json": "geojson"}

# The allow-lists of the portal's uploads, by use.
IMAGES = ("png", "jpg", "gif", "webp")
DOCUMENTS = (*IMAGES, "pdf", "xlsx", "docx", "pptx", "csv", "txt")


@dataclass(frozen=True)
class CheckedUpload:
    """An upload whose type was checked: the file, its type and the name to show for it."""

    file: Any
    type: FileType
    display_name: str
    size: int

    @property
    def content_type(self) -> str:
        return self.type.content_type


def display_name(name: str | None, *, default: str = "file") -> str:
    """The uploader's file name as it may be shown: base name only, no control or bidi
    characters (they can disguise an extension), at most 200 characters."""
    raw = str(name or "")
    base = PureWindowsPath(PurePosixPath(raw).name).name  # drops both / and \ directories
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in base)
    cleaned = " ".join(cleaned.split()).strip(" .")
    return cleaned[:200] or default


def type_of_name(name: str) -> FileType | None:
    """The type the name's extension claims (aliases resolved); None for anything unknown."""
    ext = PurePosixPath(name.lower()).suffix.lstrip(".")
    return TYPES.get(ALIASES.get(ext, ext))


def accepted_label(allowed: Iterable[str]) -> str:
    return ", ".join(sorted({ALIASES.get(e, e).upper() for e in allowed}))


def check_upload(
    upload: Any, *, allowed: Sequence[str], field: str, max_bytes: int, name: str | None = None
) -> CheckedUpload:
    """Check one uploaded file (a Django ``UploadedFile`` or any seekable binary file with
    ``name`` and ``size``) against ``allowed``; raises InvalidInput naming the file."""
    shown = display_name(name if name is not None else getattr(upload, "name", ""))
    accepted = {ALIASES.get(e, e) for e in allowed}
    claimed = type_of_name(shown)
    if claimed is None or claimed.ext not in accepted:
        raise InvalidInput(
            _("%(name)s is not an accepted file type; accepted: %(types)s.")
            % {"name": shown, "types": accepted_label(accepted)},
            field=field,
        )
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
    if size > max_bytes:
        raise InvalidInput(
            _("%(name)s is %(size).1f MB; files may be at most %(limit).0f MB.")
            % {"name": shown, "size": size / 2**20, "limit": max_bytes / 2**20},
            field=field,
        )
    if size == 0:
        raise InvalidInput(_("%(name)s is empty.") % {"name": shown}, field=field)
    if not claimed.looks_right(upload):
        raise InvalidInput(
            _("%(name)s does not contain what its name says (%(ext)s); accepted: %(types)s.")
            % {"name": shown, "ext": claimed.ext.upper(), "types": accepted_label(accepted)},
            field=field,
        )
    upload.seek(0)
    return CheckedUpload(file=upload, type=claimed, display_name=shown, size=size)


def check_uploads(
    uploads: Iterable[Any], *, allowed: Sequence[str], field: str, max_bytes: int, max_files: int
) -> list[CheckedUpload]:
    """Check several files of one input; all or none (raises on the first bad one)."""
    uploads = list(uploads)
    if len(uploads) > max_files:
        raise InvalidInput(_("At most %(n)d files can be attached at once.") % {"n": max_files}, field=field)
    return [check_upload(u, allowed=allowed, field=field, max_bytes=max_bytes) for u in uploads]


def check_bytes(
    content: bytes, *, name: str, allowed: Sequence[str], field: str, max_bytes: int
) -> CheckedUpload:
    """:func:`check_upload` for content already read into memory (parsed, never stored)."""
    return check_upload(io.BytesIO(content), allowed=allowed, field=field, max_bytes=max_bytes, name=name)


def stored_path(*, kind: str, bureau_id: int, ext: str) -> str:
    """``<kind>/<bureau_id>/<yyyy>/<uuid>.<ext>``: the bureau and a random part, nothing the
    uploader chose."""
    return f"{kind}/{int(bureau_id)}/{timezone.now():%Y}/{uuid.uuid4().hex}.{ext}"


def store(checked: CheckedUpload, *, kind: str, bureau_id: int) -> str:
    """Write a checked upload to the default storage; returns the stored name to put into
    the model's ``FileField``."""
    checked.file.seek(0)
    return default_storage.save(
        stored_path(kind=kind, bureau_id=bureau_id, ext=checked.type.ext), checked.file
    )
