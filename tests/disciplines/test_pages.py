"""Pages: every page renders for the people it is for, refuses or hides the rest, and never
shows another province's data; the verification PDF; CSV and Excel exports."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image

from disciplines.models import Anomaly, ZeroReport

pytestmark = pytest.mark.django_db


def _png(name="p.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


PAGES = [
    "/disciplines/report/",
    "/disciplines/matrix/",
    "/disciplines/zero-reports/import/",
    "/disciplines/units/",
    "/disciplines/anomalies/",
    "/disciplines/anomalies/map/",
    "/disciplines/anomalies/timeline/",
    "/disciplines/anomalies.geojson",
    "/disciplines/anomalies/export/?format=csv",
    "/disciplines/zero-reports/export/?format=xlsx",
]


@pytest.mark.parametrize("url", PAGES)
def test_pages_render_for_the_discipline_office(client, jx_admin, jx_expert, in_state, url):
    in_state("tracking")
    for person in (jx_admin, jx_expert):
        # only a bureau admin imports zero-reports
        expected = 403 if (url, person) == ("/disciplines/zero-reports/import/", jx_expert) else 200
        client.force_login(person)
        response = client.get(url)
        assert response.status_code == expected, (url, person)


def test_reporter_submits_through_the_phone_form(client, jx_reporter, jx_fluid_unit, jx_expert):
    client.force_login(jx_reporter)
    page = client.get("/disciplines/report/")
    assert "南昌井" in page.content.decode()
    response = client.post(
        "/disciplines/report/",
        {
            "unit": jx_fluid_unit.pk,
            "period": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "status": "anomaly",
            "observation_item": "水位",
            "description": "井水翻花",
            "onset_at": (timezone.localtime() - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"),
            "attachments": [_png()],
        },
    )
    assert response.status_code == 302
    anomaly = Anomaly.objects.get()
    assert (anomaly.description, anomaly.attachments.count()) == ("井水翻花", 1)
    # the reporter lands on the anomaly just reported, and may read it
    assert response["Location"] == f"/disciplines/anomalies/{anomaly.pk}/"
    assert client.get(response["Location"]).status_code == 200
    none = client.post(
        "/disciplines/report/",
        {
            "unit": jx_fluid_unit.pk,
            "period": (timezone.localdate() - timedelta(days=2)).isoformat(),
            "status": "none",
        },
    )
    assert none.status_code == 302
    assert none["Location"] == "/disciplines/report/"  # a zero-report: back to the list of what is due
    future = client.post(
        "/disciplines/report/", {"unit": jx_fluid_unit.pk, "period": "2099-01-01", "status": "none"}
    )
    assert future.status_code == 200
    assert "future" in future.content.decode() or "未来" in future.content.decode()


def test_anomaly_detail_shows_history_and_moves(client, jx_expert2, jx_expert, in_state):
    anomaly = in_state("verified")
    client.force_login(jx_expert2)
    body = client.get(f"/disciplines/anomalies/{anomaly.pk}/").content.decode()
    assert 'id="history"' in body
    assert body.count('data-to="') >= 4
    assert 'data-action="assess"' in body
    assert 'data-action="return_verification"' in body
    response = client.post(f"/disciplines/anomalies/{anomaly.pk}/do/assess/", {"comment": "同意"})
    assert response.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.state == "assessed"
    # an illegal move from the page is refused with a message, nothing changes
    client.post(f"/disciplines/anomalies/{anomaly.pk}/do/assign/", {"assignee": jx_expert.pk})
    anomaly.refresh_from_db()
    assert anomaly.state == "assessed"


def test_assigned_expert_opens_the_verification_form_and_saves_a_draft(client, jx_expert, in_state):
    """GET renders the unbound form (it used to crash on every anomaly); a POST saves the draft
    and the next GET shows what was saved."""
    # given
    anomaly = in_state("verifying-blank")
    client.force_login(jx_expert)
    url = f"/disciplines/anomalies/{anomaly.pk}/verification/"
    # when
    page = client.get(url)
    # then
    assert page.status_code == 200
    assert 'id="verification-form"' in page.content.decode()
    # when
    saved = client.post(
        url,
        {
            "observation": "南昌井 水位",
            "instrument": "SWY-II",
            "amplitude": "0.8 m",
            "check_rainfall": "present",
            "finding_rainfall": "连续降雨 3 天",
            "submit": "0",
        },
    )
    # then
    assert saved.status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.state == "verifying"
    report = anomaly.verification
    assert (report.instrument, report.amplitude) == ("SWY-II", "0.8 m")
    assert report.checks["rainfall"] == {"result": "present", "finding": "连续降雨 3 天"}
    again = client.get(url)
    assert again.status_code == 200
    assert "连续降雨 3 天" in again.content.decode()


def test_a_bad_check_value_is_shown_under_the_checks(client, jx_expert, in_state):
    anomaly = in_state("verifying-blank")
    client.force_login(jx_expert)
    response = client.post(
        f"/disciplines/anomalies/{anomaly.pk}/verification/", {"check_power": "maybe", "submit": "0"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_verifier_writes_and_submits_the_report_through_the_page(
    client, jx_expert, in_state, django_capture_on_commit_callbacks
):
    anomaly = in_state("verifying-blank")
    client.force_login(jx_expert)
    data = {
        "observation": "南昌井 水位",
        "instrument": "SWY-II",
        "onset_at": timezone.localtime(anomaly.onset_at).strftime("%Y-%m-%dT%H:%M"),
        "shape": "阶跃",
        "amplitude": "0.8 m",
        "analysis": "排除干扰",
        "conclusion": "interference",
        "figures": [_png("curve.png")],
        "submit": "1",
    }
    for factor in (
        "environment",
        "instrument",
        "power",
        "lightning",
        "pumping",
        "mining",
        "construction",
        "rainfall",
    ):
        data[f"check_{factor}"] = "ruled_out"
    incomplete = client.post(f"/disciplines/anomalies/{anomaly.pk}/verification/", data)
    assert incomplete.status_code == 200  # air pressure unchecked: the form says so
    assert "air pressure" in incomplete.content.decode() or "气压" in incomplete.content.decode()
    data["check_air_pressure"] = "present"
    data["finding_air_pressure"] = "气压骤降 12 hPa"
    data["figures"] = [_png("curve.png")]
    with django_capture_on_commit_callbacks(execute=True):  # the submission queues its PDF
        assert client.post(f"/disciplines/anomalies/{anomaly.pk}/verification/", data).status_code == 302
    anomaly.refresh_from_db()
    assert anomaly.state == "verified"
    pdf = client.get(f"/disciplines/anomalies/{anomaly.pk}/verification.pdf")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    html = client.get(f"/disciplines/anomalies/{anomaly.pk}/verification.pdf?html=1").content.decode()
    assert "气压骤降 12 hPa" in html
    assert "data:image/png;base64," in html


def test_assessment_form_rates_and_decides(client, jx_expert, jx_expert2, in_state):
    anomaly = in_state("verified")
    client.force_login(jx_expert)
    response = client.post(
        f"/disciplines/anomalies/{anomaly.pk}/assessment/",
        {"credibility": "A", "relation": "close", "recommendation": "close", "comment": "可信"},
    )
    assert response.status_code == 302
    body = client.get(f"/disciplines/anomalies/{anomaly.pk}/assessment/").content.decode()
    assert 'data-expert="jx_expert"' in body
    assert 'data-expert="jx_expert2"' in body


def test_other_province_sees_nothing_of_jx(client, nm_admin, in_state, jx_fluid_unit):
    anomaly = in_state("tracking")
    attachment_id = None
    client.force_login(nm_admin)
    for url in (
        f"/disciplines/anomalies/{anomaly.pk}/",
        f"/disciplines/anomalies/{anomaly.pk}/verification.pdf",
        f"/disciplines/anomalies/{anomaly.pk}/assessment/",
        f"/disciplines/anomalies/{anomaly.pk}/verification/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/disciplines/anomalies/{anomaly.pk}/do/close/").status_code == 404
    for url in ("/disciplines/anomalies/", "/disciplines/units/", "/disciplines/anomalies/timeline/"):
        body = client.get(url).content.decode()
        assert "南昌井" not in body, url
    assert client.get("/disciplines/anomalies.geojson").json()["features"] == []
    csv_body = client.get("/disciplines/anomalies/export/?format=csv").content.decode("utf-8-sig")
    assert csv_body.count("\n") == 1  # the header only
    assert attachment_id is None
    anomaly.refresh_from_db()
    assert anomaly.state == "tracking"


def test_attachments_are_served_only_to_readers(client, api, jx_reporter, jx_fluid_unit, nm_admin, jx_expert):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_fluid_unit.pk,
            "period": (timezone.localdate() - timedelta(days=1)).isoformat(),
            "status": "anomaly",
            "anomaly": '{"observation_item": "水位", "description": "x", "onset_at": "2026-01-01T08:00:00+08:00"}',
            "attachments": [_png()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    attachment = Anomaly.objects.get().attachments.get()
    client.force_login(jx_expert)
    served = client.get(f"/disciplines/attachments/{attachment.pk}/")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    client.force_login(nm_admin)
    assert client.get(f"/disciplines/attachments/{attachment.pk}/").status_code == 404


def test_national_unit_sees_published_anomalies_on_the_map(client, cenc_forecaster, in_state):
    tracking = in_state("tracking")
    in_state("verifying")
    client.force_login(cenc_forecaster)
    features = client.get("/disciplines/anomalies.geojson").json()["features"]
    assert [f["properties"]["id"] for f in features] == [tracking.pk]


def test_exports_contain_the_rows(client, jx_expert, in_state):
    in_state("tracking")
    client.force_login(jx_expert)
    book = load_workbook(io.BytesIO(client.get("/disciplines/anomalies/export/?format=xlsx").content))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][3] == "南昌井"
    reports = client.get(
        f"/disciplines/zero-reports/export/?format=csv&start={(timezone.localdate() - timedelta(days=5)).isoformat()}"
    ).content.decode("utf-8-sig")
    assert "JX-FL-01" in reports
    assert ZeroReport.objects.count() == 1


def test_spreadsheet_formulas_are_neutralised():
    from disciplines.exports import to_csv

    assert to_csv(["a"], [["=cmd()"]]).decode("utf-8-sig").splitlines()[1] == "'=cmd()"


def test_bureau_admin_changes_deadlines_on_the_settings_page(client, jx_admin, jx_expert):
    client.force_login(jx_expert)
    assert client.get("/disciplines/settings/").status_code == 403
    client.force_login(jx_admin)
    assert (
        client.post("/disciplines/settings/", {"verification_hours": 48, "assessment_hours": 96}).status_code
        == 302
    )
    from disciplines.selectors import anomaly_settings_for

    assert anomaly_settings_for(bureau=jx_admin.memberships.get().bureau).verification_hours == 48


def test_dashboard_shows_the_panels_of_each_role(
    client, jx_reporter, jx_expert, jx_admin, jx_fluid_unit, in_state
):
    in_state("reported")
    client.force_login(jx_reporter)
    assert 'data-panel="disciplines-due"' in client.get("/").content.decode()
    client.force_login(jx_expert)
    body = client.get("/").content.decode()
    assert 'data-panel="disciplines-anomalies"' in body
    client.force_login(jx_admin)
    assert 'data-panel="disciplines-missing"' in client.get("/").content.decode()
    counts = client.get("/api/v1/disciplines/counts/").json()
    assert counts["to_assign"] == 1
    assert "missing_7d" in counts


def test_bureau_admin_adds_a_unit_inside_the_jurisdiction(client, jx_admin, jx_reporter, jx_expert):
    from disciplines.models import ReportingUnit

    client.force_login(jx_expert)
    assert client.get("/disciplines/units/new/").status_code == 403
    client.force_login(jx_admin)
    body = {
        "code": "JX-FL-09",
        "name": "瑞昌井",
        "kind": "station",
        "discipline": "fluid",
        "lon": "115.67",
        "lat": "29.68",
        "observation_items": "水位、水温",
        "reporters": [jx_reporter.pk],
        "schedule": "weekly",
        "deadline_time": "12:00",
    }
    assert client.post("/disciplines/units/new/", body).status_code == 302
    unit = ReportingUnit.objects.get(code="JX-FL-09")
    assert (unit.observation_items, list(unit.reporters.all()), unit.schedule) == (
        ["水位", "水温"],
        [jx_reporter],
        "weekly",
    )
    outside = client.post("/disciplines/units/new/", {**body, "code": "JX-X", "lon": "111.7", "lat": "40.8"})
    assert outside.status_code == 200
    assert "jurisdiction" in outside.content.decode()
    taken = client.post("/disciplines/units/new/", body)
    assert "taken" in taken.content.decode()
