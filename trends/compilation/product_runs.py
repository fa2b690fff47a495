"""Section 2, the month's products over the jurisdiction: b-value, Mc and rate change.

The month's run of a method is the bureau's latest finished run of it over its jurisdiction
(``selection.jurisdiction``) whose catalog selection ends within the month (a run without
an end time: one that finished within the month); a succeeded one before a failed one. A
method without a succeeded run of the month is computed here, requested as the system for
the bureau (``products.services.runs.run_request_for_bureau``, like a schedule's beat run)
and executed in this process (``execution.run_execute``), over the standard selection below.
Each row holds the result's key values, the change against last month's run and the run's
PNG figure, embedded (a report is frozen with its figures; the run's files may be cleaned).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from products.methods.registry import METHODS
from products.models import ProductRun, RunStatus
from products.selectors import selection_events
from products.services.execution import run_directory, run_execute
from products.services.run_requests import RunRequestInvalid
from products.services.runs import run_request_for_bureau

from . import CompileContext, Compiled, Figure, compiler, queries

PRODUCT_METHODS = ["bvalue", "mc", "rate_change"]


def _utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def standard_request(method: str, month: dt.date) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, catalog) of the run computed for a month: Mc and b over the 12 months ending
    with it; the rate change over five years, its window the last year up to the month's end."""
    _start, end = queries.month_bounds(month)
    if method == "rate_change":
        start = queries.bjt_midnight(queries.add_months(month, -59))
        return (
            {"cell": 0.2, "window_end": _utc_iso(end)},
            {"jurisdiction": True, "starttime": _utc_iso(start), "endtime": _utc_iso(end)},
        )
    start = queries.bjt_midnight(queries.add_months(month, -11))
    return {}, {"jurisdiction": True, "starttime": _utc_iso(start), "endtime": _utc_iso(end)}


def _selection_end(run: ProductRun) -> dt.datetime | None:
    value = (run.selection or {}).get("endtime")
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _of_month(run: ProductRun, start: dt.datetime, end: dt.datetime) -> bool:
    finish = _selection_end(run)
    if finish is not None:
        return start < finish <= end
    return run.finished_at is not None and start <= run.finished_at < end


def _pick(runs: list[ProductRun], method: str, start: dt.datetime, end: dt.datetime) -> ProductRun | None:
    mine = [r for r in runs if r.method == method and _of_month(r, start, end)]
    succeeded = [r for r in mine if r.status == RunStatus.SUCCEEDED]
    chosen = succeeded or mine
    return chosen[0] if chosen else None


def key_values(method: str, result: dict[str, Any] | None) -> dict[str, Any]:
    """The numbers of a result the report lists and compares."""
    if not result:
        return {}
    if method == "bvalue":
        return {k: result.get(k) for k in ("b", "b_err", "a", "mc", "n")}
    if method == "mc":
        return {"mc": result.get("mc")}
    if method == "rate_change":
        zs = [
            f["properties"]["z"]
            for f in result.get("features", [])
            if isinstance(f.get("properties", {}).get("z"), int | float)
        ]
        return {
            "n_cells": len(result.get("features", [])),
            "z_max": max(zs) if zs else None,
            "z_min": min(zs) if zs else None,
            "n_quiescence": sum(1 for z in zs if z >= 2.0),  # Habermann's Z > 0: fewer events
            "n_activation": sum(1 for z in zs if z <= -2.0),
            "n_events": result.get("n_events"),
        }
    return {}


def _change(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    change = {}
    for key, value in now.items():
        old = before.get(key)
        if isinstance(value, int | float) and isinstance(old, int | float):
            change[key] = round(value - old, 4)
    return change


def _figure(run: ProductRun) -> bytes | None:
    name = f"{run.method}.png"
    if name not in (run.figures or []):
        return None
    path = run_directory(run.bureau_id, run.figure_run_id) / name
    try:
        return path.read_bytes()
    except OSError:
        return None


def _compute(context: CompileContext, method: str) -> ProductRun | None:
    params, catalog = standard_request(method, context.month)
    try:
        run = run_request_for_bureau(bureau=context.bureau, method=method, params=params, catalog=catalog)
    except RunRequestInvalid:
        return None
    return run_execute(bureau_id=run.bureau_id, run_id=run.pk, task_id=run.task_id)


def _should_compute(context: CompileContext, method: str, run: ProductRun | None) -> bool:
    """No succeeded run of the month: compute one, unless the last attempt was over the
    standard selection and no event of it changed since (it would fail the same way again:
    a recompilation does not pile up failed runs)."""
    if context.bureau.jurisdiction is None or (run is not None and run.status == RunStatus.SUCCEEDED):
        return False
    if run is None or run.finished_at is None:
        return True
    _params, catalog = standard_request(method, context.month)
    if any(run.selection.get(key) != value for key, value in catalog.items()):
        return True
    changed = selection_events(bureau=context.bureau, selection=run.selection).filter(
        updated_at__gt=run.finished_at
    )
    return changed.exists()


@compiler("products")
def compile_products(context: CompileContext) -> Compiled:
    start, end = queries.month_bounds(context.month)
    last_start, _last_end = queries.month_bounds(queries.add_months(context.month, -1))
    runs = queries.jurisdiction_runs(
        context.reader, context.bureau, PRODUCT_METHODS, since=last_start - dt.timedelta(days=400)
    )
    rows: list[dict[str, Any]] = []
    figures: list[Figure] = []
    for index, method in enumerate(PRODUCT_METHODS):
        context.progress(int(100 * index / len(PRODUCT_METHODS)), method)
        run = _pick(runs, method, start, end)
        computed = False
        if _should_compute(context, method, run):
            fresh = _compute(context, method)
            if fresh is not None:
                run, computed = fresh, True
        before = _pick(runs, method, last_start, start)
        spec = METHODS[method]
        values = key_values(method, run.result if run and run.status == RunStatus.SUCCEEDED else None)
        previous = key_values(
            method, before.result if before and before.status == RunStatus.SUCCEEDED else None
        )
        row: dict[str, Any] = {
            "method": method,
            "title": spec.title_zh,
            "title_en": spec.title_en,
            "run_id": run.pk if run else None,
            "status": run.status if run else None,
            "error": run.error if run else "",
            "computed_now": computed,
            "url": run.get_absolute_url() if run else None,
            "finished_at": run.finished_at.isoformat() if run and run.finished_at else None,
            "input_count": run.input_count if run else None,
            "selection": {k: v for k, v in (run.selection or {}).items() if k != "forecasts"} if run else {},
            "values": values,
            "last_month": {
                "run_id": before.pk if before else None,
                "values": previous,
                "url": before.get_absolute_url() if before else None,
            },
            "change": _change(values, previous),
            "figure": None,
        }
        png = _figure(run) if run and run.status == RunStatus.SUCCEEDED else None
        if png:
            figures.append(Figure(method, f"{spec.title_zh} {spec.title_en}", png))
            row["figure"] = method
        rows.append(row)
    context.progress(100, "done")
    data = {"month": context.month.strftime("%Y-%m"), "runs": rows, "methods": PRODUCT_METHODS}
    if context.bureau.jurisdiction is None:
        data["message"] = _("The bureau has no jurisdiction: no products are computed for it.")
    return Compiled(data=data, n_events=None, figures=figures)
