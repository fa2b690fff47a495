"""The consultations API: tenant isolation on every endpoint, bad input, refusals, PDF."""

from __future__ import annotations

import pytest

from consultations.models import Meeting
from consultations.services import meetings as meeting_services
from tests.factories import BureauFactory

from .conftest import JX_SQUARE

pytestmark = pytest.mark.django_db
BASE = "/api/v1/consultations"


def test_chair_schedules_a_meeting_and_reads_it(api, jx_chair, jx_expert):
    body = {
        "kind": "weekly",
        "title": "第49周周会商",
        "starts_at": "2026-12-07T09:00:00+08:00",
        "participants": ["jx_expert"],
        "representatives": {"fluid": "jx_expert"},
        "agenda": "一、震情回顾\n二、学科意见",
    }
    created = api(jx_chair).post(f"{BASE}/meetings/", body, format="json")
    assert created.status_code == 201, created.json()
    meeting_id = created.json()["id"]
    detail = api(jx_expert).get(f"{BASE}/meetings/{meeting_id}/").json()
    assert (detail["title"], detail["participants"], detail["chair"]) == (
        "第49周周会商",
        ["jx_expert"],
        "jx_chair",
    )
    assert detail["representatives"] == {"fluid": "jx_expert"}
    listing = api(jx_expert).get(f"{BASE}/meetings/", {"kind": "weekly"}).json()
    assert [m["id"] for m in listing["results"]] == [meeting_id]


def test_unknown_participant_is_a_400_naming_the_field(api, jx_chair):
    body = {
        "kind": "weekly",
        "title": "x",
        "starts_at": "2026-12-07T09:00:00+08:00",
        "participants": ["ghost"],
    }
    response = api(jx_chair).post(f"{BASE}/meetings/", body, format="json")
    assert response.status_code == 400
    assert "participants" in response.json()["errors"]
    assert not Meeting.objects.exists()


def test_bad_meeting_type_and_time_are_400(api, jx_chair):
    response = api(jx_chair).post(
        f"{BASE}/meetings/", {"kind": "party", "title": "x", "starts_at": "soon"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind", "starts_at"}


def test_other_province_cannot_read_or_change_a_meeting(api, jx_meeting, nm_forecaster, nm_admin):
    for user in (nm_forecaster, nm_admin):
        client = api(user)
        assert client.get(f"{BASE}/meetings/{jx_meeting.pk}/").status_code == 404
        assert client.get(f"{BASE}/meetings/").json()["results"] == []
        assert (
            client.patch(f"{BASE}/meetings/{jx_meeting.pk}/", {"agenda": "x"}, format="json").status_code
            == 404
        )
        assert (
            client.post(
                f"{BASE}/meetings/{jx_meeting.pk}/comments/", {"text": "x"}, format="json"
            ).status_code
            == 404
        )
        assert (
            client.post(
                f"{BASE}/meetings/{jx_meeting.pk}/votes/", {"choice": "agree"}, format="json"
            ).status_code
            == 404
        )
        assert (
            client.put(
                f"{BASE}/meetings/{jx_meeting.pk}/conclusion/", {"text": "x"}, format="json"
            ).status_code
            == 404
        )
        assert client.get(f"{BASE}/meetings/{jx_meeting.pk}/events/").status_code == 404
        assert client.post(f"{BASE}/meetings/{jx_meeting.pk}/reports/", {}, format="json").status_code == 404
        meeting_posts = {
            "open/": {},
            "close/": {},
            "materials/": {"kind": "file", "title": "x", "url": "/x"},
            "opinions/": {"discipline": "fluid", "summary": "x"},
            "forecasts/": {
                "window_start": "2026-12-01",
                "window_end": "2026-12-31",
                "region": JX_SQUARE,
                "min_magnitude": "4.0",
                "likelihood": "low",
            },
        }
        for path, body in meeting_posts.items():
            response = client.post(f"{BASE}/meetings/{jx_meeting.pk}/{path}", body, format="json")
            assert response.status_code == 404, path
    jx_meeting.refresh_from_db()
    assert (jx_meeting.agenda, jx_meeting.status, jx_meeting.last_seq) == ("", "scheduled", 0)
    assert not jx_meeting.comments.exists()
    assert not jx_meeting.materials.exists()
    assert not jx_meeting.opinions.exists()


def test_joint_meeting_opens_to_the_joint_bureaus_only(
    api, make_meeting, jx_chair, nm, nm_viewer, cenc_forecaster, make_person
):
    meeting = make_meeting(jx_chair, kind="special_topic", joint=[nm], title="华北片区联合会商")
    meeting_services.material_attach(
        actor=None, meeting=meeting, kind="file", title="片区异常汇总", url="/media/x.pdf"
    )
    detail = api(nm_viewer).get(f"{BASE}/meetings/{meeting.pk}/")
    assert detail.status_code == 200
    assert detail.json()["joint_bureaus"] == ["NM"]
    assert [m["title"] for m in detail.json()["materials"]] == ["片区异常汇总"]
    gs = BureauFactory(code="GS", name_zh="甘肃省地震局", name_en="Gansu")
    gs_forecaster = make_person("gs_forecaster", (gs, "forecaster"))
    assert api(gs_forecaster).get(f"{BASE}/meetings/{meeting.pk}/").status_code == 404
    assert api(cenc_forecaster).get(f"{BASE}/meetings/{meeting.pk}/").status_code == 404


def test_opinion_outside_the_discipline_is_403(api, jx_meeting, jx_seis):
    response = api(jx_seis).post(
        f"{BASE}/meetings/{jx_meeting.pk}/opinions/", {"discipline": "fluid", "summary": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "fluids" in response.json()["detail"] or "流体" in response.json()["detail"]


def test_invalid_region_is_400_with_the_reason(api, jx_meeting, jx_expert):
    bowtie = {"type": "Polygon", "coordinates": [[[115, 27], [116, 28], [116, 27], [115, 28], [115, 27]]]}
    response = api(jx_expert).post(
        f"{BASE}/meetings/{jx_meeting.pk}/opinions/",
        {"discipline": "fluid", "summary": "x", "regions": bowtie},
        format="json",
    )
    assert response.status_code == 400
    assert "regions" in response.json()["errors"]
    outside = {"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]]}
    response = api(jx_expert).post(
        f"{BASE}/meetings/{jx_meeting.pk}/opinions/",
        {"discipline": "fluid", "summary": "x", "regions": outside},
        format="json",
    )
    assert response.status_code == 400
    assert "outside" in response.json()["detail"] or "超出" in response.json()["detail"]


def test_opinion_submit_and_revise(api, jx_meeting, jx_expert):
    client = api(jx_expert)
    body = {"discipline": "fluid", "summary": "水氡下降", "regions": JX_SQUARE, "likelihood": "low"}
    first = client.post(f"{BASE}/meetings/{jx_meeting.pk}/opinions/", body, format="json")
    second = client.post(
        f"{BASE}/meetings/{jx_meeting.pk}/opinions/", {**body, "summary": "水氡恢复"}, format="json"
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert (second.json()["id"], second.json()["revision"]) == (first.json()["id"], 2)
    events = client.get(f"{BASE}/meetings/{jx_meeting.pk}/events/", {"since": 1}).json()
    assert [e["payload"]["summary"] for e in events["events"]] == ["水氡恢复"]


def test_forecast_and_vote_over_the_api(api, jx_meeting, jx_chair, jx_expert):
    forecast = api(jx_chair).post(
        f"{BASE}/meetings/{jx_meeting.pk}/forecasts/",
        {
            "window_start": "2026-12-01",
            "window_end": "2026-12-31",
            "region": JX_SQUARE,
            "min_magnitude": "4.5",
            "likelihood": "high",
        },
        format="json",
    )
    assert forecast.status_code == 201, forecast.json()
    assert forecast.json()["region"]["type"] == "MultiPolygon"
    vote = api(jx_expert).post(
        f"{BASE}/meetings/{jx_meeting.pk}/votes/", {"choice": "abstain"}, format="json"
    )
    assert vote.status_code == 201
    bad = api(jx_expert).post(f"{BASE}/meetings/{jx_meeting.pk}/votes/", {"choice": "maybe"}, format="json")
    assert bad.status_code == 400
    assert "choice" in bad.json()["errors"]


def test_report_workflow_over_the_api(
    api, closed_meeting, jx_chair, jx_approver, django_capture_on_commit_callbacks
):
    report = api(jx_chair).post(f"{BASE}/meetings/{closed_meeting.pk}/reports/", {}, format="json").json()
    rid = report["id"]
    assert (
        api(jx_chair).post(f"{BASE}/reports/{rid}/submit/", {}, format="json").json()["status"] == "submitted"
    )
    returned = api(jx_approver).post(f"{BASE}/reports/{rid}/return/", {"comment": ""}, format="json")
    assert returned.status_code == 400
    assert (
        api(jx_approver).post(f"{BASE}/reports/{rid}/review/", {}, format="json").json()["status"]
        == "reviewed"
    )
    # the chair cannot sign off: 403; an illegal jump: 409 with a message
    assert api(jx_chair).post(f"{BASE}/reports/{rid}/sign-off/", {}, format="json").status_code == 403
    jump = api(jx_approver).post(f"{BASE}/reports/{rid}/archive/", {}, format="json")
    assert jump.status_code == 409
    assert jump.json()["detail"] == "该会商报告当前为“已审核”，不能归档（仅限以下状态：已上报）。"
    assert (
        api(jx_approver).post(f"{BASE}/reports/{rid}/sign-off/", {}, format="json").json()["status"]
        == "signed_off"
    )
    patched = api(jx_chair).patch(f"{BASE}/reports/{rid}/", {"title": "新标题"}, format="json")
    assert patched.status_code == 409
    assert (
        api(jx_approver).post(f"{BASE}/reports/{rid}/issue/", {}, format="json").json()["status"] == "issued"
    )
    correction = api(jx_chair).post(f"{BASE}/reports/{rid}/correct/", {"note": "更正震级"}, format="json")
    assert correction.status_code == 201
    assert (correction.json()["version"], correction.json()["corrects"]) == (2, rid)
    # the PDF renders in a worker: asked for first, it is being prepared (202), then served
    with django_capture_on_commit_callbacks(execute=True):
        pending = api(jx_chair).get(f"{BASE}/reports/{rid}/pdf/")
    assert (pending.status_code, pending.json()["status"]) == (202, "queued")
    pdf = api(jx_chair).get(f"{BASE}/reports/{rid}/pdf/")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize("step", ["submit", "return", "review", "sign-off", "issue", "archive", "correct"])
def test_other_province_cannot_move_a_report(api, report_in, nm_forecaster, step):
    report = report_in("submitted")
    response = api(nm_forecaster).post(
        f"{BASE}/reports/{report.pk}/{step}/", {"comment": "x", "note": "x"}, format="json"
    )
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == "submitted"


def test_national_centre_reads_issued_reports_not_drafts(api, report_in, cenc_forecaster, nm_forecaster):
    draft = report_in("reviewed")
    client = api(cenc_forecaster)
    assert client.get(f"{BASE}/reports/{draft.pk}/").status_code == 404
    assert client.get(f"{BASE}/reports/{draft.pk}/pdf/").status_code == 404
    assert client.get(f"{BASE}/reports/").json()["results"] == []
    from portal.models import User

    approver = User.objects.get(username="jx_approver")
    api(approver).post(f"{BASE}/reports/{draft.pk}/sign-off/", {}, format="json")
    assert client.get(f"{BASE}/reports/{draft.pk}/").status_code == 404  # signed, not yet issued
    api(approver).post(f"{BASE}/reports/{draft.pk}/issue/", {}, format="json")
    issued = client.get(f"{BASE}/reports/{draft.pk}/")
    assert issued.status_code == 200
    assert issued.json()["content"]["conclusion"].startswith("未来一个月")
    assert [r["id"] for r in client.get(f"{BASE}/reports/").json()["results"]] == [draft.pk]
    # a national reader cannot move it, and a province never reads another's report
    assert client.post(f"{BASE}/reports/{draft.pk}/archive/", {}, format="json").status_code == 403
    assert api(nm_forecaster).get(f"{BASE}/reports/{draft.pk}/").status_code == 404


def test_anonymous_is_401(api, jx_meeting):
    assert api().get(f"{BASE}/meetings/").status_code == 401
