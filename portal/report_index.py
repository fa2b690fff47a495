"""The report list across kinds: each app registers what it calls a report.

Reports live in several apps (consultation reports, special-topic reports, monthly trend
reports, briefs, discipline reports); the portal core imports none of them. Each app
registers a :class:`ReportKind` in its ``AppConfig.ready()`` whose ``rows`` selector returns,
for an actor and a :class:`ReportFilter`, the rows that actor may read (through
``visible_to``) as :class:`ReportRow`. The report list page merges them, newest first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterable, Sequence

    from django.utils.functional import Promise

    from .tenancy import Actor


@dataclass(frozen=True)
class ReportFilter:
    month: dt.date | None = None  # first day of a month: reports of that month
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
    date: dt.datetime  # when it was made or last moved (sorts the list)
    url: str
    status: str = ""
    status_label: str = ""
    month: dt.date | None = None  # the month a periodic report is about
    version: int = 1
    bureau_id: int | None = None  # the owning bureau (who may see its readers); None: by code


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


def kind_get(key: str) -> ReportKind | None:
    return _KINDS.get(key)


def states() -> list[tuple[str, str]]:
    """The union of the kinds' states, in the order the kinds give them (the state filter)."""
    seen: dict[str, str] = {}
    for kind in kinds():
        for value, label in kind.states():
            seen.setdefault(value, str(label))
    return list(seen.items())


# --- the search box ------------------------------------------------------------------------

_ZH_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
_EN_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_YEAR_MONTH_RE = re.compile(r"(?<!\d)(\d{4})\s*(?:年\s*|[-/.])(1[0-2]|0?[1-9])(?:\s*月(?:份)?)?(?!\d)")
_ZH_MONTH_RE = re.compile(r"(十[一二]|[一二三四五六七八九十])月(?:份)?")
_DIGIT_MONTH_RE = re.compile(r"(?<!\d)(1[0-2]|0?[1-9])\s*月(?:份)?")
_EN_MONTH_RE = re.compile(r"\b(" + "|".join(sorted(_EN_MONTHS, key=len, reverse=True)) + r")\b\.?", re.I)


@dataclass(frozen=True)
class ParsedQuery:
    """What the search box said: the kinds it named, a month, a month of the year, and the
    words left for the titles."""

    kinds: tuple[str, ...] = ()
    month: dt.date | None = None
    month_of_year: int | None = None
    q: str = ""


def parse_query(text: str) -> ParsedQuery:
    """Take kind words (``ReportKind.words``: 月报 → trend_report), a month ("2026年10月",
    "2026-10") and a month of the year (十月, 10月, "October", "Oct") out of ``text``; the rest
    is matched against titles. Months are taken first: "十月报告" is October's reports, not
    a monthly ("月报") one."""
    import datetime

    rest = " ".join((text or "").split())
    month: dt.date | None = None
    month_of_year: int | None = None
    if found := _YEAR_MONTH_RE.search(rest):
        month = datetime.date(int(found.group(1)), int(found.group(2)), 1)
        rest = rest[: found.start()] + " " + rest[found.end() :]
    for pattern in (_ZH_MONTH_RE, _DIGIT_MONTH_RE, _EN_MONTH_RE):
        if month is not None or month_of_year is not None:
            break
        if found := pattern.search(rest):
            word = found.group(1)
            if pattern is _ZH_MONTH_RE:
                month_of_year = sum(_ZH_NUMERALS[c] for c in word)
            elif pattern is _DIGIT_MONTH_RE:
                month_of_year = int(word)
            else:
                month_of_year = _EN_MONTHS[word.lower()]
            rest = rest[: found.start()] + " " + rest[found.end() :]
    named: list[str] = []
    words = sorted(((w, k.key) for k in kinds() for w in k.words if w), key=lambda wk: -len(wk[0]))
    for word, key in words:
        pattern = re.compile(re.escape(word), re.I)
        if pattern.search(rest):
            rest = pattern.sub(" ", rest)
            if key not in named:
                named.append(key)
    return ParsedQuery(kinds=tuple(named), month=month, month_of_year=month_of_year, q=" ".join(rest.split()))


# --- the merged list -----------------------------------------------------------------------


def report_rows(
    *, actor: Actor, kind_keys: Sequence[str] = (), report_filter: ReportFilter | None = None
) -> list[ReportRow]:
    """The rows of the named kinds (every kind when none is named) that ``actor`` may read,
    merged newest first. Each kind's ``rows`` reads through ``visible_to``.

    The merge is a list in memory: fine up to some thousands of rows (a bureau's reports of
    several years); the page paginates it."""
    report_filter = report_filter or ReportFilter()
    chosen = [k for k in kinds() if not kind_keys or k.key in kind_keys]
    rows = [row for kind in chosen for row in kind.rows(actor, report_filter)]
    rows.sort(key=lambda row: (row.date, row.id), reverse=True)
    return rows


def rows_by_key(*, actor: Actor, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], ReportRow]:
    """The rows of these (kind, id) pairs that ``actor`` may read, through each kind's ``lookup``;
    pairs of an unknown kind or a report the actor may not read are left out."""
    wanted: dict[str, list[int]] = {}
    for key, report_id in keys:
        wanted.setdefault(key, []).append(report_id)
    found: dict[tuple[str, int], ReportRow] = {}
    for key, ids in wanted.items():
        kind = kind_get(key)
        if kind is None:
            continue
        for report_id, row in kind.lookup(actor, ids).items():
            found[(key, report_id)] = row
    return found
