"""Writes of the product engine: requesting, executing, rerunning runs; schedules.

A run moves queued -> running -> succeeded | failed (``TRANSITIONS``); one
service per move locks the row, checks the state, saves and writes the audit
trail. Execution (``run_execute``, called by the ``products.run`` task) is
safe to repeat:

* the task id that may execute a run is stored on it; a Celery retry or a
  redelivery after a killed worker carries the same id and picks the run up
  again, any other task leaves it alone;
* figures are written into a temporary directory and moved into
  ``MEDIA_ROOT/products/<bureau_id>/<run_id>/`` in the same transaction that
  stores the result and the status, so a worker killed at any point leaves
  either no result or the whole result (a moved directory whose transaction
  did not commit is replaced by the next attempt and never referenced);
* a run that stays "running" past the time limit, or "queued" with its
  message lost, is requeued by the ``products.requeue_stale`` beat job (and
  failed after ``MAX_ATTEMPTS``).

Reuse: a run whose method, parameters (``params_hash``) and input rows
(``input_hash``) match a stored computed result of the bureau does not compute:
it succeeds at once with ``reused_from`` pointing at that run, a copy of its
result and its figure files. The partial unique constraint
``productrun_one_result_per_input`` keeps one computed result per key; two runs
computing the same key at once end with one result and one reuse.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from portal.models import Bureau, Notification
from portal.services import audit_record, broadcast, broadcast_on_commit, notify_user
from portal.tenancy import Actor
from portal.validators import title_problem

from . import inputs as input_rows
from . import provenance, selectors
from .methods import registry
from .methods.errors import InsufficientData, InvalidParams
from .models import ProductRun, ProductSchedule, RunStatus
from .permissions import can_change_schedule, can_manage_schedules, can_rerun_run, can_run_products

logger = logging.getLogger(__name__)

TIME_LIMIT = 900  # seconds a run may take (hard limit of the products.run task)
SOFT_TIME_LIMIT = 840
MAX_ATTEMPTS = 3
STALE_QUEUED = timedelta(minutes=10)  # a queued run whose message was lost
FIGURE_FORMATS = ("png", "svg")
FIGURE_SCATTER_MAX = 20_000  # events drawn as dots on a map figure; the science uses them all

TRANSITIONS: dict[str, set[str]] = {
    RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.FAILED},
    RunStatus.RUNNING: {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.QUEUED},
    RunStatus.FAILED: {RunStatus.QUEUED},
    RunStatus.SUCCEEDED: set(),
}

# Parameters of sequence methods that choose the input rather than tune the method.
SEQUENCE_SPEC: dict[str, dict[str, Any]] = {
    "mainshock": {"type": "string", "default": None, "description": "public id of the mainshock"},
    "radius_km": {
        "type": "number",
        "default": 50.0,
        "minimum": 1.0,
        "maximum": 1000.0,
        "description": "events within this distance of the mainshock (km)",
    },
    "days": {
        "type": "number",
        "default": 30.0,
        "minimum": 0.1,
        "maximum": 3650.0,
        "description": "days after the mainshock",
    },
    "days_before": {
        "type": "number",
        "default": None,
        "minimum": 0.0,
        "maximum": 3650.0,
        "nullable": True,
        "description": "days before the mainshock (foreshocks); null: 0 for omori, 10 otherwise",
    },
    "minmagnitude": {
        "type": "number",
        "default": None,
        "minimum": -3.0,
        "maximum": 10.0,
        "nullable": True,
        "description": "smallest magnitude taken",
    },
}
# Parameters of forecast_score that choose its input.
FORECAST_SPEC: dict[str, dict[str, Any]] = {
    "period_start": {
        "type": "string",
        "format": "date",
        "default": None,
        "description": "first day of the scored period (default: catalog starttime)",
    },
    "period_end": {
        "type": "string",
        "format": "date",
        "default": None,
        "description": "last day of the scored period (default: catalog endtime)",
    },
    "forecasts": {
        "type": "array",
        "default": None,
        "nullable": True,
        "description": "forecasts to score; null: the bureau's signed-off forecasts",
    },
    "region": {
        "type": "array",
        "default": None,
        "nullable": True,
        "description": "scored polygon [[lon, lat], ...]; null: the bureau's jurisdiction",
    },
}
SELECTION_SPEC: dict[str, dict[str, Any]] = {
    "jurisdiction": {
        "type": "boolean",
        "default": False,
        "description": "only events in the bureau's jurisdiction",
    },
    "days": {
        "type": "number",
        "default": None,
        "minimum": 0.01,
        "maximum": 36500.0,
        "nullable": True,
        "description": "the last N days up to the run (instead of starttime/endtime)",
    },
}
KM_PER_DEGREE = 111.19492664455873  # on the catalog's sphere (catalog.selectors)


class RunRequestInvalid(InvalidInput):
    """A run request with bad parts; ``errors`` names each (``params.bin``, ``catalog.maxlatitude``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        detail = "; ".join(f"{key}: {value}" for key, value in sorted(self.errors.items()))
        super().__init__(detail, field=next(iter(sorted(self.errors))) if self.errors else None)


# --- groups and events ------------------------------------------------------------


def run_group(run: ProductRun) -> str:
    return f"bureau.{run.bureau_id}.product.{run.pk}"


def runs_group(bureau_id: int) -> str:
    return f"bureau.{bureau_id}.products"


def run_event(run: ProductRun) -> dict[str, Any]:
    return {
        "kind": "product.progress",
        "id": run.pk,
        "method": run.method,
        "status": run.status,
        "progress": run.progress,
        "note": run.progress_note,
        "error": run.error,
        "url": run.get_absolute_url(),
    }


def _announce(run: ProductRun, *, now: bool = False) -> None:
    event = run_event(run)
    for group in (run_group(run), runs_group(run.bureau_id)):
        if now:
            broadcast(group, event)
        else:
            broadcast_on_commit(group, event)


# --- request cleaning -------------------------------------------------------------


def _check_spec(
    prefix: str, spec: dict[str, dict[str, Any]], raw: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, rule in spec.items():
        value = raw.get(key, rule["default"])
        if value is None or value == "":
            out[key] = rule["default"]
            continue
        kind = rule["type"]
        if kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                errors[f"{prefix}{key}"] = "must be a number"
                continue
            if "minimum" in rule and value < rule["minimum"]:
                errors[f"{prefix}{key}"] = f"must be at least {rule['minimum']:g}"
                continue
            if "maximum" in rule and value > rule["maximum"]:
                errors[f"{prefix}{key}"] = f"must be at most {rule['maximum']:g}"
                continue
            out[key] = float(value)
        elif kind == "boolean":
            if not isinstance(value, bool):
                errors[f"{prefix}{key}"] = "must be true or false"
                continue
            out[key] = value
        elif kind == "array":
            if not isinstance(value, list):
                errors[f"{prefix}{key}"] = "must be a list"
                continue
            out[key] = value
        else:
            if not isinstance(value, str):
                errors[f"{prefix}{key}"] = "must be a string"
                continue
            out[key] = value.strip()
    return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _clean_catalog(catalog: Any, errors: dict[str, str], *, now: datetime) -> dict[str, Any]:
    if catalog is None:
        return {}
    if not isinstance(catalog, dict):
        errors["catalog"] = "must be an object of FDSN filter keys"
        return {}
    selection: dict[str, Any] = {}
    own = _check_spec("catalog.", SELECTION_SPEC, catalog, errors)
    fdsn = {k: v for k, v in catalog.items() if k not in SELECTION_SPEC}
    for key in list(fdsn):
        if key in selectors.ENGINE_KEYS:
            errors[f"catalog.{key}"] = "not a catalog filter key"
            fdsn.pop(key)
    if own.get("days") is not None:
        if fdsn.get("starttime") or fdsn.get("endtime"):
            errors["catalog.days"] = "give either days or starttime/endtime"
        fdsn["starttime"] = _iso(now - timedelta(days=own["days"]))
        fdsn["endtime"] = _iso(now)
    # The catalog's parser names the first bad key; check key by key to name them all.
    for key, value in fdsn.items():
        try:
            selectors.catalog_filter_check(selection={key: value})
        except InvalidInput as exc:
            errors[f"catalog.{exc.field or key}"] = exc.message
    if not any(k.startswith("catalog.") for k in errors):
        try:
            selectors.catalog_filter_check(selection=fdsn)
        except InvalidInput as exc:
            errors[f"catalog.{exc.field or 'selection'}"] = exc.message
    selection.update({k: v for k, v in fdsn.items() if v is not None and v != ""})
    if own.get("jurisdiction"):
        selection["jurisdiction"] = True
    return selection


def _sequence_selection(
    bureau: Bureau, method: str, raw: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    spec = _check_spec("params.", SEQUENCE_SPEC, raw, errors)
    if not spec.get("mainshock"):
        errors["params.mainshock"] = "the public id of the mainshock is required"
        return {}
    try:
        event = selectors.mainshock_get(bureau=bureau, public_id=spec["mainshock"])
    except NotFound:
        errors["params.mainshock"] = f"no event {spec['mainshock']} in the catalog"
        return {}
    if errors:
        return {}
    before = spec["days_before"] if spec["days_before"] is not None else (0.0 if method == "omori" else 10.0)
    selection: dict[str, Any] = {
        "latitude": event.latitude,
        "longitude": event.longitude,
        "maxradius": round(spec["radius_km"] / KM_PER_DEGREE, 6),
        "starttime": _iso(event.origin_time - timedelta(days=before)),
        "endtime": _iso(event.origin_time + timedelta(days=spec["days"])),
        "sequence": {
            "mainshock": event.public_id,
            "mainshock_time": _iso(event.origin_time),
            "magnitude": event.magnitude,
            "radius_km": spec["radius_km"],
            "days": spec["days"],
            "days_before": before,
            "minmagnitude": spec["minmagnitude"],
        },
    }
    if spec["minmagnitude"] is not None:
        selection["minmagnitude"] = spec["minmagnitude"]
    return selection


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    parsed = parse_datetime(value)
    return parsed.date() if parsed else parse_date(value[:10])


def _forecast_selection(
    bureau: Bureau, raw: dict[str, Any], catalog: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    spec = _check_spec("params.", FORECAST_SPEC, raw, errors)
    start = _as_date(spec.get("period_start") or catalog.get("starttime"))
    end = _as_date(spec.get("period_end") or catalog.get("endtime"))
    if start is None:
        errors["params.period_start"] = "a date (YYYY-MM-DD) is required, or catalog.starttime"
    if end is None:
        errors["params.period_end"] = "a date (YYYY-MM-DD) is required, or catalog.endtime"
    if start and end and end < start:
        errors["params.period_end"] = "must not be before period_start"
    if spec.get("forecasts") is not None:
        for index, item in enumerate(spec["forecasts"]):
            if not isinstance(item, dict) or not {"start", "end", "polygon"} <= set(item):
                errors[f"params.forecasts.{index}"] = "needs start, end and polygon"
    if spec.get("region") is None and bureau.jurisdiction is None:
        errors["params.region"] = "the bureau has no jurisdiction; give the scored polygon"
    if errors:
        return {}
    assert start is not None
    assert end is not None
    selection = dict(catalog)
    selection["starttime"] = f"{start.isoformat()}T00:00:00"
    selection["endtime"] = f"{(end + timedelta(days=1)).isoformat()}T00:00:00"
    selection["period_start"] = start.isoformat()
    selection["period_end"] = (end + timedelta(days=1)).isoformat()  # the method's end is exclusive
    if spec.get("forecasts") is not None:
        selection["forecasts"] = spec["forecasts"]
    if spec.get("region") is not None:
        selection["region"] = spec["region"]
    return selection


def run_request_clean(
    *, bureau: Bureau, method: Any, params: Any, catalog: Any, now: datetime | None = None
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(method, validated params, resolved selection) of a run request.

    Raises RunRequestInvalid naming every bad part: ``method``, ``params.<name>``
    (from the registry's InvalidParams), ``catalog.<key>``.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    if not isinstance(method, str) or method not in registry.METHODS:
        names = ", ".join(sorted(registry.METHODS))
        raise RunRequestInvalid({"method": f"unknown method {method!r}; methods are {names}"})
    spec = registry.METHODS[method]
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise RunRequestInvalid({"params": "must be an object"})
    extra = SEQUENCE_SPEC if spec.input == "sequence" else FORECAST_SPEC if spec.input == "forecasts" else {}
    method_params = {k: v for k, v in params.items() if k not in extra}
    input_params = {k: v for k, v in params.items() if k in extra}
    try:
        clean = registry.validate_params(method, method_params)
    except InvalidParams as exc:
        clean = {}
        errors.update({f"params.{k}": v for k, v in exc.errors.items()})
    selection = _clean_catalog(catalog, errors, now=now)
    if spec.input == "sequence":
        if selection:
            errors["catalog"] = (
                f"{method} reads the mainshock's sequence: give params.mainshock, not a catalog filter"
            )
        else:
            selection = _sequence_selection(bureau, method, input_params, errors)
    elif spec.input == "forecasts" and not errors:
        selection = _forecast_selection(bureau, input_params, selection, errors)
    if errors:
        raise RunRequestInvalid(errors)
    return method, clean, selection


# --- requesting runs --------------------------------------------------------------


def _enqueue_on_commit(run: ProductRun) -> None:
    from .tasks import product_run_task

    kwargs = {"bureau_id": run.bureau_id, "run_id": run.pk}
    task_id = run.task_id
    # robust: with the broker down the run stays queued (and is requeued by the beat job)
    # instead of turning the request that stored it into an error.
    transaction.on_commit(lambda: product_run_task.apply_async(kwargs=kwargs, task_id=task_id), robust=True)


@transaction.atomic
def run_create(
    *,
    actor: Actor,
    method: Any,
    params: Any = None,
    catalog: Any = None,
    schedule: ProductSchedule | None = None,
    enqueue: bool = True,
) -> ProductRun:
    """Queue a run of ``method`` for the actor's bureau; the task starts after commit.

    Raises PermissionDenied, RunRequestInvalid.
    """
    if not can_run_products(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only forecasters and seismology experts of a bureau run products."))
    return _run_create(
        bureau=actor.bureau,
        user=actor.user,
        method=method,
        params=params,
        catalog=catalog,
        schedule=schedule,
        enqueue=enqueue,
        actor=actor,
    )


def _run_create(
    *,
    bureau: Bureau,
    user: Any,
    method: Any,
    params: Any,
    catalog: Any,
    schedule: ProductSchedule | None,
    enqueue: bool,
    actor: Actor | None,
) -> ProductRun:
    method, clean, selection = run_request_clean(bureau=bureau, method=method, params=params, catalog=catalog)
    now = timezone.now()
    run = ProductRun.objects.create(
        bureau=bureau,
        method=method,
        params=clean,
        selection=selection,
        status=RunStatus.QUEUED,
        params_hash=provenance.params_hash(method, clean),
        provenance=provenance.record(method=method, params=clean, selection=selection),
        schedule=schedule,
        requested_by=user if getattr(user, "pk", None) else None,
        task_id=uuid.uuid4().hex,
        queued_at=now,
    )
    audit_record(
        actor=actor if actor is not None else None,
        action="product_run.create",
        target=run,
        bureau=bureau,
        to_state=RunStatus.QUEUED,
        extra={"method": method, "schedule": schedule.pk if schedule else None},
    )
    _announce(run)
    if enqueue:
        _enqueue_on_commit(run)
    return run


def _require(run: ProductRun, to: str) -> None:
    if to not in TRANSITIONS[run.status]:
        raise InvalidTransition(_("A %(from)s run cannot become %(to)s.") % {"from": run.status, "to": to})


@transaction.atomic
def run_rerun(*, actor: Actor, run: ProductRun) -> ProductRun:
    """Run a failed (or stuck) run again; a queued or succeeded run is returned unchanged.

    Idempotent: rerunning twice queues one execution; a succeeded run keeps its
    result (to compute over today's catalog, request a new run). Raises
    PermissionDenied.
    """
    run = ProductRun.objects.select_for_update().get(pk=run.pk)
    if not can_rerun_run(actor, run):
        raise PermissionDenied(_("Only forecasters of the run's bureau may run it again."))
    if run.status in (RunStatus.QUEUED, RunStatus.SUCCEEDED):
        return run
    if run.status == RunStatus.RUNNING and not _is_stale(run, timezone.now()):
        return run  # still working: a second execution would only race the first
    return _requeue(run, actor=actor, comment="rerun")


def _is_stale(run: ProductRun, now: datetime) -> bool:
    return run.started_at is None or run.started_at < now - timedelta(seconds=TIME_LIMIT + 60)


def _requeue(run: ProductRun, *, actor: Actor | None, comment: str) -> ProductRun:
    _require(run, RunStatus.QUEUED)
    previous = run.status
    run.status = RunStatus.QUEUED
    run.progress = 0
    run.progress_note = ""
    run.error = ""
    run.task_id = uuid.uuid4().hex
    run.queued_at = timezone.now()
    run.started_at = None
    run.finished_at = None
    run.save(
        update_fields=[
            "status",
            "progress",
            "progress_note",
            "error",
            "task_id",
            "queued_at",
            "started_at",
            "finished_at",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action="product_run.requeue",
        target=run,
        from_state=previous,
        to_state=RunStatus.QUEUED,
        comment=comment,
    )
    _announce(run)
    _enqueue_on_commit(run)
    return run


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
            run = ProductRun.objects.select_for_update().get(pk=run_id)
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
                _requeue(run, actor=None, comment="stale: no progress within the time limit")
            else:
                run.task_id = uuid.uuid4().hex
                run.queued_at = now
                run.save(update_fields=["task_id", "queued_at", "updated_at"])
                _enqueue_on_commit(run)
            touched.append(run.pk)
    _clean_temporary_dirs(now)
    return touched


# --- executing runs ---------------------------------------------------------------


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
        # A retry or redelivery of the entitled task: start over from a clean slate.
        run.attempts += 1
        run.started_at = timezone.now()
        run.progress = 0
        run.save(update_fields=["attempts", "started_at", "progress", "updated_at"])
        return run
    if run.status != RunStatus.QUEUED:
        return None  # already finished: executing again would change nothing
    run.status = RunStatus.RUNNING
    run.attempts += 1
    run.started_at = timezone.now()
    run.progress = 1
    run.progress_note = "started"
    run.save(update_fields=["status", "attempts", "started_at", "progress", "progress_note", "updated_at"])
    audit_record(
        actor=None,
        action="product_run.start",
        target=run,
        from_state=RunStatus.QUEUED,
        to_state=RunStatus.RUNNING,
        extra={"task_id": task_id, "attempt": run.attempts},
    )
    _announce(run)
    return run


def run_progress(run: ProductRun, percent: int, note: str = "") -> None:
    """Store and push progress of a running run (no state change, no audit)."""
    percent = max(0, min(99, int(percent)))
    ProductRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        progress=percent, progress_note=note[:120], updated_at=timezone.now()
    )
    run.progress, run.progress_note = percent, note[:120]
    _announce(run, now=True)


def _fail(run: ProductRun, message: str) -> ProductRun:
    previous = run.status
    _require(run, RunStatus.FAILED)
    run.status = RunStatus.FAILED
    run.error = message
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "finished_at", "updated_at"])
    audit_record(
        actor=None,
        action="product_run.fail",
        target=run,
        from_state=previous,
        to_state=RunStatus.FAILED,
        comment=message,
    )
    _announce(run)
    if run.requested_by_id is not None:  # never silent: the person who asked is told why
        notify_user(
            user=run.requested_by,
            bureau=run.bureau,
            title=_("Product run failed: %(method)s #%(id)d") % {"method": run.method, "id": run.pk},
            body=message[:500],
            url=run.get_absolute_url(),
            level=Notification.Level.WARNING,
            kind="products.run_failed",
        )
    return run


def run_fail_by_id(*, run_id: int, message: str) -> None:
    """Fail a queued or running run (the task guard's last resort); others are left alone."""
    run = ProductRun.objects.filter(pk=run_id).first()
    if run is not None:
        run_fail(run=run, message=message)


@transaction.atomic
def run_fail(*, run: ProductRun, message: str, task_id: str = "") -> ProductRun:
    """RUNNING (or QUEUED) -> FAILED with a message people can act on."""
    run = ProductRun.objects.select_for_update().get(pk=run.pk)
    if task_id and run.task_id != task_id:
        return run
    if run.status not in (RunStatus.RUNNING, RunStatus.QUEUED):
        return run
    return _fail(run, message)


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
    out = []
    for item in stored:
        for ring in _polygon_ring(item["region"]):
            out.append(
                {
                    "start": str(item["window_start"]),
                    "end": str(item["window_end"] + timedelta(days=1)),
                    "polygon": ring,
                    "mag_min": item["min_magnitude"],
                    "mag_max": item.get("max_magnitude"),
                    "probability": _likelihood(item.get("likelihood")),
                }
            )
    return out


def _load_inputs(run: ProductRun) -> tuple[dict[str, Any], str, int]:
    """(method inputs, input hash, row count) of a run's selection."""
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

            rings = _polygon_ring(json.loads(run.bureau.jurisdiction.geojson))
            region = max(rings, key=len)
        inputs.update(
            forecasts=forecasts,
            region=region,
            period_start=selection["period_start"],
            period_end=selection["period_end"],
        )
        extra = provenance.canonical_json({"forecasts": forecasts, "region": region})
        import hashlib

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
        current = ProductRun.objects.select_for_update().get(pk=run.pk)
        if current.status != RunStatus.RUNNING or current.task_id != task_id:
            return current  # superseded while computing: leave the newer attempt alone
        final = run_directory(run.bureau_id, run.pk)
        if final.exists():
            shutil.rmtree(final)  # left by an attempt whose transaction never committed
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(final)
        current.result = result
        current.figures = names
        current.input_hash = run.input_hash
        current.input_count = run.input_count
        current.provenance = run.provenance
        current.status = RunStatus.SUCCEEDED
        current.progress = 100
        current.progress_note = ""
        current.finished_at = timezone.now()
        try:
            with transaction.atomic():
                current.save()
        except IntegrityError:
            # Another run stored the same key while this one computed: become its reuse.
            shutil.rmtree(final, ignore_errors=True)
            source = selectors.run_find_result(
                bureau_id=run.bureau_id,
                method=run.method,
                params_hash=run.params_hash,
                input_hash=run.input_hash,
            )
            assert source is not None
            return _reuse(current, source)
        audit_record(
            actor=None,
            action="product_run.succeed",
            target=current,
            from_state=RunStatus.RUNNING,
            to_state=RunStatus.SUCCEEDED,
            extra={"input_hash": run.input_hash, "n": run.input_count},
        )
        _announce(current)
        return current


def _reuse(run: ProductRun, source: ProductRun) -> ProductRun:
    """Succeed ``run`` (locked, running) with the stored result of ``source``."""
    run.reused_from = source
    run.result = source.result
    run.figures = source.figures
    run.status = RunStatus.SUCCEEDED
    run.progress = 100
    run.progress_note = ""
    run.finished_at = timezone.now()
    run.provenance = {**run.provenance, "reused_from": source.pk}
    run.save()
    audit_record(
        actor=None,
        action="product_run.reuse",
        target=run,
        from_state=RunStatus.RUNNING,
        to_state=RunStatus.SUCCEEDED,
        extra={"reused_from": source.pk},
    )
    _announce(run)
    return run


def _try_reuse(run: ProductRun, *, task_id: str) -> ProductRun | None:
    source = selectors.run_find_result(
        bureau_id=run.bureau_id, method=run.method, params_hash=run.params_hash, input_hash=run.input_hash
    )
    if source is None or source.pk == run.pk:
        return None
    with transaction.atomic():
        current = ProductRun.objects.select_for_update().get(pk=run.pk)
        if current.status != RunStatus.RUNNING or current.task_id != task_id:
            return current
        current.input_hash, current.input_count = run.input_hash, run.input_count
        current.provenance = run.provenance
        return _reuse(current, source)


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
        tmp = None
        return finished
    except InsufficientData as exc:
        # People read the counts in their language; the method's own sentence says of what.
        message = _("Not enough data: the selection has %(have)s, the method needs %(need)s.") % {
            "have": f"{exc.have:g}",
            "need": f"{exc.need:g}",
        }
        return run_fail(run=run, task_id=task_id, message=f"{message} ({exc})")
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


# --- schedules --------------------------------------------------------------------

SCHEDULE_TASK = "products.scheduled_run"
CRON_FIELDS = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")


def _crontab_check(values: dict[str, str]) -> dict[str, str]:
    from celery.schedules import ParseException, crontab_parser

    limits = {
        "minute": (60, 0),
        "hour": (24, 0),
        "day_of_week": (7, 0),
        "day_of_month": (31, 1),
        "month_of_year": (12, 1),
    }
    errors = {}
    for name in CRON_FIELDS:
        value = str(values.get(name, "")).strip()
        if not value:
            errors[name] = "required"
            continue
        try:
            crontab_parser(*limits[name]).parse(value)
        except (ParseException, ValueError) as exc:
            errors[name] = f"not a crontab field: {exc}"
    return errors


def _sync_periodic_task(schedule: ProductSchedule) -> None:
    import json

    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute=schedule.minute,
        hour=schedule.hour,
        day_of_week=schedule.day_of_week,
        day_of_month=schedule.day_of_month,
        month_of_year=schedule.month_of_year,
        timezone=settings.TIME_ZONE,  # crontab times are Beijing time
    )
    fields = {
        "task": SCHEDULE_TASK,
        "crontab": crontab,
        "interval": None,
        "kwargs": json.dumps({"bureau_id": schedule.bureau_id, "schedule_id": schedule.pk}),
        "enabled": schedule.is_enabled,
        "description": f"{schedule.bureau.code}: {schedule.name} ({schedule.method})",
    }
    name = f"products:{schedule.bureau.code}:{schedule.pk}"
    task = (
        PeriodicTask.objects.filter(pk=schedule.periodic_task_id).first()
        if schedule.periodic_task_id
        else None
    )
    if task is None:
        task = PeriodicTask(name=name)
    task.name = name
    for key, value in fields.items():
        setattr(task, key, value)
    task.save()  # save() (not update()) so beat notices the change (PeriodicTasks.last_update)
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        schedule.save(update_fields=["periodic_task", "updated_at"])


def _schedule_clean(actor: Actor, data: dict[str, Any], *, exclude_id: int | None) -> dict[str, Any]:
    assert actor.bureau is not None
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "required"
    elif (
        problem := title_problem(name, max_length=ProductSchedule._meta.get_field("name").max_length)
    ) is not None:
        errors["name"] = problem
    elif selectors.schedule_name_taken(bureau_id=actor.bureau.pk, name=name, exclude_id=exclude_id):
        errors["name"] = f"the bureau already has a schedule named {name}"
    cron = {
        k: str(data.get(k, default)).strip()
        for k, default in (
            ("minute", "0"),
            ("hour", "6"),
            ("day_of_week", "*"),
            ("day_of_month", "*"),
            ("month_of_year", "*"),
        )
    }
    errors.update(_crontab_check(cron))
    try:
        # Validate as a run would be requested now; "days" keeps the window moving.
        method, params, _selection = run_request_clean(
            bureau=actor.bureau,
            method=data.get("method"),
            params=data.get("params"),
            catalog=data.get("catalog"),
        )
    except RunRequestInvalid as exc:
        errors.update(exc.errors)
        method, params = data.get("method"), {}
    if errors:
        raise RunRequestInvalid(errors)
    raw_params = dict(data.get("params") or {})
    return {
        "name": name,
        "method": method,
        # Stored as given (not with defaults filled) so a later default change applies.
        "params": raw_params,
        "selection": dict(data.get("catalog") or {}),
        "is_enabled": bool(data.get("is_enabled", True)),
        **cron,
        "_validated_params": params,
    }


@transaction.atomic
def schedule_create(*, actor: Actor, **data: Any) -> ProductSchedule:
    """Set up a recurring run (and its django-celery-beat PeriodicTask + CrontabSchedule).

    Raises PermissionDenied, RunRequestInvalid.
    """
    if not can_manage_schedules(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only forecasters set up recurring products."))
    clean = _schedule_clean(actor, data, exclude_id=None)
    clean.pop("_validated_params")
    schedule = ProductSchedule.objects.create(bureau=actor.bureau, created_by=actor.user, **clean)
    _sync_periodic_task(schedule)
    audit_record(
        actor=actor,
        action="product_schedule.create",
        target=schedule,
        extra={"method": schedule.method, "crontab": schedule.crontab_text},
    )
    return schedule


@transaction.atomic
def schedule_update(*, actor: Actor, schedule: ProductSchedule, **data: Any) -> ProductSchedule:
    """Change a schedule's method, parameters, selection or timing. Raises PermissionDenied,
    RunRequestInvalid."""
    schedule = ProductSchedule.objects.select_for_update().select_related("bureau").get(pk=schedule.pk)
    if not can_change_schedule(actor, schedule):
        raise PermissionDenied(_("Only forecasters of the schedule's bureau may change it."))
    merged = {
        "name": schedule.name,
        "method": schedule.method,
        "params": schedule.params,
        "catalog": schedule.selection,
        "is_enabled": schedule.is_enabled,
        **{k: getattr(schedule, k) for k in CRON_FIELDS},
        **data,
    }
    clean = _schedule_clean(actor, merged, exclude_id=schedule.pk)
    clean.pop("_validated_params")
    for key, value in clean.items():
        setattr(schedule, key, value)
    schedule.save()
    _sync_periodic_task(schedule)
    audit_record(
        actor=actor,
        action="product_schedule.update",
        target=schedule,
        extra={"method": schedule.method, "crontab": schedule.crontab_text},
    )
    return schedule


@transaction.atomic
def schedule_set_enabled(*, actor: Actor, schedule: ProductSchedule, enabled: bool) -> ProductSchedule:
    """Pause or resume a schedule (its PeriodicTask is disabled or enabled)."""
    schedule = ProductSchedule.objects.select_for_update().select_related("bureau").get(pk=schedule.pk)
    if not can_change_schedule(actor, schedule):
        raise PermissionDenied(_("Only forecasters of the schedule's bureau may change it."))
    if schedule.is_enabled == enabled:
        return schedule
    schedule.is_enabled = enabled
    schedule.save(update_fields=["is_enabled", "updated_at"])
    _sync_periodic_task(schedule)
    audit_record(
        actor=actor,
        action="product_schedule.resume" if enabled else "product_schedule.pause",
        target=schedule,
        from_state="paused" if enabled else "enabled",
        to_state="enabled" if enabled else "paused",
    )
    return schedule


@transaction.atomic
def schedule_delete(*, actor: Actor, schedule: ProductSchedule) -> None:
    """Remove a schedule and its PeriodicTask; its runs stay."""
    from django_celery_beat.models import PeriodicTask

    schedule = ProductSchedule.objects.select_for_update().select_related("bureau").get(pk=schedule.pk)
    if not can_change_schedule(actor, schedule):
        raise PermissionDenied(_("Only forecasters of the schedule's bureau may change it."))
    audit_record(
        actor=actor, action="product_schedule.delete", target=schedule, extra={"name": schedule.name}
    )
    task_id = schedule.periodic_task_id
    schedule.delete()
    if task_id:
        PeriodicTask.objects.filter(pk=task_id).delete()


def _schedule_run(schedule: ProductSchedule, *, actor: Actor | None, enqueue: bool = True) -> ProductRun:
    run = _run_create(
        bureau=schedule.bureau,
        user=actor.user if actor else schedule.created_by,
        method=schedule.method,
        params=schedule.params,
        catalog=schedule.selection,
        schedule=schedule,
        enqueue=enqueue,
        actor=actor,
    )
    ProductSchedule.objects.filter(pk=schedule.pk).update(last_run=run, updated_at=timezone.now())
    return run


@transaction.atomic
def schedule_run_now(*, actor: Actor, schedule: ProductSchedule) -> ProductRun:
    """Start the schedule's product now (the timing is unchanged)."""
    schedule = (
        ProductSchedule.objects.select_for_update(of=("self",))
        .select_related("bureau", "created_by")
        .get(pk=schedule.pk)
    )
    if not can_change_schedule(actor, schedule):
        raise PermissionDenied(_("Only forecasters of the schedule's bureau may start it."))
    return _schedule_run(schedule, actor=actor)


@transaction.atomic
def schedule_fire(*, bureau_id: int, schedule_id: int) -> ProductRun | None:
    """Called by celery beat: queue the schedule's run; None when it is gone or paused.

    A schedule whose stored request no longer validates (a deleted mainshock, a
    changed registry) fails its run with the reason instead of raising in beat.
    """
    schedule = selectors.schedule_get_for_worker(bureau_id=bureau_id, schedule_id=schedule_id)
    if schedule is None or not schedule.is_enabled:
        return None
    try:
        return _schedule_run(schedule, actor=None)
    except RunRequestInvalid as exc:
        logger.warning("schedule %s: %s", schedule.pk, exc.message)
        run = ProductRun.objects.create(
            bureau=schedule.bureau,
            method=schedule.method,
            params=schedule.params,
            selection=schedule.selection,
            schedule=schedule,
            status=RunStatus.FAILED,
            error=exc.message,
            finished_at=timezone.now(),
            queued_at=timezone.now(),
        )
        audit_record(
            actor=None, action="product_run.fail", target=run, to_state=RunStatus.FAILED, comment=exc.message
        )
        return run


def schedule_run_now_sync(*, actor: Actor, schedule: ProductSchedule) -> ProductRun | None:
    """Compute the schedule's product in this process (demo seed; no worker needed).

    Skipped (None) when the bureau's catalog has no events in the selection yet.
    """
    _method, _params, selection = run_request_clean(
        bureau=schedule.bureau, method=schedule.method, params=schedule.params, catalog=schedule.selection
    )
    if not selectors.selection_events(bureau=schedule.bureau, selection=selection).exists():
        return None
    with transaction.atomic():
        locked = (
            ProductSchedule.objects.select_for_update(of=("self",))
            .select_related("bureau", "created_by")
            .get(pk=schedule.pk)
        )
        if not can_change_schedule(actor, locked):
            raise PermissionDenied(_("Only forecasters of the schedule's bureau may start it."))
        run = _schedule_run(locked, actor=actor, enqueue=False)
    return run_execute(bureau_id=run.bureau_id, run_id=run.pk, task_id=run.task_id)
