"""What changed in a consultation report since the version before: a line diff (difflib) of
what the reviewer reads (title lines, conclusion, forecasts, discipline opinions).

The version before is the previous submission of the same report (``ReportSubmission``)
or, for a correction's first submission, the signed content of the version it corrects.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .models import ConsultationReport, Likelihood, ReportStatus
from .services.report_workflow import meeting_snapshot


@dataclass(frozen=True)
class ChangedLine:
    op: str  # "+", "-", " "
    text: str


@dataclass(frozen=True)
class Changes:
    against: str  # what the report is compared with, in words ("submission 1", "version 1")
    lines: list[ChangedLine]

    @property
    def changed(self) -> bool:
        return any(line.op != " " for line in self.lines)


def _forecast_line(f: dict[str, Any]) -> str:
    magnitude = f"M{f.get('min_magnitude')}" + (f"–{f['max_magnitude']}" if f.get("max_magnitude") else "+")
    likelihood = dict(Likelihood.choices).get(f.get("likelihood", ""), f.get("likelihood", ""))
    note = f" · {f['note']}" if f.get("note") else ""
    return f"{f.get('window_start')} – {f.get('window_end')} · {magnitude} · {likelihood}{note}"


def report_lines(content: dict[str, Any]) -> list[str]:
    """The report's content as the lines a reviewer compares."""
    if not content:
        return []
    lines = [f"{_('Conclusion')}:"]
    lines += [line for line in (content.get("conclusion") or "").splitlines() if line.strip()] or ["—"]
    lines.append(f"{_('Forecasts')}:")
    lines += [_forecast_line(f) for f in content.get("forecasts", [])] or ["—"]
    lines.append(f"{_('Discipline opinions')}:")
    for opinion in content.get("opinions", []):
        name = opinion.get("discipline_name") or opinion.get("discipline", "")
        lines.append(f"{name}: {opinion.get('summary', '')}")
    return lines


def report_changes(report: ConsultationReport) -> Changes | None:
    """This version's changes against the one before; None for a first version."""
    submissions = list(report.submissions.order_by("number"))
    if report.status in (ReportStatus.DRAFT, ReportStatus.RETURNED):
        current, earlier = meeting_snapshot(report.meeting), submissions  # what would be submitted now
    elif report.is_frozen and report.content:
        current, earlier = report.content, submissions[:-1]
    else:
        current = submissions[-1].content if submissions else meeting_snapshot(report.meeting)
        earlier = submissions[:-1]
    if earlier:
        previous, against = earlier[-1].content, _("submission %(n)s") % {"n": earlier[-1].number}
    elif report.corrects_id and report.corrects.content:
        previous, against = report.corrects.content, _("version %(n)s") % {"n": report.corrects.version}
    else:
        return None
    diff = difflib.ndiff(report_lines(previous), report_lines(current))
    lines = [ChangedLine(op=row[0], text=row[2:]) for row in diff if row[:1] in ("+", "-", " ")]
    return Changes(against=against, lines=lines)
