"""portal.documents: a PDF renders once in a worker, ends in a final state, and the watchdog
ends what a dead worker left behind."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from portal import documents, jobs
from portal.models import RenderedDocument
from portal.tasks import document_render_task

pytestmark = pytest.mark.django_db
KIND = "tests.sample"


@pytest.fixture
def sample(monkeypatch):
    """A document kind whose renders and failure notices the test sees."""
    rendered: list[int] = []
    failed: list[int] = []

    def render(object_id: int) -> bytes:
        rendered.append(object_id)
        return b"%PDF-1.4 sample"

    monkeypatch.setitem(
        documents._KINDS, KIND, documents.DocumentKind(KIND, render, lambda d: failed.append(d.pk))
    )
    return rendered, failed


def _request(jx, digest="a"):
    return documents.document_request(kind=KIND, object_id=7, bureau_id=jx.pk, digest=digest)


def test_the_render_is_a_registered_job_kind():
    assert jobs.kind(documents.JOB_NAME).name == "portal.document_render"


def test_a_request_renders_once_and_stores_under_the_bureau(jx, sample, django_capture_on_commit_callbacks):
    rendered, _failed = sample
    with django_capture_on_commit_callbacks(execute=True):
        document = _request(jx)
    with django_capture_on_commit_callbacks(execute=True):
        assert _request(jx).pk == document.pk  # same content: nothing queued again
    document.refresh_from_db()
    assert (document.status, rendered) == ("ready", [7])
    assert document.file.name.startswith(f"documents/{jx.pk}/{timezone.now():%Y}/")
    assert document.file.read() == b"%PDF-1.4 sample"
    assert document_render_task.apply(kwargs={"bureau_id": jx.pk, "document_id": document.pk}).get() is None


def test_new_content_while_rendering_keeps_the_newer_request(jx, sample):
    document = _request(jx, digest="old")
    RenderedDocument.objects.filter(pk=document.pk).update(status="rendering")
    stale = RenderedDocument.objects.get(pk=document.pk)
    _request(jx, digest="new")  # the content changed meanwhile: queued again
    stored = documents._document_store(document=stale, pdf=b"%PDF old")
    assert (stored.status, stored.digest, bool(stored.file)) == ("queued", "new", False)


def test_an_error_the_service_did_not_handle_ends_the_job_failed(jx, sample, monkeypatch):
    _rendered, _failed = sample
    document = _request(jx)

    def broken(**kwargs):
        raise OSError("storage unreachable")

    monkeypatch.setattr(documents, "_document_store", broken)
    document_render_task.apply(kwargs={"bureau_id": jx.pk, "document_id": document.pk})
    document.refresh_from_db()
    assert document.status == "failed"
    assert "OSError" in document.error


def test_the_watchdog_requeues_an_abandoned_render_once_then_fails_it(
    jx, sample, monkeypatch, django_capture_on_commit_callbacks
):
    _rendered, failed = sample
    sent = []
    monkeypatch.setattr(document_render_task, "delay", lambda **kwargs: sent.append(kwargs))
    document = _request(jx)
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    RenderedDocument.objects.filter(pk=document.pk).update(
        status="rendering", attempts=1, updated_at=long_ago
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert documents.documents_reap_abandoned() == [document.pk]
    document.refresh_from_db()
    assert (document.status, sent[-1]) == ("queued", {"bureau_id": jx.pk, "document_id": document.pk})
    RenderedDocument.objects.filter(pk=document.pk).update(
        status="rendering", attempts=2, updated_at=long_ago
    )
    with django_capture_on_commit_callbacks(execute=True), translation.override("en"):
        assert documents.documents_reap_abandoned() == [document.pk]
    document.refresh_from_db()
    assert (document.status, failed) == ("failed", [document.pk])
    assert "2 times" in document.error


def test_the_watchdog_fails_a_render_no_worker_took(jx, sample, django_capture_on_commit_callbacks):
    _rendered, failed = sample
    document = _request(jx)
    long_ago = timezone.now() - documents.GIVE_UP_AFTER - dt.timedelta(minutes=1)
    RenderedDocument.objects.filter(pk=document.pk).update(requested_at=long_ago, updated_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        assert documents.documents_reap_abandoned() == [document.pk]
    document.refresh_from_db()
    assert (document.status, failed) == ("failed", [document.pk])


def test_the_watchdog_leaves_a_fresh_render_alone(jx, sample):
    document = _request(jx)
    RenderedDocument.objects.filter(pk=document.pk).update(status="rendering")
    assert documents.documents_reap_abandoned() == []
