"""Demo data of the catalog: a synthetic but realistic catalog and a few quick reports.

For JX and NM a provincial catalog (ML, complete above Mc = 1.5) and for
CENC a national one (M, complete above 3.0), over the last three years:

* background seismicity clustered around real county seats (a Gaussian
  cloud of 0.35 degrees around each), kept inside the bureau's
  jurisdiction where one is stored;
* magnitudes from the Gutenberg-Richter law with b = 1 above Mc
  (Gutenberg & Richter 1944: log10 N = a - b M, i.e. M - Mc exponential
  with rate b ln 10);
* one mainshock-aftershock sequence per bureau: aftershock times from the
  modified Omori law n(t) = K / (t + c)^p (Utsu 1961) with c = 0.05 d,
  p = 1.1, drawn by inverting its cumulative count over one year;
  aftershock magnitudes Gutenberg-Richter below the mainshock minus 1.2
  (Båth's law, Båth 1965), epicentres within a few km along a fault.

About 10,000 events, stored through the import path (batched, a few
seconds). Idempotent: the ids are derived from bureau, time and place, and
a bureau that already has demo events is left alone. The quick-report part
posts, for JX, a formal report, an automatic one followed by its formal
version, and one garbled message that waits in the inbox; for NM a formal
report. Both are skipped when the bureau already has messages.
"""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from portal.models import Bureau, User
from portal.tenancy import actor_for

from .formats import EventRow
from .models import AlertRule, DataOrigin, EventVersion, QuickReportMessage
from .quick_report import BEIJING
from .services.import_writer import import_rows
from .services.quick_reports import QuickReportRejected, quick_report_submit

YEARS = 3
PLACES: dict[str, list[tuple[str, float, float]]] = {
    "JX": [
        ("江西九江市修水县", 29.03, 114.55),
        ("江西九江市瑞昌市", 29.68, 115.67),
        ("江西宜春市上高县", 28.23, 114.92),
        ("江西赣州市寻乌县", 24.96, 115.65),
        ("江西赣州市会昌县", 25.60, 115.79),
        ("江西上饶市鄱阳县", 29.00, 116.70),
        ("江西吉安市永丰县", 27.32, 115.44),
        ("江西抚州市南城县", 27.56, 116.64),
        ("江西萍乡市莲花县", 27.13, 113.96),
        ("江西景德镇市浮梁县", 29.35, 117.22),
    ],
    "NM": [
        ("内蒙古赤峰市阿鲁科尔沁旗", 43.88, 120.06),
        ("内蒙古包头市固阳县", 41.03, 110.06),
        ("内蒙古锡林郭勒盟多伦县", 42.20, 116.48),
        ("内蒙古阿拉善盟阿拉善左旗", 38.83, 105.67),
        ("内蒙古呼伦贝尔市鄂伦春自治旗", 50.59, 123.73),
        ("内蒙古乌海市海南区", 39.44, 106.89),
        ("内蒙古巴彦淖尔市乌拉特前旗", 40.74, 108.65),
        ("内蒙古通辽市科尔沁左翼后旗", 42.95, 122.36),
        ("内蒙古鄂尔多斯市准格尔旗", 39.86, 111.24),
        ("内蒙古呼和浩特市土默特左旗", 40.72, 111.13),
    ],
    "CENC": [
        ("新疆阿克苏地区乌什县", 41.26, 78.63),
        ("新疆喀什地区伽师县", 39.83, 77.21),
        ("四川甘孜州泸定县", 29.59, 102.08),
        ("四川宜宾市长宁县", 28.34, 104.90),
        ("云南大理州漾濞县", 25.67, 99.87),
        ("西藏日喀则市定日县", 28.50, 87.45),
        ("甘肃临夏州积石山县", 35.70, 102.79),
        ("青海海西州玛多县", 34.59, 98.34),
        ("内蒙古阿拉善盟阿拉善左旗", 38.83, 105.67),
        ("江西九江市修水县", 29.03, 114.55),
    ],
}
# (bureau, background events, Mc, magnitude type, sequence place index, mainshock M, aftershocks)
PLAN: list[tuple[str, int, float, str, int, float, int]] = [
    ("JX", 3000, 1.5, "ML", 0, 5.0, 450),
    ("NM", 4000, 1.5, "ML", 5, 5.6, 800),
    ("CENC", 1500, 3.0, "M", 7, 6.8, 600),
]


def _gutenberg_richter(
    rng: np.random.Generator, n: int, mc: float, b: float = 1.0, top: float = 8.5
) -> np.ndarray:
    """Magnitudes of ``mc`` and above with b-value ``b``, binned to 0.1, capped at ``top``.

    Drawn continuous from ``mc - 0.05`` (the lower edge of the ``mc`` bin) so the
    binned sample follows the law bin for bin.
    """
    mags = (mc - 0.05) + rng.exponential(1.0 / (b * math.log(10)), n)
    return np.minimum(np.round(mags, 1), top)


def _omori_days(
    rng: np.random.Generator, n: int, c: float = 0.05, p: float = 1.1, span: float = 365.0
) -> np.ndarray:
    """Times (days after the mainshock) from the modified Omori law, by inverse CDF."""
    u = rng.uniform(0, 1, n)
    a = c ** (1 - p)
    z = (span + c) ** (1 - p)
    return np.sort((a - u * (a - z)) ** (1 / (1 - p)) - c)


def _nearest(places: list[tuple[str, float, float]], lat: float, lon: float) -> str:
    return min(places, key=lambda p: (p[1] - lat) ** 2 + ((p[2] - lon) * math.cos(math.radians(lat))) ** 2)[0]


def _rows(
    bureau: Bureau, plan: tuple[str, int, float, str, int, float, int], end: datetime
) -> list[EventRow]:
    code, count, mc, mag_type, seq_index, main_mag, n_after = plan
    rng = np.random.default_rng(sum(map(ord, code)) * 7919)
    places = PLACES[code]
    start = end - timedelta(days=365 * YEARS)
    area = bureau.jurisdiction.prepared if bureau.jurisdiction is not None and code != "CENC" else None
    rows: list[EventRow] = []
    seconds = np.sort(rng.uniform(0, (end - start).total_seconds(), count))
    mags = _gutenberg_richter(rng, count, mc)
    from django.contrib.gis.geos import Point

    for offset, mag in zip(seconds, mags, strict=True):
        for _attempt in range(20):
            name, lat0, lon0 = places[rng.integers(len(places))]
            lat = float(lat0 + rng.normal(0, 0.35))
            lon = float(lon0 + rng.normal(0, 0.35))
            if area is None or area.contains(Point(lon, lat, srid=4326)):
                break
        else:
            lat, lon = lat0, lon0
        rows.append(
            EventRow(
                origin_time=start + timedelta(seconds=float(offset)),
                latitude=round(lat, 3),
                longitude=round(lon, 3),
                depth_km=float(np.round(np.clip(rng.gamma(4.0, 2.8), 1, 40), 0)),
                magnitude=float(mag),
                magnitude_type=mag_type,
                location_name=_nearest(places, lat, lon),
                source=code,
            )
        )
    name, lat0, lon0 = places[seq_index]
    main_time = start + timedelta(days=365 * YEARS * 0.55)
    strike = math.radians(float(rng.uniform(0, 180)))
    rows.append(
        EventRow(
            origin_time=main_time,
            latitude=lat0,
            longitude=lon0,
            depth_km=10.0,
            magnitude=main_mag,
            magnitude_type="Ms" if main_mag >= 6 else mag_type,
            location_name=name,
            source=code,
            strike=math.degrees(strike),
            dip=70.0,
            rake=170.0,
        )
    )
    days = _omori_days(rng, n_after, span=min(365.0, (end - main_time).total_seconds() / 86400 - 1))
    after_mags = np.minimum(_gutenberg_richter(rng, n_after, mc), main_mag - 1.2)
    along = rng.normal(0, 0.06 * 10 ** (0.5 * (main_mag - 5)), n_after)  # rupture length grows with M
    across = rng.normal(0, 0.02, n_after)
    for day, mag, a, x in zip(days, after_mags, along, across, strict=True):
        lat = lat0 + a * math.cos(strike) - x * math.sin(strike)
        lon = lon0 + (a * math.sin(strike) + x * math.cos(strike)) / math.cos(math.radians(lat0))
        rows.append(
            EventRow(
                origin_time=main_time + timedelta(days=float(day) + 1e-4),
                latitude=round(lat, 3),
                longitude=round(lon, 3),
                depth_km=float(np.round(np.clip(rng.normal(10, 3), 2, 25), 0)),
                magnitude=float(mag),
                magnitude_type=mag_type,
                location_name=name,
                source=code,
            )
        )
    rows.sort(key=lambda r: r.origin_time)
    return rows


def _quick_report_text(
    kind: str, when: datetime, place: str, lat: float, lon: float, mag: float, depth: int
) -> str:
    local = when.astimezone(BEIJING)
    stamp = f"{local.year}年{local.month}月{local.day}日{local.hour:02d}时{local.minute:02d}分"
    if kind == "jx":
        return f"【江西省地震局】江西省地震台网测定:{stamp}在{place}(北纬{lat:.2f}度,东经{lon:.2f}度)发生{mag:.1f}级地震,震源深度{depth}千米。"
    if kind == "auto":
        return (
            f"中国地震台网自动测定：{local.month:02d}月{local.day:02d}日{local.hour:02d}时{local.minute:02d}分在{place}附近"
            f"（北纬{lat:.2f}度，东经{lon:.2f}度）发生{mag:.1f}级左右地震，最终结果以正式速报为准。"
        )
    return (
        f"中国地震台网正式测定：{local:%Y-%m-%d %H:%M:%S}在{place}发生{mag:.1f}级地震，"
        f"震中纬度{lat:.2f}，经度{lon:.2f}，震源深度{depth}km。"
    )


def _seed_quick_reports(stdout: Any, now: datetime) -> None:
    posts = {
        "JX": [
            ("jx_forecaster", "jx", now - timedelta(hours=30), ("江西九江市修水县", 29.05, 114.52, 4.4, 8)),
            ("jx_forecaster", "auto", now - timedelta(hours=5), ("江西赣州市寻乌县", 24.98, 115.62, 4.3, 0)),
            (
                "jx_forecaster",
                "formal",
                now - timedelta(hours=5, seconds=-2),
                ("江西赣州市寻乌县", 24.95, 115.64, 4.1, 11),
            ),
        ],
        "NM": [
            (
                "nm_forecaster",
                "formal",
                now - timedelta(days=3),
                ("内蒙古包头市固阳县", 41.05, 110.03, 3.6, 12),
            )
        ],
    }
    for code, items in posts.items():
        bureau = Bureau.objects.filter(code=code).first()
        if bureau is None or QuickReportMessage.objects.filter(bureau=bureau).exists():
            continue
        for username, kind, when, (place, lat, lon, mag, depth) in items:
            user = User.objects.filter(username=username).first()
            actor = actor_for(user, code) if user else None
            if actor is None:
                continue
            text = _quick_report_text(kind, when, place, lat, lon, mag, depth)
            quick_report_submit(actor=actor, text=text, received_at=when + timedelta(minutes=8))
        user = User.objects.filter(username=f"{code.lower()}_forecaster").first()
        actor = actor_for(user, code) if user else None
        if code == "JX" and actor is not None:
            # a garbled SMS (time cut off): it waits in the inbox for a correction
            with contextlib.suppress(QuickReportRejected):
                quick_report_submit(
                    actor=actor,
                    text="【江西省地震局】江西省地震台网测定:在江西上饶市鄱阳县(北纬29.0度,东经116.7度)发生2.1级地震",
                    received_at=now - timedelta(hours=2),
                )
        stdout.write(f"catalog: quick reports for {code}")


def _seed_alert_rules(stdout: Any) -> None:
    """JX looks 50 km beyond its border (its neighbours' quakes are felt in its towns) and opens
    post-quake cases from M5.0 within 100 km; CENC opens post-quake cases only (M6.0 in China,
    M7.0 abroad: the national defaults), its reports and meetings are the provinces'. The other
    provinces act with the default rule."""
    jx = Bureau.objects.filter(code="JX").first()
    if jx is not None and not AlertRule.objects.filter(bureau=jx).exists():
        rule = AlertRule.for_bureau(jx)
        rule.distance_km = 50.0
        rule.save()
        stdout.write("catalog: JX alert rule (M3.0, 50 km beyond the border; post-quake M5.0, 100 km)")
    cenc = Bureau.objects.filter(code="CENC").first()
    if cenc is not None and not AlertRule.objects.filter(bureau=cenc).exists():
        rule = AlertRule.for_bureau(cenc)
        rule.threshold_magnitude = Decimal("6.0")
        rule.topic_report = rule.emergency_meeting = False
        rule.save()
        stdout.write("catalog: CENC alert rule (post-quake cases from M6.0 in China, M7.0 abroad)")


def seed(stdout: Any) -> None:
    """Seed the alert rule of JX, the demo catalogs of JX, NM and CENC and a few quick
    reports (idempotent)."""
    _seed_alert_rules(stdout)
    end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for plan in PLAN:
        bureau = Bureau.objects.filter(code=plan[0]).first()
        if bureau is None:
            continue
        if EventVersion.objects.filter(event__bureau=bureau, data_origin=DataOrigin.DEMO).exists():
            stdout.write(f"catalog: {bureau.code} demo catalog already there")
            continue
        rows = _rows(bureau, plan, end)
        summary = import_rows(bureau=bureau, rows=rows, publish=True, data_origin=DataOrigin.DEMO)
        stdout.write(
            f"catalog: {bureau.code} demo catalog: {summary.inserted} events "
            f"({summary.updated} folded as duplicates)"
        )
    _seed_quick_reports(stdout, datetime.now(UTC))
