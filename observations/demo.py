"""Demo master data: stations of JX and NM with their instruments and channels, created
through the same apply service as every change (``change_apply_as_system``: validated,
applied, recorded as an approved change with no proposer), plus two changes made by people
(one approved by the bureau's second admin, one still waiting for him). Idempotent: a
station, instrument or channel that exists is left as it is.

The codes are stable; the series demo finds a channel by station code + item code
(``Channel.objects.get(station__code="JX-XS", item__code="WL")``). All channels sample
each minute (``interval`` = 60 s).

====== ======================= ============== =========================================
code   station                 kind           channels (item codes)
====== ======================= ============== =========================================
JX-XS  修水流体井 Xiushui well   well           WL, WT, RN_W
JX-YC  宜春温汤井 Yichun spring  spring         WL, WT, RN_W
JX-FZ  抚州地磁台 Fuzhou         geomagnetic    GM_H, GM_Z, GM_F
JX-PX  萍乡地电台 Pingxiang      geoelectric    GE_RHO
JX-JJ  九江地震台 Jiujiang       deformation    TILT_NS, TILT_EW
JX-HC  会昌形变台 Huichang       deformation    TILT_NS, TILT_EW, STRAIN_L
NM-TL  通辽流体井 Tongliao well  well           WL, WT
NM-ED  鄂尔多斯水氡井 Ordos well well           WL, WT, RN_W
NM-MZ  满洲里地磁台 Manzhouli    geomagnetic    GM_H, GM_Z, GM_F
NM-HL  海拉尔地电台 Hailar       geoelectric    GE_RHO, GE_E  (suspended)
NM-BT  包头形变台 Baotou         deformation    TILT_NS, TILT_EW
NM-WJ  乌加河形变台 Wujiahe      deformation    TILT_NS, TILT_EW, STRAIN_B
====== ======================= ============== =========================================

Tilt channels carry their orientation ("NS", "EW") as well as the item code.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from portal.models import Bureau, User
from portal.tenancy import actor_for

from . import series_demo
from .models import Channel, Instrument, MasterDataChange, Station
from .services import changes as change_services

# (code, name_zh, name_en, kind, lon, lat, elevation, opened)
STATIONS: dict[str, list[tuple[str, str, str, str, float, float, float, str]]] = {
    "JX": [
        ("JX-XS", "修水流体井", "Xiushui well", "well", 114.55, 29.03, 160.0, "2007-06-01"),
        ("JX-YC", "宜春温汤井", "Yichun Wentang spring", "spring", 114.39, 27.80, 240.0, "2008-03-15"),
        (
            "JX-FZ",
            "抚州地磁台",
            "Fuzhou geomagnetic observatory",
            "geomagnetic",
            116.36,
            27.95,
            65.0,
            "1999-10-01",
        ),
        (
            "JX-PX",
            "萍乡地电台",
            "Pingxiang geoelectric station",
            "geoelectric",
            113.85,
            27.62,
            110.0,
            "2001-05-01",
        ),
        (
            "JX-JJ",
            "九江地震台",
            "Jiujiang seismic station (tilt vault)",
            "deformation",
            115.99,
            29.71,
            45.0,
            "1985-01-01",
        ),
        (
            "JX-HC",
            "会昌形变台",
            "Huichang deformation station",
            "deformation",
            115.79,
            25.60,
            220.0,
            "2009-09-01",
        ),
    ],
    "NM": [
        ("NM-TL", "通辽流体井", "Tongliao well", "well", 122.24, 43.65, 180.0, "2006-07-01"),
        ("NM-ED", "鄂尔多斯水氡井", "Ordos radon well", "well", 109.78, 39.61, 1460.0, "2005-04-01"),
        (
            "NM-MZ",
            "满洲里地磁台",
            "Manzhouli geomagnetic observatory",
            "geomagnetic",
            117.43,
            49.60,
            660.0,
            "1997-08-01",
        ),
        (
            "NM-HL",
            "海拉尔地电台",
            "Hailar geoelectric station",
            "geoelectric",
            119.77,
            49.21,
            610.0,
            "2003-06-01",
        ),
        (
            "NM-BT",
            "包头形变台",
            "Baotou deformation station",
            "deformation",
            109.84,
            40.66,
            1070.0,
            "1990-05-01",
        ),
        (
            "NM-WJ",
            "乌加河形变台",
            "Wujiahe deformation station",
            "deformation",
            108.70,
            41.30,
            1030.0,
            "2004-10-01",
        ),
    ],
}

# kind -> [(item code, orientation, instrument model, plausible min, plausible max)]
_FLUID = [
    ("WL", "", "SWY-II 数字水位仪", -100.0, 100.0),
    ("WT", "", "SZW-1A 石英温度计", 0.0, 100.0),
    ("RN_W", "", "SD-3A 自动测氡仪", 0.0, 1000.0),
]
_MAG = [
    ("GM_H", "", "GM4 磁通门磁力仪", 15000.0, 45000.0),
    ("GM_Z", "", "GM4 磁通门磁力仪", 10000.0, 65000.0),
    ("GM_F", "", "FHDZ-M15 质子矢量磁力仪", 40000.0, 70000.0),
]
_TILT = [
    ("TILT_NS", "NS", "SSQ-2I 水管倾斜仪", -1.0e6, 1.0e6),
    ("TILT_EW", "EW", "SSQ-2I 水管倾斜仪", -1.0e6, 1.0e6),
]
CHANNELS: dict[str, list[tuple[str, str, str, float, float]]] = {
    # the well of the demo's anomaly records air pressure too (for the barometric correction)
    "JX-XS": [*_FLUID, ("PRES", "", "DYM3 空盒气压计", 500.0, 1100.0)],
    "JX-YC": _FLUID,
    "JX-FZ": _MAG,
    "JX-PX": [("GE_RHO", "NS", "ZD8M 地电阻率仪", 1.0, 2000.0)],
    "JX-JJ": _TILT,
    "JX-HC": [*_TILT, ("STRAIN_L", "NS", "SS-Y 伸缩仪", -1.0e8, 1.0e8)],
    "NM-TL": _FLUID[:2],
    "NM-ED": _FLUID,
    "NM-MZ": _MAG,
    "NM-HL": [
        ("GE_RHO", "NS", "ZD8M 地电阻率仪", 1.0, 2000.0),
        ("GE_E", "NS", "ZD9A 地电场仪", -2000.0, 2000.0),
    ],
    "NM-BT": _TILT,
    "NM-WJ": [*_TILT, ("STRAIN_B", "", "TJ-2 体应变仪", -1.0e8, 1.0e8)],
}
SUSPENDED = {"NM-HL"}
REASON = "演示数据：系统建档"  # recorded as each system change's reason


def _station(bureau: Bureau, row: tuple[str, str, str, str, float, float, float, str]) -> Station:
    code, name_zh, name_en, kind, lon, lat, elevation, opened = row
    station = Station.objects.filter(code=code).first()
    if station is not None:
        return station
    change = change_services.change_apply_as_system(
        bureau=bureau,
        target="station",
        action="create",
        values={
            "code": code,
            "name_zh": name_zh,
            "name_en": name_en,
            "kind": kind,
            "lon": lon,
            "lat": lat,
            "elevation_m": elevation,
            "opened_on": opened,
        },
        reason=REASON,
    )
    return Station.objects.get(pk=change.object_id)


def _channels(bureau: Bureau, station: Station) -> int:
    made = 0
    instruments: dict[str, Instrument] = {i.model: i for i in Instrument.objects.filter(station=station)}
    for item, orientation, model, low, high in CHANNELS[station.code]:
        if model not in instruments:
            change = change_services.change_apply_as_system(
                bureau=bureau,
                target="instrument",
                action="create",
                values={
                    "station": station.code,
                    "model": model,
                    "serial_number": f"{station.code}-{len(instruments) + 1:02d}",
                    "installed_on": station.opened_on.isoformat() if station.opened_on else "2010-01-01",
                },
                reason=REASON,
            )
            instruments[model] = Instrument.objects.get(pk=change.object_id)
        if Channel.objects.filter(station=station, item__code=item, orientation=orientation).exists():
            continue
        change_services.change_apply_as_system(
            bureau=bureau,
            target="channel",
            action="create",
            values={
                "station": station.code,
                "item": item,
                "orientation": orientation,
                "instrument": instruments[model].pk,
                "interval": 60,
                "plausible_min": low,
                "plausible_max": high,
            },
            reason=REASON,
        )
        made += 1
    return made


def _people_changes(bureau: Bureau) -> None:
    """One change proposed by the admin and approved by the second admin, one proposed by the
    second admin that waits for the first (their "waiting for me")."""
    low = bureau.code.lower()
    admin, admin2 = (
        User.objects.filter(username=f"{low}_admin").first(),
        User.objects.filter(username=f"{low}_admin2").first(),
    )
    if admin is None or admin2 is None:
        return
    first, second = actor_for(admin, bureau.code), actor_for(admin2, bureau.code)
    if (
        first is None
        or second is None
        or MasterDataChange.objects.filter(bureau=bureau, proposed_by__isnull=False).exists()
    ):
        return
    stations = [s for s in Station.objects.filter(bureau=bureau).order_by("code") if s.status == "active"]
    if len(stations) < 2:
        return
    approved = change_services.change_propose(
        actor=first,
        target="station",
        action="update",
        object_id=stations[0].pk,
        values={"elevation_m": (stations[0].elevation_m or 0) + 2.5},
        reason="复测高程：GNSS 复测后更正井口高程",
    )
    change_services.change_approve(actor=second, change=approved, comment="核对复测报告无误")
    change_services.change_propose(
        actor=second,
        target="station",
        action="update",
        object_id=stations[1].pk,
        values={"name_en": f"{stations[1].name_en} (renamed)"},
        reason="英文名称按台站命名规范修订",
    )


def _seed(stdout: Any) -> None:
    for code, rows in STATIONS.items():
        bureau = Bureau.objects.filter(code=code).first()
        if bureau is None:
            continue
        channels = 0
        for row in rows:
            station = _station(bureau, row)
            channels += _channels(bureau, station)
            if station.code in SUSPENDED and station.status == "active":
                change_services.change_apply_as_system(
                    bureau=bureau,
                    target="station",
                    action="update",
                    object_id=station.pk,
                    values={"status": "suspended"},
                    reason="演示数据：供电线路改造，暂停观测",
                )
        _people_changes(bureau)
        stdout.write(f"observations {code}: {len(rows)} stations, {channels} new channels\n")
    _series(stdout)


def _series(stdout: Any) -> None:
    """The demo series up to today (a second seed replaces them with the same values and
    brings them up to date), then their quality control on the worker: one task a channel,
    so the loader returns at once (run in place where Celery is eager, as in the tests)."""
    months = int(getattr(settings, "DEMO_SERIES_MONTHS", 13))
    if months <= 0:
        return
    loaded = series_demo.seed(bureau_codes=tuple(STATIONS), months=months, qc="queue")
    stdout.write(
        f"observation series: {loaded['samples']} samples of {loaded['channels']} channels "
        f"over {months} months in {loaded['seconds']} s; quality control queued\n"
    )


def seed(stdout: Any) -> None:
    # audit texts and notifications are stored as written: in the portal's language
    with translation.override(settings.LANGUAGE_CODE):
        _seed(stdout)
