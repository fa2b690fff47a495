"""Recognition rules: spans read from results, detections that create, extend and never
duplicate anomalies, false-alarm counts, pause/resume through the workflow, API and pages,
the end-to-end path with a real worker, and the demo rule on the demo series."""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
import pytest
from django.utils import timezone, translation

from disciplines.models import Anomaly, VerificationReport
from observations.services.series_store import series_write
from portal.models import AuditEvent, Notification
from recognition import selectors, services, spans
from recognition.models import Detection, RecognitionRule
from tests.observations.factories import ChannelFactory, StationFactory

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
DAYS = 240
BUMP = (150, 160)  # UTC days of the injected anomaly: Beijing days 2025-05-31 .. 06-10
PARAMS = {"trend": "moving", "window_days": 60, "k": 4.0, "min_days": 3}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _curve(days: int = DAYS, seed: int = 3) -> np.ndarray:
    """Hourly water level: a semidiurnal tide, a slow annual wave and noise (metres)."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24, dtype=float)
    return (
        -12.0
        + 0.04 * np.sin(2 * np.pi * hours / 12.42)
        + 0.05 * np.sin(2 * np.pi * hours / 8766.0)
        + (0.002 * rng.standard_normal(hours.size))
    )


@pytest.fixture
def wl_channel(jx):
    station = StationFactory(bureau=jx, code="JXW1", kind="well")
    channel = ChannelFactory(station=station, interval=3600)
    values = _curve()
    values[BUMP[0] * 24 : BUMP[1] * 24] += 0.05
    series_write(channel=channel, start=T0, values=values.astype(np.float32), actor=None)
    return channel


@pytest.fixture
def rule(as_actor, jx_expert, wl_channel):
    return services.rule_create(
        actor=as_actor(jx_expert),
        data={
            "name": "WL trend departure",
            "discipline": "fluid",
            "method": "trend_residual",
            "params": PARAMS,
            "channels": [wl_channel.pk],
            "window_days": DAYS,
            "persist_days": 3,
        },
    )


# --- spans ------------------------------------------------------------------------------


def test_spans_of_a_span_method_are_its_candidates():
    result = {
        "anomalies": [
            {
                "start": "2025-06-01",
                "end": "2025-06-04",
                "days": 4,
                "sign": 1,
                "peak_day": "2025-06-02",
                "peak_sigma": 7.5,
            },
            {
                "start": "2025-03-01",
                "end": "2025-03-03",
                "days": 3,
                "sign": -1,
                "peak_day": "2025-03-01",
                "peak_sigma": -5.0,
            },
        ]
    }
    found = spans.spans("trend_residual", result, threshold=None, direction="above")
    assert [(s.start.isoformat(), s.end.isoformat(), s.days, s.peak) for s in found] == [
        ("2025-03-01", "2025-03-03", 3, -5.0),
        ("2025-06-01", "2025-06-04", 4, 7.5),
    ]
    exceed = {
        "exceedances": [
            {
                "start": "2025-01-05",
                "end": "2025-01-09",
                "days": 5,
                "sign": 1,
                "peak_day": "2025-01-07",
                "peak_sigma": 3.2,
            }
        ]
    }
    assert [(s.days, s.peak) for s in spans.spans("k_sigma", exceed, threshold=None, direction="above")] == [
        (5, 3.2)
    ]


def test_indicator_spans_are_runs_beyond_the_threshold_broken_by_a_missing_day():
    days = [f"2025-01-{d:02d}" for d in range(1, 11)]
    ratio = [1.0, 3.5, 4.0, 3.1, None, 3.3, 3.4, 1.0, 0.5, 0.4]
    result = {"days": days, "stations": [{"ratio": ratio}]}
    above = spans.spans("day_to_day_ratio", result, threshold=3.0, direction="above")
    assert [(s.start.day, s.end.day, s.peak, s.peak_day.day) for s in above] == [
        (2, 4, 4.0, 3),
        (6, 7, 3.4, 7),
    ]
    values = {"days": days, "stations": [{"values": ratio}]}
    below = spans.spans("daily_value", values, threshold=0.6, direction="below")
    assert [(s.start.day, s.end.day, s.peak) for s in below] == [(9, 10, 0.4)]
    assert spans.spans("daily_value", values, threshold=None, direction="below") == []


# --- evaluation --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_detection_reports_an_anomaly_and_tells_the_experts(rule, wl_channel, jx_expert, make_person, jx):
    colleague = make_person("jx_expert2", (jx, "expert", "fluid"))
    summary = services.rule_evaluate(rule_id=rule.pk)
    assert summary == {"channels": 1, "runs": 1, "failed": 0, "created": 1, "extended": 0}
    detection = Detection.objects.get()
    assert (detection.start.isoformat(), detection.end.isoformat()) == ("2025-05-31", "2025-06-10")
    anomaly = detection.anomaly
    assert (anomaly.source, anomaly.kind, anomaly.state, anomaly.channel_id) == (
        "product",
        "instrumental",
        "reported",
        wl_channel.pk,
    )
    assert anomaly.reported_by == jx_expert
    assert anomaly.onset_at == dt.datetime(2025, 5, 31, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert anomaly.product_reference == f"trend_residual #{detection.run_id}"
    assert "WL trend departure" in anomaly.description
    assert "2025-05-31" in anomaly.description
    assert detection.run.status == "succeeded"
    assert Notification.objects.get(recipient=colleague).title == "New anomaly to verify"
    assert Notification.objects.get(recipient=jx_expert, kind="recognition.detection").title == (
        "Your recognition rule WL trend departure reported an anomaly"
    )


@pytest.mark.django_db
def test_evaluating_unchanged_data_again_reuses_the_run_and_records_nothing(rule):
    services.rule_evaluate(rule_id=rule.pk)
    again = services.rule_evaluate(rule_id=rule.pk)
    assert (again["created"], again["extended"]) == (0, 0)
    assert Anomaly.objects.count() == Detection.objects.count() == 1
    assert (
        selectors.rule_channel_states(rule=rule).get().last_run.reused_from_id
        == Detection.objects.get().run_id
    )
    # the hourly job sees no changed data
    assert services.rule_evaluate(rule_id=rule.pk, only_changed=True)["channels"] == 0


@pytest.mark.django_db
def test_a_longer_span_extends_the_open_anomaly(rule, wl_channel):
    services.rule_evaluate(rule_id=rule.pk)
    more = _curve()[BUMP[1] * 24 : (BUMP[1] + 6) * 24] + 0.05
    series_write(
        channel=wl_channel, start=T0 + dt.timedelta(days=BUMP[1]), values=more.astype(np.float32), actor=None
    )
    summary = services.rule_evaluate(rule_id=rule.pk, only_changed=True)
    assert (summary["created"], summary["extended"]) == (0, 1)
    detection = Detection.objects.get()
    assert (detection.start.isoformat(), detection.end.isoformat()) == ("2025-05-31", "2025-06-16")
    assert detection.extended_at is not None
    event = AuditEvent.objects.get(action="recognition.extend")
    assert event.target_id == str(detection.anomaly_id)
    assert Anomaly.objects.count() == 1


@pytest.mark.django_db
def test_false_alarms_and_confirmed_are_counted_after_verification(rule, jx_expert, as_actor):
    services.rule_evaluate(rule_id=rule.pk)
    actor = as_actor(jx_expert)
    counted = selectors.rule_get(actor=actor, rule_id=rule.pk)
    assert (counted.n_detections, counted.n_false_alarms, counted.n_confirmed) == (1, 0, 0)
    anomaly = Detection.objects.get().anomaly
    VerificationReport.objects.create(
        bureau=anomaly.bureau,
        anomaly=anomaly,
        verifier=jx_expert,
        conclusion="interference",
        submitted_at=timezone.now(),
    )
    counted = selectors.rule_get(actor=actor, rule_id=rule.pk)
    assert (counted.n_detections, counted.n_false_alarms, counted.n_confirmed) == (1, 1, 0)
    assert selectors.detection_outcome(selectors.rule_detections(rule=rule).get()) == "false_alarm"


# --- pause / resume -------------------------------------------------------------------------


@pytest.mark.django_db
def test_pause_and_resume_through_the_workflow(api, rule, jx_reporter, jx_admin, nm_admin):
    assert api(jx_reporter).post(f"/api/v1/recognition/rules/{rule.pk}/pause/").status_code == 403
    assert api(nm_admin).post(f"/api/v1/recognition/rules/{rule.pk}/pause/").status_code == 404
    paused = api(jx_admin).post(f"/api/v1/recognition/rules/{rule.pk}/pause/")
    assert paused.json()["state"] == "paused"
    assert api(jx_admin).post(f"/api/v1/recognition/rules/{rule.pk}/pause/").status_code == 409
    event = AuditEvent.objects.get(action="recognition_rule.pause")
    assert (event.from_state, event.to_state) == ("active", "paused")
    # a paused rule is left out of the hourly job
    assert services.rule_evaluate(rule_id=rule.pk, only_changed=True)["channels"] == 0
    assert api(jx_admin).post(f"/api/v1/recognition/rules/{rule.pk}/resume/").json()["state"] == "active"


# --- API and pages ----------------------------------------------------------------------


@pytest.mark.django_db
def test_api_creates_lists_and_refuses_bad_input(
    api, jx_expert, jx_reporter, wl_channel, django_capture_on_commit_callbacks
):
    client = api(jx_expert)
    body = {
        "name": "residual",
        "discipline": "fluid",
        "method": "trend_residual",
        "channels": [wl_channel.pk],
        "params": {"k": 0.5},
    }
    bad = client.post("/api/v1/recognition/rules/", body, format="json")
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["params.k"]
    wrong = client.post(
        "/api/v1/recognition/rules/", {**body, "method": "bvalue", "params": {}}, format="json"
    )
    assert list(wrong.json()["errors"]) == ["method"]
    created = client.post("/api/v1/recognition/rules/", {**body, "params": {"min_days": 4}}, format="json")
    assert created.status_code == 201
    rule_id = created.json()["id"]
    assert created.json()["channels"] == [wl_channel.pk]
    assert api(jx_reporter).post("/api/v1/recognition/rules/", body, format="json").status_code == 403
    listed = client.get("/api/v1/recognition/rules/?state=active").json()
    assert [r["id"] for r in listed["results"]] == [rule_id]
    patched = client.patch(f"/api/v1/recognition/rules/{rule_id}/", {"persist_days": 5}, format="json")
    assert patched.json()["persist_days"] == 5
    with django_capture_on_commit_callbacks(execute=True):
        ran = client.post(f"/api/v1/recognition/rules/{rule_id}/run/")
    assert ran.status_code == 202
    # the default 30-day running median over the last 90 days sees the bump's two flanks
    detections = client.get(f"/api/v1/recognition/rules/{rule_id}/detections/").json()
    assert [(d["start"], d["outcome"]) for d in detections["results"]] == [
        ("2025-06-11", "pending"),
        ("2025-06-04", "pending"),
    ]


@pytest.mark.django_db
def test_pages_list_show_and_link_the_anomaly(client, rule, jx_expert):
    services.rule_evaluate(rule_id=rule.pk)
    detection = Detection.objects.get()
    client.force_login(jx_expert)
    listing = client.get("/recognition/rules/?discipline=fluid", HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200
    assert b"WL trend departure" in listing.content
    page = client.get(f"/recognition/rules/{rule.pk}/")
    assert f"/disciplines/anomalies/{detection.anomaly_id}/".encode() in page.content
    assert f"/products/runs/{detection.run_id}/".encode() in page.content
    assert client.get("/recognition/rules/new/").status_code == 200
    assert client.get(f"/recognition/rules/{rule.pk}/edit/").status_code == 200
    anomaly_page = client.get(f"/disciplines/anomalies/{detection.anomaly_id}/")
    assert f"/recognition/rules/{rule.pk}/".encode() in anomaly_page.content
    posted = client.post(f"/recognition/rules/{rule.pk}/pause/")
    assert posted.status_code == 302
    assert RecognitionRule.objects.get(pk=rule.pk).state == "paused"


# --- the real worker -----------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_run_now_in_the_real_worker_reports_the_anomaly(api, real_celery, rule, jx_expert, make_person, jx):
    colleague = make_person("jx_expert3", (jx, "expert", "fluid"))
    response = api(jx_expert).post(f"/api/v1/recognition/rules/{rule.pk}/run/")
    assert response.status_code == 202
    deadline = time.monotonic() + 120
    while not Detection.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    detection = Detection.objects.get()
    assert detection.run.status == "succeeded"
    assert detection.anomaly.state == "reported"
    assert detection.anomaly.source == "product"
    assert Notification.objects.filter(recipient=colleague, kind="anomaly").count() == 1


@pytest.mark.django_db
def test_the_hourly_job_evaluates_rules_whose_data_changed(rule):
    from django_celery_beat.models import PeriodicTask

    from recognition.tasks import run_rules_on_new_data_task

    beat = PeriodicTask.objects.get(name="recognition: run rules on new data")
    assert (beat.task, beat.interval.every, beat.interval.period) == (
        "recognition.run_rules_on_new_data",
        1,
        "hours",
    )
    assert run_rules_on_new_data_task.apply().get() == [rule.pk]  # never evaluated: due (run eagerly here)
    assert Detection.objects.count() == 1
    assert run_rules_on_new_data_task.apply().get() == []  # nothing changed since
