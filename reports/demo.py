"""Demo data of the reports app: the gazetteer, GIS layers of JX and NM, settings, and a
special-topic report for a real past earthquake of each (built here, not pushed).

Idempotent: towns are upserted by GeoNames id, layers looked up by name, events by
their place and time, reports by (bureau, event, version).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, TextIO

from django.db import transaction

from portal.models import Bureau, Membership, Role
from printing.geodesy import destination

from . import gazetteer, selectors
from .models import GisLayer, TopicReport, TopicReportSettings, Town
from .services import gis_layers as gis_layer_services
from .services import topic_build as topic_build_services
from .services import topic_reports as topic_report_services
from .services import topic_settings as topic_settings_services
from .services import towns as town_services

BEIJING = dt.timezone(dt.timedelta(hours=8))

# Real earthquakes: the 2005 Jiujiang-Ruichang M5.7 (CENC formal determination) and
# the 2017 Ar Horqin Banner M3.2 of the quick-report SMS in DOMAIN.md.
DEMO_EVENTS = {
    "JX": {
        "origin_time": dt.datetime(2005, 11, 26, 8, 49, 38, tzinfo=BEIJING),
        "latitude": 29.70,
        "longitude": 115.70,
        "depth_km": 10.0,
        "magnitude": 5.7,
        "location_name": "江西九江县、瑞昌市间",
        "source": "中国地震台网中心",
    },
    "NM": {
        "origin_time": dt.datetime(2017, 12, 2, 6, 18, 7, tzinfo=BEIJING),
        "latitude": 44.10,
        "longitude": 120.73,
        "depth_km": 15.0,
        "magnitude": 3.2,
        "location_name": "内蒙古赤峰市阿鲁科尔沁旗",
        "source": "中国地震台网中心",
    },
}


def _point_feature(name: str, lon: float, lat: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": name, **props},
        "geometry": {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]},
    }


def _layers_for(lon: float, lat: float) -> list[tuple[str, str, str, dict[str, Any]]]:
    """Layers placed around the demo epicentre: schools and clinics at the nearest towns, a
    county hospital, a reservoir outline and a fault trace (all marked as demo data)."""
    towns = selectors.towns_near(lon=lon, lat=lat, radius_km=60, limit=40)
    schools = [
        _point_feature(
            f"{(t.obj.name_zh or t.obj.name).split('（')[0]}中心小学", t.longitude + 0.004, t.latitude + 0.003
        )
        for t in towns[:25]
    ]
    clinics = [
        _point_feature(
            f"{(t.obj.name_zh or t.obj.name).split('（')[0]}卫生院", t.longitude - 0.003, t.latitude + 0.002
        )
        for t in towns[:15]
    ]
    h_lon, h_lat = destination(lon, lat, 200, 18)
    clinics.append(_point_feature("县人民医院（演示）", h_lon, h_lat, beds=420))
    ring = [destination(lon, lat, 140, 28)]
    centre = ring[0]
    ring = [destination(centre[0], centre[1], b, 3.5 + (b % 90) / 40) for b in range(0, 360, 30)]
    ring.append(ring[0])
    reservoir = {
        "type": "Feature",
        "properties": {"name": "示范水库（演示数据）", "capacity_million_m3": 120},
        "geometry": {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]},
    }
    a = destination(lon, lat, 225, 40)
    b = destination(lon, lat, 45, 45)
    fault = {
        "type": "Feature",
        "properties": {"name": "示范断裂（演示数据）", "type": "走滑"},
        "geometry": {
            "type": "LineString",
            "coordinates": [
                [round(a[0], 5), round(a[1], 5)],
                [round(lon + 0.02, 5), round(lat - 0.01, 5)],
                [round(b[0], 5), round(b[1], 5)],
            ],
        },
    }
    fc = lambda features: {"type": "FeatureCollection", "features": features}  # noqa: E731
    return [
        ("学校（演示）", "school", "乡镇中心小学，按乡镇驻地示意。", fc(schools)),
        ("医疗机构（演示）", "hospital", "乡镇卫生院与县人民医院，示意。", fc(clinics)),
        ("水库（演示）", "reservoir", "示意水库。", fc([reservoir])),
        ("断裂（演示）", "fault", "示意断裂。", fc([fault])),
    ]


def _duty_actor(bureau: Bureau) -> Any:
    from portal.tenancy import actor_for

    membership = (
        Membership.objects.filter(bureau=bureau, role=Role.BUREAU_ADMIN, revoked_at__isnull=True)
        .select_related("user")
        .first()
    )
    return actor_for(membership.user, bureau.code) if membership else None


def seed(stdout: TextIO) -> None:
    from catalog.services.events import Solution, event_record_solution

    if not Town.objects.exists():
        written = town_services.towns_load(rows=gazetteer.read_rows())
        stdout.write(f"reports: {written} gazetteer towns loaded ({gazetteer.ATTRIBUTION})\n")
    for code, quake in DEMO_EVENTS.items():
        bureau = Bureau.objects.filter(code=code).first()
        actor = _duty_actor(bureau) if bureau else None
        if bureau is None or actor is None:
            continue
        if not TopicReportSettings.objects.filter(bureau=bureau).exists():
            topic_settings_services.topic_report_settings_update(
                actor=actor, email_recipients=f"duty@{code.lower()}.example.cn", history_min_magnitude=3.0
            )
        for name, kind, description, data in _layers_for(quake["longitude"], quake["latitude"]):
            if data["features"] and not GisLayer.objects.filter(bureau=bureau, name=name).exists():
                gis_layer_services.gis_layer_upload(
                    actor=actor,
                    name=name,
                    kind=kind,
                    description=description,
                    content=json.dumps(data, ensure_ascii=False).encode(),
                    filename=f"{kind}.geojson",
                )
        with transaction.atomic():
            event, _created, _changed = event_record_solution(
                bureau=bureau,
                solution=Solution(
                    origin_time=quake["origin_time"].astimezone(dt.UTC),
                    latitude=quake["latitude"],
                    longitude=quake["longitude"],
                    depth_km=quake["depth_km"],
                    magnitude=quake["magnitude"],
                    location_name=quake["location_name"],
                    source=quake["source"],
                    status="reviewed",
                    report_kind="formal",
                ),
                data_origin="demo",
                publish=True,
                hook_source="demo",
            )
        report = topic_report_services.topic_report_queue(
            bureau=bureau, event=event, trigger="demo", build=False
        )
        if report is not None:
            report = topic_build_services.topic_report_build(report_id=report.pk, push=False)
        existing = TopicReport.objects.filter(bureau=bureau, event=event).count()
        stdout.write(
            f"reports: {code} has {GisLayer.objects.filter(bureau=bureau).count()} GIS layers, {existing} topic report(s)\n"
        )
