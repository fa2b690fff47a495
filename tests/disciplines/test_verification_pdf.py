"""The verification report's PDF is rendered once, in a worker, when it is submitted, and
served from storage; a draft's PDF is a preview rendered in the worker on demand."""

from __future__ import annotations

import pytest

from disciplines.services import verification as verification_services
from disciplines.services import verification_pdf
from portal.models import Notification, RenderedDocument

pytestmark = pytest.mark.django_db


def _url(anomaly) -> str:
    return f"/disciplines/anomalies/{anomaly.pk}/verification.pdf"


@pytest.fixture
def no_weasyprint(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("WeasyPrint ran in the request")

    monkeypatch.setattr("weasyprint.HTML", refuse)
    monkeypatch.setattr("printing.rendering.render_pdf", refuse)


def test_submitting_enqueues_exactly_one_render(
    in_state, jx_expert, as_actor, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    anomaly = in_state("verifying")
    sent = []
    monkeypatch.setattr("portal.tasks.document_render_task.delay", lambda **kwargs: sent.append(kwargs))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        verification_services.anomaly_submit_verification(actor=as_actor(jx_expert), anomaly=anomaly)
    # then
    verification = anomaly.verification
    document = RenderedDocument.objects.get(kind=verification_pdf.REPORT_KIND, object_id=verification.pk)
    assert sent == [{"bureau_id": anomaly.bureau_id, "document_id": document.pk}]
    assert document.status == "queued"


def test_the_submitted_report_is_served_from_storage(
    in_state, jx_expert, jx_expert2, as_actor, client, django_capture_on_commit_callbacks, monkeypatch
):
    anomaly = in_state("verifying")
    with django_capture_on_commit_callbacks(execute=True):
        verification_services.anomaly_submit_verification(actor=as_actor(jx_expert), anomaly=anomaly)

    def refuse(*args, **kwargs):
        raise AssertionError("WeasyPrint ran in the request")

    monkeypatch.setattr("weasyprint.HTML", refuse)
    client.force_login(jx_expert2)
    response = client.get(_url(anomaly))
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert response["Content-Disposition"] == f'inline; filename="verification-{anomaly.pk}.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_other_bureau_gets_404(in_state, nm_expert, client):
    anomaly = in_state("verified")
    client.force_login(nm_expert)
    assert client.get(_url(anomaly)).status_code == 404
    assert client.post(_url(anomaly)).status_code == 404
    assert not RenderedDocument.objects.exists()


def test_a_draft_is_a_preview_being_prepared(in_state, jx_expert, client, no_weasyprint):
    anomaly = in_state("verifying")
    client.force_login(jx_expert)
    response = client.get(_url(anomaly))
    assert response.status_code == 202
    assert 'data-status="queued"' in response.content.decode()
    document = RenderedDocument.objects.get()
    assert (document.kind, document.object_id) == (verification_pdf.PREVIEW_KIND, anomaly.verification.pk)


def test_a_failed_render_is_shown_told_and_retried(
    in_state, jx_expert, jx_reporter, as_actor, client, monkeypatch, django_capture_on_commit_callbacks
):
    anomaly = in_state("verifying")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("printing.rendering.render_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        verification_services.anomaly_submit_verification(actor=as_actor(jx_expert), anomaly=anomaly)
    document = RenderedDocument.objects.get(kind=verification_pdf.REPORT_KIND)
    assert (document.status, "disk full" in document.error) == ("failed", True)
    assert list(
        Notification.objects.filter(kind="document.failed").values_list("recipient__username", flat=True)
    ) == ["jx_expert"]
    client.force_login(jx_reporter)  # reads the anomaly, prepares nothing of its verification
    assert 'id="document-retry"' not in client.get(_url(anomaly)).content.decode()
    assert client.post(_url(anomaly)).status_code == 403
    client.force_login(jx_expert)
    page = client.get(_url(anomaly))
    assert page.status_code == 202
    assert 'id="document-retry"' in page.content.decode()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url(anomaly)).status_code == 302
    document.refresh_from_db()
    assert document.status == "ready"
    assert b"".join(client.get(_url(anomaly)).streaming_content).startswith(b"%PDF")
