"""Compiling a trend report's data: the job (``COMPILE_WORKFLOW`` on ``compile_status``) and the
worker's service.

    done/failed ──queue──▶ queued ──start──▶ running ──finish──▶ done
    queued/running ──fail──▶ failed          (a compiler's error, or the watchdog: its worker died)

A report is created queued. The worker (``trends.compile_trend_report``) compiles every
section (or the ones asked for: a closed meeting recompiles ``meeting`` and ``opinion``) with
the registered compilers (``trends.compilation``), reporting progress on the row, and only
at the end, in one transaction, replaces each section's data, figures, event count and
compile time. A failure leaves the sections as they were and says why. The text forecasters
wrote is never touched. A section without a registered compiler is left as it is.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal import jobs
from portal.models import Notification, Role
from portal.selectors import bureau_role_holders
from portal.services import bureau_group
from portal.tenancy import bureau_reader
from portal.workflow import (
    Handoff,
    Transition,
    Workflow,
    job_fail,
    job_steps,
    register_labels,
    row_lock,
    transition,
    transition_each,
)
from trends import compilation, selectors
from trends.models import CompileStatus, TrendFigure, TrendReport, TrendSection

if TYPE_CHECKING:
    from collections.abc import Sequence

logger = logging.getLogger(__name__)

JOB_NAME = "trends.compile_trend_report"
COMPILE_TIME_LIMIT = 1800
COMPILE_SOFT_TIME_LIMIT = 1740
QUEUED_GIVE_UP_AFTER = dt.timedelta(minutes=30)
NOTE_MAX = 200


def _to_the_drafters_on_failure(report: TrendReport, actor: Any, comment: str) -> list[Handoff]:
    people = bureau_role_holders(bureau=report.bureau_id, roles=[Role.FORECASTER, Role.CHAIR])
    return [
        Handoff(
            people,
            title=_("Compiling the trend report failed: %(title)s") % {"title": report.title},
            body=report.compile_note,
            level=Notification.Level.WARNING,
            kind="trend_report.compile_failed",
        )
    ]


def _live(report: TrendReport, action: str) -> tuple[str, dict[str, Any]]:
    return bureau_group(report.bureau_id), {
        "kind": "trend_report_compile",
        "action": action,
        "id": report.pk,
        "state": report.compile_status,
        "url": report.get_absolute_url(),
    }


def _by_a_drafter_or_the_system(actor: Any, report: TrendReport) -> bool:
    from trends.permissions import can_draft_trend_report

    return actor is None or can_draft_trend_report(actor, report)


# Not registered as the model's workflow (that is the report's own, trend_workflow.WORKFLOW):
# moves pass it explicitly. Its audit rows still read in words (register_labels below).
COMPILE_WORKFLOW = Workflow(
    name="trend_compile",
    model=TrendReport,
    state_field="compile_status",
    noun=gettext_lazy("compilation"),
    lock=row_lock(TrendReport, "bureau"),
    url=lambda report: report.get_absolute_url(),
    live=_live,
    transitions={
        "queue": Transition(
            frozenset({CompileStatus.DONE, CompileStatus.FAILED}),
            CompileStatus.QUEUED,
            _by_a_drafter_or_the_system,
            gettext_lazy("queued for compilation"),
            gettext_lazy("Recompile"),
        ),
        **job_steps(
            queued=CompileStatus.QUEUED,
            running=CompileStatus.RUNNING,
            done=CompileStatus.DONE,
            failed=CompileStatus.FAILED,
            labels=(gettext_lazy("compiling"), gettext_lazy("compiled"), gettext_lazy("compilation failed")),
            notify=_to_the_drafters_on_failure,
            notify_done=False,
        ),
    },
)
register_labels({COMPILE_WORKFLOW.audit_action(a): t.label for a, t in COMPILE_WORKFLOW.transitions.items()})


def compile_enqueue(report_id: int, keys: Sequence[str] | None = None) -> None:
    """Send the compilation to a worker once the surrounding transaction commits."""
    from trends.tasks import compile_trend_report_task

    key_list = list(keys) if keys else None
    transaction.on_commit(lambda: compile_trend_report_task.delay(report_id=report_id, keys=key_list))


def compile_queue(*, actor: Any, report: TrendReport, comment: str = "") -> TrendReport:
    """done/failed → queued (a person's recompile, or the system's); 409 while one runs."""
    return transition(
        report, "queue", actor, comment, workflow=COMPILE_WORKFLOW, compile_progress=0, compile_note=""
    )


def _progress(report_id: int, percent: int, note: str) -> None:
    # progress is no state: a plain column update the page polls
    TrendReport.objects.filter(pk=report_id).update(
        compile_progress=max(0, min(100, int(percent))), compile_note=str(note)[:NOTE_MAX]
    )


def trend_report_compile(
    *, report_id: int, keys: Sequence[str] | None = None, task_id: str = ""
) -> TrendReport | None:
    """The worker's service: compile a queued report and store its sections' data.

    Idempotent: a report gone or not queued is left alone. Returns the report as it ends.
    """
    report = selectors.trend_report_for_worker(report_id=report_id)
    if report is None or report.compile_status != CompileStatus.QUEUED:
        return report
    report = transition(
        report,
        "start",
        None,
        workflow=COMPILE_WORKFLOW,
        compile_started_at=timezone.now(),
        compile_progress=0,
        compile_note="",
        compile_task_id=task_id[:64],
    )
    bureau = report.bureau
    specs = [s for s in compilation.sections_for(bureau) if not keys or s.key in keys]
    wanted = [s for s in specs if compilation.has_compiler(s.key)]
    results: dict[str, compilation.Compiled] = {}
    reader = bureau_reader(bureau)
    for index, spec in enumerate(wanted):
        base, share = 100 * index // max(1, len(wanted)), 100 // max(1, len(wanted))
        title = str(spec.title)
        _progress(report.pk, base, title)

        def progress(
            percent: int, note: str, base: int = base, share: int = share, title: str = title
        ) -> None:
            _progress(report.pk, base + share * max(0, min(100, percent)) // 100, f"{title}: {note}")

        context = compilation.CompileContext(
            bureau=bureau,
            month=report.month,
            reader=reader,
            report_id=report.pk,
            version=report.version,
            progress=progress,
        )
        try:
            results[spec.key] = compilation.compile_section(spec.key, context)
        except Exception as exc:  # a compiler's failure ends the job failed; the sections stay as they were
            logger.exception("compiling section %s of trend report %s failed", spec.key, report.pk)
            message = _("%(section)s: %(error)s") % {
                "section": title,
                "error": str(exc) or type(exc).__name__,
            }
            return trend_compile_fail(report_id=report.pk, message=message)
    return _store(report.pk, results)


@transaction.atomic
def _store(report_id: int, results: dict[str, compilation.Compiled]) -> TrendReport:
    """Replace the compiled sections' data, figures, counts and times at once, then finish."""
    now = timezone.now()
    report = COMPILE_WORKFLOW.lock(None, report_id)
    positions = {s.key: i for i, s in enumerate(compilation.sections_for(report.bureau))}
    for key, compiled in results.items():
        section, _created = TrendSection.objects.get_or_create(
            report=report, key=key, defaults={"position": positions.get(key, 99)}
        )
        section.data = compiled.data
        section.n_events = compiled.n_events
        section.compiled_at = now
        section.save(update_fields=["data", "n_events", "compiled_at"])
        TrendFigure.objects.filter(section=section).delete()
        TrendFigure.objects.bulk_create(
            [
                TrendFigure(section=section, name=f.name, title=f.title[:200], png=f.png)
                for f in compiled.figures
            ]
        )
    return transition(
        report,
        "finish",
        None,
        workflow=COMPILE_WORKFLOW,
        compiled_at=now,
        compile_progress=100,
        compile_note="",
    )


def trend_compile_fail(*, report_id: int, message: str) -> TrendReport | None:
    """queued/running → failed with ``message``; a compilation already ended is left alone."""
    return job_fail(COMPILE_WORKFLOW, report_id, message[:NOTE_MAX], compile_note=message[:NOTE_MAX])


def trend_compiles_reap_abandoned(now: dt.datetime | None = None) -> list[int]:
    """The watchdog's sweep: fail the compilations no worker can still be on (running past the
    task's limit, or queued so long its message was lost)."""
    now = now or timezone.now()
    running_cutoff = now - dt.timedelta(seconds=COMPILE_TIME_LIMIT) - jobs.MARGIN
    queued_cutoff = now - QUEUED_GIVE_UP_AFTER
    rows = selectors.trend_reports_compiling(statuses=[CompileStatus.QUEUED, CompileStatus.RUNNING])
    ids = list(rows.values_list("pk", flat=True))
    message = _("The compilation's worker ended before it finished; recompile the report.")

    def abandoned(report: TrendReport) -> bool:
        if report.compile_status == CompileStatus.RUNNING:
            return bool(report.compile_started_at and report.compile_started_at < running_cutoff)
        return report.updated_at < queued_cutoff

    return transition_each(
        ids, "fail", message, workflow=COMPILE_WORKFLOW, when=abandoned, compile_note=message[:NOTE_MAX]
    )


def register_jobs() -> None:
    jobs.register(
        jobs.JobKind(
            name=JOB_NAME,
            sweep=trend_compiles_reap_abandoned,
            fail=lambda pk, message: trend_compile_fail(report_id=pk, message=message),
        )
    )
