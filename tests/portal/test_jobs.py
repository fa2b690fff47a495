"""Every background job ends: the watchdog fails or requeues jobs whose worker died, for every
kind the apps register, and tells the people concerned; the task guard ends a job that raised."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from portal import jobs
from portal.celery import app
from portal.models import Notification
from portal.tasks import jobs_watchdog_task
from products.models import ProductRun
from products.services import runs as run_services
from reports.models import PushAttempt, TopicReport
from reports.services import topic_build as topic_build_services
from reports.services import topic_reports as topic_report_services
from tests.factories import TopicReportFactory

pytestmark = pytest.mark.django_db

BVALUE = {"method": "bvalue", "params": {"mc": 2.0}, "catalog": {"jurisdiction": True}}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_watchdog_is_a_beat_job_every_two_minutes_over_every_job_kind():
    assert app.conf.beat_schedule["portal.jobs_watchdog"] == {
        "task": "portal.jobs_watchdog",
        "schedule": 120.0,
    }
    assert sorted(kind.name for kind in jobs.kinds()) == [
        "catalog.event_import",
        "flows.run",
        "observations.qc_archive",
        "observations.series_import",
        "portal.document_render",
        "portal.integrity_check",
        "portal.notification_delivery",
        "postquake.draft_case",
        "postquake.opinion_push_send",
        "products.run",
        "reports.push_send",
        "reports.topic_report_build",
        "trends.compile_trend_report",
    ]
    assert jobs_watchdog_task.apply().get() == {}


def test_watchdog_fails_a_product_run_stuck_too_often_and_tells_who_asked(jx, jx_forecaster, as_actor):
    # given: a run whose worker died on its last attempt, long ago
    run = run_services.run_create(actor=as_actor(jx_forecaster), **BVALUE)
    ProductRun.objects.filter(pk=run.pk).update(
        status="running",
        attempts=run_services.MAX_ATTEMPTS,
        started_at=timezone.now() - timedelta(hours=2),
    )
    # when
    touched = jobs.watchdog()
    # then
    run.refresh_from_db()
    assert touched == {"products.run": [run.pk]}
    assert run.status == "failed"
    note = Notification.objects.get(recipient=jx_forecaster, kind="products.run_failed")
    assert note.title == f"Product run failed: bvalue #{run.pk}"
    assert note.body == "Gave up after 3 attempts: none finished within 900 seconds."


def _report(bureau, *, status: str, age: timedelta, attempts: int = 1) -> TopicReport:
    from tests.reports.test_topic_reports import record

    event = record(bureau, magnitude=2.0)
    report = TopicReportFactory(
        event=event,
        status=status,
        build_attempts=attempts,
        started_at=timezone.now() - age if status == "building" else None,
    )
    TopicReport.objects.filter(pk=report.pk).update(
        created_at=timezone.now() - age, updated_at=timezone.now() - age
    )
    return report


def test_watchdog_requeues_a_build_whose_worker_died_once(
    jx, jx_forecaster, monkeypatch, django_capture_on_commit_callbacks
):
    # given: building for ten minutes (limit 300 s), first attempt
    report = _report(jx, status="building", age=timedelta(minutes=10), attempts=1)
    sent = []
    monkeypatch.setattr(topic_report_services, "_enqueue_build", lambda pk, bureau_id: sent.append(pk))
    # when
    touched = jobs.watchdog()
    # then
    report.refresh_from_db()
    assert touched == {"reports.topic_report_build": [report.pk]}
    assert report.status == "queued"
    assert sent == [report.pk]


def test_watchdog_fails_a_build_that_died_twice_and_tells_the_bureau(jx, jx_forecaster):
    report = _report(jx, status="building", age=timedelta(minutes=10), attempts=2)
    jobs.watchdog()
    report.refresh_from_db()
    assert report.status == "failed"
    assert report.error == (
        "The build stopped 2 times without finishing (its worker ended); rebuild it from the report's page."
    )
    assert Notification.objects.filter(recipient=jx_forecaster, kind="topic_report.failed").count() == 1


def test_watchdog_leaves_a_build_within_its_time_limit_alone(jx):
    report = _report(jx, status="building", age=timedelta(minutes=2))
    assert jobs.watchdog() == {}
    report.refresh_from_db()
    assert report.status == "building"


def test_watchdog_fails_a_build_no_worker_took(jx, jx_forecaster):
    report = _report(jx, status="queued", age=timedelta(minutes=31), attempts=0)
    jobs.watchdog()
    report.refresh_from_db()
    assert (report.status, report.error) == (
        "failed",
        "No worker built the report within 30 minutes; rebuild it.",
    )


def test_watchdog_fails_a_push_whose_worker_died_and_tells_the_bureau(jx, jx_forecaster):
    report = _report(jx, status="ready", age=timedelta(hours=1))
    attempt = PushAttempt.objects.create(
        bureau=jx, report=report, channel="email", status="retrying", attempts=1
    )
    PushAttempt.objects.filter(pk=attempt.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    touched = jobs.watchdog()
    attempt.refresh_from_db()
    assert touched == {"reports.push_send": [attempt.pk]}
    assert (attempt.status, attempt.last_error) == ("failed", "The push stopped: its worker ended; retry it.")
    assert Notification.objects.filter(recipient=jx_forecaster, kind="topic_report.push_failed").count() == 1


def test_the_task_guard_fails_a_build_that_raised_outside_the_service(jx, jx_forecaster, monkeypatch, caplog):
    # given
    from reports.tasks import topic_report_build_task

    report = _report(jx, status="queued", age=timedelta(0))

    def broken(**kwargs):
        raise LookupError("bug")

    monkeypatch.setattr(topic_build_services, "topic_report_build", broken)
    # when
    assert topic_report_build_task.apply(kwargs={"bureau_id": jx.pk, "report_id": report.pk}).get() is None
    # then
    report.refresh_from_db()
    assert report.status == "failed"
    assert report.error == "Internal error (LookupError); the administrators can find the details in the log."
    assert "LookupError: bug" in caplog.text


def test_one_broken_kind_does_not_stop_the_watchdog(jx, jx_forecaster, monkeypatch):
    def broken(now):
        raise RuntimeError("sweep bug")

    monkeypatch.setitem(jobs._KINDS, "zz.broken", jobs.JobKind(name="zz.broken", sweep=broken, fail=print))
    report = _report(jx, status="building", age=timedelta(minutes=10), attempts=2)
    jobs.watchdog()
    report.refresh_from_db()
    assert report.status == "failed"


def test_watchdog_only_resends_a_rebuild_a_person_queued_long_after_the_quake(jx, monkeypatch):
    # given: a report built once, failed, requeued by a person; its message got lost
    report = _report(jx, status="queued", age=timedelta(hours=2), attempts=1)
    sent = []
    monkeypatch.setattr(topic_report_services, "_enqueue_build", lambda pk, bureau_id: sent.append(pk))
    # when
    jobs.watchdog()
    # then: sent again, not failed
    report.refresh_from_db()
    assert (report.status, sent) == ("queued", [report.pk])
