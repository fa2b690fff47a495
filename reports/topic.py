"""Building the special-topic report of a quake area (震区专题信息): its content and maps.

:func:`build_content` gathers everything the report says into one JSON-ready
dict (stored on the report, so the page, the PDF and the pushes show exactly
what was built), timing each part; :func:`draw_maps` draws the two print maps.
Rendering to HTML/PDF is :mod:`printing.rendering`'s job.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from django.conf import settings

from printing.geodesy import offset
from printing.maps import MapLayer, draw_map, extent_around

from . import gazetteer
from .selectors import (
    historical_events,
    largest_events_near,
    layers_near,
    towns_near,
)

if TYPE_CHECKING:
    from catalog.models import Event
    from portal.models import Bureau

    from .models import TopicReportSettings

logger = logging.getLogger(__name__)

BEIJING = dt.timezone(dt.timedelta(hours=8), "UTC+08:00")  # no summer time in Chinese reports
HISTORY_TABLE_ROWS = 60
TOWN_TABLE_ROWS = 40
MAGNITUDE_BANDS = ((4.0, 5.0), (5.0, 6.0), (6.0, 7.0), (7.0, 10.0))


@dataclass
class Built:
    content: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


def _fmt_time(value: dt.datetime, tz: dt.tzinfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def _event_row(event: Event, *, lon: float, lat: float) -> dict[str, Any]:
    where = offset(lon, lat, event.longitude, event.latitude)
    return {
        "id": event.pk,
        "time_bj": _fmt_time(event.origin_time, BEIJING),
        "year": event.origin_time.astimezone(BEIJING).year,
        "latitude": round(event.latitude, 3),
        "longitude": round(event.longitude, 3),
        "depth_km": event.depth_km,
        "magnitude": event.magnitude,
        "magnitude_type": event.magnitude_type,
        "place": event.location_name,
        "distance_km": round(where.distance_km, 1),
        "direction_zh": where.direction_zh,
        "direction_en": where.direction_en,
    }


def weather_section(*, lon: float, lat: float) -> dict[str, Any]:
    """Weather at the epicentre from the service at ``settings.WEATHER_URL``, if one is set.

    The service is asked ``GET <WEATHER_URL>?lat=..&lon=..`` and must answer JSON
    with a ``summary`` text (and optionally ``source``). With no service set, or
    when it fails, the report says so: weather is never made up.
    """
    url = getattr(settings, "WEATHER_URL", "")
    if not url:
        return {"configured": False}
    try:
        response = requests.get(url, params={"lat": f"{lat:.4f}", "lon": f"{lon:.4f}"}, timeout=5)
        response.raise_for_status()
        data = response.json()
        summary = str(data.get("summary", "")).strip()
        if not summary:
            raise ValueError("the answer has no summary")
    except (requests.RequestException, ValueError) as exc:
        logger.warning("weather service failed: %s", exc)
        return {"configured": True, "ok": False, "error": str(exc)[:300]}
    return {
        "configured": True,
        "ok": True,
        "summary": summary[:1000],
        "source": str(data.get("source", ""))[:200],
    }


def build_content(
    *, event: Event, bureau: Bureau, options: TopicReportSettings, language: str = "zh-hans"
) -> Built:
    """Everything the report states, as plain data, with the seconds the queries took."""
    started = time.perf_counter()
    lon, lat = event.longitude, event.latitude
    towns = towns_near(lon=lon, lat=lat, radius_km=options.town_radius_km)
    town_rows = []
    for near in towns[:TOWN_TABLE_ROWS]:
        town = near.obj
        # Where the epicentre lies as seen from the town ("震中位于该镇北东 23 km").
        back = offset(near.longitude, near.latitude, lon, lat)
        town_rows.append(
            {
                "name": town.name,
                "name_zh": town.name_zh,
                "province": town.admin1_name,
                "population": town.population,
                "longitude": round(near.longitude, 4),
                "latitude": round(near.latitude, 4),
                "distance_km": round(near.offset.distance_km, 1),
                "epicentre_direction_zh": back.direction_zh,
                "epicentre_direction_en": back.direction_en,
            }
        )
    known = [t.obj.population for t in towns if t.obj.population]
    layers = layers_near(bureau_id=bureau.pk, lon=lon, lat=lat, radius_km=options.layer_radius_km)
    kinds = getattr(options, "layer_kinds", None)  # a flow's build may keep only some kinds
    if kinds:
        layers = [summary for summary in layers if summary.layer.kind in kinds]
    layer_rows = [
        {
            "id": summary.layer.pk,
            "name": summary.layer.name,
            "kind": summary.layer.kind,
            "kind_label": str(summary.layer.get_kind_display()),
            "count": summary.count,
            "total": summary.layer.feature_count,
            "nearest": [
                {
                    "name": near.obj.name or f"#{near.obj.pk}",
                    "distance_km": round(near.offset.distance_km, 1),
                    "direction_zh": near.offset.direction_zh,
                    "direction_en": near.offset.direction_en,
                    "longitude": round(near.longitude, 4),
                    "latitude": round(near.latitude, 4),
                }
                for near in summary.nearest
            ],
        }
        for summary in layers
    ]
    history_qs = historical_events(
        bureau=bureau,
        event=event,
        radius_km=options.history_radius_km,
        min_magnitude=options.history_min_magnitude,
        since=options.history_since,
    )
    history = list(history_qs[: HISTORY_TABLE_ROWS * 20])
    history_count = len(history) if len(history) < HISTORY_TABLE_ROWS * 20 else history_qs.count()
    bands = Counter()
    for past in history:
        for low, high in MAGNITUDE_BANDS:
            if past.magnitude is not None and low <= past.magnitude < high:
                bands[f"{low:g}-{high:g}"] += 1
    by_magnitude = sorted(history, key=lambda e: (-(e.magnitude or 0), e.origin_time))
    largest = list(
        largest_events_near(bureau=bureau, event=event, radius_km=options.history_radius_km, limit=5)
    )
    weather = weather_section(lon=lon, lat=lat)
    queries_s = time.perf_counter() - started
    content = {
        "event": {
            "id": event.pk,
            "public_id": event.public_id,
            "origin_time_bj": _fmt_time(event.origin_time, BEIJING),
            "origin_time_utc": _fmt_time(event.origin_time, dt.UTC),
            "latitude": event.latitude,
            "longitude": event.longitude,
            "depth_km": event.depth_km,
            "magnitude": event.magnitude,
            "magnitude_type": event.magnitude_type or "M",
            "location_name": event.location_name,
            "source": event.source or event.bureau.name_zh,
            "report_kind": event.report_kind,
            "status": event.status,
            "version": event.version,
        },
        "bureau": {
            "id": bureau.pk,
            "code": bureau.code,
            "name_zh": bureau.name_zh,
            "name_en": bureau.name_en,
        },
        "options": {
            "town_radius_km": options.town_radius_km,
            "layer_radius_km": options.layer_radius_km,
            "history_radius_km": options.history_radius_km,
            "history_min_magnitude": options.history_min_magnitude,
            "history_since": options.history_since.isoformat(),
        },
        "towns": {
            "count": len(towns),
            "rows": town_rows,
            "population_known": len(known),
            "population_sum": sum(known),
            "attribution": gazetteer.ATTRIBUTION,
            "nearest": town_rows[0] if town_rows else None,
        },
        "layers": layer_rows,
        "history": {
            "count": history_count,
            "bands": dict(bands),
            "rows": [_event_row(e, lon=lon, lat=lat) for e in history[:HISTORY_TABLE_ROWS]],
            "truncated": history_count > HISTORY_TABLE_ROWS,
            "largest": [_event_row(e, lon=lon, lat=lat) for e in largest],
            "largest_in_period": _event_row(by_magnitude[0], lon=lon, lat=lat) if by_magnitude else None,
            "points": [[round(e.longitude, 3), round(e.latitude, 3), e.magnitude] for e in history[:2000]],
        },
        "weather": weather,
        "built_at_bj": _fmt_time(dt.datetime.now(dt.UTC), BEIJING),
        "language": language,
    }
    return Built(content=content, timings={"queries": round(queries_s, 3)})


def _magnitude_size(magnitude: float | None) -> float:
    m = magnitude if magnitude is not None else 4.0
    return max(6.0, 6.0 * 2.2 ** (m - 4.0))


def draw_maps(content: dict[str, Any]) -> dict[str, bytes]:
    """The epicentre map and the historical seismicity map, as PNG bytes."""
    event = content["event"]
    options = content["options"]
    lon, lat = event["longitude"], event["latitude"]
    star = {
        "lon": lon,
        "lat": lat,
        "marker": "*",
        "size": 320,
        "color": "#e60000",
        "legend": "震中 Epicentre",
    }
    town_radius = options["town_radius_km"]
    rows = content["towns"]["rows"]
    labelled = {id(r) for r in sorted(rows, key=lambda r: -(r["population"] or 0))[:8]} | {
        id(r) for r in rows[:6]
    }
    epicentre_points = [
        {
            "lon": row["longitude"],
            "lat": row["latitude"],
            "size": 14,
            "color": "#2c3e50",
            "marker": "s",
            "label": (row["name_zh"] or row["name"]).split("（")[0] if id(row) in labelled else "",
            "legend": "乡镇 Town",
        }
        for row in rows
    ]
    colours = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22"]
    epicentre_points.extend(
        {
            "lon": near["longitude"],
            "lat": near["latitude"],
            "size": 30,
            "marker": "^",
            "color": colours[index % len(colours)],
            "legend": layer["name"],
        }
        for index, layer in enumerate(content["layers"])
        for near in layer["nearest"][:1]
    )
    epicentre = draw_map(
        extent=extent_around(lon, lat, max(town_radius, 30.0), margin=1.2),
        layer=MapLayer(
            points=[*epicentre_points, star],
            circles_km=[{"lon": lon, "lat": lat, "radius_km": town_radius, "label": f"{town_radius:g} km"}],
        ),
        title="震中位置图 Epicentre",
        highlight=[content["bureau"]["code"]],
        legend=True,
    )
    points = content["history"]["points"]
    # One scatter for all historical events (draw_map ravels the coordinates it is given):
    # thousands of single-point scatters would take seconds.
    history_points = (
        [
            {
                "lon": [p[0] for p in points],
                "lat": [p[1] for p in points],
                "size": [_magnitude_size(p[2]) for p in points],
                "color": "#f39c12",
                "legend": f"M≥{options['history_min_magnitude']:g}",
            }
        ]
        if points
        else []
    )
    history_radius = options["history_radius_km"]
    history = draw_map(
        extent=extent_around(lon, lat, history_radius, margin=1.1),
        layer=MapLayer(
            points=[*history_points, star],
            circles_km=[
                {"lon": lon, "lat": lat, "radius_km": history_radius, "label": f"{history_radius:g} km"}
            ],
        ),
        title=f"历史地震分布图 Historical seismicity (M≥{options['history_min_magnitude']:g}, "
        f"{options['history_since'][:4]}–)",
        highlight=[content["bureau"]["code"]],
        legend=True,
    )
    return {"epicentre": epicentre, "history": history}
