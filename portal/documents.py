"""Documents rendered once, in a worker: a PDF is built when its content is fixed, stored, and
served from storage; no request ever runs WeasyPrint.

An app registers a :class:`DocumentKind` from ``AppConfig.ready()`` (how to render one of its
rows to PDF bytes, whom to tell of a failure). It asks for a document with
:func:`document_request` when the content is fixed (at sign-off, at submission) or, for a
draft's preview, when someone opens it. The row (``RenderedDocument``) moves

    queued --the worker takes it--> rendering --stored--> ready
    queued/rendering --error, or its worker died twice--> failed --retry (a person)--> queued

and a new ``digest`` (the content changed: a re-submission, an edited draft) queues it again
from any state. Every move is a ``portal.workflow`` transition (the row locked, the state
checked, the audit row written): a second worker that finds the document no longer queued
leaves it alone. A page that refreshes writes nothing: an unchanged digest is no move.

``document_render_task`` (portal.tasks) runs the render through ``portal.jobs.run_guarded``;
``documents_reap_abandoned`` is the watchdog's sweep of this job kind (``portal.apps``).
Files are stored under ``documents/<bureau_id>/<yyyy>/<uuid>.pdf`` (``uploads.stored_path``)
and read only through the owner's permission-checked view (``portal.files.serve_file``).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import workflow
from .exceptions import InvalidTransition
from .models import RenderedDocument
from .uploads import stored_path
from .workflow import Transition, Workflow, by_the_system, row_lock, transition

if TYPE_CHECKING:
    from collections.abc import Callable

    from .tenancy import Actor

logger = logging.getLogger(__name__)

Status = RenderedDocument.Status
JOB_NAME = "portal.document_render"
STORAGE_KIND = "documents"
# The task's limits (portal.tasks); past them plus portal.jobs.MARGIN no worker is on it.
RENDER_TIME_LIMIT = 180
RENDER_SOFT_TIME_LIMIT = 150
# A queued render no worker took this long is sent again (its message was lost) ...
RESEND_AFTER = dt.timedelta(minutes=5)
# ... and given up on after this long (the people concerned are told and can retry).
GIVE_UP_AFTER = dt.timedelta(minutes=30)
MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class DocumentKind:
    """How one kind of document is rendered and who hears of a failure.

    ``render(object_id)`` runs in the worker and returns the PDF bytes of the owner's current
    content (it may raise: the document then ends failed with the message). ``failed(document)``
    tells the people concerned (runs on commit of the failure).
    """

    name: str
    render: Callable[[int], bytes]
    failed: Callable[[RenderedDocument], object] | None = None


_KINDS: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> DocumentKind:
    """Add a document kind (idempotent by name: ``ready()`` may run twice in tests)."""
    _KINDS[kind.name] = kind
    return kind


def kind(name: str) -> DocumentKind:
    return _KINDS[name]


def _enqueue(document: RenderedDocument) -> None:
    from .tasks import document_render_task

    bureau_id, document_id = document.bureau_id, document.pk
    transaction.on_commit(lambda: document_render_task.delay(bureau_id=bureau_id, document_id=document_id))


# no tenancy here: the owning app fetched the owner through its selector (not yours: 404)
# before it asked for, or retried, its document
_lock = row_lock(RenderedDocument)


def _by_a_person(actor: Actor | None, document: RenderedDocument) -> bool:
    """The retry is a person's act; *which* people may retry is the owning app's rule, checked
    by its service before it calls :func:`document_retry` (portal knows no app's roles)."""
    return actor is not None


_OPEN = frozenset({Status.QUEUED, Status.RENDERING})
_ANY = frozenset(Status.values)
WORKFLOW = workflow.register(
    Workflow(
        name="document",
        model=RenderedDocument,
        state_field="status",
        noun=gettext_lazy("document"),
        lock=_lock,
        transitions={
            # a new digest (the content changed) queues it again from any state
            "request": Transition(_ANY, Status.QUEUED, by_the_system, gettext_lazy("PDF requested")),
            "start": Transition(
                frozenset({Status.QUEUED}), Status.RENDERING, by_the_system, gettext_lazy("PDF rendering")
            ),
            "finish": Transition(
                frozenset({Status.RENDERING}), Status.READY, by_the_system, gettext_lazy("PDF ready")
            ),
            "fail": Transition(_OPEN, Status.FAILED, by_the_system, gettext_lazy("PDF rendering failed")),
            "requeue": Transition(
                frozenset({Status.RENDERING}),
                Status.QUEUED,
                by_the_system,
                gettext_lazy("PDF queued again (its worker ended)"),
            ),
            "retry": Transition(
                frozenset({Status.FAILED}),
                Status.QUEUED,
                _by_a_person,
                gettext_lazy("PDF rendering retried"),
                gettext_lazy("Retry"),
            ),
        },
    )
)


def _extra(document: RenderedDocument) -> dict[str, object]:
    return {"kind": document.kind, "object_id": document.object_id}


@transaction.atomic
def document_request(
    *, kind: str, object_id: int, bureau_id: int, digest: str, requested_by_id: int | None = None
) -> RenderedDocument:
    """Ask for the PDF of ``(kind, object_id)`` whose content is ``digest``; the render is
    queued on commit. Idempotent: a document of the same digest that is queued, rendering,
    ready or failed is returned unchanged (a failed one waits for a person's retry, so a page
    that refreshes does not render it again and again); a new digest queues it again.
    """
    if kind not in _KINDS:
        raise LookupError(f"unknown document kind {kind!r}")
    now = timezone.now()
    try:
        with transaction.atomic():
            created = RenderedDocument.objects.create(
                kind=kind,
                object_id=object_id,
                bureau_id=bureau_id,
                digest=digest,
                status=Status.QUEUED,
                requested_at=now,
                requested_by_id=requested_by_id,
            )
    except IntegrityError:  # it exists (or another request just created it)
        pass
    else:
        _enqueue(created)
        return created
    document = RenderedDocument.objects.select_for_update().get(kind=kind, object_id=object_id)
    if document.digest == digest:
        return document
    document = transition(
        document,
        "request",
        None,
        workflow=WORKFLOW,
        extra=_extra,
        digest=digest,
        requested_at=now,
        requested_by_id=requested_by_id,
        attempts=0,
        error="",
    )
    _enqueue(document)
    return document


@transaction.atomic
def document_retry(*, actor: Actor, document: RenderedDocument) -> RenderedDocument | None:
    """failed -> queued, by a person the owning app allowed (its service checks who may).

    Returns None when the document is not failed (the caller answers 409).
    """
    try:
        document = transition(
            document,
            "retry",
            actor,
            workflow=WORKFLOW,
            extra=_extra,
            requested_at=timezone.now(),
            requested_by_id=actor.user.pk,
            attempts=0,
            error="",
        )
    except InvalidTransition:
        return None
    _enqueue(document)
    return document


def document_for_reader(
    *, actor: Actor, kind: str, object_id: int, bureau_id: int, digest: str
) -> RenderedDocument:
    """The document a PDF link serves: the stored one when it matches the owner's content
    (``digest``), else a render queued for it (a draft's preview, or a document from before
    rendering moved to a worker). The caller fetched the owner through its selector, so
    ``actor`` may read it."""
    from .selectors import rendered_document_find

    existing = rendered_document_find(kind=kind, object_id=object_id)
    if existing is not None and existing.digest == digest:
        return existing
    return document_request(
        kind=kind, object_id=object_id, bureau_id=bureau_id, digest=digest, requested_by_id=actor.user.pk
    )


@transaction.atomic
def document_retry_failed(*, actor: Actor, kind: str, object_id: int) -> RenderedDocument:
    """Render a failed document again; InvalidTransition (409) unless its render failed.
    Whether ``actor`` may is the owning app's rule, checked before (403)."""
    from .selectors import rendered_document_find

    document = rendered_document_find(kind=kind, object_id=object_id)
    retried = document_retry(actor=actor, document=document) if document is not None else None
    if retried is None:
        raise InvalidTransition(_("Only a PDF whose rendering failed is rendered again."))
    return retried


def document_render(*, document_id: int) -> RenderedDocument | None:
    """Render a queued document and store it (the worker's service). Idempotent: a document
    another worker took, or that is ready or failed, is left alone. A render error ends it
    failed (the people concerned are told); a document re-queued for new content while it
    rendered keeps the newer request and drops these bytes.
    """
    try:
        document = transition(
            document_id,
            "start",
            None,
            workflow=WORKFLOW,
            extra=_extra,
            prepare=lambda locked: {"started_at": timezone.now(), "attempts": locked.attempts + 1},
        )
    except InvalidTransition:  # another worker took it, or it ended meanwhile
        return None
    try:
        pdf = _KINDS[document.kind].render(document.object_id)
        if not pdf.startswith(b"%PDF"):
            raise ValueError("the renderer returned no PDF")
    except Exception as exc:  # every render error is recorded on the document, whatever it was
        logger.exception(
            "rendering document %s (%s #%s) failed", document.pk, document.kind, document.object_id
        )
        document_fail(
            document_id=document.pk,
            message=_("The PDF could not be rendered (%(error)s).")
            % {"error": f"{type(exc).__name__}: {exc}"[:300]},
            digest=document.digest,
        )
        return RenderedDocument.objects.get(pk=document_id)
    return _document_store(document=document, pdf=pdf)


@transaction.atomic
def _document_store(*, document: RenderedDocument, pdf: bytes) -> RenderedDocument | None:
    locked = _lock(None, document)
    if locked.status != Status.RENDERING or locked.digest != document.digest:
        return locked  # asked again for other content meanwhile: that render stores its own
    name = default_storage.save(
        stored_path(kind=STORAGE_KIND, bureau_id=locked.bureau_id, ext="pdf"), ContentFile(pdf)
    )
    previous = locked.file.name if locked.file else ""
    locked = transition(
        locked,
        "finish",
        None,
        workflow=WORKFLOW,
        extra=_extra,
        file=name,
        rendered_at=timezone.now(),
        error="",
    )
    if previous and previous != name:
        transaction.on_commit(lambda: default_storage.delete(previous))
    return locked


@transaction.atomic
def document_fail(*, document_id: int, message: str, digest: str | None = None) -> bool:
    """queued/rendering -> failed with ``message``; the people concerned are told on commit.

    False (and nothing changes) when the document had ended, or was asked again for content
    other than ``digest`` meanwhile.
    """
    locked = _lock(None, document_id)
    if locked.status not in _OPEN or (digest is not None and locked.digest != digest):
        return False
    document = transition(locked, "fail", None, workflow=WORKFLOW, extra=_extra, error=message[:2000])
    handler = _KINDS[document.kind].failed if document.kind in _KINDS else None
    if handler is not None:
        transaction.on_commit(lambda: handler(document))
    return True


def documents_reap_abandoned(now: dt.datetime | None = None) -> list[int]:
    """The watchdog's sweep: requeue (once) or fail the renders whose worker died.

    Rendering past the task's time limit: queued again while ``MAX_ATTEMPTS`` are left, else
    failed. Queued: sent again after ``RESEND_AFTER`` (a duplicate message is harmless, the
    render takes only a queued document), failed when nobody rendered it within
    ``GIVE_UP_AFTER``. Returns the ids touched.
    """
    from .jobs import MARGIN

    now = now or timezone.now()
    rendering_before = now - dt.timedelta(seconds=RENDER_TIME_LIMIT) - MARGIN
    touched = []
    open_rows = RenderedDocument.objects.filter(status__in=_OPEN)
    candidates = open_rows.filter(updated_at__lt=max(rendering_before, now - RESEND_AFTER))
    for document_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            document = _lock(None, document_id)
            if document.status == Status.RENDERING and document.updated_at < rendering_before:
                if document.attempts < MAX_ATTEMPTS:
                    _enqueue(transition(document, "requeue", None, workflow=WORKFLOW, extra=_extra))
                else:
                    document_fail(
                        document_id=document.pk,
                        message=_(
                            "Rendering stopped %(n)d times without finishing (its worker ended); retry it."
                        )
                        % {"n": document.attempts},
                    )
            elif document.status == Status.QUEUED and (document.requested_at or document.created_at) < (
                now - GIVE_UP_AFTER
            ):
                document_fail(
                    document_id=document.pk,
                    message=_("No worker rendered the PDF within %(minutes)d minutes; retry it.")
                    % {"minutes": GIVE_UP_AFTER.total_seconds() // 60},
                )
            elif document.status == Status.QUEUED and document.updated_at < now - RESEND_AFTER:
                # no move: only the message is sent again (the timestamp says when)
                RenderedDocument.objects.filter(pk=document.pk).update(updated_at=now)
                _enqueue(document)
            else:
                continue
            touched.append(document.pk)
    return touched


def document_fail_by_id(*, document_id: int, message: str) -> None:
    """The task guard's last resort (portal.jobs.run_guarded)."""
    document_fail(document_id=document_id, message=message)


def document_render_now(
    *, kind: str, object_id: int, bureau_id: int, digest: str, requested_by_id: int | None = None
) -> RenderedDocument:
    """Request a document and render it in this process at once: for scripts that are no
    request (the demo seed), never for a view. Idempotent like :func:`document_request`; the
    queued task a worker may take later finds it rendered and leaves it alone."""
    document = document_request(
        kind=kind, object_id=object_id, bureau_id=bureau_id, digest=digest, requested_by_id=requested_by_id
    )
    if document.status == Status.QUEUED:
        with translation.override(settings.LANGUAGE_CODE):  # as the worker prints it
            document_render(document_id=document.pk)
        document.refresh_from_db()
    return document
