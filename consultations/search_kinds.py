"""Consultations' searchable kinds (``portal.search``): meetings, discipline opinions,
conclusions and consultation reports. Who finds them is each model's ``visible_to`` (a
joint meeting's material opens to its bureaus)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Conclusion, ConsultationReport, DisciplineOpinion, Meeting


def _meeting(meeting: Meeting) -> search.SearchDoc:
    return search.SearchDoc(
        title=meeting.title,
        body=search.text_of(meeting.agenda, meeting.place, search.both(meeting.get_kind_display())),
        url=meeting.get_absolute_url(),
        date=meeting.starts_at,
    )


def _opinion(opinion: DisciplineOpinion) -> search.SearchDoc:
    meeting = opinion.meeting
    window = (
        f"{opinion.window_start:%Y-%m-%d} – {opinion.window_end:%Y-%m-%d}"
        if opinion.window_start and opinion.window_end
        else ""
    )
    magnitudes = (
        f"M{opinion.min_magnitude}–{opinion.max_magnitude}" if opinion.min_magnitude is not None else ""
    )
    return search.SearchDoc(
        title=f"{meeting.title} · {opinion.discipline.name_zh}{search.in_chinese(_('discipline opinion'))}",
        body=search.text_of(
            opinion.summary,
            opinion.discipline.name_en,
            search.both(_("discipline opinion")),
            window,
            magnitudes,
            search.both(opinion.get_likelihood_display()) if opinion.likelihood else "",
        ),
        url=meeting.get_absolute_url() + "#opinion-list",
        date=meeting.starts_at,
    )


def _conclusion(conclusion: Conclusion) -> search.SearchDoc:
    meeting = conclusion.meeting
    return search.SearchDoc(
        title=f"{meeting.title} · {search.in_chinese(_('consultation conclusion'))}",
        body=search.text_of(conclusion.text, search.both(_("consultation conclusion"))),
        url=meeting.get_absolute_url() + "#conclusion-text",
        date=meeting.starts_at,
    )


def _report(report: ConsultationReport) -> search.SearchDoc:
    return search.SearchDoc(
        title=report.title,
        body=search.text_of(
            report.number,
            search.both(_("consultation report")),
            report.meeting.title,
            report.correction_note,
            report.content,
        ),
        url=reverse("consultations:report-detail", args=[report.pk]),
        date=report.issued_at or report.created_at,
    )


def register_search_kinds() -> None:
    """From ``ConsultationsConfig.ready()``."""
    search.register(
        search.SearchKind(
            key="meeting", label=_("consultation meetings"), model=Meeting, document=_meeting, order=30
        )
    )
    search.register(
        search.SearchKind(
            key="opinion",
            label=_("discipline opinions"),
            model=DisciplineOpinion,
            document=_opinion,
            related=("meeting", "discipline"),
            order=31,
        )
    )
    search.register(
        search.SearchKind(
            key="conclusion",
            label=_("consultation conclusions"),
            model=Conclusion,
            document=_conclusion,
            related=("meeting",),
            order=32,
        )
    )
    search.register(
        search.SearchKind(
            key="consultation_report",
            label=_("consultation reports"),
            model=ConsultationReport,
            document=_report,
            related=("meeting",),
            order=40,
        )
    )
