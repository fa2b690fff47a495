"""The submission matrix as HTML rows: built in Python because 2,000 units x 31 days is
62,000 cells, which the template engine renders an order of magnitude slower."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.html import escape

if TYPE_CHECKING:
    from .selectors import Matrix


def matrix_rows_html(matrix: Matrix) -> str:
    parts = []
    for row in matrix.rows:
        unit = row.unit
        cells = "".join(f'<td class="z-{c}"></td>' for c in row.cells)
        parts.append(
            f'<tr data-unit="{unit.pk}" data-discipline="{unit.discipline.code}">'
            f'<th scope="row" title="{escape(unit.name)}">{escape(unit.code)}'
            f'<span class="d-none d-md-inline"> {escape(unit.name)}</span></th>{cells}'
            f'<td class="z-count">{row.missing or ""}</td></tr>'
        )
    return "".join(parts)
