"""How a time is shown to a reader: Beijing time, with its date, in ISO order (2026-12-01 07:30).

Storage is UTC; every page, PDF, notification, title and display payload goes through these
functions (templates through the ``bjt`` / ``bjdate`` filters of ``portal_tags``), so a time is
never shown in UTC or in a browser's US order. Machine formats (FDSN, QuakeML, API timestamps)
keep their own ISO/UTC rules and do not use this module.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

BEIJING = ZoneInfo("Asia/Shanghai")  # China has kept UTC+8 without summer time since 1991

# The one set of patterns: zh and en readers both get ISO order, which reads the same in both.
_PATTERNS = {
    "minutes": "%Y-%m-%d %H:%M",
    "seconds": "%Y-%m-%d %H:%M:%S",
    "short": "%m-%d %H:%M",  # lists where the year is the current one's context
    "clock": "%H:%M",  # only where the date stands next to it (a calendar day cell)
    "clock_seconds": "%H:%M:%S",
}


def beijing(value: dt.datetime) -> dt.datetime:
    """The same instant as an aware datetime in Beijing time (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(BEIJING)


def format_time(
    value: dt.datetime | dt.date | dt.time | None,
    *,
    style: str = "minutes",
    with_seconds: bool = False,
    label: bool = False,
) -> str:
    """``2026-12-01 07:30`` in Beijing time; "" for None. ``label`` adds "(Beijing time)" for text
    read away from the portal (titles, PDFs, messages), where a lone time could be misread."""
    if value is None:
        return ""
    if isinstance(value, dt.time):  # a time of day (a deadline) has no date and no zone
        return value.strftime(_PATTERNS["clock_seconds" if with_seconds else "clock"])
    if not isinstance(value, dt.datetime):  # a date has no hour to convert
        return format_date(value)
    if with_seconds and style == "minutes":
        style = "seconds"
    text = beijing(value).strftime(_PATTERNS[style])
    return _("%(time)s (Beijing time)") % {"time": text} if label else text


def format_date(value: dt.date | dt.datetime | None, *, style: str = "day") -> str:
    """``2026-12-01``: the Beijing date of an instant, or a calendar date as it is; "" for None.
    ``style="month"`` gives ``2026-12``."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = beijing(value).date()
    return value.strftime("%Y-%m" if style == "month" else "%Y-%m-%d")


def today() -> dt.date:
    """Today's date in Beijing (a UTC date is yesterday's until 08:00)."""
    return dt.datetime.now(BEIJING).date()
