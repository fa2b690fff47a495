"""Section 4, the month's zero-reports (unit-days): expected, on time, late, missed, with the
units that missed most. The cells come from the disciplines' matrix
(``disciplines.selectors.zero_report_matrix``: o on time, l late, a anomaly, m missed,
p not due yet, "-" a weekly unit's other days); an anomaly report's lateness, which the
matrix does not show, is read from the reports' ``is_late``."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.utils import timezone

from disciplines.selectors import unit_list, zero_report_list, zero_report_matrix

from . import CompileContext, Compiled, compiler, queries

TOP = 10


@compiler("zero_reports")
def compile_zero_reports(context: CompileContext) -> Compiled:
    first = context.month
    last = queries.add_months(first, 1) - timedelta(days=1)
    units = list(unit_list(actor=context.reader).filter(bureau=context.bureau))
    matrix = zero_report_matrix(actor=context.reader, units=units, start=first, end=last, now=timezone.now())
    late_by_unit = Counter(
        zero_report_list(actor=context.reader, start=first, end=last, status="late")
        .filter(bureau=context.bureau, unit_id__in=[u.pk for u in units])
        .values_list("unit_id", flat=True)
    )
    per_unit = []
    totals: Counter[str] = Counter()
    for row in matrix.rows:
        cells = Counter(row.cells)
        reported = cells["o"] + cells["l"] + cells["a"]
        late = late_by_unit.get(row.unit.pk, 0)
        unit: dict[str, Any] = {
            "unit": row.unit.name,
            "code": row.unit.code,
            "discipline": row.unit.discipline.code,
            "expected": reported + cells["m"],
            "reported": reported,
            "on_time": reported - late,
            "late": late,
            "missed": cells["m"],
            "pending": cells["p"],
            "anomaly": cells["a"],
        }
        per_unit.append(unit)
        for key in ("expected", "reported", "on_time", "late", "missed", "pending", "anomaly"):
            totals[key] += unit[key]
    worst = sorted(
        (u for u in per_unit if u["missed"] or u["late"]),
        key=lambda u: (-u["missed"], -u["late"], u["code"]),
    )[:TOP]
    data = {
        "month": first.strftime("%Y-%m"),
        "n_units": len(units),
        "days": len(matrix.days),
        "expected": totals["expected"],
        "reported": totals["reported"],
        "on_time": totals["on_time"],
        "late": totals["late"],
        "missed": totals["missed"],
        "pending": totals["pending"],
        "anomaly": totals["anomaly"],
        "top_missing": [
            {"unit": u["unit"], "code": u["code"], "missed_days": u["missed"], "late_days": u["late"]}
            for u in worst
        ],
        "units": per_unit,
    }
    return Compiled(data=data, n_events=None, figures=[])
