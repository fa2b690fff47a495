"""The trend report's PDF through ``portal.documents`` (DocumentKind ``trend_report``).

A frozen report (signed off, issued, archived) keeps the PDF rendered once when it reached
each of those states (its digest: the signed content's SHA-256 and the state). A draft's PDF
is a preview whose digest is its current sections and state. The PDF link serves the stored
document when it matches; otherwise it renders it at once and stores it (``document_render_now``),
so a reader always gets the PDF.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from portal import documents
from portal.models import Notification, RenderedDocument
from portal.services import notify_user
from trends.models import TrendReport, TrendSection

if TYPE_CHECKING:
    from portal.tenancy import Actor

KIND = "trend_report"


def _digest(report: TrendReport) -> str:
    if report.is_frozen and report.content_sha256:
        parts: list[object] = [report.content_sha256, report.status]
    else:
        sections = TrendSection.objects.filter(report=report).order_by("position")
        parts = [
            [s.key, s.data, s.text, s.compiled_at.isoformat() if s.compiled_at else None] for s in sections
        ] + [report.status, report.title]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def trend_pdf_requested(report_id: int) -> RenderedDocument | None:
    """On commit of a move to a frozen state: queue the PDF (rendered once per state)."""
    report = TrendReport.objects.filter(pk=report_id).first()
    if report is None or not report.is_frozen:
        return None
    return documents.document_request(
        kind=KIND,
        object_id=report.pk,
        bureau_id=report.bureau_id,
        digest=_digest(report),
        requested_by_id=report.signed_off_by_id,
    )


def trend_pdf_document(*, actor: Actor, report: TrendReport) -> RenderedDocument:
    """The stored PDF of ``report`` (read through the caller's selector), rendered now when
    it is not stored for the report's current content."""
    digest = _digest(report)
    document = documents.document_for_reader(
        actor=actor, kind=KIND, object_id=report.pk, bureau_id=report.bureau_id, digest=digest
    )
    if not document.is_ready:
        document = documents.document_render_now(
            kind=KIND,
            object_id=report.pk,
            bureau_id=report.bureau_id,
            digest=digest,
            requested_by_id=actor.user.pk,
        )
    return document


def _render(report_id: int) -> bytes:
    from trends.rendering import trend_report_pdf

    report = TrendReport.objects.select_related(
        "bureau", "corrects", "submitted_by", "reviewed_by", "signed_off_by"
    ).get(pk=report_id)
    return trend_report_pdf(report)


def _failed(document: RenderedDocument) -> None:
    report = TrendReport.objects.filter(pk=document.object_id).select_related("bureau").first()
    if report is None:
        return
    for person in {p for p in (document.requested_by, report.signed_off_by) if p is not None}:
        notify_user(
            user=person,
            title=_("The PDF of %(title)s could not be rendered") % {"title": report.title},
            body=document.error[:200],
            url=reverse("trends:report-pdf", args=[report.pk]),
            level=Notification.Level.WARNING,
            kind="document.failed",
            bureau=report.bureau,
        )


def register_documents() -> None:
    documents.register(documents.DocumentKind(name=KIND, render=_render, failed=_failed))


def trend_pdf_source(*, actor: Actor, report: TrendReport) -> object:
    """What the PDF link serves: the stored file, or (its render failed before) the PDF
    rendered for this answer."""
    document = trend_pdf_document(actor=actor, report=report)
    if document.is_ready:
        return document.file
    return _render(report.pk)


def trend_pdf_render_now(*, report: TrendReport) -> RenderedDocument:
    """Render a frozen report's PDF in this process (the demo seed; never a request)."""
    return documents.document_render_now(
        kind=KIND,
        object_id=report.pk,
        bureau_id=report.bureau_id,
        digest=_digest(report),
        requested_by_id=report.signed_off_by_id,
    )
