"""Writes of danger zones: entry and change, publication through the workflow engine, links to
anomalies, runs and meetings, the tracking plan, quarterly tracking reports and the year-end
score. Every write checks its permission (403) after the read that found the row (404)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.exceptions import InvalidInput, InvalidTransition, PermissionDenied
from portal.geo import parse_area
from portal.models import Bureau, User
from portal.selectors import person_can
from portal.services import audit_record
from portal.validators import clean_title
from portal.workflow import transition

from . import scoring, selectors
from .models import (
    LEVEL_PROBABILITY,
    DangerZone,
    Frequency,
    TrackingPlan,
    TrackingReport,
    ZoneAnomaly,
    ZoneLevel,
    ZoneMeeting,
    ZoneOrigin,
    ZoneProductRun,
)
from .permissions import can_create_zone, can_manage_zone, can_track_zone, can_write_report
from .workflows import REPORT_WORKFLOW, ZONE_WORKFLOW

if TYPE_CHECKING:
    import datetime as dt

    from django.contrib.gis.geos import Polygon

    from consultations.models import Meeting
    from disciplines.models import Anomaly
    from portal.tenancy import Actor
    from products.models import ProductRun

MAX_VERTICES = 500


# ---------------------------------------------------------------- input


def parse_polygon(value: Any, *, field: str = "polygon") -> Polygon:
    """One polygon from GeoJSON, valid, of at most ``MAX_VERTICES`` vertices, in or near China."""
    area = parse_area(value, field=field)
    if len(area) != 1:
        raise InvalidInput(_("A danger zone is one polygon."), field=field)
    polygon = area[0]
    if polygon.num_coords > MAX_VERTICES:
        raise InvalidInput(_("At most %(n)d vertices.") % {"n": MAX_VERTICES}, field=field)
    centroid = polygon.centroid
    if not (60.0 <= centroid.x <= 150.0 and 0.0 <= centroid.y <= 60.0):
        raise InvalidInput(_("A danger zone lies in or near China."), field=field)
    return polygon


def parse_magnitude(value: Any, *, field: str, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("This field is required."), field=field)
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("A magnitude such as 6.0."), field=field) from None
    if not Decimal("3.0") <= number <= Decimal("9.5"):
        raise InvalidInput(_("A magnitude between 3.0 and 9.5."), field=field)
    return number


def parse_year(value: Any, *, field: str = "year") -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("A year such as 2026."), field=field) from None
    now = selectors.current_year()
    if not now - 10 <= year <= now + 1:
        raise InvalidInput(_("A year from ten years back to next year."), field=field)
    return year


def _clean(actor: Actor, data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if not partial or "year" in data:
        clean["year"] = parse_year(data.get("year"))
    if not partial or "name" in data:
        clean["name"] = clean_title(data.get("name"), field="name", max_length=120)
    if not partial or "polygon" in data:
        clean["polygon"] = parse_polygon(data.get("polygon"))
    if not partial or "min_magnitude" in data:
        clean["min_magnitude"] = parse_magnitude(data.get("min_magnitude"), field="min_magnitude")
    if not partial or "max_magnitude" in data:
        clean["max_magnitude"] = parse_magnitude(
            data.get("max_magnitude"), field="max_magnitude", required=False
        )
    if not partial or "level" in data:
        level = data.get("level") or ZoneLevel.MEDIUM
        if level not in ZoneLevel.values:
            raise InvalidInput(_("Choose a level."), field="level")
        clean["level"] = level
    if "basis" in data:
        basis = data.get("basis") or ""
        if not isinstance(basis, str) or len(basis) > 20000:
            raise InvalidInput(_("At most 20000 characters."), field="basis")
        clean["basis"] = basis.strip()
    if "bureaus" in data:
        codes = data.get("bureaus") or []
        if isinstance(codes, str):
            codes = [c for c in codes.replace(",", " ").split() if c]
        found = list(Bureau.objects.filter(code__in=codes, is_active=True))
        unknown = sorted(set(codes) - {b.code for b in found})
        if unknown:
            raise InvalidInput(
                _("Unknown bureau: %(codes)s.") % {"codes": ", ".join(unknown)}, field="bureaus"
            )
        clean["bureaus"] = found
    if "meeting" in data:
        clean["meeting"] = _annual_meeting(actor, data.get("meeting"))
    return clean


def _annual_meeting(actor: Actor, value: Any) -> Meeting | None:
    if value in (None, ""):
        return None
    try:
        meeting_id = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(_("Choose an annual consultation."), field="meeting") from None
    meeting = selectors.annual_meetings(actor=actor).filter(pk=meeting_id).first() if meeting_id > 0 else None
    if meeting is None:
        raise InvalidInput(_("Choose an annual consultation of your bureau."), field="meeting")
    return meeting


def _check_range(zone: DangerZone) -> None:
    if zone.max_magnitude is not None and zone.max_magnitude < zone.min_magnitude:
        raise InvalidInput(_("The maximum is below the minimum."), field="max_magnitude")


# ---------------------------------------------------------------- zones


@transaction.atomic
def zone_create(*, actor: Actor, **data: Any) -> DangerZone:
    """Enter a zone (CENC's forecasters, chairs and admins a national one, a province its own).
    From an annual consultation's conclusion when ``meeting`` names one."""
    if not can_create_zone(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only forecasters, chairs and bureau admins enter danger zones."))
    clean = _clean(actor, data, partial=False)
    bureaus = clean.pop("bureaus", [])
    meeting = clean.get("meeting")
    zone = DangerZone(
        bureau=actor.bureau,
        created_by=actor.user,
        status=DangerZone.Status.DRAFT,
        origin=ZoneOrigin.ANNUAL_MEETING if meeting is not None else ZoneOrigin.ENTERED,
        **clean,
    )
    _check_range(zone)
    zone.save()
    zone.bureaus.set(bureaus)
    audit_record(actor=actor, action="danger_zone.create", target=zone, extra={"year": zone.year})
    return zone


@transaction.atomic
def zone_update(*, actor: Actor, zone: DangerZone, **data: Any) -> DangerZone:
    """Change a draft; a published zone keeps its polygon and range (it is what is scored),
    only its basis and responsible bureaus change."""
    locked = ZONE_WORKFLOW.lock(actor, zone)
    if not can_manage_zone(actor, locked):
        raise PermissionDenied(_("Only the zone's bureau changes it."))
    clean = _clean(actor, data, partial=True)
    if locked.status != DangerZone.Status.DRAFT:
        fixed = sorted(set(clean) - {"basis", "bureaus"})
        if fixed:
            raise InvalidTransition(
                _("This danger zone is %(state)s; only its basis and bureaus change.")
                % {"state": locked.get_status_display()},
                field=fixed[0],
            )
    bureaus = clean.pop("bureaus", None)
    if "meeting" in clean:
        locked.origin = ZoneOrigin.ANNUAL_MEETING if clean["meeting"] is not None else ZoneOrigin.ENTERED
    for name, value in clean.items():
        setattr(locked, name, value)
    _check_range(locked)
    locked.save()
    if bureaus is not None:
        locked.bureaus.set(bureaus)
    audit_record(actor=actor, action="danger_zone.update", target=locked, extra={"fields": sorted(data)})
    return locked


def zone_move(*, actor: Actor, zone: DangerZone, action: str, comment: str = "") -> DangerZone:
    """Publish or withdraw (score: ``zones_score_year``)."""
    if action not in ("publish", "withdraw"):
        raise InvalidInput(_("Unknown action."), field="action")
    stamps: dict[str, Any] = {"published_at": timezone.now()} if action == "publish" else {}
    return transition(zone, action, actor, comment, workflow=ZONE_WORKFLOW, **stamps)


# ---------------------------------------------------------------- links


def _require_tracker(actor: Actor, zone: DangerZone) -> None:
    if not can_track_zone(actor, zone):
        raise PermissionDenied(
            _("Only forecasters, chairs and experts of the bureaus tracking the zone link material to it.")
        )


def _link(actor: Actor, zone: DangerZone, link: type[models.Model], **target: models.Model) -> bool:
    """Link one row (``anomaly=…``, ``run=…``, ``meeting=…``) to the zone through its link
    model, audited; False when it was linked already (the link's unique constraint)."""
    _require_tracker(actor, zone)
    try:
        with transaction.atomic():
            link._default_manager.create(zone=zone, linked_by=actor.user, **target)
    except IntegrityError:
        return False
    audit_record(
        actor=actor, action="danger_zone.link", target=zone, extra={k: v.pk for k, v in target.items()}
    )
    return True


@transaction.atomic
def zone_link_anomaly(*, actor: Actor, zone: DangerZone, anomaly: Anomaly) -> bool:
    """Link an anomaly (read through the caller's selector) to a zone; False if it was linked."""
    return _link(actor, zone, ZoneAnomaly, anomaly=anomaly)


@transaction.atomic
def zone_unlink_anomaly(*, actor: Actor, zone: DangerZone, anomaly: Anomaly) -> None:
    _require_tracker(actor, zone)
    if ZoneAnomaly.objects.filter(zone=zone, anomaly=anomaly).delete()[0]:
        audit_record(actor=actor, action="danger_zone.unlink", target=zone, extra={"anomaly": anomaly.pk})


@transaction.atomic
def zone_link_run(*, actor: Actor, zone: DangerZone, run: ProductRun) -> bool:
    return _link(actor, zone, ZoneProductRun, run=run)


@transaction.atomic
def zone_link_meeting(*, actor: Actor, zone: DangerZone, meeting: Meeting) -> bool:
    """A consultation (a joint one of the tectonic zone) that concerns the zone."""
    return _link(actor, zone, ZoneMeeting, meeting=meeting)


# ---------------------------------------------------------------- the tracking plan


def _ids(values: Any, *, field: str) -> list[int]:
    if values in (None, ""):
        return []
    if not isinstance(values, (list, tuple)):
        values = [values]
    out = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise InvalidInput(_("Not an id: %(value)s.") % {"value": str(value)[:20]}, field=field) from None
        if not 0 < number < 2**63:
            raise InvalidInput(_("Not an id: %(value)s.") % {"value": number}, field=field)
        out.append(number)
    return out


@transaction.atomic
def plan_save(*, actor: Actor, zone: DangerZone, **data: Any) -> TrackingPlan:
    """The actor's bureau's plan for the zone: what to watch (channels, items, scheduled
    products and flows, catalogs), who and how often. Each chosen row is the bureau's own."""
    _require_tracker(actor, zone)
    frequency = data.get("frequency") or Frequency.WEEKLY
    if frequency not in Frequency.values:
        raise InvalidInput(_("Choose how often."), field="frequency")
    texts = {}
    for name in ("items", "catalogs", "notes"):
        text = data.get(name) or ""
        if not isinstance(text, str) or len(text) > 5000:
            raise InvalidInput(_("At most 5000 characters."), field=name)
        texts[name] = text.strip()
    picked: dict[str, list[Any]] = {}
    for name, finder in (
        ("channels", selectors.channels_by_ids),
        ("schedules", selectors.schedules_by_ids),
        ("flows", selectors.flows_by_ids),
    ):
        ids = _ids(data.get(name), field=name)
        rows = finder(actor=actor, ids=ids)
        if len(rows) != len(set(ids)):
            raise InvalidInput(_("Choose only your bureau's own."), field=name)
        picked[name] = rows
    watchers: list[User] = []
    for user_id in _ids(data.get("watchers"), field="watchers"):
        user = User.objects.filter(pk=user_id).first()
        if user is None or actor.bureau_id is None or not person_can(user=user, bureau_ids=[actor.bureau_id]):
            raise InvalidInput(_("Choose people of your bureau."), field="watchers")
        watchers.append(user)
    plan = TrackingPlan.objects.select_for_update().filter(zone=zone, bureau=actor.bureau).first()
    if plan is None:
        plan = TrackingPlan(zone=zone, bureau=actor.bureau)
    plan.frequency = frequency
    plan.updated_by = actor.user
    for name, value in texts.items():
        setattr(plan, name, value)
    plan.save()
    plan.channels.set(picked["channels"])
    plan.schedules.set(picked["schedules"])
    plan.flows.set(picked["flows"])
    plan.watchers.set(watchers or [actor.user])
    audit_record(actor=actor, action="danger_zone.plan", target=zone, extra={"plan": plan.pk})
    return plan


CRON_OF = {Frequency.DAILY: ("*", "*"), Frequency.WEEKLY: ("1", "*"), Frequency.MONTHLY: ("*", "1")}


def plan_add_schedule(*, actor: Actor, zone: DangerZone, method: str = "bvalue") -> TrackingPlan:
    """A scheduled product over the zone's extent at the plan's frequency (the products
    engine's own schedules run it on beat), added to the bureau's plan."""
    from products.services.schedules import schedule_create

    _require_tracker(actor, zone)
    plan = selectors.plan_of_bureau(actor=actor, zone=zone) or plan_save(actor=actor, zone=zone)
    xmin, ymin, xmax, ymax = zone.polygon.extent
    day_of_week, day_of_month = CRON_OF[Frequency(plan.frequency)]
    with transaction.atomic():
        schedule = schedule_create(
            actor=actor,
            name=clean_title(f"{zone.year} {zone.name} {method}"[:120], field="method", max_length=120),
            method=method,
            params={},
            catalog={
                "minlatitude": round(ymin, 4),
                "maxlatitude": round(ymax, 4),
                "minlongitude": round(xmin, 4),
                "maxlongitude": round(xmax, 4),
                "days": 365,
            },
            minute="0",
            hour="7",
            day_of_week=day_of_week,
            day_of_month=day_of_month,
            month_of_year="*",
            is_enabled=True,
        )
        plan.schedules.add(schedule)
        audit_record(actor=actor, action="danger_zone.plan", target=zone, extra={"schedule": schedule.pk})
    return plan


# ---------------------------------------------------------------- tracking reports


@transaction.atomic
def report_create(*, actor: Actor, zone: DangerZone, year: Any, quarter: Any) -> TrackingReport:
    """Draft the bureau's quarterly tracking report of the zone (one per quarter)."""
    _require_tracker(actor, zone)
    try:
        quarter_n = int(quarter)
    except (TypeError, ValueError):
        quarter_n = 0
    if quarter_n not in (1, 2, 3, 4):
        raise InvalidInput(_("A quarter from 1 to 4."), field="quarter")
    year_n = parse_year(year)
    if actor.bureau is None:
        raise PermissionDenied(_("Act in a bureau to write a tracking report."))
    if TrackingReport.objects.filter(zone=zone, bureau=actor.bureau, year=year_n, quarter=quarter_n).exists():
        raise InvalidInput(_("Your bureau has a report of this quarter already."), field="quarter")
    report = TrackingReport.objects.create(
        bureau=actor.bureau,
        zone=zone,
        year=year_n,
        quarter=quarter_n,
        title=_("Tracking report of %(zone)s, %(year)s Q%(quarter)s")
        % {"zone": zone.name, "year": year_n, "quarter": quarter_n},
        status=TrackingReport.Status.DRAFT,
        created_by=actor.user,
        body=_draft_body(actor, zone, year_n, quarter_n),
    )
    audit_record(actor=actor, action="tracking_report.create", target=report)
    return report


def _draft_body(actor: Actor, zone: DangerZone, year: int, quarter: int) -> str:
    """A first draft: the linked anomalies and product runs the reader may see."""
    anomalies = list(selectors.zone_anomalies(actor=actor, zone=zone)[:20])
    runs = list(selectors.zone_runs(actor=actor, zone=zone)[:20])
    lines = [_("Linked anomalies: %(n)d.") % {"n": len(anomalies)}]
    lines += [f"- #{a.pk} {a.place} {a.observation_item}" for a in anomalies]
    lines.append(_("Linked product runs: %(n)d.") % {"n": len(runs)})
    lines += [f"- {r}" for r in runs]
    return "\n".join(lines)


@transaction.atomic
def report_update(*, actor: Actor, report: TrackingReport, **data: Any) -> TrackingReport:
    locked = REPORT_WORKFLOW.lock(actor, report)
    if not can_write_report(actor, locked):
        raise PermissionDenied(_("Only forecasters and chairs of the report's bureau edit it."))
    if locked.status != TrackingReport.Status.DRAFT:
        raise InvalidTransition(
            _("This tracking report is %(state)s; only a draft is edited.")
            % {"state": locked.get_status_display()},
            field="status",
        )
    if "title" in data:
        locked.title = clean_title(data.get("title"), field="title", max_length=200)
    for name in ("body", "judgement"):
        if name in data:
            text = data.get(name) or ""
            if not isinstance(text, str) or len(text) > 50000:
                raise InvalidInput(_("At most 50000 characters."), field=name)
            setattr(locked, name, text)
    locked.save()
    audit_record(actor=actor, action="tracking_report.update", target=locked)
    return locked


def report_move(*, actor: Actor, report: TrackingReport, action: str, comment: str = "") -> TrackingReport:
    if action not in REPORT_WORKFLOW.transitions:
        raise InvalidInput(_("Unknown action."), field="action")
    stamps: dict[str, Any] = {}
    if action == "issue":
        stamps = {"issued_by": actor.user, "issued_at": timezone.now()}
    moved = transition(report, action, actor, comment, workflow=REPORT_WORKFLOW, **stamps)
    if action == "issue":
        from .documents import report_pdf_requested

        report_id = moved.pk
        transaction.on_commit(lambda: report_pdf_requested(report_id))
    return moved


# ---------------------------------------------------------------- year-end scoring


def _zone_input(zone: DangerZone) -> scoring.ZoneInput:
    return scoring.ZoneInput(
        key=zone.pk,
        ring=[(float(x), float(y)) for x, y in zone.polygon.coords[0]],
        min_magnitude=float(zone.min_magnitude),
        max_magnitude=float(zone.max_magnitude) if zone.max_magnitude is not None else None,
        probability=LEVEL_PROBABILITY.get(ZoneLevel(zone.level), 0.5),
    )


def zones_score_year(
    *, actor: Actor | None, bureau: Bureau, year: int, now: dt.datetime | None = None
) -> int:
    """Score the bureau's live zones of ``year`` against the year's quakes (each zone: hit or
    not; over all of them: R-score and Molchan, ``zones.scoring``), and keep the score with
    each zone (the ``score`` move). ``actor`` None: the year-end beat job. Only once the year
    is over (Beijing time). Returns the number of zones scored."""
    from portal.tenancy import bureau_reader

    start, end = selectors.year_bounds(year)
    if (now or timezone.now()) < end:
        raise InvalidTransition(_("The year is not over: zones are scored from 1 January on."), field="year")
    reader = actor if actor is not None else bureau_reader(bureau)
    if actor is not None and (actor.bureau_id != bureau.pk or not can_create_zone(actor)):
        raise PermissionDenied(_("Only the zones' bureau scores them."))
    zones = selectors.zones_to_score(actor=reader, year=year)
    if not zones:
        return 0
    min_magnitude = min(float(z.min_magnitude) for z in zones)
    events = selectors.quakes_of_year(bureau=bureau, year=year, min_magnitude=min_magnitude)
    quakes = [
        scoring.Quake(
            key=e.pk,
            longitude=e.longitude,
            latitude=e.latitude,
            magnitude=float(e.magnitude or 0),
            origin_time=e.origin_time,
        )
        for e in events
    ]
    result = scoring.score_year(
        [_zone_input(z) for z in zones], quakes, start=start, end=end, region=selectors.china_hull()
    )
    by_key = {e.pk: e for e in events}
    scored_at = timezone.now()
    for zone in zones:
        own = result["zones"][zone.pk]
        score = {
            "hit": own["hit"],
            "events": [
                {
                    "id": key,
                    "public_id": by_key[key].public_id,
                    "magnitude": by_key[key].magnitude,
                    "origin_time": by_key[key].origin_time.isoformat(),
                    "place": by_key[key].location_name,
                }
                for key in own["events"]
            ],
            "year": result["year"],
        }
        transition(
            zone.pk,
            "score",
            actor,
            workflow=ZONE_WORKFLOW,
            hit=own["hit"],
            score=score,
            scored_at=scored_at,
        )
    return len(zones)


def zones_score_all(*, year: int | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The year-end beat job: every bureau's live zones of the year just ended (``year``
    None), each bureau scored as it reads the catalog. Returns zones scored per bureau code."""
    moment = now or timezone.now()
    year = year if year is not None else selectors.current_year(moment) - 1
    done: dict[str, int] = {}
    for bureau_id in selectors.bureaus_with_zones(year=year):
        bureau = Bureau.objects.get(pk=bureau_id)
        done[bureau.code] = zones_score_year(actor=None, bureau=bureau, year=year, now=moment)
    return done
