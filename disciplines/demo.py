"""Demo data: reporting units of JX and NM in the four disciplines, 30 days of zero-reports
(a few late and missing), and anomalies in every state, those of units that are stations linked
to the station's channel of their item (JX-XS's water level carries the series demo's injected
trend departure: ``observations.series_demo``). Idempotent: run it any number of times."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone, translation

from observations import demo as observations_demo
from observations.models import Channel, Station
from portal.models import Bureau, Discipline, User
from portal.tenancy import actor_for

from .anomaly_channel_selectors import item_named
from .beat import register_beat_jobs
from .models import BEIJING, Anomaly, ReportingUnit, ZeroReport, ZeroReportRevision
from .services import anomalies as anomaly_services
from .services import assessment as assessment_services
from .services import verification as verification_services
from .services.zero_reports import AnomalyInput, zero_report_submit

ITEMS = {
    "seismology": ["宏观震感", "地声", "测震仪器运行"],
    "deformation": ["钻孔倾斜", "洞体应变", "GNSS"],
    "fluid": ["水位", "水温", "水氡", "宏观水异常"],
    "electromagnetism": ["地磁", "地电阻率", "地电场"],
}
MACRO_ITEMS = ["动物异常", "井水异常", "地声", "地光"]

# (code, name, discipline, kind, lon, lat): real towns, inside each province.
UNITS: dict[str, list[tuple[str, str, str, str, float, float]]] = {
    "JX": [
        ("JX-SE-01", "南昌地震台", "seismology", "station", 115.89, 28.68),
        ("JX-SE-02", "赣州地震台", "seismology", "station", 114.93, 25.83),
        ("JX-SE-03", "寻乌县地震办", "seismology", "county_office", 115.65, 24.96),
        ("JX-DF-01", "九江地震台", "deformation", "station", 115.99, 29.71),
        ("JX-DF-02", "会昌形变台", "deformation", "station", 115.79, 25.60),
        ("JX-DF-03", "景德镇形变站", "deformation", "station", 117.18, 29.27),
        ("JX-FL-01", "修水流体井", "fluid", "station", 114.55, 29.03),
        ("JX-FL-02", "宜春温泉井", "fluid", "station", 114.39, 27.80),
        ("JX-FL-03", "上饶宏观观测点", "fluid", "macro_point", 117.97, 28.45),
        ("JX-FL-04", "吉安县地震办", "fluid", "county_office", 114.99, 27.11),
        ("JX-EM-01", "抚州地磁台", "electromagnetism", "station", 116.36, 27.95),
        ("JX-EM-02", "萍乡地电台", "electromagnetism", "station", 113.85, 27.62),
    ],
    "NM": [
        ("NM-SE-01", "呼和浩特地震台", "seismology", "station", 111.75, 40.84),
        ("NM-SE-02", "赤峰地震台", "seismology", "station", 118.89, 42.26),
        ("NM-SE-03", "阿鲁科尔沁旗地震办", "seismology", "county_office", 120.06, 43.88),
        ("NM-DF-01", "包头形变台", "deformation", "station", 109.84, 40.66),
        ("NM-DF-02", "乌加河形变台", "deformation", "station", 108.70, 41.30),
        ("NM-DF-03", "锡林浩特GNSS站", "deformation", "station", 116.05, 43.93),
        ("NM-FL-01", "通辽流体井", "fluid", "station", 122.24, 43.65),
        ("NM-FL-02", "鄂尔多斯水氡井", "fluid", "station", 109.78, 39.61),
        ("NM-FL-03", "乌兰察布宏观观测点", "fluid", "macro_point", 113.13, 41.03),
        ("NM-FL-04", "巴彦淖尔市地震局", "fluid", "county_office", 107.39, 40.74),
        ("NM-EM-01", "满洲里地磁台", "electromagnetism", "station", 117.43, 49.60),
        ("NM-EM-02", "海拉尔地电台", "electromagnetism", "station", 119.77, 49.21),
    ],
}

DAYS = 30

# Reporting units that are stations, and their station records (observations.demo, seeded first).
UNIT_STATIONS = {
    "JX-FL-01": "JX-XS",
    "JX-FL-02": "JX-YC",
    "JX-EM-01": "JX-FZ",
    "JX-EM-02": "JX-PX",
    "JX-DF-01": "JX-JJ",
    "JX-DF-02": "JX-HC",
    "NM-FL-01": "NM-TL",
    "NM-FL-02": "NM-ED",
    "NM-EM-01": "NM-MZ",
    "NM-EM-02": "NM-HL",
    "NM-DF-01": "NM-BT",
    "NM-DF-02": "NM-WJ",
}


def _chance(*parts: Any) -> float:
    """A stable pseudo-random number per unit and day: re-seeding never flips a cell."""
    digest = hashlib.md5("|".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) / 2**32


def _units(bureau: Bureau, reporter: User | None) -> list[ReportingUnit]:
    disciplines = {d.code: d for d in Discipline.objects.all()}
    stations = {s.code: s for s in Station.objects.filter(bureau=bureau, code__in=UNIT_STATIONS.values())}
    units = []
    for code, name, discipline, kind, lon, lat in UNITS[bureau.code]:
        unit, _created = ReportingUnit.objects.update_or_create(
            bureau=bureau,
            code=code,
            defaults={
                "name": name,
                "discipline": disciplines[discipline],
                "kind": kind,
                "location": Point(lon, lat, srid=4326),
                "observation_items": MACRO_ITEMS if kind == "macro_point" else ITEMS[discipline],
                "schedule": ReportingUnit.Schedule.DAILY,
                "station": stations.get(UNIT_STATIONS.get(code, "")),
            },
        )
        if reporter is not None:
            unit.reporters.add(reporter)
        units.append(unit)
    return units


def _reports(bureau: Bureau, units: list[ReportingUnit], reporter: User) -> int:
    """30 days of no-anomaly reports: about 6 % missing and 8 % late (yesterday is left open)."""
    today = timezone.localdate()
    existing = set(
        ZeroReport.objects.filter(unit__in=units, period__gte=today - timedelta(days=DAYS)).values_list(
            "unit_id", "period"
        )
    )
    rows = []
    for unit in units:
        for back in range(2, DAYS + 1):
            period = today - timedelta(days=back)
            if (unit.pk, period) in existing:
                continue
            roll = _chance(unit.code, period)
            if roll < 0.06:
                continue  # missing
            late = roll > 0.92
            submitted = datetime.combine(
                period + timedelta(days=1), time(14 if late else 8, 30), tzinfo=BEIJING
            )
            rows.append(
                ZeroReport(
                    bureau=bureau,
                    unit=unit,
                    period=period,
                    status=ZeroReport.Status.NONE,
                    reported_by=reporter,
                    submitted_at=submitted,
                    is_late=late,
                    source=ZeroReport.Source.WEB,
                )
            )
    created = ZeroReport.objects.bulk_create(rows, ignore_conflicts=False)
    ZeroReportRevision.objects.bulk_create(
        ZeroReportRevision(
            bureau=bureau,
            report=r,
            revision=1,
            status=r.status,
            submitted_by=reporter,
            submitted_at=r.submitted_at,
            is_late=r.is_late,
            source=r.source,
        )
        for r in created
    )
    return len(created)


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _anomalies(bureau: Bureau, units: list[ReportingUnit]) -> int:
    """Anomalies in different states, moved there through the services (so the history is real)."""
    if Anomaly.objects.filter(bureau=bureau).exists():
        return 0
    low = bureau.code.lower()
    reporter = actor_for(_user(f"{low}_reporter"), bureau.code)
    verifier = actor_for(_user(f"{low}_expert_fluid"), bureau.code)
    office = actor_for(_user(f"{low}_admin"), bureau.code)
    if not (reporter and verifier and office):
        return 0
    fluid_units = [u for u in units if u.discipline.code == "fluid"]
    today = timezone.localdate()
    scripts = [
        ("reported", fluid_units[0], "水位", "井水水位一天内上升 0.6 m，无降雨", 3),
        ("verifying", fluid_units[1], "水温", "水温下降 0.05 ℃，呈阶跃形态", 5),
        ("verified", fluid_units[2], "井水异常", "村民反映井水冒泡、变浑，伴有异味", 8),
        ("tracking", fluid_units[3], "宏观水异常", "泉水流量明显增大，持续两天", 12),
        ("closed", fluid_units[0], "水温", "水温突降，核实为抽水干扰", 20),
    ]
    made = 0
    for state, unit, item, description, days_ago in scripts:
        period = today - timedelta(days=days_ago)
        onset = datetime.combine(period, time(6, 40), tzinfo=BEIJING)
        with transaction.atomic():
            report = zero_report_submit(
                actor=reporter,
                unit=unit,
                period=period,
                status="anomaly",
                anomaly=AnomalyInput(item, description, onset),
                now=datetime.combine(period, time(9, 10), tzinfo=BEIJING),
            )
            anomaly = report.anomaly
            if state != "reported":
                anomaly = anomaly_services.anomaly_assign(
                    actor=office, anomaly=anomaly, assignee=verifier.user, comment="请按期核实"
                )
            if state in ("verified", "tracking", "closed"):
                interference = state == "closed"
                verification_services.verification_save(
                    actor=verifier,
                    anomaly=anomaly,
                    observation=f"{unit.name} {item}",
                    instrument="SZW-II 数字式温度计" if item == "水温" else "现场调查",
                    onset_at=onset,
                    shape="阶跃下降后缓慢恢复" if item == "水温" else "突发性变化",
                    amplitude="0.05 ℃" if item == "水温" else "流量增大约 30%",
                    checks={
                        "environment": {"result": "ruled_out", "finding": "观测环境无变化"},
                        "instrument": {"result": "ruled_out", "finding": "仪器标定正常"},
                        "power": {"result": "ruled_out", "finding": "供电正常"},
                        "lightning": {"result": "ruled_out", "finding": "无雷电记录"},
                        "pumping": {
                            "result": "present" if interference else "ruled_out",
                            "finding": "附近农田连续抽水三天" if interference else "周边无抽水",
                        },
                        "mining": {"result": "ruled_out", "finding": "5 km 内无采矿"},
                        "construction": {"result": "ruled_out", "finding": "无施工"},
                        "rainfall": {"result": "ruled_out", "finding": "前 7 天累计降雨 3 mm"},
                        "air_pressure": {"result": "ruled_out", "finding": "气压变化小于 5 hPa"},
                    },
                    analysis="对照同期降雨、气压与周边抽水记录，"
                    + ("确认为抽水干扰。" if interference else "排除已知干扰因素，变化仍然存在。"),
                    conclusion="interference" if interference else "precursory",
                )
                anomaly = verification_services.anomaly_submit_verification(actor=verifier, anomaly=anomaly)
            if state in ("tracking", "closed"):
                for username, credibility, recommendation in (
                    (
                        f"{low}_expert_fluid",
                        "C" if state == "closed" else "B",
                        "close" if state == "closed" else "track",
                    ),
                ):
                    expert = actor_for(_user(username), bureau.code)
                    assessment_services.rating_save(
                        actor=expert,
                        anomaly=anomaly,
                        credibility=credibility,
                        relation="unrelated" if state == "closed" else "possible",
                        recommendation=recommendation,
                        comment="核实报告依据充分",
                    )
                anomaly = assessment_services.anomaly_assess(
                    actor=verifier, anomaly=anomaly, comment="学科组评议"
                )
                if state == "tracking":
                    assessment_services.anomaly_track(
                        actor=verifier, anomaly=anomaly, comment="列入跟踪，每周汇报"
                    )
                else:
                    assessment_services.anomaly_close(
                        actor=verifier, anomaly=anomaly, comment="干扰所致，结束"
                    )
            made += 1
    # one overdue verification, so dashboards show the flag
    Anomaly.objects.filter(bureau=bureau, state=Anomaly.State.VERIFYING).update(
        verify_due_at=timezone.now() - timedelta(hours=6)
    )
    return made


def seed(stdout: Any) -> None:
    # notifications and audit texts are stored as written: in the portal's language
    with translation.override(settings.LANGUAGE_CODE):
        _seed(stdout)
    _render_submitted_verifications(stdout)


def _render_submitted_verifications(stdout: Any) -> None:
    """The submitted demo verification reports have their PDFs right after seeding (the seed is
    no request, so it renders them itself instead of waiting for a worker)."""
    from .models import VerificationReport
    from .services.verification_pdf import verification_pdf_render_now

    rendered = 0
    for verification in VerificationReport.objects.filter(submitted_at__isnull=False).select_related(
        "anomaly"
    ):
        if verification.anomaly.state != Anomaly.State.VERIFYING:
            verification_pdf_render_now(verification=verification)
            rendered += 1
    stdout.write(f"disciplines: {rendered} verification report PDFs\n")


def _link_channels(bureau: Bureau) -> int:
    """Point the bureau's anomalies of units that are stations at the station's one channel of
    their item (the rule the anomaly page applies when a report names no channel), so the demo
    anomalies carry their channel as a report from the form would."""
    linked = 0
    rows = Anomaly.objects.filter(bureau=bureau, channel__isnull=True, unit__station__isnull=False)
    for anomaly_id, station_id, item in rows.values_list("pk", "unit__station_id", "observation_item"):
        matches = list(Channel.objects.filter(station_id=station_id).filter(item_named(item))[:2])
        if len(matches) == 1:
            Anomaly.objects.filter(pk=anomaly_id).update(channel=matches[0])
            linked += 1
    return linked


def _seed(stdout: Any) -> None:
    register_beat_jobs()
    random.seed(2026)
    # the units that are stations link to the station records: seed those first when missing
    # (seed_demo runs the apps' seeds in INSTALLED_APPS order, observations last; it is idempotent)
    if not Station.objects.filter(code__in=UNIT_STATIONS.values()).exists():
        observations_demo.seed(stdout)
    for code in ("JX", "NM"):
        bureau = Bureau.objects.filter(code=code).first()
        if bureau is None:
            continue
        reporter = _user(f"{code.lower()}_reporter")
        units = _units(bureau, reporter)
        reports = _reports(bureau, units, reporter) if reporter else 0
        anomalies = _anomalies(bureau, units)
        linked = _link_channels(bureau)
        stdout.write(
            f"disciplines {code}: {len(units)} reporting units, {reports} new zero-reports, {anomalies} new anomalies"
            f", {linked} linked to their channel\n"
        )
