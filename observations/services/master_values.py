"""Validation of the values a master-data change proposes (run when it is proposed, and
again under the lock when it is approved: the world may have moved in between).

``clean_values`` returns the values normalised and JSON-ready (dates as ISO strings,
numbers as numbers, the station by its code, the item by its code); anything wrong is an
``InvalidInput`` naming the field: an unknown field, a control character, a coordinate off
the globe or outside the bureau's jurisdiction, a date outside 1900–2199, a station code
already taken (anywhere: codes are national), a channel that exists already, a plausible
range whose minimum is not below its maximum.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from observations.models import (
    Channel,
    Instrument,
    MasterDataChange,
    ObservationItem,
    SamplingInterval,
    Station,
)
from portal.exceptions import InvalidInput, InvalidTransition
from portal.validators import clean_title, is_work_date

if TYPE_CHECKING:
    from portal.models import Bureau

Target = MasterDataChange.Target
Action = MasterDataChange.Action

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,15}$")
ORIENTATION_RE = re.compile(r"^[A-Za-z0-9+-]{0,12}$")

#: The fields a change may set, per target. Codes, a channel's station and item and an
#: instrument's station identify the row and are set when it is created only.
FIELDS: dict[str, tuple[str, ...]] = {
    Target.STATION: (
        "code",
        "name_zh",
        "name_en",
        "lon",
        "lat",
        "elevation_m",
        "kind",
        "status",
        "opened_on",
        "closed_on",
    ),
    Target.INSTRUMENT: ("station", "model", "serial_number", "installed_on", "removed_on"),
    Target.CHANNEL: (
        "station",
        "item",
        "orientation",
        "instrument",
        "unit",
        "interval",
        "plausible_min",
        "plausible_max",
    ),
}
IDENTIFYING: dict[str, tuple[str, ...]] = {
    Target.STATION: ("code",),
    Target.INSTRUMENT: ("station",),
    Target.CHANNEL: ("station", "item", "orientation"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    Target.STATION: ("code", "name_zh", "lon", "lat", "kind"),
    Target.INSTRUMENT: ("station", "model", "installed_on"),
    Target.CHANNEL: ("station", "item"),
}
#: What a close may say (the day it happened; today when not given).
CLOSE_FIELDS: dict[str, tuple[str, ...]] = {
    Target.STATION: ("closed_on",),
    Target.INSTRUMENT: ("removed_on",),
    Target.CHANNEL: (),
}
OPEN_STATUSES = (Station.Status.ACTIVE, Station.Status.SUSPENDED)
_REFUSED = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def _text(value: Any, field: str, *, max_length: int, blank: bool = True) -> str:
    if value is None and blank:
        return ""
    if not isinstance(value, str):
        raise InvalidInput(_("%(field)s must be text.") % {"field": field}, field=field)
    text = value.strip()
    if any(unicodedata.category(c) in _REFUSED for c in text):
        raise InvalidInput(
            _("%(field)s contains a control or invisible character.") % {"field": field}, field=field
        )
    if not text and not blank:
        raise InvalidInput(_("%(field)s is needed.") % {"field": field}, field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("%(field)s has at most %(max)d characters.") % {"field": field, "max": max_length}, field=field
        )
    return text


def _number(value: Any, field: str, *, low: float | None = None, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InvalidInput(_("%(field)s must be a number.") % {"field": field}, field=field)
    try:
        number = float(value)
    except ValueError:
        raise InvalidInput(_("%(field)s must be a number.") % {"field": field}, field=field) from None
    if not math.isfinite(number):
        raise InvalidInput(_("%(field)s must be a finite number.") % {"field": field}, field=field)
    if (low is not None and number < low) or (high is not None and number > high):
        raise InvalidInput(
            _("%(field)s must lie between %(low)s and %(high)s.")
            % {"field": field, "low": low, "high": high},
            field=field,
        )
    return number


def _date(value: Any, field: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInput(_("%(field)s must be a date (YYYY-MM-DD).") % {"field": field}, field=field)
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            _("%(field)s must be a date (YYYY-MM-DD).") % {"field": field}, field=field
        ) from None
    if not is_work_date(day):
        raise InvalidInput(
            _("%(field)s must be a date between 1900 and 2199.") % {"field": field}, field=field
        )
    return day.isoformat()


def _code(value: Any, field: str = "code") -> str:
    text = _text(value, field, max_length=16, blank=False)
    if not CODE_RE.match(text):
        raise InvalidInput(
            _("A code is 2 to 16 letters, digits, '-', '_' or '.', starting with a letter or digit."),
            field=field,
        )
    return text


def station_of_bureau(bureau: Bureau, code: Any, field: str = "station") -> Station:
    """The open station ``code`` of ``bureau``; InvalidInput naming ``field`` otherwise."""
    text = _text(code, field, max_length=16, blank=False)
    station = Station.objects.filter(bureau=bureau, code=text).first() if CODE_RE.match(text) else None
    if station is None:
        raise InvalidInput(_("No station %(code)s in this bureau.") % {"code": text}, field=field)
    if station.status == Station.Status.CLOSED:
        raise InvalidInput(_("Station %(code)s is closed.") % {"code": text}, field=field)
    return station


def _item(code: Any) -> ObservationItem:
    text = _text(code, "item", max_length=16, blank=False)
    item = ObservationItem.objects.filter(code=text).first()
    if item is None:
        raise InvalidInput(_("Unknown observation item %(code)s.") % {"code": text}, field="item")
    return item


def _in_jurisdiction(bureau: Bureau, lon: float, lat: float) -> None:
    jurisdiction = bureau.jurisdiction
    point = Point(lon, lat, srid=4326)
    if jurisdiction is not None and not jurisdiction.buffer(0.05).contains(point):
        raise InvalidInput(_("The location lies outside the bureau's jurisdiction."), field="lon")


def _current(target: str, obj: Any) -> dict[str, Any]:
    """The values of an existing row, in the form ``clean_values`` returns them."""
    if obj is None:
        return {}
    from .master_apply import snapshot

    return snapshot(target, obj)


def _check_order(merged: dict[str, Any], first: str, second: str, message: str) -> None:
    if merged.get(first) is not None and merged.get(second) is not None and merged[second] < merged[first]:
        raise InvalidInput(message, field=second)


def clean_values(*, bureau: Bureau, target: str, action: str, obj: Any, values: Any) -> dict[str, Any]:
    """The values of a change of ``target`` by ``action`` (on ``obj`` for an update or close),
    checked and normalised; raises InvalidInput naming the field (see the module docstring),
    InvalidTransition when the row is closed already."""
    if target not in FIELDS:
        raise InvalidInput(_("Unknown target."), field="target")
    if action not in Action.values:
        raise InvalidInput(_("Unknown action."), field="action")
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise InvalidInput(_("values must be an object of field names and values."), field="values")
    allowed = CLOSE_FIELDS[target] if action == Action.CLOSE else FIELDS[target]
    for name in values:
        if name not in allowed:
            if action == Action.UPDATE and name in IDENTIFYING[target]:
                message = _("%(field)s identifies the row and is not changed; close it and create another.")
            else:
                message = _("Unknown field %(field)s for this change.")
            raise InvalidInput(message % {"field": str(name)[:40]}, field=str(name)[:40])
    if action != Action.CREATE and obj is None:
        raise InvalidInput(_("Which row? Give object_id."), field="object_id")
    if action != Action.CREATE and _is_closed(target, obj):
        raise InvalidTransition(_("This row is closed already."), field="object_id")
    if action == Action.UPDATE and not values:
        raise InvalidInput(_("Nothing to change: values is empty."), field="values")
    if action == Action.CREATE:
        for name in REQUIRED[target]:
            if values.get(name) in (None, ""):
                raise InvalidInput(_("%(field)s is needed.") % {"field": name}, field=name)

    clean: dict[str, Any] = {}
    for name, value in values.items():
        clean[name] = _clean_one(bureau, target, name, value, obj)

    merged = {**_current(target, obj), **clean}
    if target == Target.STATION:
        if action == Action.CREATE and Station.objects.filter(code=clean["code"]).exists():
            raise InvalidInput(
                _("The station code %(code)s is taken.") % {"code": clean["code"]}, field="code"
            )
        if "lon" in clean or "lat" in clean:
            _in_jurisdiction(bureau, merged["lon"], merged["lat"])
        _check_order(merged, "opened_on", "closed_on", _("A station closes after it opened."))
    elif target == Target.INSTRUMENT:
        _check_order(
            merged, "installed_on", "removed_on", _("An instrument is removed after it was installed.")
        )
    else:
        low, high = merged.get("plausible_min"), merged.get("plausible_max")
        if low is not None and high is not None and not low < high:
            raise InvalidInput(
                _("The plausible minimum must be below the plausible maximum."), field="plausible_max"
            )
        if action == Action.CREATE:
            station = station_of_bureau(bureau, clean["station"])
            item = _item(clean["item"])
            orientation = clean.get("orientation", "")
            if Channel.objects.filter(station=station, item=item, orientation=orientation).exists():
                raise InvalidInput(
                    _("Station %(station)s records %(item)s already.")
                    % {"station": station.code, "item": item.code},
                    field="item",
                )
            clean.setdefault("unit", item.unit)
        station_code = merged.get("station")
        if clean.get("instrument") is not None and station_code:
            instrument = Instrument.objects.filter(pk=clean["instrument"], station__code=station_code).first()
            if instrument is None:
                raise InvalidInput(_("No such instrument at this station."), field="instrument")
    return clean


def _is_closed(target: str, obj: Any) -> bool:
    if target == Target.STATION:
        return bool(obj.status == Station.Status.CLOSED)
    if target == Target.INSTRUMENT:
        return obj.removed_on is not None
    return not obj.is_active


def _clean_one(bureau: Bureau, target: str, name: str, value: Any, obj: Any) -> Any:
    if name == "code":
        return _code(value)
    if name == "name_zh":
        return clean_title(value, field=name, max_length=60)
    if name == "name_en":
        return _text(value, name, max_length=100)
    if name == "lon":
        return _number(value, name, low=-180, high=180)
    if name == "lat":
        return _number(value, name, low=-90, high=90)
    if name == "elevation_m":
        return None if value is None else _number(value, name, low=-500, high=9000)
    if name == "kind":
        if value not in Station.Kind.values:
            raise InvalidInput(_("Unknown kind of station."), field=name)
        return value
    if name == "status":
        if value not in OPEN_STATUSES:
            raise InvalidInput(_("status is active or suspended (a close is its own change)."), field=name)
        return value
    if name in ("opened_on", "closed_on", "installed_on", "removed_on"):
        return _date(value, name)
    if name == "station":
        return station_of_bureau(bureau, value).code
    if name == "item":
        return _item(value).code
    if name == "model":
        return clean_title(value, field=name, max_length=60)
    if name == "serial_number":
        return _text(value, name, max_length=60)
    if name == "orientation":
        text = _text(value, name, max_length=12)
        if not ORIENTATION_RE.match(text):
            raise InvalidInput(_("An orientation is letters and digits, like NS, EW or N30E."), field=name)
        return text
    if name == "unit":
        return _text(value, name, max_length=24, blank=False)
    if name == "interval":
        if isinstance(value, bool) or value not in SamplingInterval.values:
            raise InvalidInput(_("interval is 1, 60, 3600 or 86400 (seconds)."), field=name)
        return int(value)
    if name in ("plausible_min", "plausible_max"):
        return None if value is None else _number(value, name, low=-1e12, high=1e12)
    if name == "instrument":
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise InvalidInput(_("instrument is the id of an instrument."), field=name)
        return value
    raise InvalidInput(_("Unknown field %(field)s for this change.") % {"field": name}, field=name)
