"""Demo data of the trends app (``seed_demo``): the briefs of JX (``brief_demo``), and JX's monthly trend report of last month issued
(compiled, written, submitted, reviewed, signed off and issued through the services by the demo
people) and this month's in draft. Safe to run again: each step is taken only from the state
before it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from portal.models import Bureau, User
from portal.tenancy import actor_for

from .brief_demo import seed as seed_briefs
from .models import CompileStatus, TrendStatus
from .services import trend_compile, trend_pdf, trend_workflow
from .services import trend_reports as trend_report_services

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor

    from .models import TrendReport

WAIT_SECONDS = 300  # for a compilation a worker took
TEXTS = {
    "seismicity": "本月江西省及邻区地震活动水平总体平稳，以2级左右小震为主，未见明显的震群活动。",
    "products": "b值、Mc 与地震频次变化未见显著异常，与上月相比无明显变化。",
    "anomalies": "流体学科赣州水位井趋势转折继续跟踪，其余异常已核实为干扰。",
    "zero_reports": "全省各台站零报告报送基本正常，个别台站迟报已督促整改。",
    "last_forecast": "上月预测区内未发生4级以上地震，预测效果一般。",
    "meeting": "月会商会议已召开，各学科意见见会商纪要。",
    "opinion": "综合分析认为，下月江西省发生5级以上地震的可能性不大，赣中地区需关注4级左右地震。",
}


def _actor(username: str) -> Actor | None:
    user = User.objects.filter(username=username).first()
    return actor_for(user, "JX") if user is not None else None


def _compiled(report: TrendReport) -> TrendReport:
    """The seed is no request: it compiles the report itself instead of waiting for a worker.
    A worker may have taken the queued compilation first (``make run``): then wait for it."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        report.refresh_from_db()
        if report.compile_status == CompileStatus.QUEUED:
            trend_compile.trend_report_compile(report_id=report.pk)
            continue
        if report.compile_status in (CompileStatus.DONE, CompileStatus.FAILED) or time.monotonic() > deadline:
            return report
        time.sleep(1)


def _report(forecaster: Actor, bureau: Bureau, month: dt.date) -> TrendReport:
    report, _created = trend_report_services.trend_report_request(
        actor=forecaster, bureau=bureau, month=month
    )
    return _compiled(report)


def _write(forecaster: Actor, report: TrendReport, keys: list[str]) -> None:
    for section in report.sections.filter(key__in=keys, text=""):
        trend_report_services.trend_section_update(
            actor=forecaster, report=report, key=section.key, text=TEXTS[section.key]
        )


def seed(stdout: Any) -> None:
    seed_briefs(stdout)
    seed_trend_reports(stdout)


def seed_trend_reports(stdout: Any) -> None:
    bureau = Bureau.objects.filter(code="JX").first()
    forecaster, approver, reviewer = _actor("jx_forecaster"), _actor("jx_approver"), _actor("jx_reviewer")
    if bureau is None or forecaster is None or approver is None or reviewer is None:
        return  # no demo people: nothing to act as
    last = _report(forecaster, bureau, trend_report_services.last_month())
    if last.compile_status not in (CompileStatus.DONE, CompileStatus.FAILED):
        stdout.write(f"trends: {last.title} is still compiling; run the seed again later\n")
        return
    if last.status == TrendStatus.DRAFT:
        _write(forecaster, last, list(TEXTS))
        last = trend_workflow.trend_report_submit(actor=forecaster, report=last)
    if last.status == TrendStatus.SUBMITTED:
        last = trend_workflow.trend_report_review(actor=reviewer, report=last, comment="内容完整，同意")
    if last.status == TrendStatus.REVIEWED:
        last = trend_workflow.trend_report_sign_off(actor=approver, report=last)
    if last.status == TrendStatus.SIGNED_OFF:
        last = trend_workflow.trend_report_issue(actor=approver, report=last)
    document = trend_pdf.trend_pdf_render_now(report=last)
    current = _report(forecaster, bureau, trend_report_services.this_month())
    if current.status == TrendStatus.DRAFT:
        _write(forecaster, current, ["seismicity"])
    stdout.write(
        f"trends: {last.title} {last.status} (PDF {document.status}); {current.title} {current.status}\n"
    )
