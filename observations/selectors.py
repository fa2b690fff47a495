"""Reads of the master data: observation items, stations, instruments, channels and their
changes, each starting from ``visible_to(actor)``.

Visibility (``Station.PUBLISHED_Q``, decided once in ``observations.models.master``): the
people of a bureau read its stations and channels; national units and centres read every
bureau's (master data are the national network's one record); a province does not read
another province's. Proposed changes are read in their bureau only. Series visibility is
the series module's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

from django.db.models import Count, Q, QuerySet

from portal.exceptions import NotFound
from portal.models import Role, User
from portal.selectors import bureau_role_holders
from portal.tenancy import system_read

from . import permissions
from .models import Channel, Instrument, MasterDataChange, ObservationItem, Station

if TYPE_CHECKING:
    from portal.models import Bureau
    from portal.tenancy import Actor

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,15}$")


def item_list() -> QuerySet[ObservationItem]:
    """The observation items (reference data, read by everyone)."""
    return ObservationItem.objects.select_related("discipline")


def station_list(
    *,
    actor: Actor | None,
    bureau: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    discipline: str | None = None,
) -> QuerySet[Station]:
    """Stations ``actor`` may read; ``bureau`` by code, ``discipline`` by code (a station
    with a channel of that discipline)."""
    qs = Station.objects.visible_to(actor).select_related("bureau")
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if discipline:
        qs = qs.filter(channels__discipline__code=discipline).distinct()
    # Meta.ordering does not apply to a GROUP BY query: order again
    counted = qs.annotate(channel_count=Count("channels", filter=Q(channels__is_active=True), distinct=True))
    return cast("QuerySet[Station]", counted.order_by("code"))


def station_get(*, actor: Actor | None, code: str) -> Station:
    """The station ``code`` if ``actor`` may read it; NotFound otherwise (missing or not theirs)."""
    if not isinstance(code, str) or not CODE_RE.match(code):
        raise NotFound()
    station = Station.objects.visible_to(actor).select_related("bureau").filter(code=code).first()
    if station is None:
        raise NotFound()
    return station


def station_by_id(*, actor: Actor | None, station_id: int) -> Station:
    station = Station.objects.visible_to(actor).select_related("bureau").filter(pk=station_id).first()
    if station is None:
        raise NotFound()
    return station


def station_options(*, actor: Actor | None) -> QuerySet[Station]:
    """The stations of the actor's own bureau (what an admin may propose changes for)."""
    return Station.objects.editable_by(actor).exclude(status=Station.Status.CLOSED).order_by("code")


def station_channels(*, actor: Actor | None, station: Station) -> QuerySet[Channel]:
    """The channels of a station the caller read through station_get that ``actor`` may
    read: all of them in its bureau and for national units; a bureau another shares the
    station with sees the channels granted to it (data sharing)."""
    return (
        Channel.objects.visible_to(actor)
        .filter(station=station)
        .select_related("item", "discipline", "instrument")
    )


@system_read("children of a station the caller read through station_get")
def station_instruments(*, station: Station) -> QuerySet[Instrument]:
    return Instrument.objects.filter(station=station)


@system_read("the history of a station the caller read through station_get")
def station_history(*, station: Station) -> QuerySet[MasterDataChange]:
    """Applied changes of the station, its instruments and channels, newest first."""
    return MasterDataChange.objects.filter(
        station=station, state=MasterDataChange.State.APPROVED
    ).select_related("proposed_by", "decided_by")


@system_read("the history of a channel the caller read through channel_get")
def channel_history(*, channel: Channel) -> QuerySet[MasterDataChange]:
    return MasterDataChange.objects.filter(
        target=MasterDataChange.Target.CHANNEL, object_id=channel.pk, state=MasterDataChange.State.APPROVED
    ).select_related("proposed_by", "decided_by")


def channel_list(
    *,
    actor: Actor | None,
    station: str | None = None,
    item: str | None = None,
    discipline: str | None = None,
    bureau: str | None = None,
) -> QuerySet[Channel]:
    """Channels ``actor`` may read; ``station`` is a station code or id, ``item`` an item code."""
    qs = Channel.objects.visible_to(actor).select_related(
        "station", "item", "discipline", "bureau", "instrument"
    )
    if station:
        qs = (
            qs.filter(station__pk=int(station))
            if station.isdigit() and len(station) < 19
            else qs.filter(station__code=station)
        )
    if item:
        qs = qs.filter(item__code=item)
    if discipline:
        qs = qs.filter(discipline__code=discipline)
    if bureau:
        qs = qs.filter(bureau__code=bureau)
    return qs


def channel_get(*, actor: Actor | None, channel_id: int) -> Channel:
    channel = (
        Channel.objects.visible_to(actor)
        .select_related("station", "item", "discipline", "bureau", "instrument")
        .filter(pk=channel_id)
        .first()
    )
    if channel is None:
        raise NotFound()
    return channel


def change_list(
    *, actor: Actor | None, state: str | None = None, station: Station | None = None
) -> QuerySet[MasterDataChange]:
    """Changes of the actor's bureau (never another's), newest first."""
    qs = MasterDataChange.objects.visible_to(actor).select_related(
        "proposed_by", "decided_by", "station", "bureau"
    )
    if state:
        qs = qs.filter(state=state)
    if station is not None:
        qs = qs.filter(station=station)
    return qs


def change_get(*, actor: Actor | None, change_id: int) -> MasterDataChange:
    change = change_list(actor=actor).filter(pk=change_id).first()
    if change is None:
        raise NotFound()
    return change


def changes_waiting(*, actor: Actor) -> list[MasterDataChange]:
    """Proposed changes of the actor's bureau that this admin may decide (not their own)."""
    if not permissions.is_bureau_admin(actor) or actor.bureau is None:
        return []
    proposed = change_list(actor=actor, state=MasterDataChange.State.PROPOSED).filter(bureau=actor.bureau)
    return [c for c in proposed.order_by("created_at")[:50] if permissions.can_decide_change(actor, c)]


def bureau_admins(*, bureau: Bureau | int) -> QuerySet[User]:
    """Who decides a bureau's master-data changes (told when one is proposed)."""
    return bureau_role_holders(bureau=bureau, roles=[Role.BUREAU_ADMIN])


def change_target_row(
    *, actor: Actor | None, target: str, object_id: int | None
) -> Station | Instrument | Channel | None:
    """The station, instrument or channel of the actor's bureau a change would update or close."""
    if object_id is None:
        return None
    if target == MasterDataChange.Target.STATION:
        return Station.objects.editable_by(actor).filter(pk=object_id).first()
    if target == MasterDataChange.Target.INSTRUMENT:
        return Instrument.objects.editable_by(actor).select_related("station").filter(pk=object_id).first()
    return Channel.objects.editable_by(actor).select_related("station", "item").filter(pk=object_id).first()
