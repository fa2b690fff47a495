"""Pages of consultations: they render, they act through the services, they keep tenants apart."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.utils import timezone

from consultations.models import ConsultationReport, DisciplineOpinion, Meeting
from tests.factories import AnomalyFactory

from .conftest import JX_SQUARE

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_calendar_shows_the_month_grid_and_phone_list(jx_meeting, jx_expert):
    now = timezone.localtime(jx_meeting.starts_at)
    response = _client(jx_expert).get("/consultations/", {"year": now.year, "month": now.month})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="calendar-grid"' in html
    assert 'id="calendar-list"' in html
    assert html.count(f'href="{jx_meeting.get_absolute_url()}"') == 2  # once in the grid, once in the list


def test_calendar_survives_a_bad_month(jx_expert):
    client = _client(jx_expert)
    for year, month in (("x", "1"), ("2026", "13"), ("9999", "12"), ("0", "1")):
        assert client.get("/consultations/", {"year": year, "month": month}).status_code == 200


def test_archive_searches_by_text_type_and_period(make_meeting, jx_chair, jx_expert):
    monthly = make_meeting(jx_chair, title="十二月月会商")
    weekly = make_meeting(jx_chair, kind="weekly", title="第49周周会商")
    client = _client(jx_expert)
    found = client.get("/consultations/archive/", {"q": "十二月", "kind": "monthly"}).content.decode()
    assert monthly.get_absolute_url() in found
    assert weekly.get_absolute_url() not in found
    bad = client.get("/consultations/archive/", {"start": "yesterday"})
    assert bad.status_code == 200
    assert "Enter a valid date" in bad.content.decode() or "有效" in bad.content.decode()


def test_chair_schedules_a_meeting_through_the_page(jx_chair, jx_expert, nm):
    response = _client(jx_chair).post(
        "/consultations/meetings/new/",
        {
            "kind": "monthly",
            "title": "2027年1月月会商",
            "starts_at": "2027-01-05T09:00",
            "chair": jx_chair.pk,
            "participants": [jx_expert.pk],
            "joint_bureaus": [nm.pk],
            "agenda": "震情回顾",
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/consultations/meetings/{meeting.pk}/"
    assert list(meeting.joint_bureaus.all()) == [nm]


def test_viewer_cannot_schedule(jx_viewer):
    assert _client(jx_viewer).get("/consultations/meetings/new/").status_code == 403


def test_meeting_room_page_renders_with_everything(closed_meeting, jx_expert):
    response = _client(jx_expert).get(f"/consultations/meetings/{closed_meeting.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "赣州水位井出现趋势转折" in html
    assert "未来一个月赣中地区" in html
    assert f'data-ws="/ws/consultations/meetings/{closed_meeting.pk}/"' in html
    data = json.loads(html.split('id="room-map-data" type="application/json">')[1].split("</script>")[0])
    assert [f["geometry"]["type"] for f in data["forecasts"]] == ["MultiPolygon"]


def test_expert_submits_an_opinion_with_a_drawn_region(jx_meeting, jx_expert):
    client = _client(jx_expert)
    assert client.get(f"/consultations/meetings/{jx_meeting.pk}/opinion/").status_code == 200
    response = client.post(
        f"/consultations/meetings/{jx_meeting.pk}/opinion/",
        {
            "discipline": "fluid",
            "summary": "水位异常",
            "anomalies": "九江台水位 /disciplines/anomalies/3/\n宜春水氡",
            "regions": json.dumps(JX_SQUARE),
            "likelihood": "low",
        },
    )
    assert response.status_code == 302
    opinion = DisciplineOpinion.objects.get()
    assert opinion.anomalies_cited == [
        {"id": "", "title": "九江台水位", "url": "/disciplines/anomalies/3/"},
        {"id": "", "title": "宜春水氡", "url": ""},
    ]
    assert opinion.regions.num_geom == 1


def test_bad_region_on_the_page_says_why_and_stores_nothing(jx_meeting, jx_expert):
    outside = {"type": "Polygon", "coordinates": [[[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]]}
    response = _client(jx_expert).post(
        f"/consultations/meetings/{jx_meeting.pk}/opinion/",
        {"discipline": "fluid", "summary": "x", "regions": json.dumps(outside)},
    )
    assert response.status_code == 200
    assert "outside the area" in response.content.decode() or "范围" in response.content.decode()
    assert not DisciplineOpinion.objects.exists()


def test_opinion_page_refuses_people_outside_the_disciplines(jx_meeting, jx_viewer):
    assert _client(jx_viewer).get(f"/consultations/meetings/{jx_meeting.pk}/opinion/").status_code == 403


def test_report_pages_and_workflow_buttons(
    report_in, jx_chair, jx_approver, django_capture_on_commit_callbacks
):
    report = report_in("submitted")
    approver = _client(jx_approver)
    page = approver.get(f"/consultations/reports/{report.pk}/").content.decode()
    assert 'data-action="review"' in page
    assert 'data-action="return"' in page
    assert 'data-action="submit"' not in page
    approver.post(f"/consultations/reports/{report.pk}/", {"action": "review"})
    refused = approver.post(f"/consultations/reports/{report.pk}/", {"action": "archive"}, follow=True)
    assert refused.status_code == 200
    report.refresh_from_db()
    assert report.status == "reviewed"
    read = _client(jx_chair).get(f"/consultations/reports/{report.pk}/read/")
    assert read.status_code == 200
    assert "未来一个月赣中地区" in read.content.decode()
    assert "data:image/png;base64," in read.content.decode()  # the map of the forecast regions
    # a draft's PDF is a preview rendered in a worker: first "being prepared", then the file
    with django_capture_on_commit_callbacks(execute=True):
        pending = _client(jx_chair).get(f"/consultations/reports/{report.pk}/pdf/")
    assert pending.status_code == 202
    assert 'data-status="queued"' in pending.content.decode()
    pdf = _client(jx_chair).get(f"/consultations/reports/{report.pk}/pdf/")
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")


def test_other_province_gets_404_on_every_page(closed_meeting, report_in, nm_forecaster):
    report = report_in("draft")
    client = _client(nm_forecaster)
    for url in (
        f"/consultations/meetings/{closed_meeting.pk}/",
        f"/consultations/meetings/{closed_meeting.pk}/edit/",
        f"/consultations/meetings/{closed_meeting.pk}/opinion/",
        f"/consultations/meetings/{closed_meeting.pk}/forecasts/new/",
        f"/consultations/reports/{report.pk}/",
        f"/consultations/reports/{report.pk}/read/",
        f"/consultations/reports/{report.pk}/pdf/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/consultations/reports/{report.pk}/", {"action": "submit"}).status_code == 404
    assert closed_meeting.title not in client.get("/consultations/archive/").content.decode()
    assert report.title not in client.get("/consultations/reports/").content.decode()


def test_national_centre_reads_issued_reports_only(report_in, cenc_forecaster, jx_approver):
    report = report_in("signed_off")
    client = _client(cenc_forecaster)
    assert client.get(f"/consultations/reports/{report.pk}/read/").status_code == 404
    _client(jx_approver).post(f"/consultations/reports/{report.pk}/", {"action": "issue"})
    assert ConsultationReport.objects.get(pk=report.pk).status == "issued"
    assert client.get(f"/consultations/reports/{report.pk}/read/").status_code == 200
    assert report.title in client.get("/consultations/reports/").content.decode()
    # the meeting itself (its drafts and discussion) stays with the province
    assert client.get(f"/consultations/meetings/{report.meeting_id}/").status_code == 404


def test_joint_meeting_page_opens_to_partner_bureau(make_meeting, jx_chair, nm, nm_viewer, cenc_forecaster):
    meeting = make_meeting(jx_chair, kind="special_topic", joint=[nm], title="联合会商")
    assert _client(nm_viewer).get(f"/consultations/meetings/{meeting.pk}/").status_code == 200
    assert _client(cenc_forecaster).get(f"/consultations/meetings/{meeting.pk}/").status_code == 404


def test_emergency_settings_page(jx_chair, jx_forecaster, jx_viewer):
    client = _client(jx_chair)
    page = client.get("/consultations/emergency/")
    assert page.status_code == 200
    # threshold and distance are the bureau's alert rule, on its own page
    assert 'name="threshold_magnitude"' not in page.content.decode()
    response = client.post(
        "/consultations/emergency/", {"emergency_magnitude": "5.5", "on_duty": [jx_forecaster.pk]}
    )
    assert response.status_code == 302
    from consultations.models import EmergencySettings

    setting = EmergencySettings.objects.get()
    assert (str(setting.emergency_magnitude), list(setting.on_duty.all())) == ("5.5", [jx_forecaster])
    assert _client(jx_viewer).get("/consultations/emergency/").status_code == 403


def test_dashboard_shows_the_role_panels(report_in, jx_chair, jx_approver, jx_expert, jx_viewer):
    report_in("submitted")
    assert 'data-panel="consultations-sign-off"' in _client(jx_approver).get("/").content.decode()
    assert 'data-panel="consultations-chair"' in _client(jx_chair).get("/").content.decode()
    assert 'data-panel="consultations-issued"' in _client(jx_viewer).get("/").content.decode()
    expert_home = _client(jx_expert).get("/").content.decode()
    assert 'data-panel="consultations-opinions"' in expert_home


def test_expert_cites_open_anomalies_of_the_discipline(jx_meeting, jx_expert, nm, make_person, disciplines):
    def anomaly(bureau, discipline, item, reporter):
        return AnomalyFactory(
            bureau=bureau,
            observation_item=item,
            discipline=disciplines[discipline],
            description="趋势下降",
            reported_by=reporter,
        )

    mine = anomaly(jx_expert.memberships.get().bureau, "fluid", "水位", jx_expert)
    other_discipline = anomaly(mine.bureau, "seismology", "b值", jx_expert)
    nm_person = make_person("nm_reporter", (nm, "reporter"))
    other_bureau = anomaly(nm, "fluid", "水氡", nm_person)
    client = _client(jx_expert)
    page = client.get(f"/consultations/meetings/{jx_meeting.pk}/opinion/?discipline=fluid").content.decode()
    assert f'value="{mine.pk}"' in page
    assert f'value="{other_discipline.pk}"' not in page
    assert f'value="{other_bureau.pk}"' not in page
    # a forged id of another bureau's anomaly is not cited
    client.post(
        f"/consultations/meetings/{jx_meeting.pk}/opinion/",
        {"discipline": "fluid", "summary": "水位下降", "cite": [str(mine.pk), str(other_bureau.pk)]},
    )
    cited = DisciplineOpinion.objects.get().anomalies_cited
    assert [a["id"] for a in cited] == [str(mine.pk)]
    assert cited[0]["url"] == f"/disciplines/anomalies/{mine.pk}/"
