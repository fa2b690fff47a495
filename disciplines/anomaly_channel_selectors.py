"""Reads of the channel an anomaly is seen in: the channels a report may name, the channel
whose curve the anomaly page draws, and whether the reader may read that channel's series.

The curve's channel is the anomaly's own ``channel``; when the report named none (zero-reports,
reports from before the master data) and its reporting unit is a station, the station's one
channel of the anomaly's observation item stands in, matched by item code or name (``水位``,
``water level``, ``WL``). Two or more such channels (tilt NS and EW) are ambiguous: no curve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from observations.models import Channel, SeriesDay
from portal.exceptions import InvalidInput

if TYPE_CHECKING:
    from portal.tenancy import Actor

    from .models import Anomaly


def anomaly_channel_choices(*, actor: Actor, station_id: int | None = None) -> QuerySet[Channel]:
    """Channels an anomaly reported by ``actor`` may name: their own bureau's (anomalies are
    bureau data; a national reader sees every bureau's master data but reports for none),
    active ones, by station; only ``station_id``'s when given."""
    channels = (
        Channel.objects.visible_to(actor)
        .filter(bureau_id=actor.bureau_id, is_active=True)
        .select_related("station", "item")
        .order_by("station__code", "item__order", "orientation")
    )
    if station_id is not None:
        channels = channels.filter(station_id=station_id)
    return channels


def anomaly_channel_for_input(*, actor: Actor, channel_id: int) -> Channel:
    """The channel a report names, or a 400 naming ``channel`` (missing, another bureau's, closed)."""
    channel = anomaly_channel_choices(actor=actor).filter(pk=channel_id).first()
    if channel is None:
        raise InvalidInput(_("Choose an active channel of your bureau."), field="channel")
    return channel


def anomaly_series_channel(*, actor: Actor | None, anomaly: Anomaly) -> Channel | None:
    """The channel whose curve the anomaly page shows to ``actor`` (see the module's docstring);
    None when there is none or the reader may not see it."""
    channels = Channel.objects.visible_to(actor).select_related("station", "item")
    if anomaly.channel_id is not None:
        return channels.filter(pk=anomaly.channel_id).first()
    unit = anomaly.unit
    item = (anomaly.observation_item or "").strip()
    if unit is None or unit.station_id is None or not item:
        return None
    matches = list(channels.filter(station_id=unit.station_id).filter(item_named(item))[:2])
    return matches[0] if len(matches) == 1 else None


def item_named(item: str) -> Q:
    """Channels of the observation item a report names by code or name (``WL``, ``水位``,
    ``water level``): anomalies carry the item as the reporter typed or chose it."""
    item = item.strip()
    return Q(item__code__iexact=item) | Q(item__name_zh=item) | Q(item__name_en__iexact=item)


def channel_series_readable(*, actor: Actor | None, channel: Channel) -> bool:
    """Whether ``actor`` reads any stored day of the channel (series are the channel's bureau's
    until data-sharing rules exist; national readers see the master data, not the values)."""
    return SeriesDay.objects.visible_to(actor).filter(channel=channel).exists()
