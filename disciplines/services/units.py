"""Reporting units and the bureau's anomaly settings (bureau admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from disciplines import permissions
from disciplines.models import BureauAnomalySettings, ReportingUnit
from portal.exceptions import InvalidInput, PermissionDenied
from portal.models import Discipline, Role, User
from portal.selectors import person_can
from portal.services import audit_record
from portal.validators import clean_title

if TYPE_CHECKING:
    from observations.models import Station
    from portal.tenancy import Actor


@transaction.atomic
def unit_create(
    *,
    actor: Actor,
    code: str,
    name: str,
    discipline: Discipline,
    lon: float,
    lat: float,
    kind: str = ReportingUnit.Kind.STATION,
    observation_items: list[str] | None = None,
    reporters: list[User] | None = None,
    station: Station | None = None,
    **extra: Any,
) -> ReportingUnit:
    """A new reporting unit of the actor's bureau; its location must lie in the bureau's jurisdiction."""
    if not permissions.can_manage_units(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau administrator manages reporting units."))
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("A reporting unit needs a code."), field="code")
    point = Point(float(lon), float(lat), srid=4326)
    jurisdiction = actor.bureau.jurisdiction
    if jurisdiction is not None and not jurisdiction.buffer(0.05).contains(point):
        raise InvalidInput(_("The location lies outside the bureau's jurisdiction."), field="location")
    for user in reporters or []:  # the same rule as the page's picker (people_who_can)
        if not person_can(user=user, bureau_ids=[actor.bureau.pk], role=Role.REPORTER):
            raise InvalidInput(
                _("%(name)s is not a reporter of this bureau.") % {"name": user.label}, field="reporters"
            )
    if station is not None and station.bureau_id != actor.bureau.pk:
        raise InvalidInput(_("The station is not one of this bureau's."), field="station")
    unit = ReportingUnit(
        bureau=actor.bureau,
        station=station,
        code=code,
        name=clean_title(name, field="name", max_length=100) if (name or "").strip() else code,
        kind=kind,
        discipline=discipline,
        location=point,
        observation_items=[i.strip() for i in (observation_items or []) if i.strip()],
        **extra,
    )
    try:
        with transaction.atomic():
            unit.save()
    except IntegrityError:
        raise InvalidInput(
            _("The code %(code)s is taken in this bureau.") % {"code": code}, field="code"
        ) from None
    unit.reporters.set(reporters or [])
    audit_record(actor=actor, action="reporting_unit.create", target=unit)
    return unit


@transaction.atomic
def anomaly_settings_update(
    *, actor: Actor, verification_hours: int, assessment_hours: int
) -> BureauAnomalySettings:
    """Set the bureau's verification and assessment deadlines (hours)."""
    if not permissions.can_manage_anomaly_settings(actor) or actor.bureau is None:
        raise PermissionDenied(_("Only a bureau administrator changes these settings."))
    for name, value in (("verification_hours", verification_hours), ("assessment_hours", assessment_hours)):
        if not isinstance(value, int) or not 1 <= value <= 24 * 60:
            raise InvalidInput(_("Give a number of hours between 1 and 1440."), field=name)
    row, _created = BureauAnomalySettings.objects.update_or_create(
        bureau=actor.bureau,
        defaults={"verification_hours": verification_hours, "assessment_hours": assessment_hours},
    )
    audit_record(
        actor=actor,
        action="anomaly_settings.update",
        target=row,
        extra={"verification_hours": verification_hours, "assessment_hours": assessment_hours},
    )
    return row
