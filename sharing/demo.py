"""Demo of the data supermarket (runs after the apps whose data it describes).

* Every bureau's datasets are made from what the other demos left (the sync).
* Levels, set once (a level a person changed since is kept): JX's and NM's catalogs and
  JX's monthly trend reports are open to all bureaus; JX's Jiujiang deformation station and
  NM's Hailar geoelectric station are not shared; the rest is on request.
* NM asked for the water level of JX's Xiushui well for the last 60 days; JX's data steward
  approved the last 30 days, for 90 days.
* CENC asked for the series of JX's Yichun spring six working days ago: pending, overdue,
  escalated to JX's admins by the sweep.
* JX pushes the series of its Huichang deformation station to NM and to its neighbours
  Guangdong and Fujian.

Idempotent: each request and the push is made once (found by its dataset and bureau).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from portal.models import Bureau, User
from portal.tenancy import actor_for

from .models import DataRequest, Dataset, Level, Push
from .services import pushes as push_services
from .services import requests as request_services
from .services.sync import datasets_sync
from .workdays import working_days_after

LEVELS = {
    ("JX", "catalog"): Level.OPEN,
    ("NM", "catalog"): Level.OPEN,
    ("JX", "report:trend_report"): Level.OPEN,
    ("JX", "station:JX-JJ"): Level.NOT_SHARED,
    ("NM", "station:NM-HL"): Level.NOT_SHARED,
}


def _actor(username: str, code: str) -> Any:
    user = User.objects.filter(username=username).first()
    return actor_for(user, code) if user else None


def _dataset(code: str, key: str) -> Dataset | None:
    return Dataset.objects.filter(bureau__code=code, key=key).first()


def seed(stdout: Any) -> None:
    # notification texts are stored as written: in the portal's language
    with translation.override(settings.LANGUAGE_CODE):
        _seed(stdout)


def _seed(stdout: Any) -> None:
    counts = datasets_sync()
    steward = _actor("jx_steward", "JX")
    if steward is None:
        stdout.write(f"sharing: {counts['made']} datasets (no demo people: no requests)\n")
        return
    for (code, key), level in LEVELS.items():
        dataset = _dataset(code, key)
        if dataset is not None and dataset.level_set_at is None and dataset.level != level:
            owner = steward if code == "JX" else _actor("nm_steward", "NM")
            if owner is not None:
                from .services.datasets import dataset_update

                dataset_update(actor=owner, dataset=dataset, level=level)
    made = [_approved(steward), _overdue(), _push(steward)]
    stdout.write(
        f"sharing: {counts['made']} datasets made, {counts['refreshed']} refreshed; "
        f"{sum(1 for m in made if m)} demo requests and pushes\n"
    )


def _approved(steward: Any) -> bool:
    dataset = _dataset("JX", "station:JX-XS")
    asking = _actor("nm_forecaster", "NM")
    if dataset is None or asking is None:
        return False
    if DataRequest.objects.filter(dataset=dataset, requester_bureau__code="NM").exists():
        return False
    today = timezone.localdate()
    level = [pk for pk in dataset_channels(dataset) if pk[1] == "WL"]
    request = request_services.request_create(
        actor=asking,
        dataset=dataset,
        purpose="内蒙古中西部流体异常对比研究：需要修水井近两个月的水位资料作对照。",
        scope=request_services.Scope(today - dt.timedelta(days=60), today, tuple(pk for pk, _code in level)),
    )
    request_services.request_approve(
        actor=steward,
        request=request,
        scope=request_services.Scope(today - dt.timedelta(days=30), today, tuple(pk for pk, _code in level)),
        expires=timezone.now() + dt.timedelta(days=90),
        comment="同意提供最近 30 天的水位资料，仅限本次研究使用。",
    )
    return True


def dataset_channels(dataset: Dataset) -> list[tuple[int, str]]:
    from .selectors import dataset_parts

    return [(channel.pk, channel.item.code) for channel in dataset_parts(dataset=dataset)]


def _overdue() -> bool:
    dataset = _dataset("JX", "station:JX-YC")
    asking = _actor("cenc_forecaster", "CENC")
    if dataset is None or asking is None:
        return False
    if DataRequest.objects.filter(dataset=dataset, requester_bureau__code="CENC").exists():
        return False
    now = timezone.now()
    # six working days back: past the default three-day deadline
    asked = now
    while working_days_after(timezone.localdate(asked), 6) > timezone.localdate(now):
        asked -= dt.timedelta(days=1)
    request = request_services.request_create(
        actor=asking,
        dataset=dataset,
        purpose="华南地区流体前兆异常核实：需宜春温汤井水温和水氡全部资料。",
        scope=request_services.Scope(
            timezone.localdate(asked) - dt.timedelta(days=90), timezone.localdate(asked)
        ),
        now=asked,
    )
    DataRequest.objects.filter(pk=request.pk).update(created_at=asked)
    request_services.requests_escalate(now=now)
    return True


def _push(steward: Any) -> bool:
    dataset = _dataset("JX", "station:JX-HC")
    if dataset is None or Push.objects.filter(dataset=dataset).exists():
        return False
    codes = [code for code in ("NM", "GD", "FJ") if Bureau.objects.filter(code=code).exists()]
    if not codes:
        return False
    push_services.push_create(
        actor=steward,
        dataset=dataset,
        bureaus=codes,
        note="华南片区形变资料共享：会昌形变台倾斜和应变观测，新数据到达时通知。",
    )
    return True
