"""Executing a run: loading inputs, computing, staging figure files, reuse of stored results,
and requeueing runs whose worker or message was lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import shutil
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, NotFound
from portal.workflow import transition
from products import inputs as input_rows
from products import provenance, selectors
from products.methods import registry
from products.methods.errors import InsufficientData, InvalidParams
from products.models import ProductRun, RunStatus
from products.series_inputs import read_series, series_hash

from .live import _announce
from .runs import (
    MAX_ATTEMPTS,
    SOFT_TIME_LIMIT,
    STALE_QUEUED,
    TIME_LIMIT,
    WORKFLOW,
    _enqueue_on_commit,
    _fail,
    _is_stale,
    _lock,
    _requeue,
    run_fail,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from portal.models import Bureau

logger = logging.getLogger(__name__)


FIGURE_FORMATS = ("png", "svg")
FIGURE_SCATTER_MAX = 20_000  # events drawn as dots on a map figure; the science uses them all


def runs_requeue_stale(*, now: datetime | None = None) -> list[int]:
    """Requeue runs left running past the time limit (a killed worker) or queued with a lost
    message; fail those that already used ``MAX_ATTEMPTS``. Returns the ids touched."""
    now = now or timezone.now()
    touched: list[int] = []
    stale = selectors.runs_stale(
        started_before=now - timedelta(seconds=TIME_LIMIT + 60), queued_before=now - STALE_QUEUED
    )
    for run_id in stale.values_list("pk", flat=True):
        with transaction.atomic():
            run = _lock(None, run_id)
            if run.status == RunStatus.RUNNING and not _is_stale(run, now):
                continue
            if run.status == RunStatus.QUEUED and run.queued_at and run.queued_at >= now - STALE_QUEUED:
                continue
            if run.status not in (RunStatus.RUNNING, RunStatus.QUEUED):
                continue
            if run.status == RunStatus.RUNNING and run.attempts >= MAX_ATTEMPTS:
                _fail(
                    run,
                    _("Gave up after %(n)d attempts: none finished within %(s)d seconds.")
                    % {"n": run.attempts, "s": TIME_LIMIT},
                )
            elif run.status == RunStatus.RUNNING:
                _requeue(run, "recover", actor=None, comment="stale: no progress within the time limit")
            else:
                run.task_id = uuid.uuid4().hex
                run.queued_at = now
                run.save(update_fields=["task_id", "queued_at", "updated_at"])
                _enqueue_on_commit(run)
            touched.append(run.pk)
    _clean_temporary_dirs(now)
    return touched


def run_directory(bureau_id: int, run_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "products" / str(bureau_id) / str(run_id)


def _temporary_root(bureau_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "products" / str(bureau_id) / ".tmp"


def _clean_temporary_dirs(now: datetime) -> None:
    """Remove the temporary directories of attempts that were killed long ago."""
    root = Path(settings.MEDIA_ROOT) / "products"
    cutoff = now.timestamp() - (TIME_LIMIT + 60)
    for tmp in root.glob("*/.tmp/*"):
        with contextlib.suppress(OSError):
            if tmp.stat().st_mtime < cutoff:
                shutil.rmtree(tmp, ignore_errors=True)


@transaction.atomic
def _run_start(*, bureau_id: int, run_id: int, task_id: str) -> ProductRun | None:
    run = (
        ProductRun.objects.select_for_update()
        .select_related("bureau")
        .filter(bureau_id=bureau_id, pk=run_id)
        .first()
    )
    if run is None or (task_id and run.task_id and run.task_id != task_id):
        return None  # gone, or superseded by a newer task for the same run
    if run.status == RunStatus.RUNNING:
        # A retry or redelivery of the entitled task: start over from a clean slate (no move).
        run.attempts += 1
        run.started_at = timezone.now()
        run.progress = 0
        run.save(update_fields=["attempts", "started_at", "progress", "updated_at"])
        return run
    if run.status != RunStatus.QUEUED:
        return None  # already finished: executing again would change nothing
    return transition(
        run,
        "start",
        None,
        workflow=WORKFLOW,
        prepare=lambda locked: {"attempts": locked.attempts + 1},
        extra=lambda locked: {"task_id": task_id, "attempt": locked.attempts},
        started_at=timezone.now(),
        progress=1,
        progress_note="started",
    )


def run_progress(run: ProductRun, percent: int, note: str = "") -> None:
    """Store and push progress of a running run (no state change, no audit)."""
    percent = max(0, min(99, int(percent)))
    ProductRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        progress=percent, progress_note=note[:120], updated_at=timezone.now()
    )
    run.progress, run.progress_note = percent, note[:120]
    _announce(run, now=True)


def _polygon_ring(geometry: dict[str, Any]) -> list[list[list[float]]]:
    """Outer rings of a GeoJSON Polygon or MultiPolygon."""
    if geometry.get("type") == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry.get("type") == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def _likelihood(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    # Consultation conclusions state likelihood in words; their order is what Molchan needs.
    return {"low": 0.2, "medium": 0.5, "high": 0.8}.get(str(value).lower())


def _stored_forecasts(bureau: Bureau, selection: dict[str, Any]) -> list[dict[str, Any]]:
    start, end = date.fromisoformat(selection["period_start"]), date.fromisoformat(selection["period_end"])
    stored = selectors.forecasts_for_scoring(bureau=bureau, start=start, end=end - timedelta(days=1))
    if stored is None:
        raise InvalidParams({"forecasts": "no stored forecasts are available; give them in params.forecasts"})
    return [
        {
            "start": str(item["window_start"]),
            "end": str(item["window_end"] + timedelta(days=1)),
            "polygon": ring,
            "mag_min": item["min_magnitude"],
            "mag_max": item.get("max_magnitude"),
            "probability": _likelihood(item.get("likelihood")),
        }
        for item in stored
        for ring in _polygon_ring(item["region"])
    ]


def _load_series_inputs(run: ProductRun) -> tuple[dict[str, Any], str, int]:
    """(method inputs, input hash, samples used) of a run over observation series; the
    catalog arrays too when the method also reads a catalog."""
    series = read_series(bureau=run.bureau, selection=run.selection["series"])
    run_progress(run, 25, "input read")
    inputs: dict[str, Any] = {"series": series}
    digest = series_hash(series)
    count = sum(part.present for part in series)
    if registry.method_for(run.method, series=True).input_fields != ("series",):
        rows = input_rows.read_rows(selectors.selection_events(bureau=run.bureau, selection=run.selection))
        inputs.update(rows.as_inputs())
        digest = hashlib.sha256((digest + rows.hash()).encode()).hexdigest()
    return inputs, digest, count


def _load_inputs(run: ProductRun) -> tuple[dict[str, Any], str, int]:
    """(method inputs, input hash, row count) of a run's selection."""
    if "series" in run.selection:
        return _load_series_inputs(run)
    events = selectors.selection_events(bureau=run.bureau, selection=run.selection)
    rows = input_rows.read_rows(events)
    run_progress(run, 25, "input read")
    inputs = rows.as_inputs()
    digest = rows.hash()
    selection = run.selection
    if "sequence" in selection:
        inputs["mainshock_time"] = np.datetime64(selection["sequence"]["mainshock_time"], "us")
    if registry.METHODS[run.method].input == "forecasts":
        forecasts = selection.get("forecasts")
        if forecasts is None:
            forecasts = _stored_forecasts(run.bureau, selection)
        region = selection.get("region")
        if region is None:
            import json

            if run.bureau.jurisdiction is None:  # removed since the run was requested
                raise InvalidParams({"region": "the bureau has no jurisdiction; give the scored polygon"})
            rings = _polygon_ring(json.loads(run.bureau.jurisdiction.geojson))
            region = max(rings, key=len)
        inputs.update(
            forecasts=forecasts,
            region=region,
            period_start=selection["period_start"],
            period_end=selection["period_end"],
        )
        extra = provenance.canonical_json({"forecasts": forecasts, "region": region})
        digest = hashlib.sha256((digest + extra).encode()).hexdigest()
    return inputs, digest, len(rows)


def _figure_inputs(method: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if method == "bvalue_grid" and inputs["lat"].size > FIGURE_SCATTER_MAX:
        stride = math.ceil(inputs["lat"].size / FIGURE_SCATTER_MAX)
        return {**inputs, "lat": inputs["lat"][::stride], "lon": inputs["lon"][::stride]}
    return inputs


def _write_figures(
    run: ProductRun, result: dict[str, Any], inputs: dict[str, Any], directory: Path
) -> list[str]:
    figure = registry.figure(run.method, result, _figure_inputs(run.method, inputs))
    names = []
    for fmt in FIGURE_FORMATS:
        name = f"{run.method}.{fmt}"
        figure.savefig(directory / name, format=fmt)
        names.append(name)
        run_progress(run, 85 if fmt == "png" else 95, f"figure {fmt}")
    return names


def _finish(
    run: ProductRun, *, task_id: str, result: dict[str, Any], names: list[str], tmp: Path
) -> ProductRun:
    with transaction.atomic():
        current = _lock(None, run)
        if current.status != RunStatus.RUNNING or current.task_id != task_id:
            return current  # superseded while computing: leave the newer attempt alone
        final = run_directory(run.bureau_id, run.pk)
        if final.exists():
            shutil.rmtree(final)  # left by an attempt whose transaction never committed
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(final)
        current.provenance = run.provenance  # what this attempt measured (a reuse keeps it too)
        try:
            with transaction.atomic():  # a savepoint: the unique result key may refuse the save
                return transition(
                    current,
                    "succeed",
                    None,
                    workflow=WORKFLOW,
                    extra={"input_hash": run.input_hash, "n": run.input_count},
                    result=result,
                    figures=names,
                    input_hash=run.input_hash,
                    input_count=run.input_count,
                    provenance=run.provenance,
                    progress=100,
                    progress_note="",
                    finished_at=timezone.now(),
                )
        except IntegrityError:
            # Another run stored the same key while this one computed: become its reuse.
            shutil.rmtree(final, ignore_errors=True)
            source = selectors.run_find_result(
                bureau_id=run.bureau_id,
                method=run.method,
                params_hash=run.params_hash,
                input_hash=run.input_hash,
            )
            if source is None:  # the IntegrityError means a row with this key exists
                raise RuntimeError(f"run {run.pk}: the result key collided but no stored result matches it")
            return _reuse(current, source, input_hash=run.input_hash, input_count=run.input_count)


def _reuse(run: ProductRun, source: ProductRun, *, input_hash: str, input_count: int | None) -> ProductRun:
    """Succeed ``run`` (locked, running) with the stored result of ``source``."""
    return transition(
        run,
        "reuse",
        None,
        workflow=WORKFLOW,
        extra={"reused_from": source.pk},
        reused_from=source,
        result=source.result,
        figures=source.figures,
        input_hash=input_hash,
        input_count=input_count,
        progress=100,
        progress_note="",
        finished_at=timezone.now(),
        provenance={**run.provenance, "reused_from": source.pk},
    )


def _try_reuse(run: ProductRun, *, task_id: str) -> ProductRun | None:
    source = selectors.run_find_result(
        bureau_id=run.bureau_id, method=run.method, params_hash=run.params_hash, input_hash=run.input_hash
    )
    if source is None or source.pk == run.pk:
        return None
    with transaction.atomic():
        current = _lock(None, run)
        if current.status != RunStatus.RUNNING or current.task_id != task_id:
            return current
        current.provenance = run.provenance
        return _reuse(current, source, input_hash=run.input_hash, input_count=run.input_count)


# Errors of the database or the broker that a retry may cure; anything else fails the run.
def transient_errors() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError, KombuOperationalError)


def run_execute(
    *, bureau_id: int, run_id: int, task_id: str = "", after_step: Callable[[str], None] | None = None
) -> ProductRun | None:
    """Compute a queued run: read the input, hash it, reuse or compute, draw, store.

    Returns the run (None when there was nothing to do). InsufficientData,
    invalid parameters and degenerate data fail the run with the method's
    message; transient database/broker errors propagate so the task retries.
    ``after_step`` is a test seam called with each step's name.
    """
    run = _run_start(bureau_id=bureau_id, run_id=run_id, task_id=task_id)
    if run is None:
        return None
    task_id = run.task_id
    step = after_step or (lambda name: None)
    tmp: Path | None = None
    try:
        started = time.perf_counter()
        inputs, digest, count = _load_inputs(run)
        run.input_hash, run.input_count = digest, count
        run.provenance = {
            **run.provenance,
            "input_sha256": digest,
            "input_count": count,
            "input_read_s": round(time.perf_counter() - started, 3),
        }
        step("input")
        reused = _try_reuse(run, task_id=task_id)
        if reused is not None:
            return reused
        run_progress(run, 40, "computing")
        t0 = time.perf_counter()
        result = registry.run(run.method, inputs, run.params)
        if "series" in inputs:  # what each series gave and what QC or a review left out
            result = {**result, "input_series": [part.summary() for part in inputs["series"]]}
        run.provenance["compute_s"] = round(time.perf_counter() - t0, 3)
        step("compute")
        run_progress(run, 70, "drawing")
        root = _temporary_root(run.bureau_id)
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{run.pk}-", dir=root))
        t0 = time.perf_counter()
        names = _write_figures(run, result, inputs, tmp)
        run.provenance["figures_s"] = round(time.perf_counter() - t0, 3)
        step("figures")
        finished = _finish(run, task_id=task_id, result=result, names=names, tmp=tmp)
        if not tmp.exists():
            tmp = None  # moved into the run's directory; otherwise another delivery finished first
        return finished
    except InsufficientData as exc:
        # People read the counts in their language; the method's own sentence says of what.
        message = _("Not enough data: the selection has %(have)s, the method needs %(need)s.") % {
            "have": f"{exc.have:g}",
            "need": f"{exc.need:g}",
        }
        refused = {"have": exc.have, "need": exc.need, "detail": str(exc)}
        return run_fail(run=run, task_id=task_id, message=f"{message} ({exc})", refused=refused)
    except InvalidParams as exc:
        return run_fail(run=run, task_id=task_id, message=str(exc))
    except (InvalidInput, NotFound) as exc:
        return run_fail(run=run, task_id=task_id, message=exc.message)
    except transient_errors():
        raise
    except (ValueError, FloatingPointError, ZeroDivisionError, np.linalg.LinAlgError) as exc:
        # Degenerate data (all magnitudes equal, one location...) the method could not handle.
        logger.warning("product run %s: %s", run.pk, exc)
        return run_fail(run=run, task_id=task_id, message=_("The data could not be used: %(e)s") % {"e": exc})
    except Exception as exc:
        from celery.exceptions import SoftTimeLimitExceeded

        if isinstance(exc, SoftTimeLimitExceeded):
            return run_fail(
                run=run,
                task_id=task_id,
                message=_("The run took longer than %(s)d seconds.") % {"s": SOFT_TIME_LIMIT},
            )
        logger.exception("product run %s failed", run.pk)
        return run_fail(
            run=run,
            task_id=task_id,
            message=_("Internal error (%(kind)s); the run can be run again.") % {"kind": type(exc).__name__},
        )
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
