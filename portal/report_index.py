"""The report list across kinds: each app registers what it calls a report.

Reports live in several apps (consultation reports, special-topic reports, monthly trend
reports, briefs, discipline reports); the portal core imports none of them. Each app
registers a :class:`ReportKind` in its ``AppConfig.ready()`` whose ``rows`` selector returns,
for an actor and a :class:`ReportFilter`, the rows that actor may read (through
``visible_to``) as :class:`ReportRow`. The report list page merges them, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from datetime import date, datetime

    from django.utils.functional import Promise

    from .tenancy import Actor


@dataclass(frozen=True)
class ReportFilter:
    month: date | None = None  # first day of a month: reports of that month
    bureau: str = ""  # a bureau code
    month_of_year: int | None = None  # 1-12: "十月" / "October" in any year
    status: str = ""  # a state value ("draft", "issued", …)
    q: str = ""  # the words left after the list took out kind and month words: match titles


@dataclass(frozen=True)
class ReportRow:
    kind: str  # the ReportKind key
    id: int
    title: str
    bureau_code: str
    bureau_name: str
    date: datetime  # when it was made or last moved (sorts the list)
    url: str
    status: str = ""
    status_label: str = ""
    month: date | None = None  # the month a periodic report is about
    version: int = 1


@dataclass(frozen=True)
class ReportKind:
    key: str  # "trend_report", "brief", "discipline_report", "topic_report", "consultation_report"
    label: Promise | str
    rows: Callable[[Actor, ReportFilter], Iterable[ReportRow]]
    # the states this kind's reports pass through, for the state filter: (value, label)
    states: Callable[[], Iterable[tuple[str, str]]] = lambda: ()
    # words that name this kind in a search box ("月报", "月度趋势"): typing one lists this kind
    words: tuple[str, ...] = ()
    # the rows of these ids the actor may read (titles and links of the most read reports)
    lookup: Callable[[Actor, Sequence[int]], dict[int, ReportRow]] = lambda actor, ids: {}


_KINDS: dict[str, ReportKind] = {}


def register(kind: ReportKind) -> ReportKind:
    """Add an app's report kind (idempotent: ``ready()`` may run twice in tests)."""
    _KINDS[kind.key] = kind
    return kind


def kinds() -> list[ReportKind]:
    return list(_KINDS.values())
