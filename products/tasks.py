"""Celery tasks of the product engine: run a product, fire a schedule, requeue stale runs.

Tasks take ids (the bureau's always), re-fetch and call one service. The run
task retries transient database and broker errors with backoff and has a hard
time limit; what a killed or timed-out attempt leaves behind is picked up by
``products.requeue_stale`` (see services).
"""

from __future__ import annotations

from celery import shared_task

from portal.jobs import run_guarded

from .services import execution as execution_services
from .services import runs as run_services
from .services import schedules as schedule_services


@shared_task(
    bind=True,
    name="products.run",
    time_limit=run_services.TIME_LIMIT,
    soft_time_limit=run_services.SOFT_TIME_LIMIT,
    autoretry_for=execution_services.transient_errors(),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=3,
    acks_late=True,
)
def product_run_task(self, *, bureau_id: int, run_id: int) -> str | None:  # type: ignore[no-untyped-def]
    # Guarded (portal.jobs): an error run_execute did not handle still ends the run failed;
    # transient errors propagate so Celery retries them.
    run = run_guarded(
        "products.run",
        run_id,
        lambda: execution_services.run_execute(
            bureau_id=bureau_id, run_id=run_id, task_id=self.request.id or ""
        ),
        reraise=execution_services.transient_errors(),
    )
    return run.status if run is not None else None


@shared_task(name="products.scheduled_run", time_limit=60)
def product_schedule_task(*, bureau_id: int, schedule_id: int) -> int | None:
    run = schedule_services.schedule_fire(bureau_id=bureau_id, schedule_id=schedule_id)
    return run.pk if run is not None else None


@shared_task(name="products.requeue_stale", time_limit=120)
def product_requeue_stale_task() -> list[int]:
    """Kept for beat rows of older deployments; the portal.jobs watchdog now runs the same sweep."""
    return execution_services.runs_requeue_stale()
