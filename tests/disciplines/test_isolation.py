"""Tenant isolation of every endpoint and page of the app: Inner Mongolia's people (admin,
expert, reporter) never read or change Jiangxi's units, reports or anomalies."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from disciplines.models import Anomaly, ZeroReport
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db

NM_PEOPLE = ["nm_admin", "nm_expert", "nm_reporter"]


@pytest.fixture
def jx_data(in_state, jx_fluid_unit):
    anomaly = in_state("verified")
    report = ZeroReport.objects.get(anomaly=anomaly)
    attachment = anomaly.attachments.create(
        bureau=anomaly.bureau,
        name="a.txt",
        content_type="text/plain",
        size=1,
        uploaded_by=anomaly.reported_by,
        file="disciplines/none.txt",
    )
    return {"anomaly": anomaly, "report": report, "unit": jx_fluid_unit, "attachment": attachment}


def _snapshot(anomaly):
    anomaly.refresh_from_db()
    return (anomaly.state, AuditEvent.objects.count(), ZeroReport.objects.count(), Anomaly.objects.count())


READS = [
    "/api/v1/reporting-units/{unit}/",
    "/api/v1/zero-reports/{report}/",
    "/api/v1/anomalies/{anomaly}/",
    "/api/v1/anomalies/{anomaly}/verification/",
    "/disciplines/anomalies/{anomaly}/",
    "/disciplines/anomalies/{anomaly}/assessment/",
    "/disciplines/anomalies/{anomaly}/verification/",
    "/disciplines/anomalies/{anomaly}/verification.pdf",
    "/disciplines/attachments/{attachment}/",
]


@pytest.mark.parametrize("person", NM_PEOPLE)
@pytest.mark.parametrize("url", READS)
def test_nm_cannot_read_jx_objects(request, client, api, jx_data, person, url):
    user = request.getfixturevalue(person)
    target = url.format(**{k: v.pk for k, v in jx_data.items()})
    if target.startswith("/api/"):
        assert api(user).get(target).status_code == 404
    else:
        client.force_login(user)
        assert client.get(target).status_code == 404


LISTS = [
    "/api/v1/reporting-units/",
    "/api/v1/zero-reports/",
    "/api/v1/anomalies/",
    "/api/v1/zero-reports/matrix/",
    "/disciplines/anomalies/",
    "/disciplines/units/",
    "/disciplines/matrix/",
    "/disciplines/report/",
    "/disciplines/anomalies/timeline/",
    "/disciplines/anomalies.geojson",
    "/disciplines/anomalies/export/?format=csv",
    "/disciplines/zero-reports/export/?format=csv",
]


@pytest.mark.parametrize("person", NM_PEOPLE)
@pytest.mark.parametrize("url", LISTS)
def test_nm_lists_show_nothing_of_jx(request, client, jx_data, person, url):
    user = request.getfixturevalue(person)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200  # a list of their own bureau, without JX's rows
    body = response.content.decode("utf-8-sig")
    for marker in ("JX-FL-01", "南昌井"):
        assert marker not in body


WRITES = [
    ("/api/v1/anomalies/{anomaly}/assess/", {}),
    ("/api/v1/anomalies/{anomaly}/return-verification/", {"comment": "x"}),
    (
        "/api/v1/anomalies/{anomaly}/ratings/",
        {"credibility": "A", "relation": "close", "recommendation": "track"},
    ),
    ("/api/v1/anomalies/{anomaly}/attachments/", {"attachments": "FILE"}),
    ("/api/v1/zero-reports/", {"unit": "{unit}", "period": "{yesterday}", "status": "none"}),
]


@pytest.mark.parametrize("person", NM_PEOPLE)
@pytest.mark.parametrize(("url", "body"), WRITES)
def test_nm_cannot_change_jx_objects(request, api, jx_data, person, url, body):
    user = request.getfixturevalue(person)
    ids = {k: v.pk for k, v in jx_data.items()}
    ids["yesterday"] = (timezone.localdate() - timedelta(days=1)).isoformat()
    data = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
    if "unit" in data:
        data["unit"] = int(data["unit"])
    fmt = "json"
    if data.get("attachments") == "FILE":
        upload = io.BytesIO(b"hello")
        upload.name = "note.txt"
        data, fmt = {"attachments": [upload]}, "multipart"
    before = _snapshot(jx_data["anomaly"])
    response = api(user).post(url.format(**ids), data, format=fmt)
    assert response.status_code == 404  # JX's anomaly, and JX's unit for a zero-report, are not theirs
    assert _snapshot(jx_data["anomaly"]) == before


@pytest.mark.parametrize("action", ["assess", "return_verification", "close"])
def test_nm_page_moves_on_jx_anomaly_are_404(client, nm_expert, jx_data, action):
    client.force_login(nm_expert)
    before = _snapshot(jx_data["anomaly"])
    response = client.post(f"/disciplines/anomalies/{jx_data['anomaly'].pk}/do/{action}/", {"comment": "x"})
    assert response.status_code == 404
    assert _snapshot(jx_data["anomaly"]) == before


def test_nm_admin_settings_only_change_nm(api, nm_admin, jx, nm):
    from disciplines.selectors import anomaly_settings_for

    api(nm_admin).put(
        "/api/v1/disciplines/settings/", {"verification_hours": 12, "assessment_hours": 12}, format="json"
    )
    assert anomaly_settings_for(bureau=nm).verification_hours == 12
    assert anomaly_settings_for(bureau=jx).verification_hours == 72


def test_nm_counts_ignore_jx(api, nm_expert, jx_data):
    counts = api(nm_expert).get("/api/v1/disciplines/counts/").json()
    assert (counts["to_assign"], counts["to_assess"], counts["to_verify"]) == (0, 0, 0)
