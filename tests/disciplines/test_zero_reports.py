"""Zero-reports through the API: submission, replacement with history, lateness, refusals."""

from __future__ import annotations

import io
import json
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from PIL import Image

from disciplines.models import BEIJING, Anomaly, ZeroReport, ZeroReportRevision
from portal.models import AuditEvent, Notification

pytestmark = pytest.mark.django_db


def _yesterday():
    return timezone.localdate() - timedelta(days=1)


def _png(name="p.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_reporter_submits_no_anomaly(api, jx_reporter, jx_fluid_unit):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {"unit": jx_fluid_unit.pk, "period": timezone.localdate().isoformat(), "status": "none"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["revision"], body["is_late"], body["source"]) == ("none", 1, False, "api")
    assert ZeroReport.objects.get().reported_by == jx_reporter


def test_resubmission_before_deadline_replaces_and_keeps_history(api, jx_reporter, jx_fluid_unit):
    client = api(jx_reporter)
    period = timezone.localdate().isoformat()
    client.post(
        "/api/v1/zero-reports/", {"unit": jx_fluid_unit.pk, "period": period, "status": "none"}, format="json"
    )
    second = client.post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_fluid_unit.pk,
            "period": period,
            "status": "anomaly",
            "anomaly": {
                "observation_item": "水位",
                "description": "水位突升",
                "onset_at": timezone.now().isoformat(),
            },
        },
        format="json",
    )
    assert second.status_code == 200
    assert second.json()["revision"] == 2
    assert ZeroReport.objects.count() == 1
    report = ZeroReport.objects.get()
    assert report.status == "anomaly"
    assert list(
        ZeroReportRevision.objects.filter(report=report).order_by("revision").values_list("status", flat=True)
    ) == [
        "none",
        "anomaly",
    ]
    detail = client.get(f"/api/v1/zero-reports/{report.pk}/").json()
    assert [h["revision"] for h in detail["history"]] == [2, 1]


def test_submission_after_deadline_is_accepted_and_marked_late(as_actor, jx_reporter, jx_fluid_unit):
    from disciplines.services.zero_reports import zero_report_submit

    period = timezone.localdate() - timedelta(days=3)
    deadline = datetime.combine(period + timedelta(days=1), time(10, 0), tzinfo=BEIJING)
    on_time = zero_report_submit(
        actor=as_actor(jx_reporter),
        unit=jx_fluid_unit,
        period=period,
        status="none",
        now=deadline - timedelta(minutes=1),
    )
    assert on_time.is_late is False
    late = zero_report_submit(
        actor=as_actor(jx_reporter),
        unit=jx_fluid_unit,
        period=period,
        status="none",
        now=deadline + timedelta(minutes=1),
    )
    assert (late.is_late, late.revision) == (True, 2)


def test_weekly_unit_reports_for_the_week_starting_monday(as_actor, jx_reporter, jx_fluid_unit):
    from disciplines.services.zero_reports import zero_report_submit

    jx_fluid_unit.schedule = "weekly"
    jx_fluid_unit.save()
    day = timezone.localdate() - timedelta(days=9)
    report = zero_report_submit(actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=day, status="none")
    assert report.period == day - timedelta(days=day.weekday())
    assert jx_fluid_unit.deadline_for(report.period).date() == report.period + timedelta(days=7)


def test_report_for_a_unit_not_held_is_403_and_stores_nothing(api, jx_reporter, jx_other_unit):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {"unit": jx_other_unit.pk, "period": _yesterday().isoformat(), "status": "none"},
        format="json",
    )
    assert response.status_code == 403
    assert "九江宏观点" in response.json()["detail"]
    assert ZeroReport.objects.count() == 0


def test_other_bureaus_unit_is_404(api, nm_reporter, jx_fluid_unit):
    response = api(nm_reporter).post(
        "/api/v1/zero-reports/",
        {"unit": jx_fluid_unit.pk, "period": _yesterday().isoformat(), "status": "none"},
        format="json",
    )
    assert response.status_code == 404
    assert ZeroReport.objects.count() == 0


@pytest.mark.parametrize(
    ("period", "fragment"),
    [("2026-13-45", "YYYY-MM-DD"), ("yesterday", "YYYY-MM-DD"), ("", "period"), ("2099-01-01", "future")],
)
def test_bad_period_is_400_naming_the_field(api, jx_reporter, jx_fluid_unit, period, fragment):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/", {"unit": jx_fluid_unit.pk, "period": period, "status": "none"}, format="json"
    )
    assert response.status_code == 400
    assert "period" in response.json()["errors"]
    assert fragment in response.json()["detail"] or fragment in str(response.json()["errors"])
    assert ZeroReport.objects.count() == 0


def test_anomaly_without_description_names_the_nested_field(api, jx_reporter, jx_fluid_unit):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_fluid_unit.pk,
            "period": _yesterday().isoformat(),
            "status": "anomaly",
            "anomaly": {"observation_item": "水位", "onset_at": timezone.now().isoformat()},
        },
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["anomaly.description"]


def test_unknown_observation_item_and_bad_status_are_400(api, jx_reporter, jx_fluid_unit):
    client = api(jx_reporter)
    bad_item = client.post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_fluid_unit.pk,
            "period": _yesterday().isoformat(),
            "status": "anomaly",
            "anomaly": {
                "observation_item": "地磁",
                "description": "x",
                "onset_at": timezone.now().isoformat(),
            },
        },
        format="json",
    )
    assert bad_item.status_code == 400
    assert "anomaly.observation_item" in bad_item.json()["errors"]
    bad_status = client.post(
        "/api/v1/zero-reports/",
        {"unit": jx_fluid_unit.pk, "period": _yesterday().isoformat(), "status": "maybe"},
        format="json",
    )
    assert bad_status.status_code == 400
    assert "status" in bad_status.json()["errors"]


def test_anomaly_report_creates_anomaly_with_photo_and_tells_the_discipline_office(
    api, jx_reporter, jx_fluid_unit, jx_expert, jx_seis_expert
):
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_fluid_unit.pk,
            "period": _yesterday().isoformat(),
            "status": "anomaly",
            "anomaly": json.dumps(
                {
                    "observation_item": "水位",
                    "description": "井水冒泡",
                    "onset_at": (timezone.now() - timedelta(hours=3)).isoformat(),
                }
            ),
            "attachments": [_png()],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    anomaly = Anomaly.objects.get()
    assert (anomaly.state, anomaly.source, anomaly.unit, anomaly.discipline.code) == (
        "reported",
        "zero_report",
        jx_fluid_unit,
        "fluid",
    )
    assert anomaly.location == jx_fluid_unit.location
    assert [a.content_type for a in anomaly.attachments.all()] == ["image/png"]
    assert list(
        Notification.objects.filter(kind="anomaly").values_list("recipient__username", flat=True)
    ) == ["jx_expert"]


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("virus.exe", b"MZ\x90\x00", "not an accepted file type"),
        ("fake.png", b"not a png at all", "does not contain"),
        ("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "at most 10 MB"),
    ],
)
def test_bad_attachments_are_refused_with_a_clear_message(
    api, jx_reporter, jx_fluid_unit, name, content, fragment
):
    upload = io.BytesIO(content)
    upload.name = name
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {
            "unit": jx_fluid_unit.pk,
            "period": _yesterday().isoformat(),
            "status": "anomaly",
            "anomaly": json.dumps(
                {"observation_item": "水位", "description": "x", "onset_at": timezone.now().isoformat()}
            ),
            "attachments": [upload],
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert fragment in response.json()["detail"]
    assert name in response.json()["detail"]
    assert "attachments" in response.json()["errors"]
    assert (ZeroReport.objects.count(), Anomaly.objects.count()) == (0, 0)


def test_resubmitting_no_anomaly_withdraws_the_unreviewed_anomaly(
    as_actor, jx_reporter, jx_fluid_unit, reported
):
    from disciplines.services.zero_reports import zero_report_submit

    anomaly = reported()
    report = ZeroReport.objects.get(anomaly=anomaly)
    zero_report_submit(actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=report.period, status="none")
    anomaly.refresh_from_db()
    assert anomaly.state == "closed"
    assert AuditEvent.objects.filter(action="anomaly.withdraw", target_id=str(anomaly.pk)).count() == 1


@pytest.mark.parametrize("who", ["jx_viewer", "jx_expert2", "jx_other_reporter"])
def test_replacing_a_report_under_verification_without_the_right_is_403_not_409(
    request, api, jx_fluid_unit, in_state, who
):
    """Permission before state: only the unit's reporters learn that the report is locked (409)."""
    anomaly = in_state("verifying")
    report = ZeroReport.objects.get(anomaly=anomaly)
    person = (
        request.getfixturevalue("jx_other_unit").reporters.first() if who == "jx_other_reporter" else None
    )
    person = person or request.getfixturevalue(who)
    response = api(person).post(
        "/api/v1/zero-reports/",
        {"unit": jx_fluid_unit.pk, "period": report.period.isoformat(), "status": "none"},
        format="json",
    )
    assert response.status_code == 403, response.json()
    report.refresh_from_db()
    anomaly.refresh_from_db()
    assert (report.status, anomaly.state) == ("anomaly", "verifying")


def test_report_cannot_replace_an_anomaly_under_verification(api, jx_reporter, jx_fluid_unit, in_state):
    anomaly = in_state("verifying")
    report = ZeroReport.objects.get(anomaly=anomaly)
    response = api(jx_reporter).post(
        "/api/v1/zero-reports/",
        {"unit": jx_fluid_unit.pk, "period": report.period.isoformat(), "status": "none"},
        format="json",
    )
    assert response.status_code == 409
    report.refresh_from_db()
    assert (report.status, report.revision) == ("anomaly", 1)


def test_list_is_tenant_scoped(
    api, jx_reporter, nm_reporter, jx_fluid_unit, nm_unit, as_actor, cenc_forecaster
):
    from disciplines.services.zero_reports import zero_report_submit

    zero_report_submit(actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=_yesterday(), status="none")
    zero_report_submit(actor=as_actor(nm_reporter), unit=nm_unit, period=_yesterday(), status="none")
    jx_report = ZeroReport.objects.get(unit=jx_fluid_unit)
    assert [r["unit_code"] for r in api(jx_reporter).get("/api/v1/zero-reports/").json()["results"]] == [
        "JX-FL-01"
    ]
    assert [r["unit_code"] for r in api(nm_reporter).get("/api/v1/zero-reports/").json()["results"]] == [
        "NM-FL-01"
    ]
    assert api(nm_reporter).get(f"/api/v1/zero-reports/{jx_report.pk}/").status_code == 404
    # zero-reports are bureau data: national units do not read them
    assert api(cenc_forecaster).get("/api/v1/zero-reports/").json()["results"] == []
    assert api(nm_reporter).get(f"/api/v1/reporting-units/{jx_fluid_unit.pk}/").status_code == 404
    assert [u["code"] for u in api(jx_reporter).get("/api/v1/reporting-units/?mine=1").json()["results"]] == [
        "JX-FL-01"
    ]


def test_bad_query_parameters_are_400(api, jx_reporter):
    assert api(jx_reporter).get("/api/v1/zero-reports/?start=soon").status_code == 400
    assert api(jx_reporter).get("/api/v1/zero-reports/?unit=abc").json()["errors"] == {
        "unit": ["unit must be a number."]
    }


@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_once_make_one_report_with_two_revisions(as_actor, jx_reporter, jx_fluid_unit):
    """The unit's row lock serialises them: one creates the period's report, the other replaces it."""
    import threading

    from django.db import connection

    from disciplines.services.zero_reports import zero_report_submit

    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def submit(status):
        try:
            barrier.wait()
            zero_report_submit(
                actor=as_actor(jx_reporter), unit=jx_fluid_unit, period=_yesterday(), status=status
            )
        except Exception as exc:  # noqa: BLE001 - whatever a thread raises is collected: the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=("none",)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    report = ZeroReport.objects.get()
    assert report.revision == 2
    assert sorted(ZeroReportRevision.objects.filter(report=report).values_list("revision", flat=True)) == [
        1,
        2,
    ]
