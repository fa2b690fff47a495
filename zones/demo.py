"""Demo of the annual danger zones: this year's three national zones of CENC (one over central
Jiangxi, one on the Sichuan–Yunnan border, one in the Hetao area of Inner Mongolia), entered
from CENC's annual consultation when the demo has one, published through the workflow (so the
responsible bureaus are told), JX's tracking plan for the Jiangxi zone with its channels and a
scheduled b-value over the zone, a JX anomaly and the JX–FJ joint consultation linked to it,
and JX's draft tracking report of the current quarter. Idempotent (zones found by year and
name)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from consultations.models import Meeting
from disciplines.models import Anomaly
from observations.models import Channel
from portal.models import Bureau, User
from portal.tenancy import actor_for

from . import selectors, services
from .models import DangerZone, TrackingReport

ZONES = [
    # name, ring (lon, lat), min, max, level, responsible bureaus, basis
    (
        "赣中—赣西北危险区",
        [[114.2, 27.6], [116.4, 27.6], [116.8, 29.2], [114.6, 29.6], [114.2, 27.6]],
        "5.0",
        "5.9",
        "high",
        ["JX"],
        "九江—靖安断裂带近年中小地震活动增强，b 值持续偏低；九江台、宜春台流体测项出现趋势性异常。",
    ),
    (
        "川滇交界东段危险区",
        [[101.5, 25.5], [103.8, 25.5], [103.8, 28.2], [101.5, 28.2], [101.5, 25.5]],
        "6.0",
        "6.9",
        "high",
        [],
        "安宁河—则木河断裂带闭锁程度高，地震空区持续；GNSS 显示应变积累。",
    ),
    (
        "河套地区危险区",
        [[108.5, 39.8], [111.8, 39.8], [111.8, 41.2], [108.5, 41.2], [108.5, 39.8]],
        "5.0",
        "5.9",
        "medium",
        ["NM"],
        "河套断陷带小震活动频次增高，形变测项出现年变畸变。",
    ),
]


def seed(stdout: Any) -> None:
    _seed(stdout)


@transaction.atomic
def _seed(stdout: Any) -> None:
    if (
        not User.objects.filter(username="cenc_chair").exists()
        or not Bureau.objects.filter(code="JX").exists()
    ):
        return  # no demo people: nothing to act as
    cenc = actor_for(User.objects.get(username="cenc_chair"), "CENC")
    if cenc is None:
        return
    year = selectors.current_year()
    annual = Meeting.objects.filter(bureau=cenc.bureau, kind="annual").order_by("-starts_at").first()
    made = 0
    for name, ring, low, high, level, bureaus, basis in ZONES:
        if DangerZone.objects.filter(bureau=cenc.bureau, year=year, name=name).exists():
            continue
        zone = services.zone_create(
            actor=cenc,
            year=year,
            name=name,
            polygon={"type": "Polygon", "coordinates": [ring]},
            min_magnitude=low,
            max_magnitude=high,
            level=level,
            bureaus=bureaus,
            basis=basis,
            meeting=annual.pk if annual is not None else None,
        )
        services.zone_move(actor=cenc, zone=zone, action="publish", comment="年度会商确定")
        made += 1
    if made:
        stdout.write(f"zones: {made} danger zones of {year} published by CENC\n")
    _jiangxi_tracking(stdout, year)


def _jiangxi_tracking(stdout: Any, year: int) -> None:
    jx_user = User.objects.filter(username="jx_forecaster").first()
    zone = DangerZone.objects.filter(year=year, name="赣中—赣西北危险区", bureau__code="CENC").first()
    if jx_user is None or zone is None:
        return
    jx = actor_for(jx_user, "JX")
    if jx is None or selectors.plan_of_bureau(actor=jx, zone=zone) is not None:
        return
    channels = list(
        Channel.objects.filter(bureau=jx.bureau, station__code__in=["JX-XS", "JX-YC"]).values_list(
            "pk", flat=True
        )
    )
    services.plan_save(
        actor=jx,
        zone=zone,
        items="水位、水温、氡、地倾斜",
        catalogs="江西台网统一目录 M≥1.0；中国地震台网统一目录 M≥3.0",
        channels=channels,
        frequency="weekly",
        notes="每周震情跟踪会商通报，异常出现时加密至每日。",
        watchers=[jx_user.pk],
    )
    try:
        services.plan_add_schedule(actor=jx, zone=zone, method="bvalue")
    except Exception as exc:  # noqa: BLE001 - the demo goes on without the schedule
        stdout.write(f"zones: no scheduled b-value for the demo plan ({exc})\n")
    anomaly = Anomaly.objects.filter(bureau=jx.bureau).order_by("-id").first()
    if anomaly is not None:
        services.zone_link_anomaly(actor=jx, zone=zone, anomaly=anomaly)
    joint = Meeting.objects.filter(bureau=jx.bureau, title="赣闽交界地区联合会商").first()
    if joint is not None:
        services.zone_link_meeting(actor=jx, zone=zone, meeting=joint)
    quarter = selectors.current_quarter()
    if not TrackingReport.objects.filter(zone=zone, bureau=jx.bureau, year=year, quarter=quarter).exists():
        services.report_create(actor=jx, zone=zone, year=year, quarter=quarter)
    stdout.write("zones: JX's tracking plan, links and quarterly draft for the Jiangxi zone\n")
