"""Checks of free input shared by every app: titles and names people give to things.

One rule, used by the services (so pages, APIs, imports and commands all meet it):

* surrounding whitespace is dropped;
* a title is one line of text: control characters (Unicode Cc: tabs, line breaks,
  NUL, escape), invisible format characters (Cf: zero-width spaces, bidirectional
  overrides that make a title read differently from what is stored), line and
  paragraph separators (Zl, Zp), private-use (Co), surrogate (Cs) and unassigned
  (Cn) code points are refused. Ordinary spaces (Zs) are text;
* it names something, so it holds at least one letter (any script: Latin, Han,
  Mongolian, Tibetan, Uyghur ...). "0", "---" or "2026" alone are not titles;
* it has at most ``max_length`` characters (the column's length).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from .exceptions import InvalidInput

if TYPE_CHECKING:
    from django.db import models

__all__ = [
    "TITLE_MAX_LENGTH",
    "WORK_DATE_MAX",
    "WORK_DATE_MIN",
    "clean_title",
    "is_work_date",
    "max_length_of",
    "title_problem",
]


TITLE_MAX_LENGTH = 200

#: Unicode general categories a title may not contain (see the module docstring).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


#: Dates typed into the filters of current work (zero-reports, anomalies, meetings): wider
#: than any record of it, narrow enough that the date arithmetic around a filter (a
#: default span of 30 or 90 days before it, the end of its day in UTC) stays inside
#: Python's years 1 to 9999 instead of raising OverflowError (a 500).
WORK_DATE_MIN = dt.date(1900, 1, 1)
WORK_DATE_MAX = dt.date(2199, 12, 31)


def is_work_date(value: dt.date) -> bool:
    """True for a date between WORK_DATE_MIN and WORK_DATE_MAX."""
    return WORK_DATE_MIN <= value <= WORK_DATE_MAX


def title_problem(value: str, *, max_length: int = TITLE_MAX_LENGTH) -> str | None:
    """Why ``value`` (already stripped) is not a title, or None when it is one."""
    if not value:
        return _("A title is needed.")
    for char in value:
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return _("A title cannot contain control or invisible characters (found U+%(code)04X).") % {
                "code": ord(char)
            }
    if not any(unicodedata.category(char).startswith("L") for char in value):
        return _("A title needs words: at least one letter or character, not only digits or signs.")
    if len(value) > max_length:
        return _("A title has at most %(max)d characters (this one has %(count)d).") % {
            "max": max_length,
            "count": len(value),
        }
    return None


def clean_title(value: object, *, field: str = "title", max_length: int = TITLE_MAX_LENGTH) -> str:
    """The stripped title; InvalidInput naming ``field`` when it is not one (see module docstring)."""
    text = value.strip() if isinstance(value, str) else ""
    problem = title_problem(text, max_length=max_length)
    if problem is not None:
        raise InvalidInput(problem, field=field)
    return text


def max_length_of(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of one of the model's text columns: the limit a title is checked against."""
    length = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return length
