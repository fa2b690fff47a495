"""Reading observation series: a channel's samples over a time range, raw or aggregated
into buckets (1 min, 1 h, 1 d) with mean, min or max of the samples present (None where a
bucket has none). Day arrays are read with ``array_send`` and decoded in numpy."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from observations.models import Channel, DayValuesBinary, SeriesDay, SeriesImport, Station
from observations.series_codec import decode_float4_array_send
from portal.exceptions import InvalidInput, NotFound, PortalError
from portal.tenancy import system_read

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from portal.tenancy import Actor

DAY_SECONDS = 86400
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
RESOLUTIONS = {"raw": None, "1min": 60, "1h": 3600, "1d": DAY_SECONDS}
AGGREGATES = ("mean", "min", "max")
MAX_SAMPLES_READ = 32_000_000  # a year of a 1 s channel (128 MB of float32)


class TooManyValues(PortalError):
    """A read larger than ``SERIES_MAX_VALUES``: 413 with the count."""

    status_code = 413


@dataclass
class Series:
    channel: Channel
    resolution: str
    start: dt.datetime
    step_seconds: int
    values: np.ndarray  # float64, NaN for gaps / empty buckets

    def as_list(self) -> list[float | None]:
        out: list[float] = self.values.tolist()
        return [None if v != v else v for v in out]  # NaN -> None


def series_channel_get(*, actor: Actor | None, channel_id: int) -> Channel:
    """The channel if ``actor`` may read it (its bureau's); otherwise NotFound."""
    channel = (
        Channel.objects.visible_to(actor).select_related("station", "item").filter(pk=channel_id).first()
    )
    if channel is None:
        raise NotFound(_("No such channel."))
    return channel


def series_days(
    *, actor: Actor | None, channel: Channel, start: dt.datetime, end: dt.datetime
) -> QuerySet[SeriesDay]:
    """The stored days of ``channel`` a read from ``start`` to ``end`` (UTC, end exclusive)
    covers, as ``actor`` may read them (what an access to shared data is recorded of)."""
    last = (end - dt.timedelta(microseconds=1)).astimezone(dt.UTC).date()
    return SeriesDay.objects.visible_to(actor).filter(
        channel=channel, day__gte=start.astimezone(dt.UTC).date(), day__lte=last
    )


def _floor(when: dt.datetime, step: int) -> dt.datetime:
    seconds = (when - EPOCH).total_seconds()
    return EPOCH + dt.timedelta(seconds=(seconds // step) * step)


def _ceil(when: dt.datetime, step: int) -> dt.datetime:
    seconds = (when - EPOCH).total_seconds()
    return EPOCH + dt.timedelta(seconds=-(-seconds // step) * step)


def series_samples(
    *, actor: Actor | None, channel: Channel, start: dt.datetime, end: dt.datetime
) -> np.ndarray:
    """The channel's samples at its own interval from ``start`` (on the interval) for the
    slots before ``end``: float32, NaN for gaps."""
    interval = int(channel.interval)
    per_day = DAY_SECONDS // interval
    first_slot = int((start - EPOCH).total_seconds()) // interval
    count = int((end - start).total_seconds()) // interval
    if count <= 0:
        return np.empty(0, dtype=np.float32)
    first_day_index = first_slot // per_day
    last_day_index = (first_slot + count - 1) // per_day
    epoch_day = EPOCH.date()
    first_day = epoch_day + dt.timedelta(days=first_day_index)
    n_days = last_day_index - first_day_index + 1
    block = np.full(n_days * per_day, np.nan, dtype=np.float32)
    rows = (
        SeriesDay.objects.visible_to(actor)
        .filter(channel=channel, day__gte=first_day, day__lte=epoch_day + dt.timedelta(days=last_day_index))
        .annotate(blob=DayValuesBinary("values"))
        .values_list("day", "blob")
    )
    for day, blob in rows:
        i = (day - first_day).days
        block[i * per_day : (i + 1) * per_day] = decode_float4_array_send(bytes(blob), per_day)
    offset = first_slot - first_day_index * per_day
    return block[offset : offset + count]


def series_read(
    *,
    actor: Actor | None,
    channel: Channel,
    start: dt.datetime,
    end: dt.datetime,
    resolution: str = "raw",
    agg: str = "mean",
) -> Series:
    """The channel's values from ``start`` to ``end`` (exclusive) at ``resolution``.

    The range is widened to whole steps (start floored, end ceiled, on UTC multiples of the
    step). A bucket's value is ``agg`` of the samples present in it, None when none is.
    Raises InvalidInput (400, naming the parameter) or TooManyValues (413)."""
    if resolution not in RESOLUTIONS:
        raise InvalidInput(_("resolution must be one of raw, 1min, 1h, 1d."), field="resolution")
    if agg not in AGGREGATES:
        raise InvalidInput(_("agg must be one of mean, min, max."), field="agg")
    if end <= start:
        raise InvalidInput(_("end must be after start."), field="end")
    interval = int(channel.interval)
    step = RESOLUTIONS[resolution] or interval
    if step < interval:
        raise InvalidInput(
            _("resolution %(resolution)s is finer than the channel's sampling interval (%(interval)d s).")
            % {"resolution": resolution, "interval": interval},
            field="resolution",
        )
    start, end = _floor(start, step), _ceil(end, step)
    count = int((end - start).total_seconds()) // step
    limit = int(getattr(settings, "SERIES_MAX_VALUES", 600_000))
    if count > limit:
        raise TooManyValues(
            _("The request asks for %(count)d values; at most %(limit)d can be read at once.")
            % {"count": count, "limit": limit}
        )
    # an aggregate of a 1 s channel reads 86,400 samples a day: bound the memory too
    reads = int((end - start).total_seconds()) // interval
    if reads > MAX_SAMPLES_READ:
        raise TooManyValues(
            _("The request needs %(count)d samples; at most %(limit)d can be read at once.")
            % {"count": reads, "limit": MAX_SAMPLES_READ}
        )
    samples = series_samples(actor=actor, channel=channel, start=start, end=end)
    if step == interval:
        return Series(channel, resolution, start, step, samples.astype(np.float64))
    buckets = samples.reshape(count, step // interval).astype(np.float64)
    present = ~np.isnan(buckets)
    counts = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if agg == "mean":
            values = np.where(present, buckets, 0.0).sum(axis=1) / counts
        elif agg == "min":
            values = np.where(present, buckets, np.inf).min(axis=1)
        else:
            values = np.where(present, buckets, -np.inf).max(axis=1)
    values[counts == 0] = np.nan
    return Series(channel, resolution, start, step, values)


def series_import_get(*, actor: Actor | None, import_id: int) -> SeriesImport:
    record = SeriesImport.objects.visible_to(actor).filter(pk=import_id).first()
    if record is None:
        raise NotFound(_("No such import."))
    return record


@system_read("the watchdog lists unfinished imports of every bureau to fail abandoned ones")
def series_imports_unfinished(
    *, started_before: dt.datetime, queued_before: dt.datetime
) -> list[SeriesImport]:
    running = SeriesImport.objects.filter(status=SeriesImport.Status.RUNNING, started_at__lt=started_before)
    queued = SeriesImport.objects.filter(status=SeriesImport.Status.QUEUED, created_at__lt=queued_before)
    return list(running) + list(queued)


@system_read("the import_series command names a channel or station by id or code, as the system")
def series_command_targets(
    *, channel_id: int | None, station_code: str | None
) -> tuple[Channel | None, Station | None]:
    channel = station = None
    if channel_id is not None:
        channel = Channel.objects.select_related("bureau").filter(pk=channel_id).first()
        if channel is None:
            raise NotFound(f"no channel {channel_id}")
    if station_code:
        station = Station.objects.select_related("bureau").filter(code__iexact=station_code).first()
        if station is None:
            raise NotFound(f"no station {station_code}")
    return channel, station
