"""The submission matrix as HTML rows: built in Python because 2,000 units x 31 days is
62,000 cells, which the template engine renders an order of magnitude slower.

Safe by construction: every fragment is a ``format_html`` result (its values escaped);
a cell's fragment is built once per day code, not once per cell, to keep the speed."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from .selectors import Matrix


@functools.cache
def _cell(code: str) -> SafeString:
    return format_html('<td class="z-{}"></td>', code)


def matrix_rows_html(matrix: Matrix) -> SafeString:
    parts: list[SafeString] = []
    for row in matrix.rows:
        unit = row.unit
        parts.append(
            format_html(
                '<tr data-unit="{}" data-discipline="{}"><th scope="row" title="{}">{}'
                '<span class="d-none d-md-inline"> {}</span></th>',
                unit.pk,
                unit.discipline.code,
                unit.name,
                unit.code,
                unit.name,
            )
        )
        parts.extend(_cell(c) for c in row.cells)
        parts.append(format_html('<td class="z-count">{}</td></tr>', row.missing or ""))
    # Joining loses the SafeString type, not the safety: each part above came out of format_html.
    return mark_safe("".join(parts))  # noqa: S308
