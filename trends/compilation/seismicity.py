"""Section 1, the seismicity of the month in the jurisdiction.

Counts by band beside the mean monthly count of the past ``TREND_MEAN_YEARS`` years of the
same area, the ten largest events (with their Gardner-Knopoff sequence, found over the
month and the 12 months before), quakes within 100 km outside the jurisdiction, the
past 12 months per month; figures: the epicentre map, the M-t diagram, the cumulative count.
"""

from __future__ import annotations

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from portal.timefmt import BEIJING
from printing.maps import MapLayer, draw_map
from printing.rendering import figure_png
from products.methods.decluster import gardner_knopoff_clusters
from trends.zone_marks import marks_for

from . import CompileContext, Compiled, Figure, compiler, queries
from .common import event_row, extent_of, jurisdiction_geojson, magnitude_size, new_plot, rings_of

if TYPE_CHECKING:
    import datetime as dt

    from catalog.models import Event

OUTSIDE_KM = 100.0
LARGEST = 10
# Quakes inside a danger zone the section lists: M >= 3.0 (smaller ones are noise for the
# zone frame), at most 30 rows (largest first).
IN_ZONE_MIN = 3.0
IN_ZONE_ROWS = 30


def _sequence_sizes(points: queries.Points) -> dict[int, int]:
    """Event id → size of its Gardner-Knopoff cluster (1: in no sequence)."""
    if not points:
        return {}
    ids = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points], dtype=float)
    lon = np.array([p[2] for p in points], dtype=float)
    times = np.array([p[3].replace(tzinfo=None) for p in points], dtype="datetime64[us]")
    mags = np.array([p[4] if p[4] is not None else np.nan for p in points], dtype=float)
    clusters = gardner_knopoff_clusters(lat, lon, times, mags)
    sizes = Counter(clusters.tolist())
    return {int(ids[i]): sizes[int(clusters[i])] for i in range(ids.size)}


def _epicentre_map(context: CompileContext, events: list[Event], top: list[Event]) -> bytes:
    geometry = jurisdiction_geojson(context.bureau)
    rings = rings_of(geometry) if geometry else []
    labelled = {e.pk: rank for rank, e in enumerate(top, 1)}
    points = [
        {
            "lon": e.longitude,
            "lat": e.latitude,
            "size": magnitude_size(e.magnitude),
            "color": "#c0392b" if e.pk in labelled else "#e67e22",
            "label": f"{labelled[e.pk]} M{e.magnitude:.1f}"
            if e.pk in labelled and e.magnitude is not None
            else "",
        }
        for e in events
    ]
    return draw_map(
        extent=extent_of(rings, [(e.longitude, e.latitude) for e in top]),
        layer=MapLayer(
            points=points, polygons=[{"rings": rings, "color": "#1f3a5f", "fill": False}] if rings else []
        ),
        title=_("Epicentres of %(month)s") % {"month": context.month.strftime("%Y-%m")},
        highlight=[context.bureau.code],
    )


def _m_t(points: queries.Points, start: dt.datetime, end: dt.datetime) -> bytes:
    figure, axes = new_plot()
    if points:
        times = [p[3].astimezone(BEIJING).replace(tzinfo=None) for p in points]
        mags = [float(p[4] or 0.0) for p in points]
        axes.vlines(times, 0, mags, color="#34495e", linewidth=0.6)
        axes.scatter(times, mags, s=6, color="#c0392b", zorder=3)
        axes.set_ylim(0, max(max(mags) + 0.5, 3.0))
    axes.set_xlim(
        start.astimezone(BEIJING).replace(tzinfo=None), end.astimezone(BEIJING).replace(tzinfo=None)
    )
    axes.set_xlabel("时间 Time (北京时间)", fontsize=8)
    axes.set_ylabel("震级 Magnitude", fontsize=8)
    axes.set_title(_("M–t diagram, past 12 months"), fontsize=10)
    axes.grid(True, linewidth=0.3)
    axes.tick_params(labelsize=7)
    figure.autofmt_xdate()
    return figure_png(figure)


def _cumulative(months: list[str], totals: list[int], m2: list[int]) -> bytes:
    figure, axes = new_plot()
    x = list(range(len(months)))
    axes.step(x, np.cumsum(totals), where="mid", label=_("all events"), color="#34495e")
    axes.step(x, np.cumsum(m2), where="mid", label="M ≥ 2.0", color="#c0392b")
    axes.set_xticks(x, months, rotation=45, fontsize=7)
    axes.set_ylabel("累积次数 Cumulative count", fontsize=8)
    axes.set_title(_("Cumulative count, past 12 months"), fontsize=10)
    axes.grid(True, linewidth=0.3)
    axes.legend(fontsize=7)
    return figure_png(figure)


@compiler("seismicity")
def compile_seismicity(context: CompileContext) -> Compiled:
    bureau, reader = context.bureau, context.reader
    start, end = queries.month_bounds(context.month)
    years = int(getattr(settings, "TREND_MEAN_YEARS", 10))
    area = queries.events_in_jurisdiction(reader, bureau)
    month_qs = queries.in_period(area, start, end)

    context.progress(5, "counts")
    counts = queries.band_counts(month_qs)
    n_events = month_qs.count()
    mean_start = queries.bjt_midnight(queries.add_months(context.month, -12 * years))
    past = queries.band_counts(queries.in_period(area, mean_start, start))
    months_n = Decimal(12 * years)
    mean_counts = {
        label: float((Decimal(past[label]) / months_n).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
        for label in queries.BAND_LABELS
    }

    context.progress(20, "largest")
    top = queries.largest(month_qs, LARGEST)
    seq_start = queries.bjt_midnight(queries.add_months(context.month, -12))
    sizes = _sequence_sizes(queries.event_points(queries.in_period(area, seq_start, end)))
    largest_rows = [
        {
            **event_row(e),
            "in_sequence": sizes.get(e.pk, 1) > 1,
            "sequence_size": sizes.get(e.pk, 1),
            "zones": marks_for(bureau, e.origin_time, e.longitude, e.latitude, e.magnitude),
        }
        for e in top
    ]

    context.progress(40, "outside")
    outside = queries.events_outside_near(reader, bureau, start, end, km=OUTSIDE_KM)
    outside_rows = [{**event_row(e), "distance_km": e.distance_km} for e in outside]  # type: ignore[attr-defined]

    context.progress(55, "monthly")
    past12_start = queries.bjt_midnight(queries.add_months(context.month, -11))
    per_month = queries.monthly_counts(area, past12_start, end)
    month_keys = [queries.add_months(context.month, -k).strftime("%Y-%m") for k in range(11, -1, -1)]
    monthly: list[dict[str, Any]] = [
        {"month": key, "n_events": per_month.get(key, (0, 0))[0], "m2": per_month.get(key, (0, 0))[1]}
        for key in month_keys
    ]

    context.progress(65, "figures")
    month_events = list(month_qs.only("id", "latitude", "longitude", "magnitude").order_by("magnitude"))
    figures = [
        Figure("epicentres", _("Epicentres of the month"), _epicentre_map(context, month_events, top)),
        Figure(
            "m_t",
            _("M–t diagram, past 12 months"),
            _m_t(queries.event_points(queries.in_period(area, past12_start, end)), past12_start, end),
        ),
        Figure(
            "cumulative",
            _("Cumulative count, past 12 months"),
            _cumulative(month_keys, [int(r["n_events"]) for r in monthly], [int(r["m2"]) for r in monthly]),
        ),
    ]
    # the month's quakes (M >= IN_ZONE_MIN) that fell inside one of the year's danger zones
    in_zones = [
        {**event_row(e), "zones": marks}
        for e in queries.in_period(area, start, end)
        .filter(magnitude__gte=IN_ZONE_MIN)
        .order_by("-magnitude")[:200]
        if (marks := marks_for(bureau, e.origin_time, e.longitude, e.latitude, e.magnitude))
    ][:IN_ZONE_ROWS]
    data: dict[str, Any] = {
        "month": context.month.strftime("%Y-%m"),
        "in_zones": in_zones,
        "period": [start.isoformat(), end.isoformat()],
        "bands": queries.BAND_LABELS,
        "counts": counts,
        "mean_counts": mean_counts,
        "mean_years": years,
        "n_events": n_events,
        "largest": largest_rows,
        "outside": outside_rows,
        "n_outside": len(outside_rows),
        "outside_km": OUTSIDE_KM,
        "monthly": monthly,
    }
    context.progress(100, "done")
    return Compiled(data=data, n_events=n_events, figures=figures)
