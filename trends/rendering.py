"""The trend report as HTML (phone page) and PDF, by the portal's one renderer.

Each section's compiled data are laid out for a reader by a function of that section
(``LAYOUTS``): the columns a forecaster reads (times in Beijing time, magnitudes, places,
states in words), long lists cut to their head with how many more there are (the full data
stay in the API and the pages they link to), links to the events, anomalies, runs and
meetings. A section without a layout (a compiler added later) falls back to a generic
table per key, so nothing compiled is ever hidden.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from portal.timefmt import format_date, format_time
from printing.rendering import png_data_uri, render_html, render_pdf
from products.models import RunStatus
from trends.compilation import section_title
from trends.models import TrendFigure, TrendSection

if TYPE_CHECKING:
    from collections.abc import Callable

    from trends.models import TrendReport

TEMPLATE = "trends/report_print.html"
MAX_ROWS = 200  # generic tables
LONG_LIST = 20  # events outside the jurisdiction, per-unit rows: the head, then "N more"
ANOMALY_ROWS = 60
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Words for the keys of the generic fallback; any other key shows as it is.
LABELS = {
    "largest": _("Largest events"),
    "outside": _("Within 100 km outside the jurisdiction"),
    "origin_time": _("Origin time (Beijing time)"),
    "magnitude": _("Magnitude"),
    "location_name": _("Place"),
    "station": _("Station"),
    "item": _("Item"),
    "state": _("State"),
    "rating": _("Rating"),
    "discipline": _("Discipline"),
    "title": _("Title"),
    "method": _("Method"),
    "n_events": _("Events"),
    "total": _("Total"),
}


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    num: bool = False  # right-aligned

    def __str__(self) -> str:
        return self.text


@dataclass
class Block:
    kind: str  # "counts", "table", "line", "note"
    label: str
    columns: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    value: str = ""
    more: int = 0  # rows left out of the table


def _label(key: str) -> str:
    return str(LABELS.get(str(key), str(key).replace("_", " ")))


def _band_order(label: str) -> float:
    """Magnitude bands in rising order ("2.0–2.9" … "≥ 6.0"), whatever order the JSON kept."""
    found = NUMBER.search(str(label))
    return float(found.group()) if found else float("inf")


def _text(value: Any) -> str:
    if value is None or value == "":
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


def _cell(value: Any, url: str = "") -> Cell:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return Cell(_text(value), url=url or "", num=number)


def _day(value: Any) -> Cell:
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            return Cell(format_date(dt.datetime.fromisoformat(value)))
        except ValueError:
            pass
    return _cell(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _event_url(public_id: Any) -> str:
    try:
        return reverse("catalog:event-detail", args=[public_id]) if public_id else ""
    except NoReverseMatch:
        return ""


def _table(label: Any, columns: list[Any], rows: list[list[Cell]], *, total: int | None = None) -> Block:
    shown = len(rows)
    return Block("table", str(label), [str(c) for c in columns], rows, more=max(0, (total or shown) - shown))


def _line(label: Any, value: Any) -> Block:
    return Block("line", str(label), value=_text(value))


def _note(value: Any) -> Block:
    return Block("note", "", value=str(value))


def _magnitude(row: dict[str, Any]) -> Cell:
    value = row.get("magnitude")
    kind = row.get("magnitude_type") or "M"
    return Cell(f"{kind}{_text(value)}" if value is not None else "—", num=True)


def _zones_cell(zones: Any) -> Cell:
    """The danger zones a quake fell inside (the first links to its page); "—" for none."""
    if not zones:
        return Cell("—")
    outside = _g(" (magnitude outside its range)")
    names = "、".join(f"{z.get('name', '')}{'' if z.get('in_range') else outside}" for z in zones)
    return Cell(names, url=str(zones[0].get("url") or ""))


def _place(row: dict[str, Any]) -> str:
    if row.get("location_name"):
        return str(row["location_name"])
    if row.get("latitude") is not None and row.get("longitude") is not None:
        return f"{row['latitude']:.2f}°N {row['longitude']:.2f}°E"
    return "—"


# --- one layout per section ------------------------------------------------------------


def _seismicity(data: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    if isinstance(data.get("counts"), dict):
        means = data.get("mean_counts") or {}
        rows = [
            [Cell(str(band)), _cell(n), _cell(means.get(band))]
            for band, n in sorted(data["counts"].items(), key=lambda item: _band_order(item[0]))
        ]
        blocks.append(Block("counts", "counts", rows=rows))
    if "mean_years" in data:
        blocks.append(_line(_("Monthly mean over the past years"), data["mean_years"]))
    blocks.append(_line(_("Events in the jurisdiction this month (all magnitudes)"), data.get("n_events")))
    largest = data.get("largest") or []
    blocks.append(
        _table(
            _("Largest events"),
            [
                _("Origin time (Beijing time)"),
                _("Magnitude"),
                _("Place"),
                _("Depth (km)"),
                _("In a sequence"),
                _("Danger zone"),
            ],
            [
                [
                    Cell(_text(e.get("origin_time")), url=_event_url(e.get("id"))),
                    _magnitude(e),
                    Cell(_place(e)),
                    _cell(e.get("depth")),
                    Cell(
                        (_g("yes, %(n)s events") % {"n": e.get("sequence_size")})
                        if e.get("in_sequence")
                        else _g("no")
                    ),
                    _zones_cell(e.get("zones")),
                ]
                for e in largest
            ],
        )
    )
    in_zones = data.get("in_zones") or []
    if in_zones:
        blocks.append(
            _table(
                _("Quakes inside the year's danger zones"),
                [_("Origin time (Beijing time)"), _("Magnitude"), _("Place"), _("Danger zone")],
                [
                    [
                        Cell(_text(e.get("origin_time")), url=_event_url(e.get("id"))),
                        _magnitude(e),
                        Cell(_place(e)),
                        _zones_cell(e.get("zones")),
                    ]
                    for e in in_zones
                ],
            )
        )
    outside = data.get("outside") or []
    blocks.append(
        _table(
            _("Within %(km)s km outside the jurisdiction") % {"km": _text(data.get("outside_km", 100))},
            [_("Origin time (Beijing time)"), _("Magnitude"), _("Place"), _("Distance (km)")],
            [
                [
                    Cell(_text(e.get("origin_time")), url=_event_url(e.get("id"))),
                    _magnitude(e),
                    Cell(_place(e)),
                    _cell(e.get("distance_km")),
                ]
                for e in outside[:LONG_LIST]
            ],
            total=int(data.get("n_outside") or len(outside)),
        )
    )
    return blocks


def _values(run: dict[str, Any]) -> str:
    values = run.get("values") or {}
    if run.get("method") == "bvalue" and values.get("b") is not None:
        text = f"b = {_text(values['b'])}"
        if values.get("b_err") is not None:
            text += f" ± {_text(values['b_err'])}"
        return f"{text}, Mc = {_text(values.get('mc'))}, N = {_text(values.get('n'))}"
    return ", ".join(f"{k} = {_text(v)}" for k, v in values.items() if v is not None) or "—"


def _products(data: dict[str, Any]) -> list[Block]:
    blocks: list[Block] = [_note(data["message"])] if data.get("message") else []
    english = _english()
    statuses = dict(RunStatus.choices)
    rows = []
    for run in data.get("runs") or []:
        change = run.get("change") or {}
        rows.append(
            [
                Cell(str(run.get("title_en") if english else run.get("title")), url=run.get("url") or ""),
                Cell(str(statuses.get(run.get("status"), _text(run.get("status")))))
                if not run.get("error")
                else Cell(str(run["error"])[:200]),
                Cell(_values(run)),
                Cell(", ".join(f"{k} {v:+g}" for k, v in change.items() if _is_number(v)) or "—"),
                _cell(run.get("input_count")),
            ]
        )
    blocks.append(
        _table(
            _("Product runs of the month"),
            [_("Method"), _("Status"), _("Result"), _("Change against last month"), _("Events")],
            rows,
        )
    )
    return blocks


def _anomalies(data: dict[str, Any]) -> list[Block]:
    english = _english()
    keys = ["reported", "verified", "tracking", "closed"]
    labels = data.get("columns") or {}
    header = [_("Discipline"), *[labels.get(k, k) for k in keys]]
    rows = [
        [Cell(str(d.get("name_en") if english else d.get("name"))), *[_cell(d.get(k)) for k in keys]]
        for d in data.get("by_discipline") or []
    ]
    totals = data.get("totals") or {}
    if totals:
        rows.append([Cell(str(_("Total"))), *[_cell(totals.get(k)) for k in keys]])
    blocks = [_table(_("Anomalies by discipline"), header, rows)]
    anomalies = data.get("rows") or []
    blocks.append(
        _table(
            _("Anomalies of the month and under tracking"),
            [
                _("Station"),
                _("Item"),
                _("Discipline"),
                _("Onset"),
                _("State"),
                _("Rating"),
                _("Channel skill"),
            ],
            [
                [
                    Cell(_text(a.get("station")), url=a.get("url") or ""),
                    Cell(_text(a.get("item"))),
                    Cell(_text(a.get("discipline_name") or a.get("discipline"))),
                    _day(a.get("onset")),
                    Cell(_text(a.get("state_label") or a.get("state"))),
                    Cell(_text(a.get("rating"))),
                    _skill_cell(a.get("skill")),
                ]
                for a in anomalies[:ANOMALY_ROWS]
            ],
            total=len(anomalies),
        )
    )
    return blocks


def _number(value: Any) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def _skill_cell(skill: dict[str, Any] | None) -> Cell:
    """The forecast skill of the anomaly's channel (skill app): R, R0, gain, linked."""
    if not skill:
        return Cell("")
    text = _g("R %(r)s (R0 %(r0)s), gain %(gain)s") % {
        "r": _number(skill.get("r_score")),
        "r0": _number(skill.get("r0")),
        "gain": _number(skill.get("gain")),
    }
    if skill.get("significant"):
        text += " · R>R0"
    return Cell(text, url=skill.get("url") or "")


def _zero_reports(data: dict[str, Any]) -> list[Block]:
    blocks = [
        _line(_("Reporting units"), data.get("n_units")),
        _line(_("Reports expected (unit-days)"), data.get("expected")),
        _line(_("Reported"), data.get("reported")),
        _line(_("On time"), data.get("on_time")),
        _line(_("Late"), data.get("late")),
        _line(_("Missed"), data.get("missed")),
    ]
    if data.get("pending"):
        blocks.append(_line(_("Not yet due"), data["pending"]))
    blocks.append(
        _table(
            _("Units that missed most"),
            [_("Unit"), _("Missed days"), _("Late days")],
            [
                [
                    Cell(f"{u.get('unit')} ({u.get('code')})"),
                    _cell(u.get("missed_days")),
                    _cell(u.get("late_days")),
                ]
                for u in data.get("top_missing") or []
            ],
        )
    )
    return blocks


def _forecast_rows(forecasts: list[dict[str, Any]], *, scored: bool = False) -> list[list[Cell]]:
    likelihoods = {"low": _g("low"), "medium": _g("medium"), "high": _g("high")}
    rows = []
    for index, f in enumerate(forecasts, 1):
        low, high = f.get("min_magnitude"), f.get("max_magnitude")
        magnitude = f"M{low}–{high}" if high else f"M≥{low}"
        row = [
            Cell(str(index)),
            Cell(f"{f.get('window_start')} – {f.get('window_end')}"),
            Cell(magnitude),
            Cell(likelihoods.get(f.get("likelihood") or "", _text(f.get("likelihood")))),
            Cell(_text(f.get("note"))),
        ]
        if scored:
            row.append(Cell(_g("hit") if f.get("hit") else _g("no quake")))
        rows.append(row)
    return rows


FORECAST_COLUMNS = [_("Region"), _("Window"), _("Magnitude"), _("Likelihood"), _("Note")]


def _last_forecast(data: dict[str, Any]) -> list[Block]:
    if data.get("message"):
        return [_note(data["message"])]
    blocks: list[Block] = []
    report = data.get("report") or {}
    if report:
        blocks.append(
            Block(
                "table",
                str(_("Forecast scored")),
                [],
                [
                    [
                        Cell(str(report.get("title")), url=report.get("url") or ""),
                        _day(report.get("meeting_starts_at")),
                    ]
                ],
            )
        )
    blocks += [
        _line(_("Hits"), data.get("hits")),
        _line(_("Misses"), data.get("misses")),
        _line(_("False alarms"), data.get("false_alarms")),
        _line(_("R-score"), data.get("r_score")),
    ]
    if data.get("reason"):
        blocks.append(_note(data["reason"]))
    forecasts = data.get("forecasts") or []
    if forecasts:
        blocks.append(
            _table(
                _("Forecast regions"),
                [*FORECAST_COLUMNS, _("Outcome")],
                _forecast_rows(forecasts, scored=True),
            )
        )
    quakes = data.get("quakes") or []
    if quakes:
        blocks.append(
            _table(
                _("Quakes scored"),
                [_("Origin time (Beijing time)"), _("Magnitude"), _("Place")],
                [
                    [
                        Cell(_text(q.get("origin_time")), url=_event_url(q.get("id"))),
                        _magnitude(q),
                        Cell(_place(q)),
                    ]
                    for q in quakes[:LONG_LIST]
                ],
                total=len(quakes),
            )
        )
    return blocks


def _meeting(data: dict[str, Any]) -> list[Block]:
    if data.get("state") != "closed":
        return [_note(data.get("message") or _("The monthly meeting has not concluded yet."))]
    meeting = data.get("meeting") or {}
    english = _english()
    blocks = [
        Block(
            "table",
            str(_("Meeting")),
            [],
            [
                [
                    Cell(str(meeting.get("title")), url=meeting.get("url") or ""),
                    Cell(_text(meeting.get("starts_at"))),
                ]
            ],
        ),
        _table(
            _("Discipline opinions"),
            [_("Discipline"), _("Author"), _("Observations"), _("Likelihood")],
            [
                [
                    Cell(
                        str(
                            o.get("discipline_en")
                            if english
                            else o.get("discipline_name") or o.get("discipline")
                        )
                    ),
                    Cell(_text(o.get("author"))),
                    Cell(_text(o.get("summary"))),
                    Cell(_text(o.get("likelihood"))),
                ]
                for o in data.get("opinions") or []
            ],
        ),
    ]
    if data.get("conclusion"):
        blocks.append(_line(_("Conclusion"), data["conclusion"]))
    forecasts = data.get("forecasts") or []
    if forecasts:
        blocks.append(_table(_("Forecast regions"), FORECAST_COLUMNS, _forecast_rows(forecasts)))
    votes = data.get("votes") or {}
    if any(votes.values()):
        blocks.append(
            _line(
                _("Votes"),
                _g("agree %(agree)s, disagree %(disagree)s, abstain %(abstain)s")
                % {k: votes.get(k, 0) for k in ("agree", "disagree", "abstain")},
            )
        )
    return blocks


def _opinion(data: dict[str, Any]) -> list[Block]:
    if data.get("message"):
        return [_note(data["message"])]
    forecasts = data.get("forecasts") or []
    if not forecasts:
        return [_note(_("No forecast region for the next month yet."))]
    return [
        _table(
            _("Forecast regions for %(month)s") % {"month": data.get("next_month", "")},
            FORECAST_COLUMNS,
            _forecast_rows(forecasts),
        )
    ]


def _provinces(data: dict[str, Any]) -> list[Block]:
    rows = []
    for r in data.get("reports") or []:
        counts = r.get("counts") or {}
        at_least_4 = sum(n for band, n in counts.items() if _band_order(band) >= 4)
        rows.append(
            [
                Cell(str(r.get("bureau_name")), url=r.get("url") or ""),
                _day(r.get("issued_at")),
                _cell(r.get("n_events")),
                _cell(at_least_4),
                Cell(_text(r.get("opinion"))[:300]),
            ]
        )
    blocks = [
        _table(
            _("Issued reports of the provinces"),
            [_("Bureau"), _("Issued"), _("Events"), _("M≥4"), _("Trend opinion")],
            rows,
        )
    ]
    missing = data.get("not_issued") or []
    if missing:
        blocks.append(_line(_("Not issued yet"), "、".join(str(b.get("bureau_name")) for b in missing)))
    return blocks


LAYOUTS: dict[str, Callable[[dict[str, Any]], list[Block]]] = {
    "seismicity": _seismicity,
    "products": _products,
    "anomalies": _anomalies,
    "zero_reports": _zero_reports,
    "last_forecast": _last_forecast,
    "meeting": _meeting,
    "opinion": _opinion,
    "provinces": _provinces,
}


def _block(key: str, value: Any) -> Block | None:
    """The generic fallback: a mapping as a two-column table, a list of rows as a table."""
    if isinstance(value, dict):
        if not value:
            return None
        return _table(_label(key), ["", ""], [[Cell(_label(k)), _cell(v)] for k, v in value.items()])
    if isinstance(value, list):
        if not value:
            return _line(_label(key), None)
        if all(isinstance(row, dict) for row in value):
            columns: list[str] = []
            for row in value:
                columns += [k for k in row if k not in columns]
            rows = [[_cell(row.get(c)) for c in columns] for row in value[:MAX_ROWS]]
            return _table(_label(key), [_label(c) for c in columns], rows, total=len(value))
        return _line(_label(key), "、".join(_text(v) for v in value[:MAX_ROWS]))
    return _line(_label(key), value)


def _unlinked(blocks: list[Block]) -> list[Block]:
    for block in blocks:
        block.rows = [[Cell(cell.text, num=cell.num) for cell in row] for row in block.rows]
    return blocks


def data_blocks(key: str, data: dict[str, Any], *, links: bool = True) -> list[Block]:
    """The section's data as a reader reads them: its layout, or the generic tables.

    ``links=False`` for a reader of another bureau (a national unit reading an issued
    report): the anomalies, runs and meetings it names are the bureau's own, not theirs to
    open, so they are named without a link that would only answer 404."""
    data = data or {}
    if not data:
        return []
    blocks: list[Block] | None = None
    layout = LAYOUTS.get(key)
    if layout is not None:
        try:
            blocks = layout(data)
        except (AttributeError, KeyError, TypeError, ValueError):
            blocks = None  # data compiled by an older compiler: shown plainly rather than not at all
    if blocks is None:
        blocks = [block for name, value in data.items() if (block := _block(name, value)) is not None]
    return blocks if links else _unlinked(blocks)


def section_views(report: TrendReport, *, embed: bool, links: bool = True) -> list[dict[str, Any]]:
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
            "blocks": data_blocks(s.key, s.data or {}, links=links),
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


def report_context(report: TrendReport, *, embed: bool = True, links: bool = True) -> dict[str, Any]:
    return {
        "report": report,
        "sections": section_views(report, embed=embed, links=links),
        "title": report.title,
    }


def trend_report_html(report: TrendReport, *, links: bool = True) -> str:
    """The phone page: the same template as the PDF, figures embedded."""
    return render_html(TEMPLATE, report_context(report, links=links))


def trend_report_pdf(report: TrendReport) -> bytes:
    return render_pdf(TEMPLATE, report_context(report))
