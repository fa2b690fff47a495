"""The compilation job ends done or failed: progress, a compiler's error, an unexpected error
(run_guarded), an abandoned worker (the watchdog); issuing tells the national units."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from trends.models import TrendReport

pytestmark = pytest.mark.django_db


def test_an_unexpected_error_outside_the_compilers_fails_the_job(
    jx, jx_forecaster, as_actor, monkeypatch, django_capture_on_commit_callbacks
):
    from trends.services import trend_compile, trend_reports

    def broken(report_id, results):
        raise ValueError("disk full")

    monkeypatch.setattr(trend_compile, "_store", broken)
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = trend_reports.trend_report_request(
            actor=as_actor(jx_forecaster), bureau=jx, month=dt.date(2026, 10, 1)
        )
    report.refresh_from_db()
    assert report.compile_status == "failed"
    assert "ValueError" in report.compile_note


def test_the_watchdog_fails_an_abandoned_compilation(jx, jx_forecaster, as_actor):
    from portal import jobs
    from trends.services import trend_reports

    report, _ = trend_reports.trend_report_request(
        actor=as_actor(jx_forecaster), bureau=jx, month=dt.date(2026, 10, 1)
    )
    assert report.compile_status == "queued"
    assert jobs.watchdog(now=timezone.now()).get("trends.compile_trend_report") is None
    touched = jobs.watchdog(now=timezone.now() + dt.timedelta(hours=1))
    assert touched["trends.compile_trend_report"] == [report.pk]
    report.refresh_from_db()
    assert report.compile_status == "failed"
    assert report.compile_note


def test_a_failed_compilation_tells_the_drafters(jx, jx_forecaster, request_report, fake_compilers):
    from portal.models import Notification

    fake_compilers.fail.add("products")
    report = request_report(jx_forecaster, jx)
    assert report.compile_status == "failed"
    assert (
        Notification.objects.filter(recipient=jx_forecaster, kind="trend_report.compile_failed").count() == 1
    )


def test_issuing_tells_the_national_centre(
    jx, jx_forecaster, jx_approver, jx_reviewer, cenc_forecaster, as_actor, request_report, run_commits
):
    from portal.models import Notification
    from trends.services import trend_workflow as wf

    report = request_report(jx_forecaster, jx)
    wf.trend_report_submit(actor=as_actor(jx_forecaster), report=report)
    wf.trend_report_review(actor=as_actor(jx_approver), report=report)
    wf.trend_report_sign_off(actor=as_actor(jx_reviewer), report=report)
    run_commits(wf.trend_report_issue, actor=as_actor(jx_reviewer), report=report)
    assert Notification.objects.filter(recipient=cenc_forecaster, kind="trend_report").count() == 1
    assert TrendReport.objects.get(pk=report.pk).status == "issued"


def test_handoffs_go_to_the_next_people(
    jx, jx_forecaster, jx_approver, jx_reviewer, as_actor, request_report
):
    from portal.models import Notification
    from trends.services import trend_workflow as wf

    report = request_report(jx_forecaster, jx)
    wf.trend_report_submit(actor=as_actor(jx_forecaster), report=report)
    assert set(
        Notification.objects.filter(kind="trend_report").values_list("recipient__username", flat=True)
    ) == {
        "jx_approver",
        "jx_reviewer",
    }
    Notification.objects.all().delete()
    wf.trend_report_review(actor=as_actor(jx_approver), report=report)
    assert list(
        Notification.objects.filter(kind="trend_report").values_list("recipient__username", flat=True)
    ) == ["jx_reviewer"]
