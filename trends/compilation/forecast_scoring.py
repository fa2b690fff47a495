"""Section 5, last month's forecast scored against this month's quakes.

The forecasts are those of the latest issued (or archived) report of a monthly meeting of
the bureau that started before this month, as the report was signed (its frozen content),
whose window overlaps the month. A quake qualifies when it lies in the jurisdiction within
the month with a magnitude (at the reported tenth) of at least the lowest forecast minimum.
A forecast is a hit when a qualifying quake lies in its region, its window (Beijing dates,
both days included) and its magnitude range (both ends included, at the tenth); a forecast
without one is a false alarm; a qualifying quake no forecast matched is a miss.

The R-score is ``products.methods.forecast.forecast_score`` (Xu Shaoxie 1989: R = hit
quakes / qualifying quakes - alarmed space-time / scored space-time), over the month and
the jurisdiction's largest polygon, as the products engine scores stored forecasts; it is
null, with the reason, without a forecast or without a qualifying quake.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.gis.geos import GEOSGeometry, Point
from django.urls import reverse
from django.utils.translation import gettext as _

from consultations.services.report_workflow import report_content
from portal.timefmt import BEIJING
from printing.maps import MapLayer, draw_map
from products.methods.errors import InsufficientData
from products.methods.forecast import forecast_score

from . import CompileContext, Compiled, Figure, compiler, queries
from .common import event_row, extent_of, jurisdiction_geojson, magnitude_size, rings_of

LIKELIHOOD_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#f1c40f"}
SCORE_PROBABILITY = {"low": 0.2, "medium": 0.5, "high": 0.8}  # as products' execution orders them


def _utc_naive(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat()


def _window(forecast: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    """[window_start 00:00 BJT, the day after window_end 00:00 BJT)."""
    first = dt.date.fromisoformat(forecast["window_start"])
    last = dt.date.fromisoformat(forecast["window_end"])
    return queries.bjt_midnight(first), queries.bjt_midnight(last + dt.timedelta(days=1))


def _matches(forecast: dict[str, Any], geometry: GEOSGeometry, event: Any, tenth: Decimal) -> bool:
    start, end = _window(forecast)
    low = Decimal(str(forecast["min_magnitude"]))
    high = Decimal(str(forecast["max_magnitude"])) if forecast.get("max_magnitude") is not None else None
    return (
        start <= event.origin_time < end
        and tenth >= low
        and (high is None or tenth <= high)
        and geometry.covers(Point(event.longitude, event.latitude, srid=4326))
    )


def _score(
    context: CompileContext,
    forecasts: list[dict[str, Any]],
    quakes: list[Any],
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[dict[str, Any] | None, str]:
    geometry = jurisdiction_geojson(context.bureau)
    if geometry is None:
        return None, _("The bureau has no jurisdiction to score over.")
    if not forecasts:
        return None, _("The conclusion has no forecast for this month.")
    if not quakes:
        return None, _("No quake of the forecast magnitudes happened in the jurisdiction this month.")
    alarms: list[dict[str, Any]] = []
    for forecast in forecasts:
        w_start, w_end = _window(forecast)
        high = forecast.get("max_magnitude")
        # the maximum is included at the reported tenth: M <= 5.9 is M < 5.95
        mag_max = float(Decimal(str(high)) + Decimal("0.05")) if high is not None else None
        alarms.extend(
            {
                "start": _utc_naive(w_start),
                "end": _utc_naive(w_end),
                "polygon": [list(p) for p in ring],
                "mag_min": float(forecast["min_magnitude"]),
                "mag_max": mag_max,
                "probability": SCORE_PROBABILITY.get(forecast.get("likelihood") or ""),
            }
            for ring in rings_of(forecast["region"])
        )
    region = max(rings_of(geometry), key=len)
    try:
        score = forecast_score(
            alarms,
            np.array([q.latitude for q in quakes], dtype=float),
            np.array([q.longitude for q in quakes], dtype=float),
            np.array(
                [q.origin_time.astimezone(dt.UTC).replace(tzinfo=None) for q in quakes],
                dtype="datetime64[us]",
            ),
            np.array([float(queries.tenths(q.magnitude) or 0) for q in quakes], dtype=float),
            region=[list(p) for p in region],
            period_start=_utc_naive(start),
            period_end=_utc_naive(end),
            mag_min=min(a["mag_min"] for a in alarms),
        )
    except InsufficientData as exc:
        return None, str(exc)
    return score, ""


def _map(
    context: CompileContext, forecasts: list[dict[str, Any]], quakes: list[Any], hit_ids: set[int]
) -> bytes:
    geometry = jurisdiction_geojson(context.bureau)
    outline = rings_of(geometry) if geometry else []
    polygons: list[dict[str, Any]] = (
        [{"rings": outline, "color": "#1f3a5f", "fill": False}] if outline else []
    )
    for index, forecast in enumerate(forecasts, 1):
        polygons.append(
            {
                "rings": rings_of(forecast["region"]),
                "color": LIKELIHOOD_COLOURS.get(forecast.get("likelihood") or "", "#c0392b"),
                "label": str(index),
            }
        )
    points = [
        {
            "lon": q.longitude,
            "lat": q.latitude,
            "size": magnitude_size(q.magnitude),
            "color": "#27ae60" if q.pk in hit_ids else "#8e44ad",
            "marker": "*",
            "label": f"M{q.magnitude:.1f}",
            "legend": _("hit") if q.pk in hit_ids else _("missed"),
        }
        for q in quakes
    ]
    rings: list[list[tuple[float, float]]] = [ring for polygon in polygons for ring in polygon["rings"]]
    return draw_map(
        extent=extent_of(rings, [(q.longitude, q.latitude) for q in quakes]),
        layer=MapLayer(points=points, polygons=polygons),
        title=_("Last month's forecast and this month's quakes"),
        highlight=[context.bureau.code],
        legend=bool(points),
    )


@compiler("last_forecast")
def compile_last_forecast(context: CompileContext) -> Compiled:
    start, end = queries.month_bounds(context.month)
    report = queries.last_monthly_report(context.reader, context.bureau, before=start)
    if report is None:
        data = {
            "state": "none",
            "message": _("No issued report of a monthly meeting before this month."),
            "forecasts": [],
            "quakes": [],
            "hits": 0,
            "misses": 0,
            "false_alarms": 0,
            "r_score": None,
            "reason": _("No forecast to score."),
        }
        return Compiled(data=data, n_events=0, figures=[])
    content = report.content if report.content else report_content(report)
    all_forecasts = content.get("forecasts", [])
    forecasts = []
    for forecast in all_forecasts:
        w_start, w_end = _window(forecast)
        if w_start < end and w_end > start:
            forecasts.append(forecast)
    lows = [Decimal(str(f["min_magnitude"])) for f in forecasts]
    quakes: list[Any] = []
    n_events = 0
    if lows and context.bureau.jurisdiction is not None:
        month_qs = queries.in_period(
            queries.events_in_jurisdiction(context.reader, context.bureau), start, end
        )
        floor = min(lows)
        candidates = queries.largest(month_qs.filter(magnitude__gte=float(floor) - 0.06), limit=10_000)
        quakes = [q for q in candidates if (queries.tenths(q.magnitude) or Decimal(-9)) >= floor]
        n_events = len(quakes)
    geometries = [GEOSGeometry(json.dumps(f["region"]), srid=4326) for f in forecasts]
    hit_ids: set[int] = set()
    forecast_rows = []
    for forecast, geometry in zip(forecasts, geometries, strict=True):
        matched = [
            q for q in quakes if _matches(forecast, geometry, q, queries.tenths(q.magnitude) or Decimal(-9))
        ]
        hit_ids.update(q.pk for q in matched)
        forecast_rows.append({**forecast, "hit": bool(matched), "quakes": [q.public_id for q in matched]})
    score, reason = _score(context, forecasts, quakes, start, end)
    hits = sum(1 for f in forecast_rows if f["hit"])
    scored: dict[str, Any] = {
        "state": "scored",
        "report": {
            "id": report.pk,
            "title": report.title,
            "number": report.number,
            "status": report.status,
            "version": report.version,
            "meeting": report.meeting_id,
            "meeting_starts_at": report.meeting.starts_at.astimezone(BEIJING).isoformat(),
            "url": reverse("consultations:report-detail", args=[report.pk]),
        },
        "forecasts": forecast_rows,
        "n_forecasts_outside_month": len(all_forecasts) - len(forecasts),
        "quakes": [{**event_row(q), "hit": q.pk in hit_ids} for q in quakes],
        "hits": hits,
        "false_alarms": len(forecast_rows) - hits,
        "misses": sum(1 for q in quakes if q.pk not in hit_ids),
        "quakes_hit": len(hit_ids),
        # of the misses, those outside every forecast region (the others fell outside a
        # region's window or magnitude range)
        "outside_regions": sum(
            1
            for q in quakes
            if not any(g.covers(Point(q.longitude, q.latitude, srid=4326)) for g in geometries)
        ),
        "r_score": score["R"] if score else None,
        "r0": score["R0"] if score else None,
        "alarm_fraction": score["alarm_fraction"] if score else None,
        "score": score,
        "reason": reason,
        "method": "R = hits / n - alarm space-time fraction (Xu Shaoxie 1989); products.methods.forecast",
    }
    figures = [
        Figure(
            "forecast_map",
            _("Forecast regions and the month's quakes"),
            _map(context, forecasts, quakes, hit_ids),
        )
    ]
    return Compiled(data=scored, n_events=n_events, figures=figures)
