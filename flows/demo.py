"""Demo data of flows: JX's "b-value watch" (catalog of the jurisdiction → b-value → b below
0.8 → in-app notification to the forecasters), run by hand or every Monday at 07:00 Beijing
time, its triggers enabled; run once at seeding (here, without a worker) when JX's catalog
has events. Idempotent: the flow is found by name."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from portal.models import Bureau, User

from . import selectors
from .services import flows as flow_services
from .services import runs as run_services

NAME = "b 值监视（辖区）"
DEFINITION: dict[str, Any] = {
    "nodes": [
        {"id": "manual", "type": "trigger.manual", "x": 40, "y": 40},
        {
            "id": "weekly",
            "type": "trigger.schedule",
            "params": {"minute": "0", "hour": "7", "day_of_week": "1"},
            "x": 40,
            "y": 160,
        },
        {
            "id": "catalog",
            "type": "source.catalog",
            "params": {"area": "jurisdiction", "days": 3650},
            "x": 260,
            "y": 100,
        },
        {"id": "b", "type": "method.bvalue", "params": {}, "x": 480, "y": 100},
        {
            "id": "low_b",
            "type": "logic.condition",
            "params": {"path": "result.b", "op": "lt", "threshold": 0.8},
            "x": 700,
            "y": 100,
        },
        {
            "id": "tell",
            "type": "output.notify",
            "params": {
                "channel": "in_app",
                "title": "辖区 b 值偏低",
                "text": "b 值低于 0.8，请关注。",
                "roles": ["forecaster"],
            },
            "x": 920,
            "y": 100,
        },
    ],
    "edges": [
        {"from": "catalog.catalog", "to": "b.catalog"},
        {"from": "b.result", "to": "low_b.value"},
        {"from": "low_b.then", "to": "tell.message"},
    ],
}


def seed(stdout: Any) -> None:
    bureau = Bureau.objects.filter(code="JX").first()
    if bureau is None:
        return
    if selectors.flow_name_taken(bureau_id=bureau.pk, name=NAME):
        stdout.write("flows: JX's b-value watch already there\n")
        return
    author = User.objects.filter(username="jx_forecaster").first()
    with transaction.atomic():
        flow = flow_services.flow_create_for_bureau(
            bureau=bureau,
            user=author,
            name=NAME,
            definition=DEFINITION,
            description="每周一 07:00（北京时间）计算辖区 b 值，低于 0.8 时通知预报员。",
        )
        flow = flow_services.flow_set_triggers_as_system(flow=flow, enabled=True, comment="demo")
        run = run_services.run_request_for_trigger(flow=flow, trigger={"kind": "schedule"})
    if run is not None:
        run = run_services.run_execute_inline(run_id=run.pk)
    published = _publish(flow, author)
    stdout.write(
        f"flows: JX's b-value watch seeded (a run: {run.status if run else '-'}; "
        f"in the flow store: {'yes' if published else 'no'})\n"
    )


def _publish(flow: Any, author: Any) -> bool:
    """JX shares the flow in the store, so the demo's store holds a bureau's flow beside the
    built-in ones (another bureau can install it)."""
    from portal.tenancy import actor_for

    from .services.store import store_publish

    actor = actor_for(author, "JX") if author is not None else None
    if actor is None:
        return False
    store_publish(
        actor=actor,
        flow=flow,
        description_zh="辖区 b 值周监视：b 值低于阈值时通知预报员。安装后填写通知对象即可使用。",
        description_en="Weekly b-value watch of the jurisdiction: tells the forecasters when b falls "
        "below the threshold.",
    )
    return True
