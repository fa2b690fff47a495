"""The demo seed, the beat job, the meeting hook, "waiting for me" and the report index."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from trends.models import TrendReport, TrendSection

pytestmark = pytest.mark.django_db


def test_demo_seed_issues_last_month_and_drafts_this_month_once(django_capture_on_commit_callbacks):
    from portal import demo as portal_demo
    from trends import demo
    from trends.services.trend_reports import last_month, this_month

    portal_demo.load_disciplines()
    portal_demo.load_bureaus()
    portal_demo.load_demo_people()
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(io.StringIO())
    assert sorted(TrendReport.objects.values_list("month", "status", "version", "compile_status")) == [
        (last_month(), "issued", 1, "done"),
        (this_month(), "draft", 1, "done"),
    ]
    issued = TrendReport.objects.get(status="issued")
    assert issued.signed_off_by.username == "jx_approver"
    assert issued.reviewed_by.username == "jx_reviewer"
    assert TrendSection.objects.get(report=issued, key="opinion").text.startswith("综合分析")


def test_the_beat_job_is_registered_at_08_on_the_first_in_beijing_time():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(name="trends: compile last month's trend reports")
    assert task.task == "trends.compile_monthly_trend_reports"
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("0", "8", "1")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


def test_the_beat_job_asks_for_last_month_of_every_bureau_once(jx, nm, django_capture_on_commit_callbacks):
    from trends.tasks import compile_monthly_trend_reports_task

    with django_capture_on_commit_callbacks(execute=True):
        created = compile_monthly_trend_reports_task.delay().get()
    again = compile_monthly_trend_reports_task.delay().get()
    assert len(created) == 2
    assert again == []
    from trends.services.trend_reports import last_month

    assert set(TrendReport.objects.values_list("bureau__code", "month", "compile_status", "created_by")) == {
        ("JX", last_month(), "done", None),
        ("NM", last_month(), "done", None),
    }


def test_closing_the_monthly_meeting_recompiles_the_meeting_sections(
    jx, jx_chair, as_actor, request_report, fake_compilers, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from consultations.services import meetings as meeting_services
    from portal.timefmt import beijing

    month = beijing(timezone.now()).date().replace(day=1)
    report = request_report(jx_chair, jx, month)
    fake_compilers.calls.clear()
    chair = as_actor(jx_chair)
    meeting = meeting_services.meeting_create(
        actor=chair, kind="monthly", title="月会商", starts_at=timezone.now() + dt.timedelta(minutes=5)
    )
    meeting_services.meeting_open(actor=chair, meeting=meeting)
    with django_capture_on_commit_callbacks(execute=True):
        meeting_services.meeting_close(actor=chair, meeting=meeting)
    report.refresh_from_db()
    assert sorted(fake_compilers.calls) == ["meeting", "opinion"]
    assert report.compile_status == "done"


def test_waiting_for_me(jx, jx_forecaster, jx_approver, jx_reviewer, as_actor, request_report):
    from portal.waiting import waiting_for
    from trends.services import trend_workflow as wf

    report = request_report(jx_forecaster, jx)
    wf.trend_report_submit(actor=as_actor(jx_forecaster), report=report)
    assert [i.kind for i in waiting_for(as_actor(jx_approver)) if i.kind == "trend_report"] == [
        "trend_report"
    ]
    assert [i for i in waiting_for(as_actor(jx_forecaster)) if i.kind == "trend_report"] == []
    wf.trend_report_return(actor=as_actor(jx_approver), report=report, comment="请补充震例")
    mine = [i for i in waiting_for(as_actor(jx_forecaster)) if i.kind == "trend_report"]
    assert len(mine) == 1
    assert "请补充震例" in mine[0].what
    assert [i for i in waiting_for(as_actor(jx_approver)) if i.kind == "trend_report"] == []


@pytest.mark.parametrize("q", ["十月", "10月", "October", "月度趋势"])
def test_the_report_index_finds_the_month_by_its_words(jx, jx_forecaster, as_actor, request_report, q):
    from portal.report_index import ReportFilter, kinds

    report = request_report(jx_forecaster, jx)
    kind = next(k for k in kinds() if k.key == "trend_report")
    rows = list(kind.rows(as_actor(jx_forecaster), ReportFilter(q=q)))
    assert [r.id for r in rows] == [report.pk]
    assert list(kind.rows(as_actor(jx_forecaster), ReportFilter(month_of_year=9))) == []
    assert [
        r.id for r in kind.rows(as_actor(jx_forecaster), ReportFilter(month_of_year=10, bureau="JX"))
    ] == [report.pk]
    assert kind.lookup(as_actor(jx_forecaster), [report.pk])[report.pk].month == dt.date(2026, 10, 1)
