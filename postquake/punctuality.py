"""Punctuality of the first opinion, per month (issue 15: "the time the opinion was issued
against its deadline is recorded and reported per month").

A case belongs to the Beijing month in which its clock started. Its minutes are
``issued_at - due_at`` (negative: early); it is on time when issued at or before the deadline.
A case with no opinion is still open (overdue once past its deadline) or was closed without
one. Pure: the cases come from ``selectors.cases_of_month`` (what the reader may see).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.exceptions import InvalidInput
from portal.timefmt import BEIJING, today
from portal.validators import is_work_date

from .models import CaseState

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .models import PostQuakeCase

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


class Status:
    ON_TIME = "on_time"
    LATE = "late"
    OPEN = "open"
    OVERDUE = "overdue"
    CLOSED = "closed_without_opinion"


STATUS_LABELS = {
    Status.ON_TIME: gettext_lazy("on time"),
    Status.LATE: gettext_lazy("late"),
    Status.OPEN: gettext_lazy("open, not yet due"),
    Status.OVERDUE: gettext_lazy("open, overdue"),
    Status.CLOSED: gettext_lazy("closed without an opinion"),
}


def parse_month(value: str | None, *, field: str = "month") -> dt.date:
    """``"2026-10"`` → 2026-10-01; empty → this Beijing month; anything else (another shape,
    month 13, a year outside 1900–2199) is a 400 naming ``field``."""
    text = (value or "").strip()
    if not text:
        return today().replace(day=1)
    match = MONTH_RE.match(text)
    try:
        if match is None:
            raise ValueError(text)
        first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise InvalidInput(_("Give the month as YYYY-MM, e.g. 2026-10."), field=field) from None
    if not is_work_date(first):
        raise InvalidInput(_("Give a month between 1900 and 2199."), field=field)
    return first


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Beijing month as [start, end) instants."""
    start = dt.datetime(month.year, month.month, 1, tzinfo=BEIJING)
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, dt.datetime(following.year, following.month, 1, tzinfo=BEIJING)


def month_step(month: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` away (negative: back)."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _minutes(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 60.0, 1)


@dataclass(frozen=True)
class Row:
    case: PostQuakeCase
    status: str
    minutes: float | None  # issued - deadline (negative: early); None: no opinion
    minutes_to_issue: float | None  # issued - clock start

    @property
    def on_time(self) -> bool | None:
        return None if self.minutes is None else self.minutes <= 0

    @property
    def minutes_early(self) -> float | None:
        return None if self.minutes is None else -self.minutes

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


@dataclass
class Report:
    month: dt.date
    rows: list[Row] = field(default_factory=list)

    def _count(self, *statuses: str) -> int:
        return sum(1 for row in self.rows if row.status in statuses)

    @property
    def cases(self) -> int:
        return len(self.rows)

    @property
    def issued(self) -> int:
        return self._count(Status.ON_TIME, Status.LATE)

    @property
    def on_time(self) -> int:
        return self._count(Status.ON_TIME)

    @property
    def late(self) -> int:
        return self._count(Status.LATE)

    @property
    def still_open(self) -> int:
        return self._count(Status.OPEN, Status.OVERDUE)

    @property
    def overdue(self) -> int:
        return self._count(Status.OVERDUE)

    @property
    def closed_without_opinion(self) -> int:
        return self._count(Status.CLOSED)

    @property
    def on_time_share(self) -> float | None:
        """On time among the issued, 0–1 (None: none issued)."""
        return round(self.on_time / self.issued, 3) if self.issued else None

    @property
    def median_minutes(self) -> float | None:
        """Median of issued minus deadline over the issued opinions (negative: early)."""
        values = [row.minutes for row in self.rows if row.minutes is not None]
        return round(statistics.median(values), 1) if values else None

    @property
    def median_minutes_to_issue(self) -> float | None:
        """Median of issued minus clock start over the issued opinions."""
        values = [row.minutes_to_issue for row in self.rows if row.minutes_to_issue is not None]
        return round(statistics.median(values), 1) if values else None

    @property
    def summary(self) -> dict[str, int | float | None]:
        return {
            "cases": self.cases,
            "issued": self.issued,
            "on_time": self.on_time,
            "late": self.late,
            "still_open": self.still_open,
            "overdue": self.overdue,
            "closed_without_opinion": self.closed_without_opinion,
            "on_time_share": self.on_time_share,
            "median_minutes": self.median_minutes,
            "median_minutes_to_issue": self.median_minutes_to_issue,
        }


def row_of(case: PostQuakeCase, now: dt.datetime) -> Row:
    if case.issued_at is not None:
        minutes = _minutes(case.issued_at - case.due_at)
        return Row(
            case=case,
            status=Status.ON_TIME if minutes <= 0 else Status.LATE,
            minutes=minutes,
            minutes_to_issue=_minutes(case.issued_at - case.clock_start),
        )
    if case.state == CaseState.CLOSED:
        status = Status.CLOSED
    else:
        status = Status.OVERDUE if now >= case.due_at else Status.OPEN
    return Row(case=case, status=status, minutes=None, minutes_to_issue=None)


def report(cases: Iterable[PostQuakeCase], *, month: dt.date, now: dt.datetime) -> Report:
    """The month's rows (in clock order, as given) and their summary."""
    return Report(month=month, rows=[row_of(case, now) for case in cases])


def clock_of(case: PostQuakeCase, now: dt.datetime) -> dict[str, Any]:
    """What a case's clock shows at ``now``: ``clock`` is ``issued`` (``minutes`` before the
    deadline, or after it when ``after``), ``running`` (whole minutes left), ``overdue`` (whole
    minutes past) or ``closed`` (without an opinion)."""
    row = row_of(case, now)
    if row.minutes is not None:
        after = round(row.minutes)
        return {"clock": "issued", "minutes": abs(after), "after": after > 0}
    if row.status == Status.CLOSED:
        return {"clock": "closed", "minutes": None, "after": False}
    left = (case.due_at - now).total_seconds() / 60.0
    if left > 0:
        return {"clock": "running", "minutes": int(left), "after": False}
    return {"clock": "overdue", "minutes": int(-left), "after": True}
