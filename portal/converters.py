"""The URL converter for database ids: ``<id:meeting_id>``, registered once in ``PortalConfig.ready``.

Django's ``<int:...>`` matches any run of digits, so ``/meetings/99999999999999999999/``
reached a view with a number no ``bigint`` column can hold; some lookups then failed
in PostgreSQL ("bigint out of range") with a 500. An id that cannot exist is simply
not found: this converter refuses it while resolving the URL, so the answer is 404
before any view runs. ``tests/test_architecture.py`` keeps ``<int:`` out of the routes.
"""

from __future__ import annotations

#: The largest value of a PostgreSQL ``bigint`` (Django's ``BigAutoField``).
BIGINT_MAX = 2**63 - 1


class IdConverter:
    """A positive whole number that fits a ``bigint`` primary key; anything else does not match."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > BIGINT_MAX:
            raise ValueError(value)  # Django treats ValueError as "this route does not match"
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def parse_id(text: str | None) -> int | None:
    """The id written in ``text`` (a query or form value), or None when it cannot be one.

    The same rule as the URL converter, for ids that come as parameters: ``int()`` alone
    takes 20 digits (then "bigint out of range" in SQL) or refuses 5000 (ValueError).
    """
    value = (text or "").strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 19:
        return None
    number = int(value)
    return number if number <= BIGINT_MAX else None
