"""The consultation report's PDF: rendered once, in a worker (portal.documents), never in a request.

* A frozen report (signed off, issued, archived) has one document, ``REPORT_KIND``, rendered
  when it reaches each of those states (:func:`report_pdf_requested`, the workflow's one hook,
  called on commit of the move). The printed page names the state, so its digest is the
  signed content's SHA-256 and the state.
* A draft has a preview, ``PREVIEW_KIND``, rendered when someone opens its PDF and again only
  when the meeting's content, the title or the state changed since.
* A frozen report signed before this existed (no document yet) is queued by the first request
  for its PDF (:func:`report_pdf_document`): the page answers "being prepared" (202) meanwhile.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from consultations import permissions as perms
from consultations.models import ConsultationReport
from portal import documents
from portal.exceptions import PermissionDenied
from portal.models import Notification, RenderedDocument
from portal.services import notify_user

if TYPE_CHECKING:
    from portal.tenancy import Actor

REPORT_KIND = "consultations.report"
PREVIEW_KIND = "consultations.report_preview"


def _digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _kind_and_digest(report: ConsultationReport) -> tuple[str, str]:
    if report.is_frozen:
        return REPORT_KIND, _digest(report.content_sha256, report.status)
    from .report_workflow import report_content

    return PREVIEW_KIND, _digest(report_content(report), report.title, report.number, report.status)


def report_pdf_requested(report_id: int) -> RenderedDocument | None:
    """The workflow's hook: a report just became (or moved on as) a frozen one; queue its PDF.

    Call it on commit of the move (``transaction.on_commit``). Idempotent: the same content
    and state render once. None for a report that is gone or not frozen.
    """
    report = ConsultationReport.objects.filter(pk=report_id).first()
    if report is None or not report.is_frozen:
        return None
    kind, digest = _kind_and_digest(report)
    return documents.document_request(
        kind=kind,
        object_id=report.pk,
        bureau_id=report.bureau_id,
        digest=digest,
        requested_by_id=report.signed_off_by_id,
    )


def report_pdf_render_now(*, report: ConsultationReport) -> RenderedDocument:
    """Render the report's PDF in this process (the demo seed; never a request)."""
    kind, digest = _kind_and_digest(report)
    return documents.document_render_now(
        kind=kind,
        object_id=report.pk,
        bureau_id=report.bureau_id,
        digest=digest,
        requested_by_id=report.signed_off_by_id,
    )


def report_pdf_document(*, actor: Actor, report: ConsultationReport) -> RenderedDocument:
    """The document the PDF link of ``report`` serves (the caller fetched the report through
    its selector, so ``actor`` may read it); see ``documents.document_for_reader``."""
    kind, digest = _kind_and_digest(report)
    return documents.document_for_reader(
        actor=actor, kind=kind, object_id=report.pk, bureau_id=report.bureau_id, digest=digest
    )


def can_retry_report_pdf(actor: Actor | None, report: ConsultationReport) -> bool:
    """Those who prepare the report (forecasters, chairs, approvers of its bureau) retry its PDF."""
    return perms.can_draft_report(actor, report) or perms.can_review_report(actor, report)


@transaction.atomic
def report_pdf_retry(*, actor: Actor, report: ConsultationReport) -> RenderedDocument:
    """Render the report's failed PDF again. PermissionDenied (403) for others than those who
    prepare it; InvalidTransition (409) unless its render failed."""
    if not can_retry_report_pdf(actor, report):
        raise PermissionDenied(_("Only those who prepare the report can render its PDF again."))
    kind, _digest_now = _kind_and_digest(report)
    return documents.document_retry_failed(actor=actor, kind=kind, object_id=report.pk)


# --- in the worker ----------------------------------------------------------------------------


def _render(report_id: int) -> bytes:
    from consultations.reporting import report_pdf

    report = ConsultationReport.objects.select_related(
        "meeting", "bureau", "corrects", "submitted_by", "reviewed_by", "signed_off_by"
    ).get(pk=report_id)
    return report_pdf(report)


def _failed(document: RenderedDocument) -> None:
    """Tell whoever asked for it (the signer, for a signed report) that the PDF failed."""
    report = ConsultationReport.objects.filter(pk=document.object_id).select_related("bureau").first()
    if report is None:
        return
    people = {p for p in (document.requested_by, report.signed_off_by) if p is not None}
    for person in people:
        notify_user(
            user=person,
            title=_("The PDF of %(title)s could not be rendered") % {"title": report.title},
            body=document.error[:200],
            url=reverse("consultations:report-pdf", args=[report.pk]),
            level=Notification.Level.WARNING,
            kind="document.failed",
            bureau=report.bureau,
        )


def register_documents() -> None:
    """From ``ConsultationsConfig.ready()``."""
    documents.register(documents.DocumentKind(name=REPORT_KIND, render=_render, failed=_failed))
    documents.register(documents.DocumentKind(name=PREVIEW_KIND, render=_render, failed=_failed))
