"""A brief's PDF: rendered in a worker (``portal.documents``), never in a request. Its digest
is the content's SHA-256 with the title, so a refreshed brief is rendered again."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from portal import documents
from portal.models import Notification, RenderedDocument
from portal.services import notify_user
from trends import brief_selectors
from trends.brief_permissions import can_compile_brief

if TYPE_CHECKING:
    from portal.tenancy import Actor
    from trends.models import Brief

KIND = "trends.brief"


def brief_digest(brief: Brief) -> str:
    payload = json.dumps([brief.title, brief.content], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def brief_pdf_document(*, actor: Actor, brief: Brief) -> RenderedDocument:
    """The document the PDF link serves (the caller read the brief through its selector)."""
    return documents.document_for_reader(
        actor=actor, kind=KIND, object_id=brief.pk, bureau_id=brief.bureau_id, digest=brief_digest(brief)
    )


def brief_pdf_render_now(*, brief: Brief) -> RenderedDocument:
    """Render the PDF in this process (the demo seed; never a request)."""
    return documents.document_render_now(
        kind=KIND, object_id=brief.pk, bureau_id=brief.bureau_id, digest=brief_digest(brief)
    )


def can_retry_brief_pdf(actor: Actor | None, brief: Brief) -> bool:
    return can_compile_brief(actor, brief.bureau)


def brief_pdf_retry(*, actor: Actor, brief: Brief) -> RenderedDocument:
    """Render a failed PDF again: PermissionDenied (403) for others than those who compile
    briefs; InvalidTransition (409) unless its render failed."""
    from portal.exceptions import PermissionDenied

    if not can_retry_brief_pdf(actor, brief):
        raise PermissionDenied(_("Only forecasters, chairs and the bureau admin render a brief again."))
    return documents.document_retry_failed(actor=actor, kind=KIND, object_id=brief.pk)


def _render(brief_id: int) -> bytes:
    from trends.brief_rendering import brief_pdf

    brief = brief_selectors.brief_get_for_worker(brief_id=brief_id)
    if brief is None:
        raise LookupError(f"brief {brief_id} is gone")
    return brief_pdf(brief)


def _failed(document: RenderedDocument) -> None:
    brief = brief_selectors.brief_get_for_worker(brief_id=document.object_id)
    if brief is None or document.requested_by is None:
        return
    notify_user(
        user=document.requested_by,
        title=_("The PDF of %(title)s could not be rendered") % {"title": brief.title},
        body=document.error[:200],
        url=reverse("trends:brief-pdf", args=[brief.pk]),
        level=Notification.Level.WARNING,
        kind="document.failed",
        bureau=brief.bureau,
    )


def register_documents() -> None:
    """From ``TrendsConfig.ready()``."""
    documents.register(documents.DocumentKind(name=KIND, render=_render, failed=_failed))
