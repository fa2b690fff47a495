"""Stations and channels as searchable kinds (``portal.search``)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from portal import search

from .models import Channel, Station


def _station(station: Station) -> search.SearchDoc:
    opened = (
        dt.datetime.combine(station.opened_on, dt.time(), tzinfo=dt.UTC)
        if station.opened_on
        else station.created_at
    )
    return search.SearchDoc(
        title=f"{station.name_zh} ({station.code})",
        body=search.text_of(station.name_en, station.code, search.both(station.get_kind_display())),
        url=station.get_absolute_url(),
        date=opened,
    )


def _channel(channel: Channel) -> search.SearchDoc:
    station, item = channel.station, channel.item
    return search.SearchDoc(
        title=f"{station.name_zh} {item.name_zh}{(' ' + channel.orientation) if channel.orientation else ''}",
        body=search.text_of(
            station.code, station.name_en, item.code, item.name_en, channel.discipline.name_zh, channel.unit
        ),
        url=channel.get_absolute_url(),
        date=channel.created_at,
    )


def register_search_kinds() -> None:
    """From ``ObservationsConfig.ready()``."""
    search.register(
        search.SearchKind(key="station", label=_("stations"), model=Station, document=_station, order=50)
    )
    search.register(
        search.SearchKind(
            key="channel",
            label=_("channels"),
            model=Channel,
            document=_channel,
            related=("station", "item", "discipline"),
            # a renamed station renames its channels' documents
            watch=((Station, lambda station: list(station.channels.values_list("pk", flat=True))),),
            order=51,
        )
    )
