"""The trend report pages: list, new, detail with editing and buttons, status JSON, phone
page, PDF, figures, changes; tenancy on every page; readership recorded."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import ReportView
from trends.models import TrendReport, TrendSection

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_and_new_report_form(jx, jx_forecaster, jx_viewer, django_capture_on_commit_callbacks):
    page = _client(jx_forecaster).get("/trends/")
    assert page.status_code == 200
    assert 'id="trend-new"' in page.content.decode()
    assert 'id="trend-new"' not in _client(jx_viewer).get("/trends/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(jx_forecaster).post("/trends/new/", {"month": "2026-10"})
    report = TrendReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/trends/{report.pk}/"
    listed = _client(jx_forecaster).get("/trends/", {"month": "2026-10", "status": "draft", "bureau": "JX"})
    assert report.title in listed.content.decode()
    assert report.title not in _client(jx_forecaster).get("/trends/", {"status": "issued"}).content.decode()


def test_a_bad_month_on_the_page_says_why(jx, jx_forecaster):
    response = _client(jx_forecaster).post("/trends/new/", {"month": "2026-13"}, follow=True)
    assert TrendReport.objects.count() == 0
    assert "YYYY-MM" in response.content.decode()


def test_detail_shows_sections_and_edits_text(jx, jx_forecaster, request_report):
    report = request_report(jx_forecaster, jx)
    client = _client(jx_forecaster)
    page = client.get(f"/trends/{report.pk}/").content.decode()
    assert 'id="section-seismicity"' in page
    assert 'data-block="counts"' in page
    assert "江西九江" in page
    assert 'data-action="submit"' in page
    response = client.post(f"/trends/{report.pk}/", {"action": "edit", "key": "opinion", "text": "平稳"})
    assert response.status_code == 302
    assert TrendSection.objects.get(report=report, key="opinion").text == "平稳"
    assert ReportView.objects.filter(report_kind="trend_report", report_id=report.pk).count() == 1


def test_page_workflow_return_with_section_comment(jx, jx_forecaster, jx_approver, request_report):
    report = request_report(jx_forecaster, jx)
    _client(jx_forecaster).post(f"/trends/{report.pk}/", {"action": "submit"})
    _client(jx_approver).post(
        f"/trends/{report.pk}/", {"action": "return", "comment": "补充", "sc_opinion": "写清楚"}
    )
    report.refresh_from_db()
    assert report.status == "draft"
    page = _client(jx_forecaster).get(f"/trends/{report.pk}/").content.decode()
    assert 'id="review-comment"' in page
    assert "写清楚" in page


def test_status_json_phone_page_pdf_figure(jx, jx_forecaster, request_report):
    report = request_report(jx_forecaster, jx)
    client = _client(jx_forecaster)
    status = client.get(f"/trends/{report.pk}/status/").json()
    assert status["compile_status"] == "done"
    assert status["compile_progress"] == 100
    read = client.get(f"/trends/{report.pk}/read/")
    assert read.status_code == 200
    assert "data:image/png;base64," in read.content.decode()
    pdf = client.get(f"/trends/{report.pk}/pdf/")
    body = b"".join(pdf.streaming_content) if pdf.streaming else pdf.content
    assert body[:4] == b"%PDF"
    figure = TrendSection.objects.get(report=report, key="seismicity").figures.get()
    assert client.get(f"/trends/figures/{figure.pk}.png")["Content-Type"] == "image/png"
    assert sorted(ReportView.objects.values_list("channel", flat=True)) == ["pdf", "web"]


def test_other_province_gets_404_on_every_page(jx, jx_forecaster, nm_forecaster, request_report):
    report = request_report(jx_forecaster, jx)
    figure = TrendSection.objects.get(report=report, key="seismicity").figures.get()
    client = _client(nm_forecaster)
    for url in ("", "status/", "read/", "pdf/", "changes/"):
        assert client.get(f"/trends/{report.pk}/{url}").status_code == 404, url
    assert client.get(f"/trends/figures/{figure.pk}.png").status_code == 404
    assert client.post(f"/trends/{report.pk}/", {"action": "submit"}).status_code == 404


def test_changes_page_of_a_first_version(jx, jx_forecaster, request_report):
    report = request_report(jx_forecaster, jx)
    page = _client(jx_forecaster).get(f"/trends/{report.pk}/changes/").content.decode()
    assert 'id="no-changes"' in page


def _texts(rows):
    return [[str(cell) for cell in row] for row in rows]


def test_seismicity_blocks_read_as_a_forecaster_reads_them():
    from trends.rendering import data_blocks

    blocks = data_blocks(
        "seismicity",
        {
            "counts": {"≥ 6.0": 0, "2.0–2.9": 5, "4.0–4.9": 1, "3.0–3.9": 2, "5.0–5.9": 0},
            "mean_counts": {"2.0–2.9": 4.25},
            "largest": [{"id": "e1", "origin_time": "2026-10-03T04:05:06+00:00", "magnitude": 4.2}],
            "outside": [{"id": f"o{n}", "magnitude": 2.0, "distance_km": 10.0} for n in range(25)],
            "n_outside": 25,
            "n_events": 8,
        },
    )
    counts = blocks[0]
    assert [row[0] for row in _texts(counts.rows)] == ["2.0–2.9", "3.0–3.9", "4.0–4.9", "5.0–5.9", "≥ 6.0"]
    assert _texts(counts.rows)[0] == ["2.0–2.9", "5", "4.25"]
    assert _texts(counts.rows)[1][2] == "—"
    largest, outside = [b for b in blocks if b.kind == "table"]
    assert largest.rows[0][0].text == "2026-10-03 12:05:06"  # Beijing time
    assert largest.rows[0][0].url == "/events/e1/"
    assert largest.rows[0][1].text == "M4.2"
    assert len(outside.rows) == 20
    assert outside.more == 5


def test_a_section_without_a_layout_is_shown_plainly():
    from trends.rendering import data_blocks

    blocks = data_blocks("something_new", {"by_unit": {"九江台": 3, "南昌台": 1}, "note": "平稳"})
    assert any(b.kind == "table" and _texts(b.rows) == [["九江台", "3"], ["南昌台", "1"]] for b in blocks)
    assert any(b.kind == "line" and b.value == "平稳" for b in blocks)


def test_history_names_the_compilation_states_in_words(jx, jx_forecaster, request_report):
    report = request_report(jx_forecaster, jx)
    page = _client(jx_forecaster).get(f"/trends/{report.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-to="compiled"' in page
    assert "queued → compiling" in page


def test_hostile_list_filters_do_not_break_the_page(jx, jx_forecaster):
    client = _client(jx_forecaster)
    for params in ({"month": "0000-00"}, {"month": "99999-1"}, {"page": "x"}, {"bureau": "x" * 300}):
        assert client.get("/trends/", params).status_code == 200, params
    assert client.get("/trends/", {"q": "a\x00b"}).status_code == 400  # the portal refuses NULs


def test_a_bad_section_key_on_the_page_is_404(jx, jx_forecaster, request_report):
    report = request_report(jx_forecaster, jx)
    client = _client(jx_forecaster)
    assert (
        client.post(f"/trends/{report.pk}/", {"action": "edit", "key": "nope", "text": "a"}).status_code
        == 404
    )
