"""Photos and files of anomalies: the accepted types and sizes (checked by portal.uploads before
anything is stored) and where they are stored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings

from disciplines.models import Anomaly, Attachment
from portal import uploads

if TYPE_CHECKING:
    from collections.abc import Iterable

    from portal.tenancy import Actor
    from portal.uploads import CheckedUpload

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 10
ACCEPTED = uploads.DOCUMENTS  # photos, PDF, Office files, CSV and text


def max_bytes() -> int:
    return int(getattr(settings, "DISCIPLINES_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES))


def validate_files(files: Iterable[Any], *, field: str = "attachments") -> list[CheckedUpload]:
    """Check every file's size and type by content; raises InvalidInput naming the file."""
    return uploads.check_uploads(
        files, allowed=ACCEPTED, field=field, max_bytes=max_bytes(), max_files=MAX_FILES
    )


def store_files(
    *,
    actor: Actor,
    anomaly: Anomaly,
    files: list[CheckedUpload],
    purpose: str = Attachment.Purpose.EVIDENCE,
    caption: str = "",
) -> list[Attachment]:
    """Store already validated files; call inside the transaction that creates the anomaly."""
    rows = []
    for checked in files:
        attachment = Attachment(
            bureau_id=anomaly.bureau_id,
            anomaly=anomaly,
            purpose=purpose,
            name=checked.display_name,
            content_type=checked.content_type,
            size=checked.size,
            caption=caption[:200],
            uploaded_by=actor.user,
        )
        attachment.file = uploads.store(checked, kind="attachments", bureau_id=anomaly.bureau_id)
        attachment.save()
        rows.append(attachment)
    return rows
