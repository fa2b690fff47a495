"""Date and time inputs that read 2026-12-01 and 2026-12-01 08:30 (Beijing time) in every browser.

``<input type="date">`` and ``datetime-local`` are drawn in the order of the reader's operating
system (12/01/2026 on a US machine), so a date written on one screen reads differently on another.
These are text inputs with the ISO pattern and an example; Django's fields parse ISO (a ``T`` or a
space between date and time) in the current time zone, Asia/Shanghai.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
DATETIME_PATTERN = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?"
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]


def _attrs(pattern: str, example: str, title: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "class": "form-control",
        "pattern": pattern,
        "placeholder": example,
        "title": title,
        "autocomplete": "off",
        "spellcheck": "false",
        **(attrs or {}),
    }


class IsoDateInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        title = _("a date like 2026-12-01")
        super().__init__(attrs=_attrs(DATE_PATTERN, "2026-12-01", title, attrs), format="%Y-%m-%d")


class IsoDateTimeInput(forms.DateTimeInput):
    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        title = _("Beijing time like 2026-12-01 08:30")
        super().__init__(
            attrs=_attrs(DATETIME_PATTERN, "2026-12-01 08:30", title, attrs), format="%Y-%m-%d %H:%M"
        )
