"""What changed in a trend report's version against the version before: per section, a line
diff (difflib) of the text, and the data's changed values (flattened keys: ``counts.3.0–3.9``).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trends.compilation import section_title
from trends.models import TrendSection

from . import selectors

if TYPE_CHECKING:
    from trends.models import TrendReport

MAX_VALUE = 120


@dataclass(frozen=True)
class ChangedLine:
    op: str  # "+", "-", " "
    text: str


@dataclass(frozen=True)
class ChangedValue:
    key: str
    before: str
    after: str


@dataclass
class SectionChanges:
    key: str
    title: str
    text: list[ChangedLine] = field(default_factory=list)
    data: list[ChangedValue] = field(default_factory=list)

    @property
    def text_changed(self) -> bool:
        return any(line.op != " " for line in self.text)

    @property
    def changed(self) -> bool:
        return self.text_changed or bool(self.data)


@dataclass
class Changes:
    report: TrendReport
    against: TrendReport
    sections: list[SectionChanges]

    @property
    def changed(self) -> bool:
        return any(s.changed for s in self.sections)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return {prefix: value}
        out = {f"{prefix}.#": len(value)}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}.{index}"))
        return out
    return {prefix: value}


def _short(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def data_changes(before: dict[str, Any], after: dict[str, Any]) -> list[ChangedValue]:
    old, new = _flatten(before or {}), _flatten(after or {})
    return [
        ChangedValue(key, _short(old.get(key)), _short(new.get(key)))
        for key in [*old, *[k for k in new if k not in old]]
        if old.get(key) != new.get(key)
    ]


def text_changes(before: str, after: str) -> list[ChangedLine]:
    diff = difflib.ndiff((before or "").splitlines(), (after or "").splitlines())
    return [ChangedLine(op=row[0], text=row[2:]) for row in diff if row[:1] in ("+", "-", " ")]


def trend_report_changes(report: TrendReport) -> Changes | None:
    """This version against the one before; None for a first version."""
    previous = selectors.trend_report_previous(report=report)
    if previous is None:
        return None
    old = {s.key: s for s in TrendSection.objects.filter(report=previous)}
    result = []
    for section in TrendSection.objects.filter(report=report).order_by("position"):
        before = old.get(section.key)
        result.append(
            SectionChanges(
                key=section.key,
                title=section_title(section.key),
                text=text_changes(before.text if before else "", section.text),
                data=data_changes(before.data if before else {}, section.data),
            )
        )
    return Changes(report=report, against=previous, sections=result)
