"""Working days in China: when a request for data must be answered.

China's working calendar is not Monday to Friday: the State Council announces each year's
public holidays and the weekend days worked in lieu (调休), e.g. Sunday 2026-09-20 is a
working day and Thursday 2026-10-01 is not. ``chinese_calendar`` (PyPI, MIT) ships those
announcements; for a year it does not know yet (announced each November or December) the
rule falls back to Monday to Friday, so a deadline is never refused, only less exact.

A request made on a day has until the end of the N-th working day after that day, in
Beijing time: made on Friday 2026-11-27 at 10:00 with three working days, it is due by the
end of Wednesday 2026-12-02, i.e. at 2026-12-03 00:00 Beijing time.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from portal.timefmt import BEIJING, beijing


def is_working_day(day: dt.date) -> bool:
    """A working day in China: the official calendar, or Monday to Friday where it has none."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no announcement for
        return day.weekday() < 5


def working_days_after(start: dt.date, count: int) -> dt.date:
    """The ``count``-th working day after ``start`` (``start`` itself not counted)."""
    day = start
    found = 0
    while found < count:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            found += 1
    return day


def due_after(moment: dt.datetime, working_days: int) -> dt.datetime:
    """The deadline of something received at ``moment``: the end of the ``working_days``-th
    working day after its Beijing date (the next midnight, Beijing time)."""
    last = working_days_after(beijing(moment).date(), working_days)
    return dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0), tzinfo=BEIJING)
