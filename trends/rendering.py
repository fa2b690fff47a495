"""The trend report as HTML (phone page) and PDF, by the portal's one renderer.

Each section's compiled data are shown as readable tables whatever the compiler put in
them (``data_blocks``): a mapping of numbers is a two-column table, a list of rows (dicts) a
table with a column per key, a scalar a line; the seismicity section gets its own table of
the month's counts beside the mean by magnitude band.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.timefmt import format_time
from printing.rendering import png_data_uri, render_html, render_pdf
from trends.compilation import section_title
from trends.models import TrendFigure, TrendSection

if TYPE_CHECKING:
    from trends.models import TrendReport

TEMPLATE = "trends/report_print.html"
SKIP_KEYS = {"counts", "mean_counts", "n_events"}  # shown by the seismicity table and header
MAX_ROWS = 200
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Words for the keys the compilers use; any other key shows as it is (underscores as spaces).
LABELS = {
    "largest": _("Largest events"),
    "outside": _("Within 100 km outside the jurisdiction"),
    "id": _("Event"),
    "origin_time": _("Origin time (Beijing time)"),
    "magnitude": _("Magnitude"),
    "location_name": _("Place"),
    "in_sequence": _("In a sequence"),
    "distance_km": _("Distance (km)"),
    "station": _("Station"),
    "item": _("Item"),
    "onset": _("Onset"),
    "state": _("State"),
    "rating": _("Rating"),
    "link": _("Link"),
    "discipline": _("Discipline"),
    "title": _("Title"),
    "method": _("Method"),
    "n_events": _("Events"),
    "total": _("Total"),
}


@dataclass
class Block:
    kind: str  # "table", "line"
    label: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    value: str = ""


def _label(key: str) -> str:
    return str(LABELS.get(str(key), str(key).replace("_", " ")))


def _band_order(label: str) -> float:
    """Magnitude bands in rising order ("2.0–2.9" … "≥6.0"), whatever order the JSON kept."""
    found = NUMBER.search(str(label))
    return float(found.group()) if found else float("inf")


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value == value else "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)[:200]
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            return format_time(dt.datetime.fromisoformat(value), with_seconds=True)
        except ValueError:
            return value
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _block(key: str, value: Any) -> Block | None:
    if isinstance(value, dict):
        if not value:
            return None
        if all(_is_number(v) or v is None for v in value.values()):
            return Block(
                "table", _label(key), [_label(key), ""], [[str(k), _cell(v)] for k, v in value.items()]
            )
        return Block("table", _label(key), ["", ""], [[_label(k), _cell(v)] for k, v in value.items()])
    if isinstance(value, list):
        if not value:
            return Block("line", _label(key), value="—")
        if all(isinstance(row, dict) for row in value):
            columns: list[str] = []
            for row in value:
                columns += [k for k in row if k not in columns]
            rows = [[_cell(row.get(c)) for c in columns] for row in value[:MAX_ROWS]]
            return Block("table", _label(key), [_label(c) for c in columns], rows)
        return Block("line", _label(key), value="、".join(_cell(v) for v in value[:MAX_ROWS]))
    return Block("line", _label(key), value=_cell(value))


def data_blocks(key: str, data: dict[str, Any]) -> list[Block]:
    """The section's data as tables and lines, in the compiler's order."""
    blocks: list[Block] = []
    if key == "seismicity" and isinstance(data.get("counts"), dict):
        means = data.get("mean_counts") or {}
        blocks.append(
            Block(
                "counts",
                "counts",
                rows=[
                    [str(band), _cell(n), _cell(means.get(band))]
                    for band, n in sorted(data["counts"].items(), key=lambda item: _band_order(item[0]))
                ],
            )
        )
    for name, value in (data or {}).items():
        if key == "seismicity" and name in SKIP_KEYS:
            continue
        block = _block(name, value)
        if block is not None:
            blocks.append(block)
    return blocks


def section_views(report: TrendReport, *, embed: bool) -> list[dict[str, Any]]:
    """What the page and the PDF show of each section: title, text, blocks, figures."""
    sections = list(TrendSection.objects.filter(report=report).order_by("position"))
    figures: dict[int, list[TrendFigure]] = {}
    rows = TrendFigure.objects.filter(section__in=sections).order_by("id")
    if not embed:
        rows = rows.defer("png")
    for figure in rows:
        figures.setdefault(figure.section_id, []).append(figure)
    return [
        {
            "section": s,
            "key": s.key,
            "title": section_title(s.key),
            "blocks": data_blocks(s.key, s.data or {}),
            "figures": [
                {
                    "figure": f,
                    "title": f.title or f.name,
                    "src": png_data_uri(bytes(f.png)) if embed else reverse("trends:figure", args=[f.pk]),
                }
                for f in figures.get(s.pk, [])
            ],
        }
        for s in sections
    ]


def report_context(report: TrendReport, *, embed: bool = True) -> dict[str, Any]:
    return {"report": report, "sections": section_views(report, embed=embed), "title": report.title}


def trend_report_html(report: TrendReport) -> str:
    """The phone page: the same template as the PDF, figures embedded."""
    return render_html(TEMPLATE, report_context(report))


def trend_report_pdf(report: TrendReport) -> bytes:
    return render_pdf(TEMPLATE, report_context(report))
