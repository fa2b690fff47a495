"""The verification report's PDF (异常核实报告): rendered once, in a worker (portal.documents).

* Submitted (the anomaly moved on from verifying): one document, ``REPORT_KIND``, queued on
  commit of the submission (:func:`verification_pdf_requested`); a report sent back and
  submitted again has a new ``submitted_at``, so it renders again, once.
* While the verifier writes it: a preview, ``PREVIEW_KIND``, rendered when someone opens the
  PDF and again only after the report or its figures changed.
* A report submitted before this existed gets its document from the first request for it
  (202 "being prepared" meanwhile).

The HTML version (``?html=1``) stays in the request: it is cheap and needs no worker.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from disciplines import permissions, selectors
from disciplines.models import Anomaly, Attachment, VerificationReport
from portal import documents
from portal.exceptions import PermissionDenied
from portal.models import Notification, RenderedDocument
from portal.services import notify_user

if TYPE_CHECKING:
    from portal.tenancy import Actor

REPORT_KIND = "disciplines.verification"
PREVIEW_KIND = "disciplines.verification_preview"
TEMPLATE = "disciplines/verification_print.html"


def verification_context(anomaly: Anomaly, verification: VerificationReport) -> dict[str, Any]:
    """What the printed verification report shows (the HTML page and the PDF alike)."""
    from printing.rendering import png_data_uri

    figures = []
    for attachment in selectors.anomaly_attachments(anomaly=anomaly):
        if attachment.purpose == Attachment.Purpose.FIGURE and attachment.is_image:
            try:
                with attachment.file.open("rb") as handle:
                    data = handle.read()
            except OSError:
                continue  # a file lost from storage leaves the report printable
            uri = (
                png_data_uri(data)
                if attachment.content_type == "image/png"
                else ("data:" + attachment.content_type + ";base64," + base64.b64encode(data).decode())
            )
            figures.append({"uri": uri, "caption": attachment.caption or attachment.name})
    return {
        "title": _("Anomaly verification report"),
        "anomaly": anomaly,
        "verification": verification,
        "checks": verification.check_rows(),
        "figures": figures,
    }


def _is_final(anomaly: Anomaly, verification: VerificationReport) -> bool:
    return verification.submitted_at is not None and anomaly.state != Anomaly.State.VERIFYING


def _kind_and_digest(anomaly: Anomaly, verification: VerificationReport) -> tuple[str, str]:
    if _is_final(anomaly, verification) and verification.submitted_at is not None:
        parts: list[Any] = [verification.submitted_at.isoformat()]
        kind = REPORT_KIND
    else:
        figures = sorted(
            selectors.anomaly_attachments(anomaly=anomaly)
            .filter(purpose=Attachment.Purpose.FIGURE)
            .values_list("pk", "caption")
        )
        parts = [verification.updated_at.isoformat(), figures]
        kind = PREVIEW_KIND
    digest = hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()
    return kind, digest


def verification_pdf_requested(verification_id: int) -> RenderedDocument | None:
    """The workflow's hook: a verification report was submitted; queue its PDF.

    Call it on commit of the submission. Idempotent (one render per submission); None for a
    report that is gone or not submitted.
    """
    verification = VerificationReport.objects.filter(pk=verification_id).select_related("anomaly").first()
    if verification is None or not _is_final(verification.anomaly, verification):
        return None
    kind, digest = _kind_and_digest(verification.anomaly, verification)
    return documents.document_request(
        kind=kind,
        object_id=verification.pk,
        bureau_id=verification.bureau_id,
        digest=digest,
        requested_by_id=verification.verifier_id,
    )


def verification_pdf_render_now(*, verification: VerificationReport) -> RenderedDocument:
    """Render the report's PDF in this process (the demo seed; never a request)."""
    kind, digest = _kind_and_digest(verification.anomaly, verification)
    return documents.document_render_now(
        kind=kind,
        object_id=verification.pk,
        bureau_id=verification.bureau_id,
        digest=digest,
        requested_by_id=verification.verifier_id,
    )


def verification_pdf_document(
    *, actor: Actor, anomaly: Anomaly, verification: VerificationReport
) -> RenderedDocument:
    """The document the PDF link of ``anomaly`` serves (the caller fetched the anomaly through
    its selector); see ``documents.document_for_reader``."""
    kind, digest = _kind_and_digest(anomaly, verification)
    return documents.document_for_reader(
        actor=actor, kind=kind, object_id=verification.pk, bureau_id=verification.bureau_id, digest=digest
    )


def can_retry_verification_pdf(actor: Actor | None, anomaly: Anomaly) -> bool:
    """The verifier, the discipline's experts and the bureau admin render a failed PDF again."""
    return permissions.can_verify_anomaly(actor, anomaly) or permissions.can_assign_anomaly(actor, anomaly)


@transaction.atomic
def verification_pdf_retry(
    *, actor: Actor, anomaly: Anomaly, verification: VerificationReport
) -> RenderedDocument:
    """Render the failed PDF again. PermissionDenied (403) for others; InvalidTransition (409)
    unless its render failed."""
    if not can_retry_verification_pdf(actor, anomaly):
        raise PermissionDenied(
            _("Only the verifier, the discipline's experts and the bureau admin render the PDF again.")
        )
    kind, _digest = _kind_and_digest(anomaly, verification)
    return documents.document_retry_failed(actor=actor, kind=kind, object_id=verification.pk)


# --- in the worker ----------------------------------------------------------------------------


def _render(verification_id: int) -> bytes:
    from printing.rendering import render_pdf

    verification = VerificationReport.objects.select_related(
        "verifier", "anomaly", "anomaly__bureau", "anomaly__discipline", "anomaly__reported_by"
    ).get(pk=verification_id)
    return render_pdf(TEMPLATE, verification_context(verification.anomaly, verification))


def _failed(document: RenderedDocument) -> None:
    """Tell whoever asked for it (the verifier, for a submitted report) that the PDF failed."""
    verification = (
        VerificationReport.objects.filter(pk=document.object_id)
        .select_related("anomaly", "anomaly__bureau", "verifier")
        .first()
    )
    if verification is None:
        return
    people = {p for p in (document.requested_by, verification.verifier) if p is not None}
    for person in people:
        notify_user(
            user=person,
            title=_("The PDF of the verification report of anomaly #%(id)s could not be rendered")
            % {"id": verification.anomaly_id},
            body=document.error[:200],
            url=reverse("disciplines:verification-pdf", args=[verification.anomaly_id]),
            level=Notification.Level.WARNING,
            kind="document.failed",
            bureau=verification.anomaly.bureau,
        )


def register_documents() -> None:
    """From ``DisciplinesConfig.ready()``."""
    documents.register(documents.DocumentKind(name=REPORT_KIND, render=_render, failed=_failed))
    documents.register(documents.DocumentKind(name=PREVIEW_KIND, render=_render, failed=_failed))
