"""Schedules of product runs and their Celery beat entries."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import PermissionDenied
from portal.services import audit_record
from portal.validators import max_length_of, title_problem
from products import selectors
from products.models import ProductRun, ProductSchedule, RunStatus
from products.permissions import can_change_schedule, can_manage_schedules

from .execution import run_execute
from .run_requests import RunRequestInvalid, run_request_clean
from .runs import _fail, _run_create

if TYPE_CHECKING:
    from portal.tenancy import Actor

logger = logging.getLogger(__name__)


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
    if actor.bureau is None:  # the callers' permission checks require one; this narrows the type
        raise RuntimeError("a schedule was cleaned for an actor without a bureau")
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = "required"
    elif (problem := title_problem(name, max_length=max_length_of(ProductSchedule, "name"))) is not None:
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
            series=data.get("series"),
        )
    except RunRequestInvalid as exc:
        errors.update(exc.errors)
        raise RunRequestInvalid(errors) from None
    if errors:
        raise RunRequestInvalid(errors)
    raw_params = dict(data.get("params") or {})
    return {
        "name": name,
        "method": method,
        # Stored as given (not with defaults filled) so a later default change applies.
        "params": raw_params,
        "selection": _template(data.get("catalog"), data.get("series")),
        "is_enabled": bool(data.get("is_enabled", True)),
        **cron,
        "_validated_params": params,
    }


def _template(catalog: Any, series: Any) -> dict[str, Any]:
    """A schedule's stored selection: the catalog keys as given, and the series template
    (each ``{channel, days}`` resolved to a window each time the schedule fires)."""
    selection = dict(catalog or {})
    if series:
        selection["series"] = series
    return selection


def selection_catalog(selection: dict[str, Any]) -> dict[str, Any]:
    """The catalog part of a schedule's stored selection."""
    return {key: value for key, value in selection.items() if key != "series"}


@transaction.atomic
def schedule_create(*, actor: Actor, **data: Any) -> ProductSchedule:
    """Set up a recurring run (and its django-celery-beat PeriodicTask + CrontabSchedule).

    Raises PermissionDenied, RunRequestInvalid.
    """
    if not can_manage_schedules(actor, method=data.get("method")) or actor.bureau is None:
        raise PermissionDenied(
            _("Only forecasters, and the experts of the method's discipline, set up recurring products.")
        )
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
    if not can_change_schedule(actor, schedule) or not can_manage_schedules(
        actor, method=data.get("method", schedule.method)
    ):
        raise PermissionDenied(_("Only forecasters of the schedule's bureau may change it."))
    merged = {
        "name": schedule.name,
        "method": schedule.method,
        "params": schedule.params,
        "catalog": selection_catalog(schedule.selection),
        "series": schedule.selection.get("series"),
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
        catalog=selection_catalog(schedule.selection),
        series=schedule.selection.get("series"),
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
        # Stored as a run that failed, so the schedule's page shows why, and its creator is
        # told (the workflow's hand-off): a schedule never stops silently.
        run = ProductRun.objects.create(
            bureau=schedule.bureau,
            method=schedule.method,
            params=schedule.params,
            selection=schedule.selection,
            schedule=schedule,
            status=RunStatus.QUEUED,
            requested_by=schedule.created_by,
            queued_at=timezone.now(),
        )
        audit_record(
            actor=None,
            action="product_run.create",
            target=run,
            to_state=RunStatus.QUEUED,
            extra={"method": schedule.method, "schedule": schedule.pk},
        )
        run = _fail(run, exc.message)
        return run


def schedule_run_now_sync(*, actor: Actor, schedule: ProductSchedule) -> ProductRun | None:
    """Compute the schedule's product in this process (demo seed; no worker needed).

    Skipped (None) when the bureau's catalog has no events in the selection yet.
    """
    _method, _params, selection = run_request_clean(
        bureau=schedule.bureau,
        method=schedule.method,
        params=schedule.params,
        catalog=selection_catalog(schedule.selection),
        series=schedule.selection.get("series"),
    )
    if (
        "series" not in selection
        and not selectors.selection_events(bureau=schedule.bureau, selection=selection).exists()
    ):
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
