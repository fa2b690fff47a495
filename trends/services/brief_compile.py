"""What a brief holds, computed from the apps below: quakes in and near the jurisdiction,
anomalies, verifications due, zero-reports, product results past a threshold, meetings.

Every read is made as the bureau reads (``portal.tenancy.bureau_reader``) through the owning
app's selectors, and narrowed to the bureau's own rows; the content is plain JSON (codes,
numbers, ISO times in UTC): labels and Beijing times are put on at rendering, in the
reader's language.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.urls import reverse

from consultations import selectors as consultation_selectors
from disciplines import selectors as discipline_selectors
from disciplines.models import Anomaly
from portal import integrity
from portal.tenancy import bureau_reader
from portal.timefmt import BEIJING
from products import selectors as product_selectors
from products.methods.registry import METHODS
from products.models import RunStatus
from trends import brief_selectors
from trends.models import DEFAULT_B_VALUE_MAX, DEFAULT_RATE_Z_MIN, BriefKind

if TYPE_CHECKING:
    from catalog.models import Event
    from portal.models import Bureau, Discipline
    from portal.tenancy import Actor
    from products.models import ProductRun
    from trends.models import BriefSettings

NEAR_KM = 100.0
QUAKES_LISTED = 50
# magnitude bands of the counts: (label, lower bound inclusive, upper bound exclusive)
BANDS: tuple[tuple[str, float | None, float | None], ...] = (
    ("<2.0", None, 2.0),
    ("2.0–2.9", 2.0, 3.0),
    ("3.0–3.9", 3.0, 4.0),
    ("4.0–4.9", 4.0, 5.0),
    ("5.0–5.9", 5.0, 6.0),
    ("≥6.0", 6.0, None),
)
NO_MAGNITUDE = "—"
PERIOD_DAYS = {BriefKind.DAILY: 1, BriefKind.WEEKLY: 7, BriefKind.DISCIPLINE: 7}


def period_of(*, kind: str, day: dt.date, daily_at: dt.time) -> tuple[dt.datetime, dt.datetime]:
    """(start, end) of the brief of ``kind`` ending on ``day`` at ``daily_at`` Beijing time:
    the 24 hours before it (daily), the 7 days before it (weekly, discipline reports)."""
    end = dt.datetime.combine(day, daily_at, tzinfo=BEIJING)
    return end - dt.timedelta(days=PERIOD_DAYS[BriefKind(kind)]), end


def band_of(magnitude: float | None) -> str:
    if magnitude is None:
        return NO_MAGNITUDE
    rounded = round(magnitude, 1)  # a 2.95 shown as 3.0 counts as 3.0
    for label, low, high in BANDS:
        if (low is None or rounded >= low) and (high is None or rounded < high):
            return label
    return NO_MAGNITUDE  # pragma: no cover - the bands cover every number


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


# --- quakes ------------------------------------------------------------------------------------


def _quake(event: Event) -> dict[str, Any]:
    distance = float(getattr(event, "distance_km", 0.0) or 0.0)
    return {
        "id": event.pk,
        "public_id": event.public_id,
        "origin_time": _iso(event.origin_time),
        "magnitude": event.magnitude,
        "magnitude_type": event.magnitude_type,
        "location_name": event.location_name,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "depth_km": event.depth_km,
        "inside": distance <= 0.0,
        "distance_km": round(distance, 1),
        "url": event.get_absolute_url(),
    }


def quakes_section(*, reader: Actor, bureau: Bureau, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """Counts by magnitude band inside the jurisdiction and within ``NEAR_KM`` of it, and the
    largest events first (at most ``QUAKES_LISTED``)."""
    labels = [label for label, _low, _high in BANDS] + [NO_MAGNITUDE]
    section: dict[str, Any] = {
        "near_km": NEAR_KM,
        "bands": labels,
        "inside": {"count": 0, "counts": dict.fromkeys(labels, 0)},
        "near": {"count": 0, "counts": dict.fromkeys(labels, 0)},
        "list": [],
        "total": 0,
        "no_jurisdiction": bureau.jurisdiction is None,
    }
    if bureau.jurisdiction is None:
        return section
    events = brief_selectors.quakes_near_area(
        actor=reader, area=bureau.jurisdiction, start=start, end=end, near_km=NEAR_KM
    )
    for event in events:
        row = _quake(event)
        where = section["inside"] if row["inside"] else section["near"]
        where["count"] += 1
        where["counts"][band_of(event.magnitude)] += 1
        if len(section["list"]) < QUAKES_LISTED:
            section["list"].append(row)
        section["total"] += 1
    return section


# --- anomalies ---------------------------------------------------------------------------------


def _anomaly(anomaly: Anomaly, *, end: dt.datetime) -> dict[str, Any]:
    overdue = (
        anomaly.state == Anomaly.State.VERIFYING
        and bool(anomaly.verify_due_at and anomaly.verify_due_at < end)
    ) or (
        anomaly.state == Anomaly.State.VERIFIED
        and bool(anomaly.assess_due_at and anomaly.assess_due_at < end)
    )
    return {
        "id": anomaly.pk,
        "discipline": anomaly.discipline.code,
        "station": anomaly.station or (anomaly.unit.name if anomaly.unit_id and anomaly.unit else ""),
        "observation_item": anomaly.observation_item,
        "onset_at": _iso(anomaly.onset_at),
        "reported_at": _iso(anomaly.created_at),
        "state": anomaly.state,
        "assignee": (anomaly.assignee.get_full_name() or anomaly.assignee.username)
        if anomaly.assignee
        else "",
        "verify_due_at": _iso(anomaly.verify_due_at),
        "assess_due_at": _iso(anomaly.assess_due_at),
        "overdue": overdue,
        "url": reverse("disciplines:anomaly-detail", args=[anomaly.pk]),
    }


def _anomalies(reader: Actor, bureau: Bureau, discipline: Discipline | None) -> Any:
    qs = discipline_selectors.anomaly_list(actor=reader).filter(bureau=bureau)
    if discipline is not None:
        qs = qs.filter(discipline=discipline)
    return qs


def overdue_q(at: dt.datetime) -> Q:
    """Anomalies past a deadline at ``at``: verification (verifying) or assessment (verified)."""
    return Q(state=Anomaly.State.VERIFYING, verify_due_at__lt=at) | Q(
        state=Anomaly.State.VERIFIED, assess_due_at__lt=at
    )


def anomalies_section(
    *, reader: Actor, bureau: Bureau, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """New anomalies (reported in the period) and the overdue ones (at the end of it)."""
    qs = _anomalies(reader, bureau, None)
    new = qs.filter(created_at__gte=start, created_at__lt=end).order_by("-created_at", "-id")
    overdue = qs.filter(overdue_q(end)).order_by("verify_due_at", "assess_due_at", "id")
    return {
        "new": [_anomaly(a, end=end) for a in new],
        "overdue": [_anomaly(a, end=end) for a in overdue],
    }


def verifications_section(*, reader: Actor, bureau: Bureau, end: dt.datetime) -> list[dict[str, Any]]:
    """Verifications assigned with a deadline within 24 hours of the brief, or past it."""
    qs = _anomalies(reader, bureau, None).filter(
        state=Anomaly.State.VERIFYING, verify_due_at__lt=end + dt.timedelta(hours=24)
    )
    return [_anomaly(a, end=end) for a in qs.order_by("verify_due_at", "id")]


def discipline_anomalies_section(
    *, reader: Actor, bureau: Bureau, discipline: Discipline, start: dt.datetime, end: dt.datetime
) -> dict[str, Any]:
    """The discipline's anomalies of the period: new, verified, under tracking (now), closed."""
    qs = _anomalies(reader, bureau, discipline)
    in_period = {"gte": start, "lt": end}
    groups = {
        "new": qs.filter(created_at__gte=in_period["gte"], created_at__lt=in_period["lt"]),
        "verified": qs.filter(verified_at__gte=in_period["gte"], verified_at__lt=in_period["lt"]),
        "tracking": qs.filter(state=Anomaly.State.TRACKING),
        "closed": qs.filter(closed_at__gte=in_period["gte"], closed_at__lt=in_period["lt"]),
    }
    return {
        key: [_anomaly(a, end=end) for a in rows.order_by("-onset_at", "-id")] for key, rows in groups.items()
    }


# --- zero-reports ------------------------------------------------------------------------------


def zero_reports_section(
    *,
    reader: Actor,
    bureau: Bureau,
    start: dt.datetime,
    end: dt.datetime,
    discipline: Discipline | None = None,
) -> dict[str, Any]:
    """The zero-reports whose deadline fell within the period, as the zero-report matrix of
    disciplines shows them at the brief's end: expected, reported, late, missing (with the
    units that missed them); and the reports of the last days not due yet (pending)."""
    units = list(discipline_selectors.unit_list(actor=reader).filter(bureau=bureau))
    if discipline is not None:
        units = [u for u in units if u.discipline_id == discipline.pk]
    # a weekly unit's Monday period is due a week after it starts: look back far enough
    first = start.astimezone(BEIJING).date() - dt.timedelta(days=7)
    last = end.astimezone(BEIJING).date()
    matrix = discipline_selectors.zero_report_matrix(
        actor=reader, units=units, start=first, end=last, now=end
    )
    missing, pending = [], []
    totals = {"expected": 0, "reported": 0, "late": 0, "missing": 0}
    by_discipline: dict[str, dict[str, int]] = {}
    due_days: set[dt.date] = set()
    for row in matrix.rows:
        unit = row.unit
        code = unit.discipline.code
        tally = by_discipline.setdefault(code, {"units": 0, "expected": 0, "reported": 0, "missing": 0})
        tally["units"] += 1
        missed, waiting = [], []
        for day, cell in zip(matrix.days, row.cells, strict=True):
            if cell == "-":
                continue
            deadline = unit.deadline_for(day)
            if deadline < start:
                continue  # an earlier brief's
            if deadline >= end:
                if cell == "p":
                    waiting.append(day.isoformat())
                continue
            due_days.add(day)
            totals["expected"] += 1
            tally["expected"] += 1
            if cell in ("o", "l", "a"):
                totals["reported"] += 1
                tally["reported"] += 1
                totals["late"] += cell == "l"
            else:
                totals["missing"] += 1
                tally["missing"] += 1
                missed.append(day.isoformat())
        entry = {"unit_id": unit.pk, "code": unit.code, "name": unit.name, "discipline": code}
        if missed:
            missing.append({**entry, "days": missed})
        if waiting:
            pending.append({**entry, "days": waiting})
    return {
        "days": [day.isoformat() for day in sorted(due_days)],
        "units": len(units),
        "expected": totals["expected"],
        "reported": totals["reported"],
        "late": totals["late"],
        "missing_count": totals["missing"],
        "completeness": round(100.0 * totals["reported"] / totals["expected"], 1)
        if totals["expected"]
        else None,
        "missing": missing,
        "pending": pending,
        "by_discipline": by_discipline,
    }


# --- products ----------------------------------------------------------------------------------


def _numbers(values: Any) -> list[float]:
    return [float(v) for v in values or [] if isinstance(v, int | float)]


def threshold_crossed(run: ProductRun, *, b_value_max: float, rate_z_min: float) -> dict[str, Any] | None:
    """What of a finished run's result crossed a threshold: {"quantity", "value", "rule",
    "threshold"}; None when nothing did (or the method has no threshold)."""
    result = run.result if isinstance(run.result, dict) else {}
    value: float | None = None
    if run.method == "bvalue":
        value = result.get("b") if isinstance(result.get("b"), int | float) else None
    elif run.method == "bvalue_series":
        series = _numbers(result.get("b"))
        value = series[-1] if series else None
    elif run.method == "bvalue_grid":
        cells = _numbers((f.get("properties") or {}).get("b") for f in result.get("features") or [])
        value = min(cells) if cells else None
    elif run.method == "rate_change":
        cells = _numbers((f.get("properties") or {}).get("z") for f in result.get("features") or [])
        z = max(cells, key=abs) if cells else None
        if z is not None and abs(z) >= rate_z_min:
            return {"quantity": "Z", "value": round(z, 2), "rule": "abs_ge", "threshold": rate_z_min}
        return None
    if value is not None and value <= b_value_max:
        return {"quantity": "b", "value": round(float(value), 3), "rule": "le", "threshold": b_value_max}
    return None


def _run(run: ProductRun, crossed: dict[str, Any] | None) -> dict[str, Any]:
    method = METHODS.get(run.method)
    return {
        "id": run.pk,
        "method": run.method,
        "title_zh": method.title_zh if method else run.method,
        "title_en": method.title_en if method else run.method,
        "discipline": method.discipline if method else "",
        "finished_at": _iso(run.finished_at),
        "input_count": run.input_count,
        "crossed": crossed,
        "url": run.get_absolute_url(),
    }


def products_section(
    *,
    reader: Actor,
    bureau: Bureau,
    start: dt.datetime,
    end: dt.datetime,
    options: BriefSettings,
    discipline: Discipline | None = None,
) -> dict[str, Any]:
    """The runs that succeeded in the period; ``crossed``: those whose result passed a threshold."""
    runs = (
        product_selectors.run_list(actor=reader)
        .filter(bureau=bureau, status=RunStatus.SUCCEEDED, finished_at__gte=start, finished_at__lt=end)
        .order_by("-finished_at", "-id")
    )
    rows = []
    for run in runs:
        method = METHODS.get(run.method)
        if discipline is not None and (method is None or method.discipline != discipline.code):
            continue
        crossed = threshold_crossed(run, b_value_max=options.b_value_max, rate_z_min=options.rate_z_min)
        rows.append(_run(run, crossed))
    return {"runs": rows, "crossed": [row for row in rows if row["crossed"]], "count": len(rows)}


# --- meetings ----------------------------------------------------------------------------------


def meetings_section(*, reader: Actor, end: dt.datetime) -> list[dict[str, Any]]:
    """The meetings starting on the brief's day (Beijing time), own and joint ones."""
    day = end.astimezone(BEIJING).date()
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=BEIJING)
    meetings = consultation_selectors.meeting_list(
        actor=reader, start=midnight, end=midnight + dt.timedelta(days=1)
    ).order_by("starts_at", "id")
    return [
        {
            "id": m.pk,
            "title": m.title,
            "kind": m.kind,
            "starts_at": _iso(m.starts_at),
            "place": m.place,
            "bureau": m.bureau.code,
            "url": m.get_absolute_url(),
        }
        for m in meetings
    ]


# --- the audit chain's anchor ------------------------------------------------------------------


def audit_anchor_section(*, end: dt.datetime) -> dict[str, Any] | None:
    """The anchor of the last whole Beijing day before the brief's end (portal.audit_chain): the
    audit chain's last record of that day and its hash, printed so that a copy outside the
    database can later show that the trail up to it was not rewritten. None before the chain
    has a record (or in the first minutes after midnight, before the day is anchored)."""
    day = (end - dt.timedelta(days=1)).astimezone(BEIJING).date()
    anchor = integrity.anchor_for(day=day)
    if anchor is None:
        return None
    return {"day": anchor.day.isoformat(), "seq": anchor.seq, "hash": anchor.hash}


# --- the whole content -------------------------------------------------------------------------


def brief_content(
    *,
    bureau: Bureau,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    options: BriefSettings,
    discipline: Discipline | None = None,
) -> dict[str, Any]:
    """The content of a brief of ``kind`` for ``bureau`` and the period ``[start, end)``."""
    reader = bureau_reader(bureau)
    content: dict[str, Any] = {
        "kind": kind,
        "bureau": {"code": bureau.code, "name_zh": bureau.name_zh, "name_en": bureau.name_en},
        "period": {"start": _iso(start), "end": _iso(end)},
        "thresholds": {
            "b_value_max": options.b_value_max if options.b_value_max is not None else DEFAULT_B_VALUE_MAX,
            "rate_z_min": options.rate_z_min if options.rate_z_min is not None else DEFAULT_RATE_Z_MIN,
            "near_km": NEAR_KM,
        },
    }
    if kind == BriefKind.DISCIPLINE:
        assert discipline is not None  # noqa: S101 - the model's constraint says so too
        content["discipline"] = {
            "code": discipline.code,
            "name_zh": discipline.name_zh,
            "name_en": discipline.name_en,
        }
        content["anomalies"] = discipline_anomalies_section(
            reader=reader, bureau=bureau, discipline=discipline, start=start, end=end
        )
        content["products"] = products_section(
            reader=reader, bureau=bureau, start=start, end=end, options=options, discipline=discipline
        )
        content["zero_reports"] = zero_reports_section(
            reader=reader, bureau=bureau, start=start, end=end, discipline=discipline
        )
        return content
    content["quakes"] = quakes_section(reader=reader, bureau=bureau, start=start, end=end)
    content["anomalies"] = anomalies_section(reader=reader, bureau=bureau, start=start, end=end)
    content["verifications_due"] = verifications_section(reader=reader, bureau=bureau, end=end)
    content["zero_reports"] = zero_reports_section(reader=reader, bureau=bureau, start=start, end=end)
    content["products"] = products_section(
        reader=reader, bureau=bureau, start=start, end=end, options=options
    )
    content["meetings"] = meetings_section(reader=reader, end=end)
    if kind == BriefKind.DAILY:
        content["audit_anchor"] = audit_anchor_section(end=end)
    return content
