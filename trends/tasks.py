"""Celery tasks of the trends app: compile a trend report, ask for last month's reports
(the beat job), recompile the meeting sections when a monthly meeting closes."""

from __future__ import annotations

from celery import shared_task

from portal.jobs import run_guarded

from .services import trend_compile, trend_workflow
from .services import trend_reports as trend_report_services


@shared_task(
    bind=True,
    name=trend_compile.JOB_NAME,
    time_limit=trend_compile.COMPILE_TIME_LIMIT,
    soft_time_limit=trend_compile.COMPILE_SOFT_TIME_LIMIT,
    acks_late=True,
)
def compile_trend_report_task(self, *, report_id: int, keys: list[str] | None = None) -> str | None:  # type: ignore[no-untyped-def]
    """Compile one queued report (idempotent: a report no longer queued is left alone)."""
    report = run_guarded(
        trend_compile.JOB_NAME,
        report_id,
        lambda: trend_compile.trend_report_compile(
            report_id=report_id, keys=keys, task_id=str(self.request.id or "")
        ),
    )
    return str(report.compile_status) if report is not None else None


@shared_task(name="trends.compile_monthly_trend_reports", time_limit=600, soft_time_limit=540)
def compile_monthly_trend_reports_task() -> list[int]:
    """The beat job (1st of the month, 08:00 Beijing time): last month's report of every
    active bureau with a jurisdiction, asked for as the system."""
    return trend_report_services.trend_reports_request_last_month()


@shared_task(name="trends.meeting_closed", time_limit=120, soft_time_limit=100)
def meeting_closed_task(*, meeting_id: int, bureau_id: int) -> int | None:
    """A monthly meeting closed: its month's draft recompiles the meeting and opinion sections."""
    report = trend_report_services.trend_report_meeting_closed(meeting_id=meeting_id, bureau_id=bureau_id)
    return report.pk if report is not None else None


@shared_task(name="trends.announce_issued", time_limit=120, soft_time_limit=100)
def announce_issued_task(*, report_id: int) -> int:
    """An issued report: its subscribers hear of it (idempotent: one notice per version)."""
    return len(trend_workflow.trend_report_announce_issued(report_id=report_id))
