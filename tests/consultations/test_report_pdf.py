"""The consultation report's PDF is rendered once, in a worker, and served from storage.

Signing off queues exactly one render; the page and the API serve the stored file without
running WeasyPrint; another bureau gets 404; while it is not ready the answer is 202 with
its status; a failed render is shown, told and retried.
"""

from __future__ import annotations

import pytest

from consultations.services import report_pdf
from consultations.services import report_workflow as report_services
from portal.models import Notification, RenderedDocument

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consultations"


def _file_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def no_weasyprint(monkeypatch):
    """Any WeasyPrint call from here on fails the test: the request must not render."""

    def refuse(*args, **kwargs):
        raise AssertionError("WeasyPrint ran in the request")

    monkeypatch.setattr("weasyprint.HTML", refuse)
    monkeypatch.setattr("printing.rendering.render_pdf", refuse)
    monkeypatch.setattr("consultations.reporting.render_pdf", refuse)


@pytest.fixture
def signed(report_in, jx_approver, as_actor, django_capture_on_commit_callbacks):
    """A report signed off through the service, its on-commit render run (the eager worker)."""
    report = report_in("reviewed")
    with django_capture_on_commit_callbacks(execute=True):
        report = report_services.report_sign_off(actor=as_actor(jx_approver), report=report)
    return report


def test_signing_off_enqueues_exactly_one_render(
    report_in, jx_approver, as_actor, django_capture_on_commit_callbacks, monkeypatch
):
    # given
    report = report_in("reviewed")
    sent = []
    monkeypatch.setattr("portal.tasks.document_render_task.delay", lambda **kwargs: sent.append(kwargs))
    # when
    with django_capture_on_commit_callbacks(execute=True):
        report_services.report_sign_off(actor=as_actor(jx_approver), report=report)
    # then
    document = RenderedDocument.objects.get(kind=report_pdf.REPORT_KIND, object_id=report.pk)
    assert sent == [{"bureau_id": report.bureau_id, "document_id": document.pk}]
    assert (document.status, document.bureau_id) == ("queued", report.bureau_id)


def test_the_same_signed_report_asked_again_renders_no_more(signed, monkeypatch):
    sent = []
    monkeypatch.setattr("portal.tasks.document_render_task.delay", lambda **kwargs: sent.append(kwargs))
    again = report_pdf.report_pdf_requested(signed.pk)
    assert (again.status, sent) == ("ready", [])


def test_pdf_page_and_api_serve_the_stored_file_without_rendering(
    signed, jx_chair, client, api, no_weasyprint
):
    document = RenderedDocument.objects.get(kind=report_pdf.REPORT_KIND, object_id=signed.pk)
    assert document.status == "ready"
    assert document.file.name.startswith(f"documents/{signed.bureau_id}/")
    client.force_login(jx_chair)
    page = client.get(f"/consultations/reports/{signed.pk}/pdf/")
    assert (page.status_code, page["Content-Type"]) == (200, "application/pdf")
    assert page["Content-Disposition"] == (
        f'inline; filename="consultation-report-{signed.pk}-v{signed.version}.pdf"'
    )
    assert _file_bytes(page).startswith(b"%PDF")
    response = api(jx_chair).get(f"{BASE}/reports/{signed.pk}/pdf/")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert _file_bytes(response).startswith(b"%PDF")


def test_other_bureau_gets_404_and_nothing_is_queued(signed, nm_forecaster, client, api):
    before = list(RenderedDocument.objects.values_list("pk", "status", "updated_at"))
    client.force_login(nm_forecaster)
    assert client.get(f"/consultations/reports/{signed.pk}/pdf/").status_code == 404
    assert client.post(f"/consultations/reports/{signed.pk}/pdf/").status_code == 404
    assert api(nm_forecaster).get(f"{BASE}/reports/{signed.pk}/pdf/").status_code == 404
    assert api(nm_forecaster).post(f"{BASE}/reports/{signed.pk}/pdf/").status_code == 404
    assert list(RenderedDocument.objects.values_list("pk", "status", "updated_at")) == before


def test_a_signed_report_without_its_file_is_queued_by_the_first_request(
    report_in, jx_chair, api, client, no_weasyprint
):
    """Reports signed before rendering moved to the worker: the first request queues (202)."""
    report = report_in("signed_off")  # no on-commit here: signed, nothing rendered yet
    response = api(jx_chair).get(f"{BASE}/reports/{report.pk}/pdf/")
    assert response.status_code == 202
    assert (response.json()["status"], response.json()["rendered_at"]) == ("queued", None)
    client.force_login(jx_chair)
    page = client.get(f"/consultations/reports/{report.pk}/pdf/")
    assert page.status_code == 202
    body = page.content.decode()
    assert 'data-status="queued"' in body
    assert '<meta http-equiv="refresh"' in body
    assert RenderedDocument.objects.filter(kind=report_pdf.REPORT_KIND, object_id=report.pk).count() == 1


def test_a_draft_preview_renders_in_the_worker_and_again_only_when_changed(
    report_in, jx_chair, api, as_actor, django_capture_on_commit_callbacks
):
    draft = report_in("draft")
    client = api(jx_chair)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get(f"{BASE}/reports/{draft.pk}/pdf/").status_code == 202
    first = RenderedDocument.objects.get(kind=report_pdf.PREVIEW_KIND, object_id=draft.pk)
    assert first.status == "ready"
    assert client.get(f"{BASE}/reports/{draft.pk}/pdf/").status_code == 200
    report_services.report_update(actor=as_actor(jx_chair), report=draft, title="改过的标题")
    assert client.get(f"{BASE}/reports/{draft.pk}/pdf/").json()["status"] == "queued"


def test_a_failed_render_is_shown_told_and_retried(
    report_in,
    jx_approver,
    jx_chair,
    jx_viewer,
    as_actor,
    api,
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    # given: the renderer breaks while the signed report renders
    report = report_in("reviewed")

    def broken(*args, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("consultations.reporting.render_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        report_services.report_sign_off(actor=as_actor(jx_approver), report=report)
    # then: the document is failed, the signer is told, the API and the page say so
    document = RenderedDocument.objects.get(kind=report_pdf.REPORT_KIND, object_id=report.pk)
    assert document.status == "failed"
    assert "RuntimeError: no fonts" in document.error
    assert list(
        Notification.objects.filter(kind="document.failed").values_list("recipient__username", flat=True)
    ) == ["jx_approver"]
    response = api(jx_chair).get(f"{BASE}/reports/{report.pk}/pdf/")
    assert (response.status_code, response.json()["status"]) == (202, "failed")
    client.force_login(jx_chair)
    page = client.get(f"/consultations/reports/{report.pk}/pdf/").content.decode()
    assert 'data-status="failed"' in page
    assert 'id="document-retry"' in page
    assert '<meta http-equiv="refresh"' not in page
    client.force_login(jx_viewer)
    assert (
        'id="document-retry"' not in client.get(f"/consultations/reports/{report.pk}/pdf/").content.decode()
    )
    # when: a viewer may not retry; the chair does, with the renderer mended
    assert api(jx_viewer).post(f"{BASE}/reports/{report.pk}/pdf/").status_code == 403
    assert client.post(f"/consultations/reports/{report.pk}/pdf/").status_code == 403
    assert RenderedDocument.objects.get(pk=document.pk).status == "failed"
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        retried = api(jx_chair).post(f"{BASE}/reports/{report.pk}/pdf/")
    # then
    assert (retried.status_code, retried.json()["status"]) == (202, "queued")
    document.refresh_from_db()
    assert (document.status, document.error) == ("ready", "")
    assert api(jx_chair).post(f"{BASE}/reports/{report.pk}/pdf/").status_code == 409  # not failed now


def test_the_schema_documents_the_pdf_answers(client):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/consultations/reports/{report_id}/pdf/"]
    assert {"200", "202", "404"} <= set(operation["get"]["responses"])
    assert "application/pdf" in operation["get"]["responses"]["200"]["content"]
    assert {"202", "403", "404", "409"} <= set(operation["post"]["responses"])
