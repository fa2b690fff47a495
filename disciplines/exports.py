"""CSV and Excel exports of zero-reports and anomalies (streamed rows, one header)."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from portal.timefmt import format_time

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from .models import Anomaly, ZeroReport


def _local(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return format_time(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def zero_report_rows(reports: Iterable[ZeroReport]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        _("unit"),
        _("name"),
        _("discipline"),
        _("period"),
        _("status"),
        _("late"),
        _("submitted at"),
        _("reported by"),
        _("revision"),
        _("source"),
        _("anomaly"),
    ]

    def rows() -> Iterator[list[Any]]:
        for r in reports:
            yield [
                r.unit.code,
                r.unit.name,
                r.unit.discipline.name_zh,
                r.period.isoformat(),
                r.get_status_display(),
                _("yes") if r.is_late else _("no"),
                _local(r.submitted_at),
                r.reported_by.username,
                r.revision,
                r.source,
                r.anomaly_id or "",
            ]

    return header, rows()


def anomaly_rows(anomalies: Iterable[Anomaly]) -> tuple[list[str], Iterator[list[Any]]]:
    header = [
        _("id"),
        _("bureau"),
        _("discipline"),
        _("station"),
        _("observation item"),
        _("onset time"),
        _("state"),
        _("source"),
        _("verifier"),
        _("verification due"),
        _("decision"),
        _("longitude"),
        _("latitude"),
        _("description"),
    ]

    def rows() -> Iterator[list[Any]]:
        for a in anomalies:
            yield [
                a.pk,
                a.bureau.code,
                a.discipline.name_zh,
                a.place,
                a.observation_item,
                _local(a.onset_at),
                a.get_state_display(),
                a.get_source_display(),
                a.assignee.username if a.assignee_id else "",
                _local(a.verify_due_at),
                a.get_decision_display() if a.decision else "",
                round(a.location.x, 4) if a.location else "",
                round(a.location.y, 4) if a.location else "",
                a.description,
            ]

    return header, rows()


def _safe_cell(value: Any) -> Any:
    """Text starting with = + - @ is neutralised so a spreadsheet never runs it as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([_safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Chinese correctly


def to_xlsx(header: list[str], rows: Iterable[list[Any]], *, title: str) -> bytes:
    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
