"""Working days in China: the official calendar (holidays, weekends worked in lieu), and
weekdays for a year the calendar does not know yet."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.timefmt import BEIJING
from sharing.workdays import due_after, is_working_day, working_days_after


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 11, 27), True),  # a Friday
        (dt.date(2026, 11, 28), False),  # a Saturday
        (dt.date(2026, 10, 1), False),  # National Day, a Thursday
        (dt.date(2026, 9, 20), True),  # a Sunday worked in lieu
        (dt.date(2026, 10, 10), True),  # a Saturday worked in lieu
        (dt.date(2027, 1, 2), False),  # a Saturday of a year the calendar has not announced
        (dt.date(2027, 1, 1), True),  # unknown year: Monday to Friday only (New Year not known)
    ],
)
def test_working_days_follow_chinas_calendar(day, working):
    assert is_working_day(day) is working


def test_three_working_days_after_a_friday_end_on_wednesday_night():
    # Friday 2026-11-27 10:00 Beijing time: Monday, Tuesday, Wednesday
    asked = dt.datetime(2026, 11, 27, 10, 0, tzinfo=BEIJING)
    assert due_after(asked, 3) == dt.datetime(2026, 12, 3, 0, 0, tzinfo=BEIJING)


def test_the_golden_week_does_not_count_and_the_saturday_worked_in_lieu_does():
    # Wednesday 2026-09-30: 10-01..10-07 are holidays; 10-08, 10-09 and Saturday 10-10 are worked
    assert working_days_after(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
    assert due_after(dt.datetime(2026, 9, 30, 16, 0, tzinfo=BEIJING), 3) == dt.datetime(
        2026, 10, 11, 0, 0, tzinfo=BEIJING
    )


def test_the_day_is_the_beijing_date_of_the_moment():
    # 2026-11-27 23:30 UTC is Saturday 07:30 in Beijing: counting starts after Saturday
    asked = dt.datetime(2026, 11, 27, 23, 30, tzinfo=dt.UTC)
    assert due_after(asked, 1) == dt.datetime(2026, 12, 1, 0, 0, tzinfo=BEIJING)
