"""Asking for a bureau's monthly trend report, editing its sections' text, recompiling it
and correcting a signed one (a new version).

One report per bureau and month (its latest version is "the" report): asking again returns
it. A new report gets one section per ``sections_for(bureau)`` and its compilation is sent
to a worker on commit (``trend_compile``). The beat job asks for last month's report of
every active bureau with a jurisdiction (``trend_reports_request_last_month``, as the system).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import Bureau
from portal.services import audit_record
from portal.timefmt import beijing
from trends import compilation, selectors
from trends import permissions as perms
from trends.models import CompileStatus, TrendReport, TrendSection, TrendStatus

from .trend_compile import compile_enqueue, compile_queue
from .trend_workflow import _lock

if TYPE_CHECKING:
    from portal.tenancy import Actor

TEXT_MAX = 20000
CN_MONTHS = [
    "一月",
    "二月",
    "三月",
    "四月",
    "五月",
    "六月",
    "七月",
    "八月",
    "九月",
    "十月",
    "十一月",
    "十二月",
]
EN_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
MEETING_SECTIONS = ("meeting", "opinion")


def this_month() -> dt.date:
    """The first day of the current month in Beijing time."""
    return beijing(timezone.now()).date().replace(day=1)


def last_month(today: dt.date | None = None) -> dt.date:
    first = (today or this_month()).replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def parse_month(value: str, *, field: str = "month") -> dt.date:
    """``"2026-10"`` → 2026-10-01; a bad, too early or future month is a 400 naming ``field``."""
    text = (value or "").strip()
    try:
        year, month = text.split("-")
        if len(year) != 4 or not (1 <= len(month) <= 2):
            raise ValueError
        first = dt.date(int(year), int(month), 1)
    except ValueError:
        raise InvalidInput(_("Give the month as YYYY-MM, e.g. 2026-10."), field=field) from None
    return check_month(first, field=field)


def check_month(month: dt.date, *, field: str = "month") -> dt.date:
    first = month.replace(day=1)
    if first.year < 1970:
        raise InvalidInput(_("The month is too early."), field=field)
    if first > this_month():
        raise InvalidInput(_("The month has not begun yet."), field=field)
    return first


def trend_title(bureau: Bureau, month: dt.date) -> str:
    """The stored title, in Chinese: "江西省地震局 2026年10月地震趋势会商报告"."""
    return f"{bureau.name_zh} {month.year}年{month.month}月地震趋势会商报告"[:200]


def search_words(month: dt.date) -> str:
    """The words people type for the report of ``month`` ("十月", "October", "月报", …)."""
    return (
        f"{CN_MONTHS[month.month - 1]} {month.month}月 {month.year}年{month.month}月 "
        f"{month:%Y-%m} {EN_MONTHS[month.month - 1]} 月报 月度趋势 每月震情 趋势会商 monthly"
    )[:200]


def _create(
    *,
    actor: Actor | None,
    bureau: Bureau,
    month: dt.date,
    version: int = 1,
    corrects: TrendReport | None = None,
    note: str = "",
) -> TrendReport:
    report = TrendReport.objects.create(
        bureau=bureau,
        month=month,
        version=version,
        corrects=corrects,
        correction_note=note,
        title=trend_title(bureau, month),
        search_text=search_words(month),
        compile_status=CompileStatus.QUEUED,
        created_by=actor.user if actor else None,
    )
    texts = {s.key: s.text for s in corrects.sections.all()} if corrects else {}
    TrendSection.objects.bulk_create(
        [
            TrendSection(report=report, key=spec.key, position=index, text=texts.get(spec.key, ""))
            for index, spec in enumerate(compilation.sections_for(bureau))
        ]
    )
    return report


def trend_report_request(*, actor: Actor | None, bureau: Bureau, month: dt.date) -> tuple[TrendReport, bool]:
    """The bureau's report of ``month`` (its latest version), created and queued for
    compilation when there is none: ``(report, created)``.

    A forecaster or chair of the bureau (or the system admin) asks; ``actor=None`` is the
    system (the beat job). A future month is a 400.
    """
    if actor is not None and not perms.can_draft_for(actor, bureau):
        raise PermissionDenied(_("Only a forecaster or chair of the bureau asks for its trend report."))
    month = check_month(month)
    with transaction.atomic():
        Bureau.objects.select_for_update().filter(pk=bureau.pk).first()  # one request per bureau at a time
        existing = selectors.trend_report_latest_for_system(bureau_id=bureau.pk, month=month)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                report = _create(actor=actor, bureau=bureau, month=month)
        except IntegrityError:  # asked twice at once: the other request created it
            existing = selectors.trend_report_latest_for_system(bureau_id=bureau.pk, month=month)
            if existing is None:
                raise
            return existing, False
        audit_record(actor=actor, action="trend_report.create", target=report, to_state=report.status)
        compile_enqueue(report.pk)
        return report, True


@transaction.atomic
def trend_report_recompile(
    *, actor: Actor | None, report: TrendReport, keys: list[str] | None = None
) -> TrendReport:
    """Compile a draft's data again (late catalog corrections); its text stays.

    403 for others than its forecasters and chairs; 409 for a report past draft or one
    whose compilation is queued or running."""
    report = _lock(actor, report)
    if actor is not None and not perms.can_draft_trend_report(actor, report):
        raise PermissionDenied(_("Only a forecaster or chair of the bureau recompiles its trend report."))
    if report.status != TrendStatus.DRAFT:
        raise InvalidTransition(
            _("Only a draft is recompiled; this report is %(state)s.")
            % {"state": report.get_status_display()},
            field="status",
        )
    if report.compile_status in (CompileStatus.QUEUED, CompileStatus.RUNNING):
        raise InvalidTransition(_("The report is already being compiled."), field="compile_status")
    report = compile_queue(actor=actor, report=report)
    compile_enqueue(report.pk, keys)
    return report


@transaction.atomic
def trend_section_update(*, actor: Actor, report: TrendReport, key: str, text: str) -> TrendSection:
    """Write a draft section's text (forecasters and chairs). 403, then 404 for an unknown
    section, then 409 for a report that is not a draft."""
    report = _lock(actor, report)
    if not perms.can_draft_trend_report(actor, report):
        raise PermissionDenied(_("Only a forecaster or chair of the bureau writes the report's text."))
    section = (
        TrendSection.objects.select_for_update().filter(report=report, key=key).first()
        if "\x00" not in (key or "")
        else None
    )
    if section is None:
        raise NotFound(_("The report has no section %(key)s.") % {"key": key})
    if report.status != TrendStatus.DRAFT:
        raise InvalidTransition(
            _("Only a draft's text is edited; this report is %(state)s.")
            % {"state": report.get_status_display()},
            field="status",
        )
    text = (text or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise InvalidInput(_("The text holds a NUL character."), field="text")
    if len(text) > TEXT_MAX:
        raise InvalidInput(
            _("The text is too long (at most %(n)s characters).") % {"n": TEXT_MAX}, field="text"
        )
    if text == section.text:
        return section
    section.text = text
    section.text_updated_by = actor.user
    section.text_updated_at = timezone.now()
    section.save(update_fields=["text", "text_updated_by", "text_updated_at"])
    audit_record(actor=actor, action="trend_report.edit", target=report, extra={"section": key})
    return section


@transaction.atomic
def trend_report_correct(*, actor: Actor, report: TrendReport, note: str) -> TrendReport:
    """A correction of a signed report: a new draft version with the texts copied, its data
    compiled afresh. The signed version stays as it was."""
    report = _lock(actor, report)
    if not perms.can_draft_trend_report(actor, report):
        raise PermissionDenied(_("Only a forecaster or chair drafts a correction."))
    if not report.is_frozen:
        raise InvalidTransition(
            _("Only a signed-off report is corrected; a draft is simply edited."), field="status"
        )
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise InvalidInput(_("Say what the correction corrects."), field="note")
    versions = TrendReport.objects.filter(bureau_id=report.bureau_id, month=report.month)
    if versions.exclude(status__in=TrendReport.FROZEN).exists():
        raise InvalidTransition(_("A correction of this report is already in progress."))
    version = (versions.aggregate(v=Max("version"))["v"] or 0) + 1
    correction = _create(
        actor=actor,
        bureau=report.bureau,
        month=report.month,
        version=version,
        corrects=report,
        note=note[:4000],
    )
    audit_record(
        actor=actor,
        action="trend_report.correct",
        target=correction,
        to_state=correction.status,
        comment=note,
        extra={"corrects": report.pk, "corrects_version": report.version},
    )
    compile_enqueue(correction.pk)
    return correction


def trend_reports_request_last_month(*, today: dt.date | None = None) -> list[int]:
    """The beat job: last month's report of every active bureau with a jurisdiction, asked for
    as the system. Idempotent (an existing report is left alone). Returns the ids created."""
    month = last_month(today)
    created_ids = []
    for bureau in Bureau.objects.filter(is_active=True, jurisdiction__isnull=False).order_by("code"):
        report, created = trend_report_request(actor=None, bureau=bureau, month=month)
        if created:
            created_ids.append(report.pk)
    return created_ids


def trend_report_meeting_closed(*, meeting_id: int, bureau_id: int) -> TrendReport | None:
    """A bureau's monthly meeting closed: recompile the meeting and opinion sections of its
    draft for the meeting's month (Beijing time). Nothing without such a draft."""
    meeting = selectors.meeting_for_hook(meeting_id=meeting_id)
    if meeting is None or getattr(meeting, "kind", "monthly") != "monthly":
        return None
    month = beijing(meeting.starts_at).date().replace(day=1)
    report = selectors.trend_report_latest_for_system(bureau_id=bureau_id, month=month)
    if report is None or report.status != TrendStatus.DRAFT:
        return None
    if report.compile_status in (CompileStatus.QUEUED, CompileStatus.RUNNING):
        return report  # the compilation on its way reads the closed meeting
    return trend_report_recompile(actor=None, report=report, keys=list(MEETING_SECTIONS))


def trend_report_request_by_code(
    *, actor: Actor, bureau_code: str, month_text: str
) -> tuple[TrendReport, bool]:
    """The API's request: ``{"bureau": "JX", "month": "2026-10"}``. An unknown bureau code or a
    bad month is a 400 naming the field; a bureau the person does not draft for is a 403."""
    code = (bureau_code or "").strip()
    bureau = Bureau.objects.filter(code__iexact=code, is_active=True).first() if code else None
    if bureau is None:
        raise InvalidInput(_("Unknown bureau %(code)s.") % {"code": code[:16]}, field="bureau")
    if not perms.can_draft_for(actor, bureau):
        raise PermissionDenied(_("Only a forecaster or chair of the bureau asks for its trend report."))
    return trend_report_request(actor=actor, bureau=bureau, month=parse_month(month_text))
