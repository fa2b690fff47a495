"""GeoJSON in the shape of the USGS "summary" feed (``format=geojson``).

Each feature::

    {"type": "Feature",
     "properties": {"mag", "place", "time" (ms since epoch), "updated" (ms),
                    "tz": null, "url", "detail", "felt": null, "cdi": null,
                    "mmi": null, "alert": null, "status", "tsunami": 0, "sig",
                    "net", "code", "ids", "sources", "types", "nst", "dmin": null,
                    "rms": null, "gap": null, "magType", "type", "title"},
     "geometry": {"type": "Point", "coordinates": [lon, lat, depth_km]},
     "id": "<net><code>"}

Differences from USGS, on purpose: ``magType`` is written as stored ("Ms",
"ML", "mB"), since lower-casing would merge mb and mB; ``sig`` uses only
the magnitude term of the USGS formula (mag * 100 * mag / 6.5) because there
are no felt reports or PAGER alerts; ``status`` is "automatic" for
automatic origins and "reviewed" otherwise.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from catalog.formats.events import EventOut, as_event

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from catalog.formats.rows import EventRow

__all__ = ["write_geojson"]


def _ms(value: datetime) -> int:
    return round(value.astimezone(UTC).timestamp() * 1000)


def _feature(event: EventOut, *, net: str, event_url: str | None, detail_url: str | None) -> dict[str, Any]:
    origin = event.preferred_origin
    if origin is None:
        raise ValueError(f"event {event.id}: no origin")
    magnitude = event.preferred_magnitude
    mag = None if magnitude is None else magnitude.magnitude
    code = event.id
    feature_id = f"{net}{code}"
    source = (event.contributor or net).lower()
    updated = event.updated or origin.creation_time or origin.time
    mag_text = "?" if mag is None else f"{mag:.1f}"
    place = event.location_name or None
    sig = 0 if mag is None or mag <= 0 else round(mag * 100 * mag / 6.5)
    return {
        "type": "Feature",
        "properties": {
            "mag": mag,
            "place": place,
            "time": _ms(origin.time),
            "updated": _ms(updated),
            "tz": None,
            "url": event_url.format(id=code) if event_url else None,
            "detail": detail_url.format(id=code) if detail_url else None,
            "felt": None,
            "cdi": None,
            "mmi": None,
            "alert": None,
            "status": "automatic" if origin.evaluation_mode == "automatic" else "reviewed",
            "tsunami": 0,
            "sig": sig,
            "net": net,
            "code": code,
            "ids": f",{feature_id},",
            "sources": f",{source},",
            "types": ",origin," + ("focal-mechanism," if event.focal_mechanisms else ""),
            "nst": None if magnitude is None else magnitude.station_count,
            "dmin": None,
            "rms": None,
            "gap": None,
            "magType": None if magnitude is None else magnitude.magnitude_type,
            "type": event.event_type or "earthquake",
            "title": f"M {mag_text} - {place}" if place else f"M {mag_text}",
        },
        "geometry": {
            "type": "Point",
            "coordinates": [origin.longitude, origin.latitude, origin.depth_km],
        },
        "id": feature_id,
    }


def write_geojson(
    events: Iterable[EventOut | EventRow | Mapping[str, Any]],
    *,
    url: str = "",
    title: str = "ISPEC Earthquakes",
    api: str = "1.2.0",
    count: int | None = None,
    generated: datetime | None = None,
    status: int = 200,
    net: str = "ispec",
    event_url: str | None = None,
    detail_url: str | None = None,
) -> Iterator[str]:
    """Yield a USGS-style FeatureCollection in pieces, one feature per piece.

    ``count``: pass the number of events when known (a queryset's count);
    ``metadata`` then comes first, as at USGS. When it is None the count is
    taken while streaming and ``metadata`` is written after the features
    (key order does not matter in JSON). ``event_url`` / ``detail_url`` are
    format strings with ``{id}``, e.g. "https://ispec.example/events/{id}".
    """
    generated_ms = _ms(generated or datetime.now(UTC))

    def metadata(n: int) -> str:
        data = {
            "generated": generated_ms,
            "url": url,
            "title": title,
            "status": status,
            "api": api,
            "count": n,
        }
        return json.dumps(data, ensure_ascii=False)

    yield '{"type":"FeatureCollection",'
    if count is not None:
        yield f'"metadata":{metadata(count)},'
    yield '"features":['
    written = 0
    for index, item in enumerate(events, start=1):
        event = as_event(item, fallback_id=str(index))
        feature = _feature(event, net=net, event_url=event_url, detail_url=detail_url)
        yield ("," if written else "") + json.dumps(feature, ensure_ascii=False)
        written += 1
    yield "]"
    if count is None:
        yield f',"metadata":{metadata(written)}'
    yield "}"
