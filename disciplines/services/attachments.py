"""Photos and files of anomalies: accepted types and sizes, checked before anything is stored."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput
from portal.tenancy import Actor

from ..models import Anomaly, Attachment

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10

# extension -> (content type, magic-bytes check); a renamed file is refused by its content.
ACCEPTED: dict[str, tuple[str, Any]] = {
    "jpg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda head: head.startswith(b"\xff\xd8\xff")),
    "png": ("image/png", lambda head: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "gif": ("image/gif", lambda head: head[:6] in (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP"),
    "pdf": ("application/pdf", lambda head: head.startswith(b"%PDF")),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda head: head.startswith(b"PK\x03\x04"),
    ),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda head: head.startswith(b"PK\x03\x04"),
    ),
    "csv": ("text/csv", lambda head: b"\x00" not in head),
    "txt": ("text/plain", lambda head: b"\x00" not in head),
}


def max_bytes() -> int:
    return int(getattr(settings, "DISCIPLINES_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def accepted_label() -> str:
    return ", ".join(sorted({ext.upper() for ext in ACCEPTED if ext != "jpeg"}))


def validate_files(
    files: Iterable[UploadedFile], *, field: str = "attachments"
) -> list[tuple[UploadedFile, str]]:
    """Check every file's size and type; returns (file, content type) or raises InvalidInput naming the file."""
    checked = []
    files = list(files)
    if len(files) > MAX_FILES:
        raise InvalidInput(_("At most %(n)d files can be attached at once.") % {"n": MAX_FILES}, field=field)
    limit = max_bytes()
    for upload in files:
        name = PurePath(upload.name or "").name
        ext = PurePath(name).suffix.lower().lstrip(".")
        if ext not in ACCEPTED:
            raise InvalidInput(
                _("%(name)s is not an accepted file type; accepted: %(types)s.")
                % {"name": name, "types": accepted_label()},
                field=field,
            )
        if upload.size is None or upload.size > limit:
            raise InvalidInput(
                _("%(name)s is %(size).1f MB; files may be at most %(limit).0f MB.")
                % {"name": name, "size": (upload.size or 0) / 2**20, "limit": limit / 2**20},
                field=field,
            )
        if upload.size == 0:
            raise InvalidInput(_("%(name)s is empty.") % {"name": name}, field=field)
        content_type, looks_right = ACCEPTED[ext]
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not looks_right(head):
            raise InvalidInput(
                _("%(name)s does not contain what its name says (%(ext)s).")
                % {"name": name, "ext": ext.upper()},
                field=field,
            )
        checked.append((upload, content_type))
    return checked


def store_files(
    *,
    actor: Actor,
    anomaly: Anomaly,
    files: list[tuple[UploadedFile, str]],
    purpose: str = Attachment.Purpose.EVIDENCE,
    caption: str = "",
) -> list[Attachment]:
    """Store already validated files; call inside the transaction that creates the anomaly."""
    rows = []
    for upload, content_type in files:
        name = PurePath(upload.name or "file").name[:200]
        ext = PurePath(name).suffix.lower()
        attachment = Attachment(
            bureau_id=anomaly.bureau_id,
            anomaly=anomaly,
            purpose=purpose,
            name=name,
            content_type=content_type,
            size=upload.size or 0,
            caption=caption[:200],
            uploaded_by=actor.user,
        )
        # the stored name carries the bureau and a random part, never the uploader's file name
        attachment.file.save(f"{anomaly.bureau_id}-{uuid.uuid4().hex}{ext}", upload, save=False)
        attachment.save()
        rows.append(attachment)
    return rows
