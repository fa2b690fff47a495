"""Who read what: every view of a report of any kind is recorded here, from any app.

``record_view`` is called by the views that show a report (its page, its phone page, its
PDF); it costs one INSERT and never fails the page (a reading that cannot be written is
logged and dropped: nobody should lose a report because the tally hiccupped).
``channel_of(request)`` tells the phone from the desk by the browser's own hint.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.utils import timezone

from .models import ReportView

if TYPE_CHECKING:
    from django.http import HttpRequest

logger = logging.getLogger(__name__)

Channel = ReportView.Channel
_PHONE_HINTS = ("mobile", "android", "iphone", "ipod", "windows phone", "micromessenger")


def channel_of(request: HttpRequest, *, pdf: bool = False) -> str:
    """PDF for a download; phone when the browser says it is one (the ``Sec-CH-UA-Mobile``
    client hint, or a mobile user agent); else the web page."""
    if pdf:
        return Channel.PDF
    if request.headers.get("Sec-CH-UA-Mobile") == "?1":
        return Channel.PHONE
    agent = request.headers.get("User-Agent", "").lower()
    return Channel.PHONE if any(hint in agent for hint in _PHONE_HINTS) else Channel.WEB


def record_view(
    *,
    request: HttpRequest,
    report_kind: str,
    report_id: int,
    bureau_id: int,
    version: int = 1,
    pdf: bool = False,
) -> None:
    """Record that the signed-in person read this report now (nothing for anonymous)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    try:
        with transaction.atomic():  # a savepoint: a failed INSERT leaves the page's transaction usable
            ReportView.objects.create(
                user_id=user.pk,
                bureau_id=bureau_id,
                report_kind=report_kind,
                report_id=report_id,
                version=version,
                channel=channel_of(request, pdf=pdf),
                viewed_at=timezone.now(),
            )
    except DatabaseError:  # the tally never costs the reader the report
        logger.exception("report view of %s %s not recorded", report_kind, report_id)
