"""The trend report API: the contract, permissions (exact codes), workflow, four eyes,
freeze, correction, PDF and tenancy."""

from __future__ import annotations

import pytest

from trends.compilation import SECTION_KEYS
from trends.models import TrendReport, TrendSection

pytestmark = pytest.mark.django_db

BASE = "/api/v1/trend-reports/"


def _post(client, url, data, capture):
    with capture(execute=True):
        return client.post(url, data, format="json")


# --- request -----------------------------------------------------------------------


def test_request_is_202_then_200_with_the_same_report(api, jx_forecaster, django_capture_on_commit_callbacks):
    # given
    client = api(jx_forecaster)
    # when
    first = _post(client, BASE, {"bureau": "JX", "month": "2026-10"}, django_capture_on_commit_callbacks)
    second = _post(client, BASE, {"bureau": "JX", "month": "2026-10"}, django_capture_on_commit_callbacks)
    # then
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert TrendReport.objects.count() == 1


def test_report_shape_after_compilation(
    api, jx_forecaster, django_capture_on_commit_callbacks, fake_compilers
):
    client = api(jx_forecaster)
    created = _post(
        client, BASE, {"bureau": "JX", "month": "2026-10"}, django_capture_on_commit_callbacks
    ).json()
    body = client.get(f"{BASE}{created['id']}/").json()
    assert body["bureau"] == "JX"
    assert body["month"] == "2026-10"
    assert body["status"] == "draft"
    assert body["version"] == 1
    assert body["compile_status"] == "done"
    assert body["compiled_at"] is not None
    assert body["title"] == "江西省地震局 2026年10月地震趋势会商报告"
    assert [s["key"] for s in body["sections"]] == SECTION_KEYS
    seismicity = body["sections"][0]
    assert seismicity["data"]["counts"] == fake_compilers.counts
    assert seismicity["n_events"] == 8
    assert seismicity["compiled_at"] is not None
    assert seismicity["figures"][0]["name"] == "epicentres"
    assert set(body["allowed_actions"]) == {"submit"}
    assert body["url"] == f"/trends/{created['id']}/"
    figure = client.get(seismicity["figures"][0]["url"])
    assert figure.status_code == 200
    assert figure["Content-Type"] == "image/png"
    assert figure["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("month", ["2026-13", "9999-01", "2099-01", "26-10", "2026-1x", ""])
def test_a_bad_month_is_400_naming_it(api, jx_forecaster, month):
    response = api(jx_forecaster).post(BASE, {"bureau": "JX", "month": month}, format="json")
    assert response.status_code == 400
    assert "month" in response.json()["errors"]


def test_an_unknown_bureau_is_400_naming_it(api, jx_forecaster):
    response = api(jx_forecaster).post(BASE, {"bureau": "ZZ", "month": "2026-10"}, format="json")
    assert response.status_code == 400
    assert "bureau" in response.json()["errors"]


def test_another_bureau_is_403(api, jx_forecaster, nm):
    response = api(jx_forecaster).post(BASE, {"bureau": "NM", "month": "2026-10"}, format="json")
    assert response.status_code == 403


def test_a_viewer_cannot_request_403(api, jx_viewer):
    response = api(jx_viewer).post(BASE, {"bureau": "JX", "month": "2026-10"}, format="json")
    assert response.status_code == 403


def test_list_filters(api, jx_forecaster, request_report, jx):
    import datetime as dt

    october = request_report(jx_forecaster, jx)
    september = request_report(jx_forecaster, jx, dt.date(2026, 9, 1))
    client = api(jx_forecaster)
    listed = client.get(BASE, {"bureau": "JX", "month": "2026-10"}).json()
    assert [r["id"] for r in listed["results"]] == [october.pk]
    assert client.get(BASE, {"status": "issued"}).json()["results"] == []
    assert {r["id"] for r in client.get(BASE).json()["results"]} == {october.pk, september.pk}
    assert client.get(BASE, {"month": "2026-13"}).status_code == 400
    assert client.get(BASE, {"status": "nope"}).status_code == 400


# --- sections ----------------------------------------------------------------------


def test_forecaster_writes_a_section_text(api, jx_forecaster, request_report, jx):
    report = request_report(jx_forecaster, jx)
    response = api(jx_forecaster).patch(
        f"{BASE}{report.pk}/sections/opinion/", {"text": "未来一个月平稳"}, format="json"
    )
    assert response.status_code == 200
    assert TrendSection.objects.get(report=report, key="opinion").text == "未来一个月平稳"


def test_section_edit_codes(api, jx_forecaster, jx_approver, nm_forecaster, request_report, jx):
    report = request_report(jx_forecaster, jx)
    url = f"{BASE}{report.pk}/sections/opinion/"
    assert api(jx_approver).patch(url, {"text": "x"}, format="json").status_code == 403
    assert api(nm_forecaster).patch(url, {"text": "x"}, format="json").status_code == 404
    assert (
        api(jx_forecaster)
        .patch(f"{BASE}{report.pk}/sections/nope/", {"text": "x"}, format="json")
        .status_code
        == 404
    )


def test_recompile_keeps_the_text_and_replaces_the_data(
    api, jx_forecaster, request_report, jx, fake_compilers, django_capture_on_commit_callbacks
):
    report = request_report(jx_forecaster, jx)
    client = api(jx_forecaster)
    client.patch(f"{BASE}{report.pk}/sections/seismicity/", {"text": "本月地震活动平静"}, format="json")
    fake_compilers.counts["2.0–2.9"] = 9
    response = _post(client, f"{BASE}{report.pk}/recompile/", {}, django_capture_on_commit_callbacks)
    assert response.status_code == 202
    section = TrendSection.objects.get(report=report, key="seismicity")
    assert section.text == "本月地震活动平静"
    assert section.data["counts"]["2.0–2.9"] == 9
    assert section.n_events == 12


def test_a_failing_compiler_fails_the_job_and_keeps_the_old_data(
    api, jx_forecaster, request_report, jx, fake_compilers, django_capture_on_commit_callbacks
):
    report = request_report(jx_forecaster, jx)
    before = TrendSection.objects.get(report=report, key="seismicity").data
    fake_compilers.counts["2.0–2.9"] = 99
    fake_compilers.fail.add("zero_reports")
    _post(api(jx_forecaster), f"{BASE}{report.pk}/recompile/", {}, django_capture_on_commit_callbacks)
    report.refresh_from_db()
    assert report.compile_status == "failed"
    assert "zero_reports exploded" in report.compile_note
    assert TrendSection.objects.get(report=report, key="seismicity").data == before


def test_recompile_codes(api, jx_forecaster, jx_viewer, request_report, jx):
    report = request_report(jx_forecaster, jx)
    assert api(jx_viewer).post(f"{BASE}{report.pk}/recompile/").status_code == 403
    api(jx_forecaster).post(f"{BASE}{report.pk}/transitions/", {"action": "submit"}, format="json")
    assert api(jx_forecaster).post(f"{BASE}{report.pk}/recompile/").status_code == 409


def test_submit_is_refused_while_compiling(api, jx_forecaster, as_actor, jx):
    import datetime as dt

    from trends.services import trend_reports

    report, _ = trend_reports.trend_report_request(
        actor=as_actor(jx_forecaster), bureau=jx, month=dt.date(2026, 10, 1)
    )
    response = api(jx_forecaster).post(f"{BASE}{report.pk}/transitions/", {"action": "submit"}, format="json")
    assert response.status_code == 409
    assert response.json()["errors"] == {"compile_status": [response.json()["detail"]]}


# --- workflow ----------------------------------------------------------------------


def _move(client, report, action, **extra):
    return client.post(f"{BASE}{report.pk}/transitions/", {"action": action, **extra}, format="json")


def test_full_workflow_with_return_and_section_comments(
    api, jx_forecaster, jx_approver, jx_reviewer, request_report, jx
):
    report = request_report(jx_forecaster, jx)
    drafter, reviewer, signer = api(jx_forecaster), api(jx_approver), api(jx_reviewer)
    assert _move(drafter, report, "submit").json()["status"] == "submitted"
    # a return needs a comment
    assert _move(reviewer, report, "return").status_code == 400
    returned = _move(reviewer, report, "return", comment="请补充", section_comments={"opinion": "写明震级"})
    assert returned.status_code == 200
    assert returned.json()["status"] == "draft"
    opinion = next(s for s in returned.json()["sections"] if s["key"] == "opinion")
    assert opinion["review_comment"] == "写明震级"
    drafter.patch(f"{BASE}{report.pk}/sections/opinion/", {"text": "M4左右"}, format="json")
    resubmitted = _move(drafter, report, "submit").json()
    assert resubmitted["status"] == "submitted"
    assert all(s["review_comment"] == "" for s in resubmitted["sections"])
    assert _move(reviewer, report, "review").json()["status"] == "reviewed"
    # four eyes: the reviewer does not sign
    refused = _move(reviewer, report, "sign_off")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith(("Four eyes", "四眼"))
    signed = _move(signer, report, "sign_off").json()
    assert signed["status"] == "signed_off"
    assert len(signed["content_sha256"]) == 64
    assert _move(signer, report, "issue").json()["status"] == "issued"
    assert _move(signer, report, "archive").json()["status"] == "archived"


def test_transition_codes(api, jx_forecaster, jx_approver, jx_viewer, request_report, jx):
    report = request_report(jx_forecaster, jx)
    assert _move(api(jx_forecaster), report, "fly").status_code == 400
    assert _move(api(jx_viewer), report, "submit").status_code == 403
    assert _move(api(jx_approver), report, "review").status_code == 409
    assert _move(api(jx_forecaster), report, "review").status_code == 403


def test_the_drafter_cannot_review_even_as_approver(api, make_person, jx, request_report):
    both = make_person("jx_both", (jx, "forecaster"), (jx, "approver"))
    report = request_report(both, jx)
    _move(api(both), report, "submit")
    refused = _move(api(both), report, "review")
    assert refused.status_code == 403


def _issued(api, request_report, jx, jx_forecaster, jx_approver, jx_reviewer):
    report = request_report(jx_forecaster, jx)
    _move(api(jx_forecaster), report, "submit")
    _move(api(jx_approver), report, "review")
    _move(api(jx_reviewer), report, "sign_off")
    _move(api(jx_reviewer), report, "issue")
    report.refresh_from_db()
    return report


def test_a_signed_report_is_frozen(api, jx_forecaster, jx_approver, jx_reviewer, request_report, jx):
    report = request_report(jx_forecaster, jx)
    _move(api(jx_forecaster), report, "submit")
    _move(api(jx_approver), report, "review")
    _move(api(jx_reviewer), report, "sign_off")
    response = api(jx_forecaster).patch(f"{BASE}{report.pk}/sections/opinion/", {"text": "改"}, format="json")
    assert response.status_code == 409


def test_correction_is_a_new_version_with_a_diff(
    api,
    jx_forecaster,
    jx_approver,
    jx_reviewer,
    request_report,
    jx,
    fake_compilers,
    django_capture_on_commit_callbacks,
):
    client = api(jx_forecaster)
    report = request_report(jx_forecaster, jx)
    client.patch(f"{BASE}{report.pk}/sections/opinion/", {"text": "第一行\n第二行"}, format="json")
    _move(client, report, "submit")
    _move(api(jx_approver), report, "review")
    _move(api(jx_reviewer), report, "sign_off")
    assert client.post(f"{BASE}{report.pk}/correct/", {"note": ""}, format="json").status_code == 400
    fake_compilers.counts["3.0–3.9"] = 7
    response = _post(
        client, f"{BASE}{report.pk}/correct/", {"note": "补充遗漏地震"}, django_capture_on_commit_callbacks
    )
    assert response.status_code == 201
    correction = response.json()
    assert correction["version"] == 2
    assert correction["status"] == "draft"
    assert next(s for s in correction["sections"] if s["key"] == "opinion")["text"] == "第一行\n第二行"
    client.patch(f"{BASE}{correction['id']}/sections/opinion/", {"text": "第一行\n第二行改"}, format="json")
    changes = client.get(f"{BASE}{correction['id']}/changes/").json()
    assert changes["against"]["version"] == 1
    by_key = {s["key"]: s for s in changes["sections"]}
    assert {"op": "+", "text": "第二行改"} in by_key["opinion"]["text"]
    assert {"key": "counts.3.0–3.9", "before": "2", "after": "7"} in by_key["seismicity"]["data"]
    assert client.post(f"{BASE}{report.pk}/correct/", {"note": "again"}, format="json").status_code == 409


def test_pdf_is_a_real_pdf(api, jx_forecaster, request_report, jx):
    report = request_report(jx_forecaster, jx)
    response = api(jx_forecaster).get(f"{BASE}{report.pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body[:4] == b"%PDF"


# --- tenancy -----------------------------------------------------------------------


def test_another_province_does_not_see_a_draft(api, jx_forecaster, nm_forecaster, request_report, jx):
    report = request_report(jx_forecaster, jx)
    assert api(nm_forecaster).get(f"{BASE}{report.pk}/").status_code == 404
    assert api(nm_forecaster).get(f"{BASE}{report.pk}/pdf/").status_code == 404


def test_cenc_reads_the_issued_report_not_the_draft(
    api, jx_forecaster, jx_approver, jx_reviewer, cenc_forecaster, request_report, jx
):
    import datetime as dt

    issued = _issued(api, request_report, jx, jx_forecaster, jx_approver, jx_reviewer)
    draft = request_report(jx_forecaster, jx, dt.date(2026, 11, 1))
    cenc = api(cenc_forecaster)
    assert cenc.get(f"{BASE}{issued.pk}/").status_code == 200
    assert cenc.get(f"{BASE}{draft.pk}/").status_code == 404
    assert [r["id"] for r in cenc.get(BASE, {"bureau": "JX"}).json()["results"]] == [issued.pk]
    # CENC may read but not move JX's report
    assert _move(cenc, issued, "archive").status_code == 403


def test_return_from_reviewed_and_archive_by_the_bureau_admin(
    api, jx_forecaster, jx_approver, jx_reviewer, jx_admin, jx_viewer, request_report, jx
):
    report = request_report(jx_forecaster, jx)
    _move(api(jx_forecaster), report, "submit")
    _move(api(jx_approver), report, "review")
    returned = _move(api(jx_approver), report, "return", comment="数据需更新")
    assert returned.json()["status"] == "draft"
    assert returned.json()["review_comment"] == "数据需更新"
    _move(api(jx_forecaster), report, "submit")
    _move(api(jx_approver), report, "review")
    _move(api(jx_reviewer), report, "sign_off")
    assert _move(api(jx_admin), report, "issue").status_code == 403
    _move(api(jx_reviewer), report, "issue")
    assert _move(api(jx_viewer), report, "archive").status_code == 403
    assert _move(api(jx_admin), report, "archive").json()["status"] == "archived"
    assert _move(api(jx_admin), report, "archive").status_code == 409
