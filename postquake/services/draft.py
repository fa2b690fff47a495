"""The first draft of a post-quake opinion: sections 1-8 of issue 15 as data (JSON).

Each section is computed on its own: one that cannot be computed carries
``{"ok": false, "reason": ...}`` and the others go on. The science is in ``postquake.science``
and ``products.methods`` (sequence type, Omori-Utsu MLE, b-value).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from portal import search_services
from postquake import science
from postquake.models import DraftStatus, PostQuakeCase
from postquake.selectors import case_get_for_worker, events_around, settings_for, topic_report_for
from products.methods.bvalue import bvalue
from products.methods.omori import omori
from products.methods.sequence import sequence_type

from .proposals import opinion_first_propose

if TYPE_CHECKING:
    from collections.abc import Callable

    from catalog.models import Event
    from portal.models import Bureau

logger = logging.getLogger(__name__)

ANALOGUE_RADIUS_KM = 200.0
NEARBY_KM = 100.0
DAY = dt.timedelta(days=1)


def _days(since: dt.datetime, times: list[dt.datetime]) -> np.ndarray:
    return np.array([(t - since).total_seconds() / 86400.0 for t in times], dtype=float)


def _event(event: Event) -> dict[str, Any]:
    return {
        "public_id": event.public_id,
        "origin_time": event.origin_time.isoformat(),
        "latitude": event.latitude,
        "longitude": event.longitude,
        "depth_km": event.depth_km,
        "magnitude": event.magnitude,
        "magnitude_type": event.magnitude_type,
        "place": event.location_name,
    }


class Context:
    """What every section reads, fetched once."""

    def __init__(self, case: PostQuakeCase, now: dt.datetime) -> None:
        self.case = case
        self.bureau: Bureau = case.bureau
        self.event: Event = case.event
        self.mm = float(case.event.magnitude or 0.0)
        self.now = now
        self.settings = settings_for(bureau=self.bureau)
        self.zone_km = science.zone_radius_km(self.mm)
        zone = events_around(
            bureau=self.bureau,
            event=self.event,
            radius_km=self.zone_km,
            since=self.event.origin_time - 30 * DAY,
        ).filter(origin_time__lte=now)
        rows = [e for e in zone if e.pk != self.event.pk]
        self.aftershocks = [e for e in rows if e.origin_time >= self.event.origin_time]
        self.foreshocks = [e for e in rows if e.origin_time < self.event.origin_time]
        self.elapsed_days = max((now - self.event.origin_time).total_seconds() / 86400.0, 0.0)


def _parameters(ctx: Context) -> dict[str, Any]:

    return {
        "event": _event(ctx.event),
        "topic_report": _topic_report(ctx),
    }


def _topic_report(ctx: Context) -> dict[str, Any] | None:
    report = topic_report_for(bureau=ctx.bureau, event=ctx.event)
    if report is None:
        return None
    return {"id": report.pk, "url": report.get_absolute_url()}  # type: ignore[attr-defined]


#: At most this many of the sequence's events are kept in the draft for its figures (map,
#: magnitude-time, cumulative count): when there are more, those above the magnitude of the
#: MAX-th largest, so every event at or above the smallest kept magnitude is there.
MAX_FIGURE_EVENTS = 2000


def _points(ctx: Context) -> dict[str, Any]:
    """The foreshocks and aftershocks as [days after the mainshock, lon, lat, M], in time order."""
    events = [*ctx.foreshocks, *ctx.aftershocks]
    kept = events
    if len(events) > MAX_FIGURE_EVENTS:
        cut = sorted((e.magnitude or 0.0 for e in events), reverse=True)[MAX_FIGURE_EVENTS - 1]
        kept = [e for e in events if (e.magnitude or 0.0) > cut]
    main = ctx.event.origin_time
    return {
        "events": [
            [
                round((e.origin_time - main).total_seconds() / 86400.0, 6),
                round(e.longitude, 4),
                round(e.latitude, 4),
                e.magnitude,
            ]
            for e in kept
        ],
        "events_total": len(events),
        "events_min_magnitude": min((e.magnitude or 0.0 for e in kept), default=None),
    }


def _sequence(ctx: Context) -> dict[str, Any]:
    largest = max(ctx.aftershocks, key=lambda e: e.magnitude or 0.0, default=None)
    return {
        "zone_radius_km": round(ctx.zone_km, 1),
        "zone_rule": "max(10 km, L), log10 L = -3.22 + 0.69 M (Wells and Coppersmith 1994)",
        "count": len(ctx.aftershocks),
        "largest": _event(largest) if largest is not None else None,
        "foreshocks": len(ctx.foreshocks),
        **_points(ctx),
    }


def _sequence_type(ctx: Context) -> dict[str, Any]:
    events = [*ctx.foreshocks, ctx.event, *ctx.aftershocks]
    if len(events) < 2:
        return {"ok": False, "reason": "no aftershock yet: the type cannot be told", "type": None}
    result = sequence_type(
        [e.magnitude for e in events], _days(ctx.event.origin_time, [e.origin_time for e in events])
    )
    n = len(events)
    # How sure: the type is read off the two largest events; with few events the second
    # largest is still likely to change (a stated rule of thumb, not a probability).
    confidence = "low" if n < 10 else ("medium" if n < 50 else "high")
    return {
        "ok": True,
        "type": result["type"],
        "confidence": confidence,
        "n_events": n,
        "criteria": result["criteria"],
    }


def _bath(ctx: Context) -> dict[str, Any]:
    return {"max_aftershock": science.bath_max_aftershock(ctx.mm), "source": "Båth 1965: Mm - 1.2"}


def _probabilities(ctx: Context) -> dict[str, Any]:
    s = ctx.settings
    generic = science.RJParameters(a=s.rj_a, b=s.rj_b, p=s.rj_p, c=s.rj_c, source="generic")
    out: dict[str, Any] = {
        "parameters": generic.as_dict(),
        "probabilities": science.probability_table(ctx.mm, ctx.elapsed_days, generic),
        "fitted": None,
    }
    if len(ctx.aftershocks) < s.min_fit_events:
        out["fitted_reason"] = f"{len(ctx.aftershocks)} aftershocks; a fit needs {s.min_fit_events}"
        return out
    try:
        mags = np.array([e.magnitude for e in ctx.aftershocks], dtype=float)
        times = _days(ctx.event.origin_time, [e.origin_time for e in ctx.aftershocks])
        b = bvalue(mags, min_events=s.min_fit_events)
        mc = float(b["mc"])
        fit = omori(times[mags >= mc - 1e-9], t_end=max(ctx.elapsed_days, float(times.max())))
        a = science.a_from_omori(float(fit["K"]), float(b["b"]), ctx.mm, mc)
        fitted = science.RJParameters(
            a=a, b=float(b["b"]), p=float(fit["p"]), c=float(fit["c"]), source="fitted"
        )
        out["fitted"] = {
            "mc": mc,
            "parameters": fitted.as_dict(),
            "probabilities": science.probability_table(ctx.mm, ctx.elapsed_days, fitted),
        }
    except (ValueError, ArithmeticError) as exc:  # the method says why (InsufficientData: too few above Mc)
        out["fitted_reason"] = str(exc)
    return out


def _analogues(ctx: Context) -> dict[str, Any]:
    earlier = (
        events_around(bureau=ctx.bureau, event=ctx.event, radius_km=ANALOGUE_RADIUS_KM)
        .filter(magnitude__gte=ctx.mm - 1.0, origin_time__lt=ctx.event.origin_time - DAY)
        .order_by("-magnitude", "-origin_time")[:10]
    )
    rows = []
    for quake in earlier:
        zone = science.zone_radius_km(float(quake.magnitude or 0.0))
        after = (
            events_around(bureau=ctx.bureau, event=quake, radius_km=zone, since=quake.origin_time)
            .filter(origin_time__lte=quake.origin_time + 30 * DAY)
            .exclude(pk=quake.pk)
        )
        largest = after.order_by("-magnitude").first()
        rows.append(
            {
                "event": _event(quake),
                "aftershocks_30d": after.count(),
                "largest_aftershock": largest.magnitude if largest is not None else None,
            }
        )
    return {"radius_km": ANALOGUE_RADIUS_KM, "min_magnitude": round(ctx.mm - 1.0, 1), "analogues": rows}


def _faults(ctx: Context) -> dict[str, Any]:
    from reports.selectors import layers_near

    summaries = layers_near(
        bureau_id=ctx.bureau.pk, lon=ctx.event.longitude, lat=ctx.event.latitude, radius_km=NEARBY_KM
    )
    faults = [
        {
            "layer": summary.layer.name,
            "name": str(near.obj),
            "offset": near.offset.label(),
            "distance_km": round(near.offset.distance_km, 2),
            "bearing_deg": round(near.offset.bearing_deg, 1),
            "longitude": round(near.longitude, 5),
            "latitude": round(near.latitude, 5),
            "geometry": _simplified(near.obj.geometry),
        }
        for summary in summaries
        if summary.layer.kind == "fault"
        for near in summary.nearest
    ]
    mechanisms = [
        {**_event(e), "strike": e.strike, "dip": e.dip, "rake": e.rake}
        for e in events_around(bureau=ctx.bureau, event=ctx.event, radius_km=NEARBY_KM).filter(
            strike__isnull=False
        )[:20]
    ]
    return {"radius_km": NEARBY_KM, "faults": faults, "focal_mechanisms": mechanisms}


#: Fault traces kept in the draft are simplified to about this many degrees (~200 m): enough
#: for the map of the epicentral area, and a long fault stays small.
SIMPLIFY_DEGREES = 0.002


def _simplified(geometry: Any) -> dict[str, Any] | None:
    """The feature's geometry as GeoJSON, simplified for the case's map (None when empty)."""
    if geometry is None or geometry.empty:
        return None
    shape = geometry.simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    geojson: dict[str, Any] = json.loads(shape.geojson)
    return geojson


def _regional(ctx: Context) -> dict[str, Any]:
    start = ctx.event.origin_time - 5 * 365 * DAY
    region = list(
        events_around(bureau=ctx.bureau, event=ctx.event, radius_km=ANALOGUE_RADIUS_KM, since=start)
        .filter(origin_time__lt=ctx.event.origin_time)
        .values_list("magnitude", "origin_time")
    )
    recent = sum(1 for _m, t in region if t >= ctx.event.origin_time - 30 * DAY)
    year = sum(
        1 for _m, t in region if ctx.event.origin_time - 395 * DAY <= t < ctx.event.origin_time - 30 * DAY
    )
    out: dict[str, Any] = {
        "radius_km": ANALOGUE_RADIUS_KM,
        "n_events": len(region),
        "last_30_days": recent,
        "mean_30_days_before": round(year * 30.0 / 365.0, 2),
    }
    try:
        result = bvalue(np.array([m for m, _t in region], dtype=float))
        out.update({"ok": True, "b": result["b"], "b_err": result["b_err"], "mc": result["mc"]})
    except (ValueError, ArithmeticError) as exc:  # InsufficientData says how many it needs
        out.update({"ok": False, "reason": str(exc)})
    return out


SECTIONS: list[tuple[str, Callable[[Context], dict[str, Any]]]] = [
    ("event", _parameters),
    ("sequence", _sequence),
    ("sequence_type", _sequence_type),
    ("bath", _bath),
    ("probabilities", _probabilities),
    ("analogues", _analogues),
    ("faults", _faults),
    ("regional", _regional),
]


def draft_compute(case: PostQuakeCase, now: dt.datetime | None = None) -> dict[str, Any]:
    """The draft's sections; a failing section says why and the others go on."""
    now = now or timezone.now()
    ctx = Context(case, now)
    draft: dict[str, Any] = {
        "computed_at": now.isoformat(),
        "elapsed_days": round(ctx.elapsed_days, 4),
        # which solution of the event it describes (a later version is drafted again: case_open)
        "event_version": ctx.event.version,
    }
    for key, section in SECTIONS:
        try:
            draft[key] = section(ctx)
        except Exception as exc:
            logger.exception("post-quake draft section %s of case %s failed", key, case.pk)
            draft[key] = {"ok": False, "reason": str(exc)}
    return draft


def draft_build(*, case_id: int, now: dt.datetime | None = None) -> PostQuakeCase | None:
    """Compute and store the case's draft (the task ``postquake.draft_case``); the first time,
    propose opinion No. 1 from it (``proposals.opinion_first_propose``)."""
    case = case_get_for_worker(case_id=case_id)
    if case is None:
        return None
    draft = draft_compute(case, now)
    with transaction.atomic():
        stored = (
            PostQuakeCase.objects.select_for_update()
            .filter(pk=case.pk)
            .values_list("draft", flat=True)
            .first()
        )
        # Two drafts of one case may run at once (a new version of the event arrived while the
        # first was computing): the one of the earlier version must not overwrite the other.
        if ((stored or {}).get("event_version") or 0) <= draft["event_version"]:
            PostQuakeCase.objects.filter(pk=case.pk).update(
                draft=draft, draft_status=DraftStatus.DONE, drafted_at=timezone.now(), draft_error=""
            )
            search_services.reindex_on_commit("postquake_case", case.pk)  # the draft is searched
        opinion_first_propose(case_id=case.pk)
    case.refresh_from_db()
    return case
