"""Observation series as the input of a run: each requested channel's samples over its
window, with the spans that quality control or a person marked as faulty or interference
left out, and the hash of exactly what the method saw.

A run's resolved selection holds ``"series": [{"channel", "start", "end", "station",
"item"}, ...]`` (absolute UTC times, start inclusive, end exclusive). The samples are read
as the run's bureau reads them (``worker_actor``), at the channel's own sampling interval,
gaps as NaN. Excluded spans (``observations.qc_selectors.qc_excluded_spans``) become NaN
too, and each input counts what it lost, so the result can say how much was left out.

``series_hash``: sha256 over, per series in request order, the channel id, the first
sample's time (int64 seconds since 1970 UTC), the interval (int64 seconds) and the values
as little-endian float64 with NaN for gaps and excluded samples. The same samples give the
same hash whatever request found them; a re-import or a review that changes them does not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from observations.qc_selectors import qc_excluded_spans
from observations.series_selectors import series_channel_get, series_samples

if TYPE_CHECKING:
    from portal.models import Bureau

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class SeriesInput:
    """One channel's samples over the requested window, as a method receives them."""

    channel: int
    station: str
    item: str
    unit: str
    interval: int  # seconds between samples
    start: dt.datetime  # time of values[0] (UTC, on the interval)
    values: np.ndarray  # float64, NaN for gaps and excluded samples
    latitude: float
    longitude: float
    expected: int  # samples the window holds at the interval
    present: int  # samples stored and not excluded
    excluded: int  # samples stored but excluded by QC or a person's review
    excluded_spans: list[dict[str, Any]]

    def times(self) -> np.ndarray:
        """The time of each value (datetime64[s], UTC)."""
        first = np.datetime64(self.start.replace(tzinfo=None), "s")
        return first + np.arange(self.values.size, dtype=np.int64) * np.timedelta64(self.interval, "s")

    def summary(self) -> dict[str, Any]:
        """What the run's result says about this input."""
        stored = self.present + self.excluded
        return {
            "channel": self.channel,
            "station": self.station,
            "item": self.item,
            "unit": self.unit,
            "interval_s": self.interval,
            "start": self.start.isoformat(),
            "end": (self.start + dt.timedelta(seconds=self.interval * self.values.size)).isoformat(),
            "samples_expected": self.expected,
            "samples_used": self.present,
            "samples_excluded": self.excluded,
            "excluded_percent": round(100.0 * self.excluded / stored, 2) if stored else 0.0,
            "excluded_spans": self.excluded_spans[:50],
        }


def _parse(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _floor(moment: dt.datetime, step: int) -> dt.datetime:
    seconds = int((moment - EPOCH).total_seconds())
    return EPOCH + dt.timedelta(seconds=seconds - seconds % step)


def read_series(*, bureau: Bureau, selection: list[dict[str, Any]]) -> list[SeriesInput]:
    """The inputs of a run's ``selection["series"]``, as ``bureau`` reads them.

    Raises NotFound when a channel is no longer visible to the bureau."""
    from products.selectors import worker_actor

    actor = worker_actor(bureau=bureau)
    out: list[SeriesInput] = []
    for part in selection:
        channel = series_channel_get(actor=actor, channel_id=int(part["channel"]))
        interval = int(channel.interval)
        start = _floor(_parse(part["start"]), interval)
        end = _parse(part["end"])
        values = series_samples(actor=actor, channel=channel, start=start, end=end).astype(np.float64)
        stored = ~np.isnan(values)
        spans = qc_excluded_spans(actor=actor, channel=channel, start=start, end=end)
        excluded = np.zeros(values.size, dtype=bool)
        described: list[dict[str, Any]] = []
        for span in spans:
            first = max(0, int((span.start - start).total_seconds()) // interval)
            last = min(values.size, -(-int((span.end - start).total_seconds()) // interval))
            if last <= first:
                continue
            excluded[first:last] = True
            described.append(
                {"start": span.start.isoformat(), "end": span.end.isoformat(), "kind": span.kind}
            )
        lost = stored & excluded
        values[excluded] = np.nan
        location = channel.station.location
        out.append(
            SeriesInput(
                channel=channel.pk,
                station=channel.station.code,
                item=channel.item.code,
                unit=channel.unit,
                interval=interval,
                start=start,
                values=values,
                latitude=float(location.y),
                longitude=float(location.x),
                expected=int(values.size),
                present=int((stored & ~excluded).sum()),
                excluded=int(lost.sum()),
                excluded_spans=described,
            )
        )
    return out


def series_hash(series: list[SeriesInput]) -> str:
    digest = hashlib.sha256()
    for part in series:
        head = np.array([part.channel, int((part.start - EPOCH).total_seconds()), part.interval], dtype="<i8")
        digest.update(head.tobytes())
        digest.update(np.ascontiguousarray(part.values, dtype="<f8").tobytes())
    return digest.hexdigest()
