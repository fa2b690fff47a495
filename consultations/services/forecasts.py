"""Validation of forecasts: the region, the magnitudes, the time window."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal, overload

from django.contrib.gis.geos import MultiPolygon, Polygon
from django.utils.translation import gettext as _

from consultations import permissions as perms
from consultations.models import Likelihood, Meeting
from portal.exceptions import InvalidInput
from portal.geo import parse_area
from portal.models import Bureau
from portal.validators import WORK_DATE_MAX, WORK_DATE_MIN, is_work_date

if TYPE_CHECKING:
    import datetime as dt

# Forecast regions must lie in the part of the world the bureaus forecast for.
SENSIBLE_AREA = (60.0, 0.0, 150.0, 60.0)  # lon_min, lat_min, lon_max, lat_max
# A provincial meeting's regions must come within this many degrees (~330 km) of its bureaus.
NEAR_JURISDICTION_DEGREES = 3.0
MAX_WINDOW_DAYS = 400


def parse_region(value: Any, *, field: str, meeting: Meeting) -> MultiPolygon:
    """A forecast region: valid GeoJSON, inside lon 60–150°E / lat 0–60°N, and for a
    provincial meeting within about 330 km of one of its bureaus' jurisdictions."""
    area = parse_area(value, field=field)
    xmin, ymin, xmax, ymax = area.extent
    lon0, lat0, lon1, lat1 = SENSIBLE_AREA
    if xmin < lon0 or xmax > lon1 or ymin < lat0 or ymax > lat1:
        raise InvalidInput(
            _(
                "The region lies outside the area forecasts are made for "
                "(longitude %(lon0)g–%(lon1)g°E, latitude %(lat0)g–%(lat1)g°N)."
            )
            % {"lon0": lon0, "lon1": lon1, "lat0": lat0, "lat1": lat1},
            field=field,
        )
    bureaus = list(Bureau.objects.filter(pk__in=perms.meeting_bureau_ids(meeting)))
    if bureaus and all(b.kind == Bureau.Kind.PROVINCIAL and b.jurisdiction for b in bureaus):
        near = any(
            b.jurisdiction is not None
            and b.jurisdiction.envelope.buffer(NEAR_JURISDICTION_DEGREES).intersects(area)
            for b in bureaus
        )
        if not near:
            raise InvalidInput(
                _("The region is far from the jurisdiction of %(bureaus)s.")
                % {"bureaus": ", ".join(b.name_zh for b in bureaus)},
                field=field,
            )
    return area


@overload
def _magnitude(value: Any, field: str, *, required: Literal[True]) -> Decimal: ...
@overload
def _magnitude(value: Any, field: str, *, required: bool) -> Decimal | None: ...
def _magnitude(value: Any, field: str, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("A magnitude is required."), field=field)
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_("Not a magnitude: %(value)s") % {"value": value}, field=field) from None
    if not Decimal("0") <= number <= Decimal("9.5"):
        raise InvalidInput(_("A magnitude must be between 0 and 9.5."), field=field)
    return number


def _forecast_terms(
    *,
    window_start: dt.date | None,
    window_end: dt.date | None,
    min_magnitude: Any,
    max_magnitude: Any,
    likelihood: str,
    required: bool,
) -> tuple[Decimal | None, Decimal | None]:
    if required and (window_start is None or window_end is None):
        raise InvalidInput(_("A forecast needs a window start and end."), field="window_start")
    if (window_start is None) != (window_end is None):
        raise InvalidInput(_("Give both ends of the forecast window."), field="window_end")
    for name, day in (("window_start", window_start), ("window_end", window_end)):
        if day is not None and not is_work_date(day):  # 9999: a typo that would head every list
            raise InvalidInput(
                _("%(value)s is outside the years %(first)d to %(last)d.")
                % {"value": day.isoformat(), "first": WORK_DATE_MIN.year, "last": WORK_DATE_MAX.year},
                field=name,
            )
    if window_start and window_end:
        if window_end < window_start:
            raise InvalidInput(_("The forecast window ends before it starts."), field="window_end")
        if (window_end - window_start).days > MAX_WINDOW_DAYS:
            raise InvalidInput(
                _("A forecast window is at most %(days)d days.") % {"days": MAX_WINDOW_DAYS},
                field="window_end",
            )
    low = _magnitude(min_magnitude, "min_magnitude", required=required)
    high = _magnitude(max_magnitude, "max_magnitude", required=False)
    if low is not None and high is not None and high < low:
        raise InvalidInput(_("The largest magnitude is below the smallest."), field="max_magnitude")
    if likelihood and likelihood not in Likelihood.values:
        raise InvalidInput(_("Unknown likelihood %(value)s.") % {"value": likelihood}, field="likelihood")
    if required and not likelihood:
        raise InvalidInput(_("A forecast needs a likelihood."), field="likelihood")
    return low, high


def polygon_from_bbox(lon0: float, lat0: float, lon1: float, lat1: float) -> MultiPolygon:
    """A rectangle as a region (demo data and tests)."""
    return MultiPolygon(Polygon.from_bbox((lon0, lat0, lon1, lat1)), srid=4326)
