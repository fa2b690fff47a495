"""Applying a validated master-data change to the rows: the one writer of stations,
instruments and channels (approved changes, the demo, migrations and commands all call
``master_data_apply``). Returns the row with its values before and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.gis.geos import Point
from django.utils import timezone

from observations.models import Channel, Instrument, MasterDataChange, ObservationItem, Station
from portal.exceptions import NotFound
from portal.workflow import transition

from . import station_workflow
from .master_values import FIELDS

if TYPE_CHECKING:
    from portal.models import Bureau
    from portal.tenancy import Actor

Target = MasterDataChange.Target
Action = MasterDataChange.Action

# What a change records before and after: the fields a proposal may set, and for a channel
# whether it is active (closing it sets that).
SNAPSHOT_FIELDS: dict[str, tuple[str, ...]] = {
    **FIELDS,
    Target.CHANNEL: (*FIELDS[Target.CHANNEL], "is_active"),
}
DATE_FIELDS = {"opened_on", "closed_on", "installed_on", "removed_on"}


@dataclass(frozen=True)
class Applied:
    obj: Station | Instrument | Channel
    station: Station
    before: dict[str, Any] | None
    after: dict[str, Any]


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def snapshot(target: str, obj: Any) -> dict[str, Any]:
    """The row's master data as a change states them (station and item by code)."""
    values: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS[target]:
        if name == "lon":
            values[name] = obj.location.x
        elif name == "lat":
            values[name] = obj.location.y
        elif name == "station":
            values[name] = obj.station.code
        elif name == "item":
            values[name] = obj.item.code
        elif name == "instrument":
            values[name] = obj.instrument_id
        else:
            values[name] = _json(getattr(obj, name))
    return values


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _lock(model: type[Any], bureau: Bureau, pk: int | None) -> Any:
    row = model.objects.select_for_update(of=("self",)).filter(pk=pk, bureau=bureau).first()
    if row is None:
        raise NotFound()
    return row


def master_data_apply(
    *,
    actor: Actor | None,
    bureau: Bureau,
    target: str,
    action: str,
    object_id: int | None,
    values: dict[str, Any],
) -> Applied:
    """Apply ``values`` (already checked by ``master_values.clean_values``) to the rows of
    ``bureau``; ``actor`` is the approving admin, or None for the system. Runs inside the
    caller's transaction (the change's approval)."""
    if target == Target.STATION:
        return _station(actor, bureau, action, object_id, values)
    if target == Target.INSTRUMENT:
        return _instrument(bureau, action, object_id, values)
    return _channel(actor, bureau, action, object_id, values)


def _station(
    actor: Actor | None, bureau: Bureau, action: str, object_id: int | None, values: dict[str, Any]
) -> Applied:
    if action == Action.CREATE:
        station = Station.objects.create(
            bureau=bureau,
            code=values["code"],
            name_zh=values["name_zh"],
            name_en=values.get("name_en") or "",
            location=Point(values["lon"], values["lat"], srid=4326),
            elevation_m=values.get("elevation_m"),
            kind=values["kind"],
            status=values.get("status") or Station.Status.ACTIVE,
            opened_on=_day(values.get("opened_on")),
            closed_on=_day(values.get("closed_on")),
        )
        return Applied(station, station, None, snapshot(Target.STATION, station))
    station = _lock(Station, bureau, object_id)
    before = snapshot(Target.STATION, station)
    if action == Action.CLOSE:
        closed_on = _day(values.get("closed_on")) or timezone.localdate()
        station = transition(station, "close", actor, workflow=station_workflow.WORKFLOW, closed_on=closed_on)
        Channel.objects.filter(station=station, is_active=True).update(is_active=False)
        return Applied(station, station, before, snapshot(Target.STATION, station))
    fields = []
    for name, value in values.items():
        if name == "status":
            continue
        if name in ("lon", "lat"):
            lon = values.get("lon", station.location.x)
            lat = values.get("lat", station.location.y)
            station.location = Point(lon, lat, srid=4326)
            fields.append("location")
        elif name in DATE_FIELDS:
            setattr(station, name, _day(value))
            fields.append(name)
        else:
            setattr(station, name, value if value is not None or name == "elevation_m" else "")
            fields.append(name)
    if fields:
        station.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    status = values.get("status")
    if status and status != station.status:
        move = "suspend" if status == Station.Status.SUSPENDED else "resume"
        station = transition(station, move, actor, workflow=station_workflow.WORKFLOW)
    return Applied(station, station, before, snapshot(Target.STATION, station))


def _instrument(bureau: Bureau, action: str, object_id: int | None, values: dict[str, Any]) -> Applied:
    if action == Action.CREATE:
        station = Station.objects.get(bureau=bureau, code=values["station"])
        instrument = Instrument.objects.create(
            bureau=bureau,
            station=station,
            model=values["model"],
            serial_number=values.get("serial_number") or "",
            installed_on=dt.date.fromisoformat(values["installed_on"]),
            removed_on=_day(values.get("removed_on")),
        )
        return Applied(instrument, station, None, snapshot(Target.INSTRUMENT, instrument))
    instrument = _lock(Instrument, bureau, object_id)
    before = snapshot(Target.INSTRUMENT, instrument)
    if action == Action.CLOSE:
        instrument.removed_on = _day(values.get("removed_on")) or timezone.localdate()
        instrument.save(update_fields=["removed_on", "updated_at"])
    else:
        for name, value in values.items():
            setattr(instrument, name, _day(value) if name in DATE_FIELDS else (value or ""))
        instrument.save(update_fields=[*values, "updated_at"])
    return Applied(instrument, instrument.station, before, snapshot(Target.INSTRUMENT, instrument))


def _channel(
    actor: Actor | None, bureau: Bureau, action: str, object_id: int | None, values: dict[str, Any]
) -> Applied:
    if action == Action.CREATE:
        station = Station.objects.get(bureau=bureau, code=values["station"])
        item = ObservationItem.objects.get(code=values["item"])
        channel = Channel.objects.create(
            bureau=bureau,
            station=station,
            item=item,
            discipline=item.discipline,
            instrument_id=values.get("instrument"),
            orientation=values.get("orientation") or "",
            unit=values.get("unit") or item.unit,
            interval=values.get("interval") or 60,
            plausible_min=values.get("plausible_min"),
            plausible_max=values.get("plausible_max"),
            created_by=actor.user if actor is not None else None,
        )
        return Applied(channel, station, None, snapshot(Target.CHANNEL, channel))
    channel = _lock(Channel, bureau, object_id)
    before = snapshot(Target.CHANNEL, channel)
    if action == Action.CLOSE:
        channel.is_active = False
        channel.save(update_fields=["is_active", "updated_at"])
    else:
        fields = []
        for name, value in values.items():
            if name == "instrument":
                channel.instrument_id = value
                fields.append("instrument")
            else:
                setattr(channel, name, value)
                fields.append(name)
        channel.save(update_fields=[*fields, "updated_at"])
    return Applied(channel, channel.station, before, snapshot(Target.CHANNEL, channel))
