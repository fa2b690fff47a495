"""A schedule's crontab in words, in the reader's language.

People read "在 08:00, 每月的 1 号" or "At 08:00, on day 1 of the month" more readily than
``0 8 1 * *`` (the crontab stays beside it for those who write them). cron-descriptor, which
django-celery-beat already uses for its admin, does the wording; its Chinese leaves the
names of weekdays and months in English (it takes them from Python's ``calendar`` in the C
locale), so those are put into Chinese here. The times are the schedule's own, Beijing time.
"""

from __future__ import annotations

import calendar
import functools

from cron_descriptor import ExpressionDescriptor, Options
from cron_descriptor.Exception import FormatException, MissingFieldException, WrongArgumentException
from django.utils.translation import get_language

__all__ = ["crontab_words"]

_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
#: English names (calendar's, in the C locale) -> Chinese, longest first (no name is
#: replaced inside a longer one)
_NAMES_ZH = sorted(
    [
        *zip(calendar.day_name, _WEEKDAYS_ZH, strict=True),
        *((calendar.month_name[m], f"{m}月") for m in range(1, 13)),
    ],
    key=lambda pair: -len(pair[0]),
)


@functools.lru_cache(maxsize=512)
def _words(expression: str, chinese: bool) -> str:
    options = Options()
    options.locale_code = "zh_CN" if chinese else "en_US"
    options.use_24hour_time_format = True
    try:
        words = ExpressionDescriptor(expression, options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException, ValueError):
        return expression  # not a crontab it can read: shown as written
    if chinese:
        for english, chinese_name in _NAMES_ZH:
            words = words.replace(english, chinese_name)
    return words


def crontab_words(expression: str, language: str | None = None) -> str:
    """``expression`` (five crontab fields) in words, in ``language`` (the active language
    when None: English for ``en*``, Chinese otherwise); the expression itself when it cannot
    be read."""
    language = language or get_language() or "zh-hans"
    return _words(expression, not language.startswith("en"))
