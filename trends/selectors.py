"""Reads of the trends app: every one starts from ``visible_to`` (or says why it does not)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from portal.exceptions import NotFound
from portal.tenancy import system_read

from .models import TrendFigure, TrendReport, TrendSection, TrendStatus

if TYPE_CHECKING:
    import datetime as dt

    from portal.tenancy import Actor


def trend_report_list(
    *,
    actor: Actor | None,
    bureau: str = "",
    month: dt.date | None = None,
    month_of_year: int | None = None,
    status: str = "",
    q: str = "",
) -> QuerySet[TrendReport]:
    """The trend reports ``actor`` may read, newest month first, filtered."""
    qs = TrendReport.objects.visible_to(actor).select_related("bureau")
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if month_of_year:
        qs = qs.filter(month__month=month_of_year)
    if status:
        qs = qs.filter(status=status)
    for word in (q or "").split():
        qs = qs.filter(Q(title__icontains=word) | Q(search_text__icontains=word))
    return qs


def trend_report_get(*, actor: Actor | None, report_id: int) -> TrendReport:
    """A report ``actor`` may read; NotFound for missing and not yours alike."""
    try:
        return trend_report_list(actor=actor).get(pk=report_id)
    except (TrendReport.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def trend_report_current(*, actor: Actor | None, bureau_id: int, month: dt.date) -> TrendReport | None:
    """The latest version of the bureau's report of ``month`` that ``actor`` reads."""
    return (
        TrendReport.objects.visible_to(actor)
        .filter(bureau_id=bureau_id, month=month)
        .order_by("-version")
        .first()
    )


def trend_report_versions(*, actor: Actor | None, report: TrendReport) -> QuerySet[TrendReport]:
    return (
        trend_report_list(actor=actor)
        .filter(bureau_id=report.bureau_id, month=report.month)
        .order_by("version")
    )


@system_read("the version before one the caller already read (its diff): same bureau and month")
def trend_report_previous(*, report: TrendReport) -> TrendReport | None:
    """The version this one corrects (or the one before it); read under the report's own read."""
    if report.corrects_id:
        return report.corrects
    return (
        TrendReport.objects.for_bureau(report.bureau_id)
        .filter(month=report.month, version__lt=report.version)
        .order_by("-version")
        .first()
    )


def trend_sections(*, report: TrendReport) -> list[TrendSection]:
    """The sections of a report the caller already read, in order, with their figures' names."""
    return list(
        TrendSection.objects.filter(report=report)
        .order_by("position")
        .prefetch_related(
            # the figures' names and titles only: the PNGs are read one at a time by their view
            _figure_prefetch()
        )
    )


def _figure_prefetch() -> Any:
    from django.db.models import Prefetch

    return Prefetch("figures", queryset=TrendFigure.objects.defer("png").order_by("id"))


def trend_section_get(*, report: TrendReport, key: str) -> TrendSection:
    section = TrendSection.objects.filter(report=report, key=key).first()
    if section is None:
        raise NotFound()
    return section


def trend_figure_get(*, actor: Actor | None, figure_id: int) -> TrendFigure:
    """A figure of a report ``actor`` may read (through the report's visibility)."""
    figure = (
        TrendFigure.objects.filter(pk=figure_id, section__report__in=trend_report_list(actor=actor))
        .select_related("section__report")
        .first()
    )
    if figure is None:
        raise NotFound()
    return figure


def trend_report_audit(*, report: TrendReport) -> QuerySet[Any]:
    from portal.selectors import audit_for

    return audit_for(target_type=report._meta.label_lower, target_id=report.pk).select_related("actor")


@system_read("the compilation worker and the watchdog hold a report's id; no person is acting")
def trend_report_for_worker(*, report_id: int) -> TrendReport | None:
    return TrendReport.objects.select_related("bureau").filter(pk=report_id).first()


@system_read("the beat job and the meeting hook look up a bureau's draft of a month as the system")
def trend_report_latest_for_system(*, bureau_id: int, month: dt.date) -> TrendReport | None:
    return TrendReport.objects.filter(bureau_id=bureau_id, month=month).order_by("-version").first()


@system_read("the watchdog lists the compilations no worker can still be on")
def trend_reports_compiling(*, statuses: list[str]) -> QuerySet[TrendReport]:
    return TrendReport.objects.filter(compile_status__in=statuses)


@system_read("a meeting hook holds the meeting's id; no person is acting")
def meeting_for_hook(*, meeting_id: int) -> Any:
    from consultations.models import Meeting

    return Meeting.objects.filter(pk=meeting_id).first()


def trend_reports_waiting(*, actor: Actor) -> QuerySet[TrendReport]:
    """The reports of the actor's bureau in a state where someone must act."""
    return (
        TrendReport.objects.editable_by(actor)
        .filter(
            Q(status__in=[TrendStatus.SUBMITTED, TrendStatus.REVIEWED])
            | Q(status=TrendStatus.DRAFT) & ~Q(review_comment="")
        )
        .select_related("bureau")
    )
