"""Demo data of the product engine: JX's recurring products and a few computed runs.

Schedules (idempotent, by name): a daily b-value over JX's jurisdiction at
06:00 Beijing time, a weekly b-value map on Mondays at 06:30, and a daily
b(t) for NM. When the catalog holds events in JX's jurisdiction, the first
two are computed at once (synchronously, no worker needed) so the gallery
shows figures; a run whose input has not changed is reused, so seeding again
costs little.
"""

from __future__ import annotations

from typing import Any

from portal.models import Bureau, User
from portal.tenancy import actor_for

from . import selectors
from .services import schedules as schedule_services

SCHEDULES: list[dict[str, Any]] = [
    {
        "bureau": "JX",
        "user": "jx_forecaster",
        "name": "每日 b 值（辖区）",
        "method": "bvalue",
        "params": {},
        "catalog": {"jurisdiction": True, "days": 3650},
        "minute": "0",
        "hour": "6",
    },
    {
        "bureau": "JX",
        "user": "jx_forecaster",
        "name": "每周 b 值空间分布",
        "method": "bvalue_grid",
        "params": {"cell": 0.2, "nearest": 100, "min_events": 30},
        "catalog": {"jurisdiction": True, "days": 3650},
        "minute": "30",
        "hour": "6",
        "day_of_week": "1",
    },
    {
        "bureau": "NM",
        "user": "nm_forecaster",
        "name": "每日 b 值时间扫描",
        "method": "bvalue_series",
        "params": {"window": 100, "step": 10},
        "catalog": {"jurisdiction": True, "days": 3650},
        "minute": "15",
        "hour": "6",
    },
]


def seed(stdout: Any) -> None:
    created = computed = 0
    for spec in SCHEDULES:
        spec = dict(spec)
        bureau = Bureau.objects.filter(code=spec.pop("bureau")).first()
        user = User.objects.filter(username=spec.pop("user")).first()
        actor = actor_for(user, bureau.code) if bureau and user else None
        if actor is None:
            continue
        existing = next((s for s in selectors.schedule_list(actor=actor) if s.name == spec["name"]), None)
        if existing is None:
            existing = schedule_services.schedule_create(actor=actor, **spec)
            created += 1
        if bureau.code != "JX":
            continue
        if existing.last_run is not None and existing.last_run.status == "succeeded":
            continue  # seeded before: keep its result
        run = schedule_services.schedule_run_now_sync(actor=actor, schedule=existing)
        computed += int(run is not None and run.status == "succeeded")
    stdout.write(f"products: {created} schedules created, {computed} demo products computed\n")
