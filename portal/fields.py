"""Serializer fields every API input uses instead of DRF's own, so out-of-range input is a 400.

* ``IntegerField`` holds what PostgreSQL can store: ``bigint`` unless narrower bounds
  are given. DRF's accepts any number of digits, and a number beyond ``bigint``
  made PostgreSQL fail ("bigint out of range") with a 500.
* ``WorkDateField`` keeps a date in the years 1900 to 2199 (``is_work_date``).
* ``DateTimeField`` refuses a time that exists in no UTC year 1 to 9999 (0001-01-01
  in Beijing time, 9999-12-31 west of UTC): DRF converts naive times with
  ``astimezone`` outside its own ``OverflowError`` guard, and crashed.

``tests/portal/test_input_limits.py`` checks that every input serializer of every API
uses them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .converters import BIGINT_MAX
from .validators import WORK_DATE_MAX, WORK_DATE_MIN, is_work_date

if TYPE_CHECKING:
    import datetime as dt

__all__ = ["BIGINT_MAX", "DateTimeField", "FloatField", "IdField", "IntegerField", "WorkDateField"]


class IntegerField(serializers.IntegerField):
    """DRF's IntegerField bounded to ``bigint`` unless narrower bounds are given."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_value", BIGINT_MAX)
        kwargs.setdefault("min_value", -BIGINT_MAX - 1)
        super().__init__(**kwargs)


class FloatField(serializers.FloatField):
    """DRF's FloatField without booleans: ``float(True)`` is 1.0, so DRF takes ``true`` for a
    number; a boolean sent where a number belongs is a mistake to name (400), not a 1."""

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdField(IntegerField):
    """The id of a row: a positive ``bigint``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField; a time outside the UTC years 1 to 9999 is a 400, not a 500."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        try:
            return super().enforce_timezone(value)
        except OverflowError:
            self.fail("overflow")
            raise  # unreachable: fail() raises ValidationError


class WorkDateField(serializers.DateField):
    """A date the portal's work can be about (``portal.validators.is_work_date``): date
    arithmetic on a filter of 0001-01-01 or 9999-12-31 overflowed into a 500."""

    default_error_messages = {
        "out_of_range": _("%(value)s is outside the years %(first)d to %(last)d."),
    }

    def to_internal_value(self, value: Any) -> dt.date:
        parsed = super().to_internal_value(value)
        if not is_work_date(parsed):
            raise serializers.ValidationError(
                self.error_messages["out_of_range"]
                % {"value": value, "first": WORK_DATE_MIN.year, "last": WORK_DATE_MAX.year}
            )
        return parsed
